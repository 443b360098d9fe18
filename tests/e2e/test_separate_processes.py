"""`meetup-bot sandbox` and `meetup-bot run` (with a token) as separate processes: kill the bot, start it again."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import BASE_CONFIG
from tests.waiting import wait_for_async

TOKEN = "MTIz.not-a-real-token-but-a-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.output: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.output.append(line.decode(errors="replace"))

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.returncode is None:
            self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), 30)
        await asyncio.wait_for(self._reader, 10)
        return code


async def spawn(*args: str, cwd: Path, env: dict[str, str]) -> Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    return Process(process)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@dataclass
class StandaloneSandbox:
    """A `meetup-bot sandbox` process and a config in `folder` that points `run` at it."""

    folder: Path
    base: str
    env: dict[str, str]  # the environment for `meetup-bot` processes: no token, no overrides
    alice: int
    http: aiohttp.ClientSession

    async def next_event(self) -> dict[str, Any] | None:
        """alice's `/next-event`: the interaction's answer once a bot answers it, else None."""
        command = {
            "guild_id": "100000000000000001",
            "channel_id": "100000000000000002",
            "user_id": str(self.alice),
            "name": "next-event",
            "options": {},
        }
        async with self.http.post(f"{self.base}/sandbox/commands", json=command) as response:
            data: dict[str, Any] = await response.json()
            return data if response.status == 200 else None


@asynccontextmanager
async def standalone_sandbox(folder: Path, http: aiohttp.ClientSession) -> AsyncIterator[StandaloneSandbox]:
    """Starts the sandbox as a process of its own (an empty events folder) and stops it on leaving."""
    port = free_port()
    (folder / "events").mkdir()
    (folder / "config.yaml").write_text(
        BASE_CONFIG + f"discord:\n  api_base_url: http://127.0.0.1:{port}/api/v10\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_TOKEN", "MEETUP_BOT"))}
    sandbox = await spawn("sandbox", "--port", str(port), cwd=folder, env=env)
    base = f"http://127.0.0.1:{port}"

    async def state() -> dict[str, Any] | None:
        try:
            async with http.get(f"{base}/sandbox/state") as response:
                data: dict[str, Any] = await response.json()
                return data
        except aiohttp.ClientError:
            return None

    try:
        current = await wait_for_async(state, timeout=30, what="the sandbox to answer")
        alice = next(m["id"] for m in current["members"] if m["name"] == "alice")
        yield StandaloneSandbox(folder, base, env, alice, http)
    finally:
        await sandbox.stop()


async def test_bot_killed_and_restarted_against_a_running_sandbox(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    bots: list[Process] = []
    async with standalone_sandbox(tmp_path, http) as sandbox:
        try:
            for round_ in range(2):
                bot = await spawn("-v", "run", cwd=tmp_path, env={**sandbox.env, "DISCORD_TOKEN": TOKEN})
                bots.append(bot)
                what = f"the bot (start {round_ + 1}) to answer"
                reply = await wait_for_async(sandbox.next_event, timeout=60, what=what)
                assert reply["ephemeral"] is True and "has no upcoming event" in reply["content"]
                if round_ == 0:
                    assert await bot.stop(signal.SIGKILL) == -signal.SIGKILL  # no clean shutdown at all
            assert await bots[-1].stop() == 0  # SIGTERM: clean shutdown
        finally:
            for bot in bots:
                if bot.process.returncode is None:
                    bot.process.kill()
                    await bot.stop()
    logs = "".join(line for bot in bots for line in bot.output)
    assert "registered" in logs  # verbose logs were written ...
    assert "not-a-real-token" not in logs  # ... and never the token
    assert "Traceback" not in logs

"""Run the sandbox on its own: `python -m bot.sandbox --port 8765`, then point the bot (or curl) at it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from bot.sandbox.seed import SandboxSeed, SeedGuild
from bot.sandbox.server import SandboxServer

DEMO_GUILD = SeedGuild(
    guild_id=100_000_000_000_000_001,
    name="Meetup Sandbox",
    announce_channel_id=100_000_000_000_000_002,
    organizer_role_id=100_000_000_000_000_003,
    extra_channels=[(100_000_000_000_000_004, "general")],
)


async def _serve(host: str, port: int) -> None:
    server = SandboxServer(SandboxSeed(guilds=[DEMO_GUILD]))
    server.on_feed(print)
    await server.start(host, port)
    print(f"Discord sandbox at {server.url}  (API {server.api_base_url}, control {server.url}/sandbox/state)")
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port))


if __name__ == "__main__":
    main()

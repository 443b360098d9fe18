"""The git command line, run without a shell: credentials from the environment only, errors as one line.

A token (`$MEETUP_BOT_GIT_TOKEN`) reaches git through a credential helper that reads the variable, so it is
never on a command line, in the config, in `.git/config`, or in a message: every error text is redacted.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.config import GIT_TOKEN_ENV

# git asks the helper for a username and password; the password is the token, read when git runs
_CREDENTIAL_HELPER = f'!f() {{ test "$1" = get || exit 0; echo username=x-access-token; echo "password=${GIT_TOKEN_ENV}"; }}; f'
_URL_USERINFO = re.compile(r"(://)[^/@\s]+@")
DEFAULT_TIMEOUT = 120.0  # seconds; a clone of a large repository over a slow link


class GitError(Exception):
    """A git command failed: `message` is one line fit for an organizer (no secret in it)."""

    def __init__(self, message: str, *, returncode: int | None = None, stderr: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.returncode = returncode
        self.stderr = stderr


@dataclass(frozen=True)
class GitResult:
    returncode: int
    stdout: str
    stderr: str


def git_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment git runs with: never prompts, no user or system config surprises, and the token
    (when set) offered through the credential helper above."""
    env = dict(os.environ if environ is None else environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_ASKPASS"] = "true"  # answer any prompt with nothing rather than hang
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    env["LC_ALL"] = "C"
    if env.get(GIT_TOKEN_ENV, "").strip():
        count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
        env[f"GIT_CONFIG_KEY_{count}"] = "credential.helper"
        env[f"GIT_CONFIG_VALUE_{count}"] = _CREDENTIAL_HELPER
        env["GIT_CONFIG_COUNT"] = str(count + 1)
    return env


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """`text` without the token and without credentials written into URLs."""
    env = os.environ if environ is None else environ
    token = env.get(GIT_TOKEN_ENV, "").strip()
    if token:
        text = text.replace(token, "***")
    return _URL_USERINFO.sub(r"\1***@", text)


def _last_line(stderr: str) -> str:
    """git's own explanation: its `fatal:`/`error:` line if any, else its last non-empty line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line
    return lines[-1] if lines else "no message"


async def git(
    *args: str,
    cwd: Path | None = None,
    check: bool = True,
    input: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    environ: Mapping[str, str] | None = None,
) -> GitResult:
    """Runs `git args...`; raises GitError (one redacted line) on a non-zero exit when `check`, or on a timeout."""
    env = git_environment(environ)
    try:
        process = await asyncio.create_subprocess_exec(
            "git",
            *args,
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.PIPE if input is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError:
        raise GitError("git is not installed (install the git package)") from None
    try:
        out, err = await asyncio.wait_for(
            process.communicate(input.encode() if input is not None else None), timeout
        )
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise GitError(f"git {args[0]} did not finish within {timeout:g} s") from None
    result = GitResult(
        process.returncode or 0, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    )
    if check and result.returncode != 0:
        stderr = redact(result.stderr, env)
        raise GitError(
            f"git {args[0]} failed: {_last_line(stderr)}", returncode=result.returncode, stderr=stderr
        )
    return result


@contextlib.asynccontextmanager
async def repo_lock(clone_dir: Path) -> AsyncIterator[None]:
    """One writer of the clone at a time (a sync, a write-back commit), across processes: a lock file
    beside the clone, held for the block. Waits without blocking the event loop."""
    clone_dir.parent.mkdir(parents=True, exist_ok=True)
    lock_path = clone_dir.parent / f".{clone_dir.name}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(0.05)
        yield
    finally:
        os.close(fd)

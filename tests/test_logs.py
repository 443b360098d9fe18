"""The token never reaches a log line, and redacting it mangles nothing else."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import REDACTED, redact, setup_logging

TOKEN = "MTIz.secret-token"


@pytest.fixture
def log_lines(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """The root handler setup_logging installs, writing to the captured stderr; removed afterwards."""
    yield capsys
    logging.getLogger().handlers.clear()


def test_secrets_are_redacted_from_every_log_line(log_lines: pytest.CaptureFixture[str]) -> None:
    setup_logging(secrets=[TOKEN])
    logging.getLogger("test").warning("connecting with %s", TOKEN)
    logging.getLogger("test").warning("header Authorization: Bot %s!", TOKEN)
    logging.getLogger("discord.client").warning("PyNaCl is not installed, voice will NOT be supported")
    err = log_lines.readouterr().err
    assert "connecting with [redacted]" in err
    assert "Authorization: Bot [redacted]!" in err
    assert "secret-token" not in err
    assert "voice" not in err


def test_a_token_inside_an_exception_and_its_traceback_is_redacted(
    log_lines: pytest.CaptureFixture[str],
) -> None:
    setup_logging(secrets=[TOKEN])

    def connect(token: str) -> None:
        raise RuntimeError(f"login failed for token {token}")

    try:
        connect(TOKEN)
    except RuntimeError:
        logging.getLogger("test").exception("start-up failed")
    logging.getLogger("test").warning("here %s", TOKEN, stack_info=True)
    err = log_lines.readouterr().err
    assert "Traceback (most recent call last)" in err and "Stack (most recent call last)" in err
    assert f"RuntimeError: login failed for token {REDACTED}" in err
    assert "secret-token" not in err


def test_a_short_sandbox_token_mangles_nothing(log_lines: pytest.CaptureFixture[str]) -> None:
    setup_logging(secrets=["t"])
    logging.getLogger("test").info("started the bot")
    try:
        raise ValueError("that token")
    except ValueError:
        logging.getLogger("test").exception("it stopped")
    err = log_lines.readouterr().err
    assert "test: started the bot\n" in err
    assert "ValueError: that token" in err
    assert REDACTED not in err


def test_redact_replaces_whole_secrets_longest_first() -> None:
    assert redact("a MTIz.secret-token b", [TOKEN, "MTIz.secret"]) == "a [redacted] b"
    assert redact("x  y", ["", "   "]) == "x  y"
    assert redact(f"token={TOKEN}\n", [f"  {TOKEN}\n"]) == "token=[redacted]\n"


def test_the_cli_redacts_the_git_token_and_the_webhook_secret_too(
    log_lines: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bot.cli.main import main
    from bot.config import GIT_TOKEN_ENV, WEBHOOK_SECRET_ENV
    from tests.conftest import BASE_CONFIG

    (tmp_path / "config.yaml").write_text(BASE_CONFIG)
    monkeypatch.setenv(GIT_TOKEN_ENV, "ghp_git-token-value")
    monkeypatch.setenv(WEBHOOK_SECRET_ENV, "hook-secret-value")
    assert main(["--config", str(tmp_path / "config.yaml"), "check-config"]) == 0
    logging.getLogger("bot.repo").warning("fetch with ghp_git-token-value, hook-secret-value")
    err = log_lines.readouterr().err
    assert "fetch with [redacted], [redacted]" in err
    assert "token-value" not in err and "secret-value" not in err


def test_json_logs_are_one_redacted_object_per_line(log_lines: pytest.CaptureFixture[str]) -> None:
    import json

    setup_logging(secrets=[TOKEN], log_format="json")
    logging.getLogger("bot.test").warning("two\nlines with %s", TOKEN)
    try:
        raise RuntimeError(f"login failed for {TOKEN}")
    except RuntimeError:
        logging.getLogger("bot.test").exception("start-up failed")
    lines = log_lines.readouterr().err.splitlines()
    assert len(lines) == 2, lines  # a message with a newline stays on one line
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "WARNING" and first["logger"] == "bot.test"
    assert first["message"] == f"two\nlines with {REDACTED}"
    assert first["time"].endswith("Z") and "T" in first["time"]
    assert second["message"] == "start-up failed"
    assert (
        second["exception"].startswith("Traceback") and f"login failed for {REDACTED}" in second["exception"]
    )
    assert "secret-token" not in "".join(lines)


def test_the_log_format_comes_from_the_option_or_the_environment(
    log_lines: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import json

    from bot.cli.main import LOG_FORMAT_ENV, main
    from tests.conftest import BASE_CONFIG

    (tmp_path / "config.yaml").write_text(BASE_CONFIG)
    config = ["--config", str(tmp_path / "config.yaml")]
    monkeypatch.setenv(LOG_FORMAT_ENV, "JSON")
    assert main([*config, "check-config"]) == 0
    logging.getLogger("bot.test").info("hello")
    assert json.loads(log_lines.readouterr().err.splitlines()[-1])["message"] == "hello"
    assert main(["--log-format", "text", *config, "check-config"]) == 0  # the option wins
    logging.getLogger("bot.test").info("hello")
    assert log_lines.readouterr().err.splitlines()[-1].endswith("bot.test: hello")
    monkeypatch.setenv(LOG_FORMAT_ENV, "yaml")
    assert main([*config, "check-config"]) == 2
    assert f"${LOG_FORMAT_ENV} must be text or json" in log_lines.readouterr().err

"""The token never reaches a log line."""

from __future__ import annotations

import logging

import pytest

from bot.logs import setup_logging


def test_secrets_are_redacted_from_every_log_line(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging(secrets=["MTIz.secret-token"])
    try:
        logging.getLogger("test").warning("connecting with %s", "MTIz.secret-token")
        logging.getLogger("discord.client").warning("PyNaCl is not installed, voice will NOT be supported")
    finally:
        logging.getLogger().handlers.clear()
    err = capsys.readouterr().err
    assert "connecting with [redacted]" in err
    assert "secret-token" not in err
    assert "voice" not in err

"""The announcements tests' sandbox and config (StLGo with a log channel), reused by the doctor's tests."""

from tests.e2e.announcements.conftest import config_file, publish, sandbox, start_bot

__all__ = ["config_file", "publish", "sandbox", "start_bot"]

"""The announcements tests' sandbox and config (StLGo with a log channel), reused by the doctor's tests, and
the API that rejects every token."""

from tests.e2e.announcements.conftest import config_file, publish, sandbox, start_bot
from tests.test_invite_url import rejecting_api

__all__ = ["config_file", "publish", "rejecting_api", "sandbox", "start_bot"]

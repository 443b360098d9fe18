"""Errors whose message is written for the member or organizer who caused them."""

from __future__ import annotations


class UserError(Exception):
    """A refusal or problem to show the user as it is: what is wrong and what to do."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class StartupError(UserError):
    """The bot could not start talking to Discord: the message names what failed, the URL and what to check."""

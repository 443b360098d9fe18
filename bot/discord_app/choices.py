"""Autocomplete choices shared by the commands that take an event."""

from __future__ import annotations

from discord import app_commands

from bot.catalog import queries
from bot.discord_app.services import Services
from bot.when import iso_day


def choice_name(title: str, day: str) -> str:
    """`Title · 2026-12-16`, the title shortened to fit Discord's 100-character limit."""
    suffix = f" · {day}"
    room = 100 - len(suffix)
    return (title if len(title) <= room else title[: room - 1] + "…") + suffix


async def event_choices(services: Services, group: str, current: str) -> list[app_commands.Choice[str]]:
    """The group's events whose title or slug contains what the member typed: upcoming first.

    The label's date is the event's local day (a 6 pm CST meetup is on its own date, not UTC's next one).
    """
    async with services.sessions() as session:
        found = await queries.search_events(session, services.clock.now(), current, group=group, limit=25)
    return [
        app_commands.Choice(name=choice_name(e.title, iso_day(e.starts_at, e.timezone)), value=e.slug)
        for e in found
    ]

"""`meetup-bot rsvps SLUG [--json]`: an event's RSVPs from the shell (going, waitlist in order, maybe, not going)."""

from __future__ import annotations

import sys

from bot.catalog import queries
from bot.cli.safe_text import safe_json, safe_line
from bot.config import Config
from bot.db.engine import open_database
from bot.errors import UserError
from bot.rsvp.counts import rsvp_counts
from bot.rsvp.service import effective_capacity, list_rsvps
from bot.rsvp.texts import counts_line


async def rsvps_command(config: Config, slug: str, *, as_json: bool) -> int:
    async with open_database(config.database.url) as sessions, sessions() as session:
        try:
            event = await queries.event_by_slug(session, slug)
        except UserError as error:
            print(
                f"error: {safe_line(error.message.replace('/events', 'meetup-bot events'))}", file=sys.stderr
            )
            return 1
        rows = await list_rsvps(session, event.id)
        counts = await rsvp_counts(session, event.id)
    if as_json:
        data = [
            {"user_id": r.user_id, "name": r.name, "status": r.status, "position": r.position} for r in rows
        ]
        print(safe_json(data, indent=2))
        return 0
    print(
        f"{safe_line(event.title)} ({safe_line(event.slug)}): "
        f"{counts_line(counts, effective_capacity(event, config.rsvp.default_capacity))}"
    )
    for r in rows:
        place = f" #{r.position}" if r.position else ""
        group = f" · {safe_line(r.group_name)}" if r.group_name else ""
        print(f"  {r.status + place:<14} {safe_line(r.name or '-')} ({r.user_id}){group}")
    if not rows:
        print("  No RSVPs yet.")
    return 0

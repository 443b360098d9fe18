"""`meetup-bot schedule [--json]`: what the bot will post, where and when (nothing is posted or changed)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.cli.safe_text import safe_json, safe_line
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.db.engine import open_database
from bot.schedule.preview import NOT_POSTED, preview
from bot.when import plural


async def schedule_command(config: Config, *, as_json: bool, clock: Clock | None = None) -> int:
    now = (clock or SystemClock()).now()
    zone = ZoneInfo(config.timezone)
    async with open_database(config.database.url) as sessions, sessions() as session:
        rows = await preview(session, config, now)
        await session.rollback()  # a dry run: the notices it found are not recorded
    if as_json:
        print(safe_json([row.to_json(zone) for row in rows], indent=2))
        return 0
    if not rows:
        print("Nothing to post: no upcoming event has a post due (import events with `meetup-bot import`).")
        return 0
    for row in rows:
        when = row.due_at.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")
        flag = {"late": " (late: due already)", "pending": " (due now)"}.get(row.state, "")
        if row.explanation:
            flag = f" ({row.explanation})"
        where = f"#{row.channel_id}" if row.channel_id is not None else "-"
        if row.user_id is not None:
            where = f"DM to member {row.user_id}"
        print(safe_line(f"{when}  {row.group}  {where}  {row.slug}  {row.kind}{flag}"))
    posts = sum(1 for row in rows if row.state != NOT_POSTED)
    print(f"{plural(posts, 'post')}; times in {config.timezone}")
    return 0

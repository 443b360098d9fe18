"""A preview (bot/repo/preview.py) as markdown for a pull-request comment.

Times are in each event's own zone, naming the day. Discord's timestamp tags (`<t:SECONDS:F>`, which each
member sees in their own zone) are written out in the event's zone, `R` ("in 3 days") as seen when the post
goes out. Text from event files cannot break the comment: `<` is shown as text (no HTML), a line cannot
start a heading, a rule or a code fence inside a quote, and `@name` does not mention a GitHub user.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.repo.preview import (
    ASSUMED,
    AT_ONCE,
    BACK_ON,
    BROKEN,
    CANCELLED,
    CHANGED,
    EDITED,
    FAILED,
    MOVED_LABEL,
    NEW,
    OVER,
    PENDING,
    PLANNED,
    POSTED,
    REMOVED,
    RENAMED,
    RESCHEDULED_LABEL,
    SKIPPED,
    SKIPPED_POST,
    UNCHANGED,
    EventReport,
    PostLine,
    Preview,
)
from bot.schedule.announcement_text import AnnouncementContent
from bot.when import clock_time, day_text, plural

HEADING = "## meetup-bot preview"
NOTHING = "No event files changed."
# the summary's order
_LABELS = (
    NEW,
    RESCHEDULED_LABEL,
    MOVED_LABEL,
    EDITED,
    CHANGED,
    CANCELLED,
    REMOVED,
    BACK_ON,
    RENAMED,
    OVER,
    SKIPPED,
    BROKEN,
    UNCHANGED,
)
_TITLES = {
    NEW: "New",
    RESCHEDULED_LABEL: "Rescheduled",
    MOVED_LABEL: "Moved",
    EDITED: "Edited",
    CHANGED: "Changed",
    CANCELLED: "Cancelled",
    REMOVED: "Removed",
    BACK_ON: "Back on",
    RENAMED: "Renamed",
    OVER: "Already over",
    SKIPPED: "Not an event",
    BROKEN: "Fails to parse",
    UNCHANGED: "Unchanged",
}
_NOTICES = ("Rescheduled notice", "Moved notice", "Cancellation notice", "Back on notice")
_TAG = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
_MENTION = re.compile(r"(?<![\w@/])@(?=\w)")
_LINE_START = re.compile(r"^(\s*)(#|>|```|~~~|(?:[-=*_]\s*){3,}$)")


def local(moment: datetime, zone: str) -> str:
    """`Wed, Dec 16, 2026 at 6:00 PM CST`."""
    return f"{day_text(moment, zone)} at {clock_time(moment, zone)}"


def relative(moment: datetime, reference: datetime) -> str:
    """`in 3 days`, `in 2 hours`, `5 minutes ago`, as Discord words a relative timestamp."""
    delta = moment - reference
    seconds = abs(delta.total_seconds())
    if seconds < 60:
        return "now"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            amount = plural(round(seconds / size), unit)
            break
    return f"in {amount}" if delta > timedelta(0) else f"{amount} ago"


def discord_text(text: str, zone: str, reference: datetime) -> str:
    """Discord's timestamp tags written out in the event's zone; `reference` is when the text is read."""

    def one(match: re.Match[str]) -> str:
        moment = datetime.fromtimestamp(int(match[1]), ZoneInfo(zone))
        style = match[2] or "f"
        if style in "tT":
            return clock_time(moment, zone)
        if style in "dD":
            return day_text(moment, zone)
        if style == "R":
            return relative(moment, reference)
        return local(moment, zone)

    return _TAG.sub(one, text)


def inline(text: str) -> str:
    """Text from a file, safe on one markdown line: no HTML, no mention, no line break."""
    text = " ".join(text.split())
    return _MENTION.sub("@\u2060", text.replace("<", "&lt;"))


def quoted(text: str) -> list[str]:
    """Text from a file as the lines of a markdown quote; a line cannot turn into a heading, rule or fence."""
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        line = _MENTION.sub("@\u2060", line.replace("<", "&lt;")).rstrip()
        line = _LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}", line)
        lines.append(f"> {line}" if line else ">")
    return lines


def render(preview: Preview) -> str:
    """The whole comment: a heading, a summary line, then one section per event."""
    short = preview.revisions.head[:7]
    where = f"`{preview.folder}`" if preview.folder not in ("", ".") else "the repository"
    out = [HEADING, ""]
    if not preview.reports:
        out.append(
            f"{NOTHING} (Nothing under {where} differs between `{preview.base}` and `{preview.head}`.)"
        )
        return "\n".join(out) + "\n"
    out.append(
        f"What merging `{preview.head}` ({short}) into `{preview.base}` makes the bot do with the events in {where}."
    )
    out.append("")
    out.append(f"**{summary(preview.reports)}**")
    out.append("")
    if preview.database is not None:
        out.append(f"What was already posted comes from the bot's database ({preview.database}).")
    else:
        out.append(
            "No database: an event whose announcement time had passed on the base revision is taken to be "
            "announced, and its earlier reminders sent."
        )
    for report in preview.reports:
        out.append("")
        out.extend(section(report))
    return "\n".join(out) + "\n"


def summary(reports: list[EventReport]) -> str:
    """`2 events: 1 new, 1 rescheduled`."""
    counts = {label: sum(1 for r in reports if label in r.labels) for label in _LABELS}
    parts = [f"{count} {label}" for label, count in counts.items() if count]
    return f"{plural(len(reports), 'event')}: {', '.join(parts)}"


def section(report: EventReport) -> list[str]:
    zone = report.zone
    kinds = ", ".join(_TITLES.get(label, label) for label in report.labels)
    out = [f"### {kinds}: {inline(report.title)} (`{inline(report.slug)}`)", ""]
    facts = report.facts
    facts_line = [f"`{inline(path)}`" for path in report.paths]
    if facts is not None:
        when = f"{local(facts.starts_at, zone)} – {clock_time(facts.ends_at, zone)}"
        facts_line += [when, inline(facts.place)]
    out.append(" · ".join(facts_line))
    prior = report.before
    if facts is not None and prior is not None and prior is not facts:
        if (prior.starts_at, prior.ends_at) != (facts.starts_at, facts.ends_at):
            was = f"{local(prior.starts_at, zone)} – {clock_time(prior.ends_at, zone)}"
            out.append(f"Was {was}.")
        if prior.place != facts.place:
            out.append(f"Was at {inline(prior.place)}.")
    if report.posts:
        out.append("")
        several = len({post.group for post in report.posts}) > 1
        for post in report.posts:
            out.extend(post_lines(post, zone, report.now, several))
    if report.notes:
        out.append("")
        out.extend(f"- {inline(note)}" for note in report.notes)
    if report.announcement is not None and report.message is not None and report.posts:
        first = next((p for p in report.posts if p.label == "Announcement"), None)
        to_come = first is not None and first.state in (PLANNED, AT_ONCE)
        due = first.due_at if first is not None and to_come else report.now
        out.append("")
        out.append(
            "The announcement, as members will see it:" if to_come else "The announcement, as it will read:"
        )
        out.append("")
        out.extend(announcement_lines(report.message, report.announcement, zone, due))
    return out


def post_lines(post: PostLine, zone: str, now: datetime, several: bool) -> list[str]:
    group = f" ({inline(post.group)})" if several else ""
    when = local(post.due_at, zone)
    verb = "is created" if post.label.startswith("Discord event") else "will be posted"
    if post.state == PLANNED:
        line = f"- {post.label}{group} {verb} **{when}**"
    elif post.state == AT_ONCE:
        late = f" (late: it was due {when})" if post.late else ""
        line = f"- {post.label}{group} {verb} **at once** when the change is synced{late}"
    elif post.state == POSTED:
        line = f"- {post.label}{group}: already posted ({when})"
    elif post.state == ASSUMED:
        line = f"- {post.label}{group}: already posted ({when}; assumed, no database)"
    elif post.state == PENDING:
        line = f"- {post.label}{group}: being sent (due {when})"
    elif post.state == SKIPPED_POST:
        line = f"- {post.label}{group}: skipped (it was too late to make sense)"
    elif post.state == FAILED:
        line = f"- {post.label}{group}: failed (the organizers were told)"
    else:
        line = f"- {post.label}{group}: {post.state}"
    lines = [line]
    if post.label in _NOTICES and post.text:
        lines.extend(f"  {quote}" for quote in quoted(discord_text(post.text, zone, now)))
    return lines


def announcement_lines(message: str, content: AnnouncementContent, zone: str, seen: datetime) -> list[str]:
    """The announcement's message line and embed, as a quote."""

    def text(value: str) -> str:
        return discord_text(value, zone, seen)

    parts = [text(message), ""]
    title = f"**[{text(content.title)}]({content.url})**" if content.url else f"**{text(content.title)}**"
    parts.append(title)
    if content.description:
        parts.append(text(content.description))
    for name, value in content.fields:
        parts.append("")
        value = text(value)
        parts.append(f"**{name}:** {value}" if "\n" not in value else f"**{name}:**\n{value}")
    if content.footer:
        parts.extend(["", f"*{content.footer}*"])
    return quoted("\n".join(parts))

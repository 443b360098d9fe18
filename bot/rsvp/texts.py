"""What members read about their RSVPs: DM texts and the live counts line (plain text, no Discord)."""

from __future__ import annotations

from bot.rsvp.counts import RsvpCounts
from bot.rsvp.service import Notice


def notice_text(notice: Notice) -> str:
    if notice.kind == "going":
        return f"You're going to **{notice.event_title}**. See you there! (Remove your reaction if plans change.)"
    if notice.kind == "promoted":
        return (
            f"Good news: a place opened up and you moved from the waitlist to **going** for "
            f"**{notice.event_title}**. If you can't make it any more, remove your reaction so the next person gets it."
        )
    return (
        f"**{notice.event_title}** is full, so you're on the waitlist at place {notice.position}. "
        "You'll get a message here if a place opens up."
    )


def counts_line(counts: RsvpCounts, capacity: int | None) -> str:
    """e.g. "12 going · 3 maybe · 2 waitlist · capacity 12"."""
    parts = [f"{counts.going} going", f"{counts.maybe} maybe"]
    if counts.waitlist or capacity is not None:
        parts.append(f"{counts.waitlist} waitlist")
    if capacity is not None:
        parts.append(f"capacity {capacity}")
    return " · ".join(parts)

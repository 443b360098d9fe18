"""What members read about their RSVPs: DM texts and the live counts line (plain text, no Discord)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.rsvp.counts import RsvpCounts
from bot.rsvp.service import Notice

DEFAULT_EMOJIS: Mapping[str, str] = {"going": "✅", "maybe": "🤔", "not_going": "❌", "waitlist": "✅"}
WORDS = {"going": "going", "maybe": "maybe", "not_going": "not going", "waitlist": "going"}
WHY = {
    "newer": "the reaction that differs from your earlier answer is the newer one",
    "cautious": "Discord does not say which came last, so the more cautious answer counts",
}


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def reconciled_text(notice: Notice, emojis: Mapping[str, str] = DEFAULT_EMOJIS) -> str:
    """Why reconciliation recorded one of the member's several reactions, and how to change it."""
    recorded = notice.recorded or "not_going"
    what = f"{emojis[recorded]} {WORDS[recorded]}"
    if recorded == "waitlist":
        what += f", but it is full, so you're on the waitlist at place {notice.position}"
    why = WHY.get(notice.rule or "", "")
    return (
        f"You had reacted {_listed([emojis[s] for s in notice.seen])} on **{notice.event_title}** while the "
        f"bot was offline; we recorded {what}" + (f" ({why})" if why else "") + ". React again to change it."
    )


def notice_text(notice: Notice, emojis: Mapping[str, str] = DEFAULT_EMOJIS) -> str:
    if notice.kind == "reconciled":
        return reconciled_text(notice, emojis)
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

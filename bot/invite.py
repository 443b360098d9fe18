"""The permissions the bot's enabled features need on a server, and the OAuth2 link that asks for them.

Plain data, no Discord library: `meetup-bot invite-url` prints the link, and each permission comes with the
reason it is asked for, so an organizer can tell why the bot wants Manage Messages before granting it.
Bit values are Discord's permission flags (permissions.mdx in Discord's API docs).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from bot.config import Config

AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
# `bot` adds the bot user; `applications.commands` lets it register its slash commands on the server
SCOPES = ("bot", "applications.commands")

ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_EVENTS = 1 << 33
CREATE_EVENTS = 1 << 44

SNOWFLAKE_MAX = (1 << 64) - 1


@dataclass(frozen=True)
class Permission:
    """One permission the invite asks for, with the reason shown next to it."""

    name: str  # as Discord's server settings name it
    bit: int
    why: str


ALWAYS = (
    Permission(
        "View Channel", VIEW_CHANNEL, "sees each group's announce channel and the channels it posts in"
    ),
    Permission("Send Messages", SEND_MESSAGES, "posts announcements, reminders, agenda posts and notices"),
    Permission(
        "Embed Links", EMBED_LINKS, "announcements are embeds that show the event and its RSVP counts"
    ),
    Permission(
        "Attach Files", ATTACH_FILES, "sends the .ics calendar file, the RSVP CSV and the stats chart"
    ),
    Permission(
        "Add Reactions", ADD_REACTIONS, "adds the RSVP reactions (going, maybe, not going) members click"
    ),
    Permission(
        "Read Message History",
        READ_MESSAGE_HISTORY,
        "reads the reactions on its announcements to recount RSVPs after a restart or reconnect",
    ),
    Permission(
        "Manage Messages",
        MANAGE_MESSAGES,
        "takes superseded RSVP reactions off (✅ then ❌ keeps the one recorded); always on, no setting turns it off",
    ),
)


def scheduled_event_groups(config: Config) -> list[str]:
    """The groups whose announcements also create a Discord scheduled event (announcements.scheduled_events)."""
    return [g.name for g in config.groups if config.announcements_for(g).scheduled_events]


def needed_permissions(config: Config) -> list[Permission]:
    """What the enabled features need, in the order Discord's role settings list them; nothing more."""
    needed = list(ALWAYS)
    groups = scheduled_event_groups(config)
    if groups:
        where = f"for {', '.join(groups)} (announcements.scheduled_events: false drops it)"
        # Discord's docs (guild-scheduled-event.mdx): creating an event needs Create Events; editing and
        # cancelling one needs Manage Events (or Create Events for the bot's own), which `doctor` checks
        needed.append(
            Permission(
                "Create Events",
                CREATE_EVENTS,
                f"creates a Discord event (Events tab) per in-person event, {where}",
            )
        )
        needed.append(
            Permission(
                "Manage Events",
                MANAGE_EVENTS,
                f"keeps those Discord events in sync and cancels them, {where}",
            )
        )
    return needed


def permissions_integer(permissions: Iterable[Permission]) -> int:
    """The `permissions` value of the invite: the bits or-ed together (each bit counted once)."""
    value = 0
    for permission in permissions:
        value |= permission.bit
    return value


def is_snowflake(text: str) -> bool:
    """Discord ids are positive 64-bit integers written in decimal digits."""
    return text.isascii() and text.isdigit() and 0 < int(text) <= SNOWFLAKE_MAX


def invite_url(client_id: str, permissions: Iterable[Permission]) -> str:
    """The link a server admin opens to add the bot with exactly these permissions."""
    query = {
        "client_id": client_id,
        "scope": " ".join(SCOPES),
        "permissions": permissions_integer(permissions),
    }
    return f"{AUTHORIZE_URL}?{urlencode(query)}"

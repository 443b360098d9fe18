"""Who a message pings, computed from its content and `allowed_mentions` the way Discord does."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.sandbox import errors
from bot.sandbox import permissions as perms
from bot.sandbox.models import Channel, Mentions
from bot.sandbox.state import SandboxState

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")
EVERYONE_MENTION = re.compile(r"@(everyone|here)")

REGULAR_DEFAULT = ("users", "roles", "everyone")
WEBHOOK_DEFAULT = ("users",)
PARSE_TYPES = frozenset(REGULAR_DEFAULT)


def _ids(value: Any, path: str, problems: list[tuple[Sequence[str | int], str, str]]) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > 100:
        problems.append(
            (["allowed_mentions", path], "BASE_TYPE_BAD_LENGTH", "Must be between 0 and 100 in length.")
        )
        return None
    out = []
    for index, item in enumerate(value):
        if not str(item).isdigit():
            problems.append(
                (["allowed_mentions", path, index], "NUMBER_TYPE_COERCE", f'Value "{item}" is not snowflake.')
            )
        else:
            out.append(int(item))
    return out


def check_allowed_mentions(allowed: Any) -> None:
    """Rejects malformed `allowed_mentions` with 50035, including `parse` overlapping `users`/`roles`."""
    if allowed is None:
        return
    problems: list[tuple[Sequence[str | int], str, str]] = []
    if not isinstance(allowed, dict):
        raise errors.invalid_form(
            [(["allowed_mentions"], "DICT_TYPE_CONVERT", "Only dictionaries may be used.")]
        )
    parse = allowed.get("parse")
    if parse is not None:
        if not isinstance(parse, list):
            problems.append(
                (["allowed_mentions", "parse"], "LIST_TYPE_CONVERT", "Only iterables may be used.")
            )
        else:
            for index, item in enumerate(parse):
                if item not in PARSE_TYPES:
                    problems.append(
                        (
                            ["allowed_mentions", "parse", index],
                            "BASE_TYPE_CHOICES",
                            f"Value must be one of {sorted(PARSE_TYPES)}.",
                        )
                    )
            for kind in ("users", "roles"):
                if kind in parse and allowed.get(kind):
                    problems.append(
                        (
                            ["allowed_mentions"],
                            "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                            f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                        )
                    )
    _ids(allowed.get("users"), "users", problems)
    _ids(allowed.get("roles"), "roles", problems)
    if problems:
        raise errors.invalid_form(problems)


def resolve(
    state: SandboxState,
    *,
    content: str,
    channel: Channel,
    author_id: int,
    allowed: dict[str, Any] | None,
    default_parse: Sequence[str],
    replied_user_id: int | None = None,
) -> Mentions:
    """The users, roles and @everyone that actually get pinged."""
    if allowed is None:
        parse = set(default_parse)
        users_ok: set[int] = set()
        roles_ok: set[int] = set()
        replied = replied_user_id is not None
    else:
        parse = set(allowed.get("parse") or [])
        users_ok = {int(u) for u in allowed.get("users") or []}
        roles_ok = {int(r) for r in allowed.get("roles") or []}
        replied = bool(allowed.get("replied_user"))

    guild = state.guilds.get(channel.guild_id) if channel.guild_id is not None else None
    author_perms = state.permissions(guild, author_id, channel) if guild is not None else 0

    users: list[int] = []
    for match in USER_MENTION.finditer(content):
        uid = int(match.group(1))
        if uid in state.users and uid not in users and ("users" in parse or uid in users_ok):
            users.append(uid)
    if replied and replied_user_id is not None and replied_user_id not in users:
        users.append(replied_user_id)

    roles: list[int] = []
    everyone = False
    if guild is not None:
        can_mention_all = bool(author_perms & perms.MENTION_EVERYONE)
        for match in ROLE_MENTION.finditer(content):
            rid = int(match.group(1))
            found = state.roles.get(rid)
            if found is None or found.guild_id != guild.id or rid in roles:
                continue
            if ("roles" in parse or rid in roles_ok) and (found.mentionable or can_mention_all):
                roles.append(rid)
        everyone = "everyone" in parse and can_mention_all and EVERYONE_MENTION.search(content) is not None
    return Mentions(users=users, roles=roles, everyone=everyone)


def pinged_user_ids(state: SandboxState, channel: Channel, mentions: Mentions) -> list[int]:
    """Everyone who would get a notification: direct mentions, role holders and @everyone."""
    guild = state.guilds.get(channel.guild_id) if channel.guild_id is not None else None
    pinged = list(mentions.users)
    if guild is not None:
        for m in guild.members.values():
            hit = mentions.everyone or any(r in mentions.roles for r in m.roles)
            if hit and m.user_id not in pinged:
                pinged.append(m.user_id)
    return pinged

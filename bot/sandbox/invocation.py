"""Turning a control-API request into the `data` of an APPLICATION_COMMAND or AUTOCOMPLETE interaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox import serialize
from bot.sandbox.commands import (
    ATTACHMENT,
    BOOLEAN,
    CHANNEL,
    CHAT_INPUT,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    ROLE,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
)
from bot.sandbox.models import AppCommand, Guild
from bot.sandbox.state import SandboxState


class InvocationError(Exception):
    """The control API asked for a command invocation Discord's client would not allow."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Invocation:
    """The `data` of an APPLICATION_COMMAND / AUTOCOMPLETE interaction built from a control request."""

    command: AppCommand
    path: list[str]
    options: list[dict[str, Any]]
    resolved: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return " ".join(self.path)

    def data(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": str(self.command.id),
            "name": self.command.name,
            "type": self.command.type,
        }
        if self.options:
            out["options"] = self.options
        if self.resolved:
            out["resolved"] = self.resolved
        if self.command.guild_id is not None:
            out["guild_id"] = str(self.command.guild_id)
        return out


def find_command(state: SandboxState, guild: Guild, name: str) -> AppCommand:
    root = name.strip().lstrip("/").split()[0] if name.strip() else ""
    for scope in (guild.id, None):
        found = state.commands.get(scope, {}).get((root, CHAT_INPUT))
        if found is not None:
            return found
    known = sorted(c.name for scope in (guild.id, None) for c in state.commands.get(scope, {}).values())
    elsewhere = [g for g, cmds in state.commands.items() if g is not None and (root, CHAT_INPUT) in cmds]
    if elsewhere:
        raise InvocationError(
            403,
            f"/{root} is registered for guild(s) {elsewhere}, not for guild {guild.id}; here: {known}",
        )
    raise InvocationError(404, f"unknown command /{root}; the bot registered: {known or 'nothing yet'}")


def build_invocation(
    state: SandboxState,
    guild: Guild,
    command: AppCommand,
    name: str,
    options: dict[str, Any],
    *,
    focused: str | None,
) -> Invocation:
    """Walks subcommands (from "a b" names or nested option dicts) and types each option by its definition."""
    parts = name.strip().lstrip("/").split()
    path = [command.name]
    definitions: list[dict[str, Any]] = command.data.get("options") or []
    provided = dict(options)
    wrappers: list[dict[str, Any]] = []
    for part in parts[1:]:
        sub = _sub(definitions, part)
        if sub is None:
            raise InvocationError(404, f"/{' '.join(path)} has no subcommand {part!r}")
        path.append(part)
        wrappers.append({"type": sub["type"], "name": part})
        definitions = sub.get("options") or []
    while any(d.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for d in definitions):
        nested = [k for k, v in provided.items() if isinstance(v, dict) and _sub(definitions, k)]
        if len(nested) != 1:
            subs = [d["name"] for d in definitions]
            raise InvocationError(400, f"/{' '.join(path)} needs one of its subcommands: {subs}")
        key = nested[0]
        sub = _sub(definitions, key)
        assert sub is not None
        path.append(key)
        wrappers.append({"type": sub["type"], "name": key})
        provided = dict(provided[key])
        definitions = sub.get("options") or []
    resolved: dict[str, dict[str, Any]] = {}
    leaf = _typed_options(state, guild, definitions, provided, focused, resolved, " ".join(path))
    for wrapper in reversed(wrappers):
        wrapper["options"] = leaf
        leaf = [wrapper]
    return Invocation(command=command, path=path, options=leaf, resolved=resolved)


def _sub(definitions: Sequence[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next(
        (
            d
            for d in definitions
            if d.get("name") == name and d.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)
        ),
        None,
    )


def _typed_options(
    state: SandboxState,
    guild: Guild,
    definitions: list[dict[str, Any]],
    provided: dict[str, Any],
    focused: str | None,
    resolved: dict[str, dict[str, Any]],
    where: str,
) -> list[dict[str, Any]]:
    by_name = {d["name"]: d for d in definitions}
    unknown = [k for k in provided if k not in by_name]
    if unknown:
        raise InvocationError(400, f"/{where} has no option(s) {unknown}; it has {sorted(by_name)}")
    if focused is not None and focused not in by_name:
        raise InvocationError(400, f"/{where} has no option {focused!r} to autocomplete")
    if focused is not None and not by_name[focused].get("autocomplete"):
        raise InvocationError(400, f"option {focused!r} of /{where} is not an autocomplete option")
    out: list[dict[str, Any]] = []
    for definition in definitions:
        name = definition["name"]
        if name == focused:
            raw = provided.get(name, "")
            out.append(
                {
                    "type": definition["type"],
                    "name": name,
                    "value": _focused_value(definition, raw),
                    "focused": True,
                }
            )
            continue
        if name not in provided:
            if definition.get("required") and focused is None:
                raise InvocationError(400, f"/{where} needs option {name!r}")
            continue
        value = _convert(
            state, guild, definition, provided[name], resolved, where, autocomplete=focused is not None
        )
        out.append({"type": definition["type"], "name": name, "value": value})
    return out


def _focused_value(definition: dict[str, Any], raw: Any) -> Any:
    if definition["type"] in (INTEGER, NUMBER):
        try:
            number = float(raw)
            return int(number) if definition["type"] == INTEGER and number.is_integer() else number
        except (TypeError, ValueError):
            return str(raw)
    return str(raw)


def _convert(
    state: SandboxState,
    guild: Guild,
    definition: dict[str, Any],
    raw: Any,
    resolved: dict[str, dict[str, Any]],
    where: str,
    *,
    autocomplete: bool,
) -> Any:
    kind = definition["type"]
    name = definition["name"]
    try:
        value = _scalar(kind, raw)
    except (TypeError, ValueError):
        raise InvocationError(400, f"option {name!r} of /{where} wants type {kind}, got {raw!r}") from None
    if value is not None:
        _check_limits(definition, value, where)
        return value
    if autocomplete:
        return str(raw)
    return _entity(state, guild, definition, raw, resolved, where)


def _scalar(kind: int, raw: Any) -> Any:
    if kind == STRING:
        return str(raw)
    if kind == INTEGER:
        if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
            raise ValueError(raw)
        return int(raw)
    if kind == NUMBER:
        return float(raw)
    if kind == BOOLEAN:
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("true", "false"):
            return str(raw).lower() == "true"
        raise ValueError(raw)
    return None


def _check_limits(definition: dict[str, Any], value: Any, where: str) -> None:
    name = definition["name"]
    choices = definition.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise InvocationError(
            400, f"option {name!r} of /{where} must be one of {[c['value'] for c in choices]}"
        )
    if isinstance(value, str):
        low, high = definition.get("min_length", 0), definition.get("max_length", 6000)
        if not low <= len(value) <= high:
            raise InvocationError(400, f"option {name!r} of /{where} must be {low}-{high} characters")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        low, high = definition.get("min_value"), definition.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise InvocationError(400, f"option {name!r} of /{where} must be within [{low}, {high}]")


def _entity(
    state: SandboxState,
    guild: Guild,
    definition: dict[str, Any],
    raw: Any,
    resolved: dict[str, dict[str, Any]],
    where: str,
) -> str:
    kind = definition["type"]
    text = str(raw).strip()
    if kind in (USER, MENTIONABLE):
        found = state.find_user(text.strip("<@!>"))
        if found is not None:
            resolved.setdefault("users", {})[str(found.id)] = serialize.user(found)
            member = guild.members.get(found.id)
            if member is not None:
                data = serialize.member(state, member, with_user=False)
                data["permissions"] = str(state.permissions(guild, found.id))
                resolved.setdefault("members", {})[str(found.id)] = data
            return str(found.id)
    if kind in (ROLE, MENTIONABLE):
        role = next(
            (
                state.roles[r]
                for r in guild.role_ids
                if str(r) == text.strip("<@&>") or state.roles[r].name == text
            ),
            None,
        )
        if role is not None:
            resolved.setdefault("roles", {})[str(role.id)] = serialize.role(role)
            return str(role.id)
    if kind == CHANNEL:
        channel = next(
            (
                state.channels[c]
                for c in guild.channel_ids
                if str(c) == text.strip("<#>") or state.channels[c].name == text.lstrip("#")
            ),
            None,
        )
        if channel is not None:
            types = definition.get("channel_types")
            if types and channel.type not in types:
                raise InvocationError(
                    400, f"option {definition['name']!r} of /{where} takes channel types {types}"
                )
            bot_perms = state.permissions(guild, state.bot_user_id, channel)
            resolved.setdefault("channels", {})[str(channel.id)] = {
                "id": str(channel.id),
                "name": channel.name,
                "type": channel.type,
                "guild_id": str(guild.id),
                "permissions": str(bot_perms),
                "parent_id": None,
                "position": channel.position,
                "nsfw": False,
                "flags": 0,
                "rate_limit_per_user": 0,
                "topic": channel.topic,
                "last_message_id": str(channel.last_message_id) if channel.last_message_id else None,
            }
            return str(channel.id)
    if kind == ATTACHMENT:
        raise InvocationError(400, "attachment options are not supported by the sandbox control API")
    raise InvocationError(
        400, f"option {definition['name']!r} of /{where}: no user/role/channel {raw!r} here"
    )

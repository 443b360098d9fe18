"""Application commands the bot registers, validated the way Discord validates them."""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox import errors
from bot.sandbox.messages import Problems
from bot.sandbox.models import AppCommand
from bot.sandbox.state import SandboxState

CHAT_INPUT = 1
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11
NAME = re.compile(r"^[-_'\w]{1,32}$", re.UNICODE)


def _check_options(problems: Problems, path: list[str | int], options: Any, depth: int) -> None:
    if options is None:
        return
    if not isinstance(options, list) or len(options) > 25:
        problems.append((path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
        return
    seen: set[str] = set()
    optional_seen = False
    for i, opt in enumerate(options):
        here = [*path, i]
        if not isinstance(opt, dict):
            problems.append((here, "DICT_TYPE_CONVERT", "Only dictionaries may be used."))
            continue
        kind = opt.get("type")
        name = opt.get("name")
        if not isinstance(name, str) or not NAME.match(name) or name != name.lower():
            problems.append(([*here, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
        elif name in seen:
            problems.append(
                (
                    [*here, "name"],
                    "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                    "Option name already exists",
                )
            )
        else:
            seen.add(name)
        desc = opt.get("description")
        if not isinstance(desc, str) or not 1 <= len(desc) <= 100:
            problems.append(
                ([*here, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            )
        if kind in (SUB_COMMAND, SUB_COMMAND_GROUP):
            allowed = (depth == 0) or (depth == 1 and kind == SUB_COMMAND)
            if not allowed:
                problems.append(
                    ([*here, "type"], "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Invalid nesting")
                )
            _check_options(problems, [*here, "options"], opt.get("options"), depth + 1)
            continue
        if kind not in range(STRING, ATTACHMENT + 1):
            problems.append(([*here, "type"], "BASE_TYPE_CHOICES", "Value must be one of 1..11."))
        if opt.get("required"):
            if optional_seen:
                problems.append(
                    (
                        here,
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
                )
        else:
            optional_seen = True
        choices = opt.get("choices")
        if choices:
            if len(choices) > 25:
                problems.append(
                    ([*here, "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
                )
            if opt.get("autocomplete"):
                problems.append(
                    (
                        [*here, "autocomplete"],
                        "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                        "Autocomplete cannot be set with choices",
                    )
                )


def validate_definitions(payload: Any) -> None:
    if not isinstance(payload, list):
        raise errors.invalid_form([([], "LIST_TYPE_CONVERT", "Only iterables may be used.")])
    problems: Problems = []
    seen: set[tuple[str, int]] = set()
    for i, cmd in enumerate(payload):
        if not isinstance(cmd, dict):
            problems.append(([i], "DICT_TYPE_CONVERT", "Only dictionaries may be used."))
            continue
        kind = int(cmd.get("type") or CHAT_INPUT)
        name = cmd.get("name")
        if not isinstance(name, str) or not NAME.match(name) or (kind == CHAT_INPUT and name != name.lower()):
            if not (kind != CHAT_INPUT and isinstance(name, str) and 1 <= len(name) <= 32):
                problems.append(([i, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
        elif (name, kind) in seen:
            problems.append(
                (
                    [i, "name"],
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique: {name}",
                )
            )
        else:
            seen.add((name, kind))
        desc = cmd.get("description")
        if kind == CHAT_INPUT and (not isinstance(desc, str) or not 1 <= len(desc) <= 100):
            problems.append(
                ([i, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            )
        if kind == CHAT_INPUT:
            _check_options(problems, [i, "options"], cmd.get("options"), 0)
    if problems:
        raise errors.invalid_form(problems)


def _normalise_option(opt: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in opt.items() if v is not None and k != "name_localized"}
    out.setdefault("name_localizations", None)
    out.setdefault("description_localizations", None)
    if not out.get("required"):
        out.pop("required", None)
    if "options" in out:
        out["options"] = [_normalise_option(o) for o in out["options"]]
    return out


def bulk_overwrite(
    state: SandboxState, guild_id: int | None, payload: list[dict[str, Any]]
) -> list[AppCommand]:
    """PUT semantics: replaces the scope's commands, keeping ids of commands that keep name and type."""
    validate_definitions(payload)
    old = state.commands.get(guild_id, {})
    new: dict[tuple[str, int], AppCommand] = {}
    for cmd in payload:
        new_cmd = _make(state, guild_id, cmd, old.get((str(cmd["name"]), int(cmd.get("type") or CHAT_INPUT))))
        new[(new_cmd.name, new_cmd.type)] = new_cmd
    state.commands[guild_id] = new
    return list(new.values())


def upsert(state: SandboxState, guild_id: int | None, cmd: dict[str, Any]) -> AppCommand:
    validate_definitions([cmd])
    scope = state.commands.setdefault(guild_id, {})
    key = (str(cmd["name"]), int(cmd.get("type") or CHAT_INPUT))
    made = _make(state, guild_id, cmd, scope.get(key))
    scope[key] = made
    return made


def _make(
    state: SandboxState, guild_id: int | None, cmd: dict[str, Any], previous: AppCommand | None
) -> AppCommand:
    data = {k: v for k, v in cmd.items() if k not in ("id", "application_id", "version", "guild_id")}
    data["type"] = int(data.get("type") or CHAT_INPUT)
    data.setdefault("description", "")
    perms = data.get("default_member_permissions")
    data["default_member_permissions"] = None if perms is None else str(perms)
    data["options"] = [_normalise_option(o) for o in data.get("options") or []]
    return AppCommand(
        id=previous.id if previous else state.ids.next(),
        application_id=state.application_id,
        guild_id=guild_id,
        version=state.ids.next(),
        data=data,
    )


def command_payload(cmd: AppCommand) -> dict[str, Any]:
    data = cmd.data
    out: dict[str, Any] = {
        "id": str(cmd.id),
        "application_id": str(cmd.application_id),
        "version": str(cmd.version),
        "default_member_permissions": data.get("default_member_permissions"),
        "type": cmd.type,
        "name": cmd.name,
        "name_localizations": data.get("name_localizations"),
        "description": data.get("description", ""),
        "description_localizations": data.get("description_localizations"),
        "contexts": data.get("contexts"),
        "integration_types": data.get("integration_types") or [0],
        "nsfw": bool(data.get("nsfw")),
    }
    if cmd.guild_id is not None:
        out["guild_id"] = str(cmd.guild_id)
    else:
        out["dm_permission"] = data.get("dm_permission", True) is not False
    if data.get("options"):
        out["options"] = data["options"]
    return out

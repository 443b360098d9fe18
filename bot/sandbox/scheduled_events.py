"""Guild scheduled events with Discord's field rules (EXTERNAL needs a location and an end time)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from bot.sandbox import errors, serialize
from bot.sandbox import permissions as perms
from bot.sandbox.core import SandboxCore
from bot.sandbox.gateway import GUILD_SCHEDULED_EVENTS
from bot.sandbox.ids import iso, utcnow
from bot.sandbox.messages import Problems
from bot.sandbox.models import Guild, ScheduledEvent

STAGE_INSTANCE, VOICE, EXTERNAL = 1, 2, 3
SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
TRANSITIONS: Mapping[int, frozenset[int]] = MappingProxyType(
    {SCHEDULED: frozenset({ACTIVE, CANCELED}), ACTIVE: frozenset({COMPLETED})}
)
CLOCK_SKEW = timedelta(seconds=5)


def _time(problems: Problems, body: dict[str, Any], key: str) -> datetime | None:
    raw = body.get(key)
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        problems.append(([key], "DATE_TIME_TYPE_PARSE", f"Could not parse {raw}. Should be ISO8601."))
        return None
    if parsed.tzinfo is None:
        problems.append(
            ([key], "DATE_TIME_TYPE_PARSE", f"Could not parse {raw}. Should be ISO8601 with a zone.")
        )
        return None
    return parsed


def _require_permission(core: SandboxCore, guild: Guild, needed: int) -> None:
    if not core.state.permissions(guild, core.state.bot_user_id) & needed:
        raise errors.missing_permissions()


def _check_entity(problems: Problems, event: ScheduledEvent, body: dict[str, Any]) -> None:
    if event.entity_type == EXTERNAL:
        if event.channel_id is not None:
            problems.append(
                (["channel_id"], "GUILD_SCHEDULED_EVENT_CHANNEL_NOT_NULL", "Channel must be null.")
            )
        if not event.location:
            problems.append((["entity_metadata", "location"], "BASE_TYPE_REQUIRED", "This field is required"))
        elif len(event.location) > 100:
            problems.append(
                (["entity_metadata", "location"], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
            )
        if event.scheduled_end_time is None:
            problems.append((["scheduled_end_time"], "BASE_TYPE_REQUIRED", "This field is required"))
    elif event.entity_type in (STAGE_INSTANCE, VOICE):
        problems.append(
            (
                ["channel_id"],
                "CHANNEL_TYPE_INVALID",
                "The sandbox has no voice or stage channels; use EXTERNAL.",
            )
        )
    else:
        problems.append((["entity_type"], "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}."))
    end = event.scheduled_end_time
    if end is not None and end <= event.scheduled_start_time:
        problems.append(
            (
                ["scheduled_end_time"],
                "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                "Cannot schedule event to end before starting.",
            )
        )


def _apply(
    problems: Problems, event: ScheduledEvent, body: dict[str, Any], *, creating: bool, now: datetime
) -> None:
    if "name" in body or creating:
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            problems.append((["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."))
        else:
            event.name = name
    if "description" in body:
        desc = body.get("description")
        if desc is not None and (not isinstance(desc, str) or len(desc) > 1000):
            problems.append((["description"], "BASE_TYPE_MAX_LENGTH", "Must be 1000 or fewer in length."))
        else:
            event.description = desc or None
    if ("privacy_level" in body or creating) and body.get("privacy_level") != 2:
        problems.append((["privacy_level"], "BASE_TYPE_CHOICES", "Value must be one of {2}."))
    if "entity_type" in body and body["entity_type"] is not None:
        event.entity_type = int(body["entity_type"])
    if "channel_id" in body:
        event.channel_id = int(body["channel_id"]) if body["channel_id"] else None
    if "entity_metadata" in body:
        meta = body.get("entity_metadata")
        event.location = meta.get("location") if isinstance(meta, dict) else None
    if "scheduled_start_time" in body or creating:
        start = _time(problems, body, "scheduled_start_time")
        if start is None and creating and "scheduled_start_time" not in body:
            problems.append((["scheduled_start_time"], "BASE_TYPE_REQUIRED", "This field is required"))
        elif start is not None:
            if start < now - CLOCK_SKEW:
                problems.append(
                    (
                        ["scheduled_start_time"],
                        "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST",
                        "Cannot schedule event in the past.",
                    )
                )
            event.scheduled_start_time = start
    if "scheduled_end_time" in body:
        event.scheduled_end_time = _time(problems, body, "scheduled_end_time")
    if body.get("image"):
        event.image = "sandbox-image"


def create(core: SandboxCore, guild: Guild, body: dict[str, Any]) -> ScheduledEvent:
    _require_permission(core, guild, perms.CREATE_EVENTS | perms.MANAGE_EVENTS)
    state = core.state
    event = ScheduledEvent(
        id=state.ids.next(),
        guild_id=guild.id,
        name="",
        scheduled_start_time=utcnow(),
        entity_type=int(body.get("entity_type") or 0),
        creator_id=state.bot_user_id,
    )
    problems: Problems = []
    if "entity_type" not in body:
        problems.append((["entity_type"], "BASE_TYPE_REQUIRED", "This field is required"))
    _apply(problems, event, body, creating=True, now=core.now())
    if not problems:
        _check_entity(problems, event, body)
    if problems:
        raise errors.invalid_form(problems)
    state.events[event.id] = event
    guild.event_ids.append(event.id)
    core.hub.dispatch(
        "GUILD_SCHEDULED_EVENT_CREATE", serialize.scheduled_event(state, event), intent=GUILD_SCHEDULED_EVENTS
    )
    core.feed(f"event created in {guild.name}: {_summary(event)}")
    return event


def modify(core: SandboxCore, guild: Guild, event: ScheduledEvent, body: dict[str, Any]) -> ScheduledEvent:
    own = event.creator_id == core.state.bot_user_id
    _require_permission(core, guild, perms.MANAGE_EVENTS | (perms.CREATE_EVENTS if own else 0))
    if event.status in (COMPLETED, CANCELED):
        raise errors.finished_event()
    draft = ScheduledEvent(**{**event.__dict__, "subscriber_ids": list(event.subscriber_ids)})
    problems: Problems = []
    _apply(problems, draft, body, creating=False, now=core.now())
    status = body.get("status")
    if status is not None and status != event.status:
        if int(status) not in TRANSITIONS.get(event.status, frozenset()):
            problems.append(
                (["status"], "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION", "Invalid status transition.")
            )
        else:
            draft.status = int(status)
    if not problems:
        _check_entity(problems, draft, body)
    if problems:
        raise errors.invalid_form(problems)
    event.__dict__.update(draft.__dict__)
    core.hub.dispatch(
        "GUILD_SCHEDULED_EVENT_UPDATE",
        serialize.scheduled_event(core.state, event),
        intent=GUILD_SCHEDULED_EVENTS,
    )
    core.feed(f"event updated in {guild.name}: {_summary(event)}")
    return event


def delete(core: SandboxCore, guild: Guild, event: ScheduledEvent) -> None:
    own = event.creator_id == core.state.bot_user_id
    _require_permission(core, guild, perms.MANAGE_EVENTS | (perms.CREATE_EVENTS if own else 0))
    payload = serialize.scheduled_event(core.state, event)
    del core.state.events[event.id]
    guild.event_ids.remove(event.id)
    core.hub.dispatch("GUILD_SCHEDULED_EVENT_DELETE", payload, intent=GUILD_SCHEDULED_EVENTS)
    core.feed(f"event deleted in {guild.name}: {_summary(event)}")


def _summary(event: ScheduledEvent) -> str:
    status = {SCHEDULED: "scheduled", ACTIVE: "active", COMPLETED: "completed", CANCELED: "canceled"}[
        event.status
    ]
    where = f" @ {event.location}" if event.location else ""
    return f"{event.name}{where}, {iso(event.scheduled_start_time)} [{status}]"

"""Interactions: INTERACTION_CREATE, the 3-second callback deadline, acks, @original and followups."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from bot.sandbox import errors, mentions, messages, serialize
from bot.sandbox.core import SandboxCore
from bot.sandbox.invocation import Invocation
from bot.sandbox.models import EPHEMERAL, LOADING, Channel, Guild, Message, User

log = logging.getLogger(__name__)

APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE = 2, 3, 4
CHANNEL_MESSAGE = 4
DEFERRED_MESSAGE = 5
DEFERRED_UPDATE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9
ALLOWED_CALLBACKS: Mapping[int, frozenset[int]] = MappingProxyType(
    {
        APPLICATION_COMMAND: frozenset({CHANNEL_MESSAGE, DEFERRED_MESSAGE, MODAL}),
        MESSAGE_COMPONENT: frozenset(
            {CHANNEL_MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, MODAL}
        ),
        AUTOCOMPLETE: frozenset({AUTOCOMPLETE_RESULT}),
    }
)
TOKEN_TTL_SECONDS = 15 * 60
CHAT_INPUT_COMMAND_MESSAGE = 20


@dataclass
class InteractionRecord:
    """One interaction and what the bot has done with it so far."""

    id: int
    token: str
    type: int
    guild_id: int
    channel_id: int
    user_id: int
    name: str
    created: float
    ack_type: int | None = None
    expired: bool = False
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    answer_message_id: int | None = None
    choices: list[dict[str, Any]] | None = None
    modal: dict[str, Any] | None = None
    answered_at: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    timer: asyncio.TimerHandle | None = None

    def finish(self, message_id: int | None = None) -> None:
        if self.done.is_set():
            return
        self.answer_message_id = message_id
        self.answered_at = time.monotonic()
        self.done.set()


class Interactions:
    """Tracks interactions by id and token and answers the callback and webhook routes."""

    def __init__(self, core: SandboxCore) -> None:
        self.core = core
        self.records: dict[int, InteractionRecord] = {}
        self.by_token: dict[str, InteractionRecord] = {}

    def close(self) -> None:
        """Stops pending deadline timers (the server is shutting down)."""
        for record in self.records.values():
            if record.timer is not None:
                record.timer.cancel()

    # -- creating ---------------------------------------------------------------------------------

    def _base_payload(
        self, record: InteractionRecord, guild: Guild, channel: Channel, user: User
    ) -> dict[str, Any]:
        state = self.core.state
        member = serialize.member(state, guild.members[user.id])
        member["permissions"] = str(state.permissions(guild, user.id, channel))
        member["unusual_dm_activity_until"] = None
        return {
            "id": str(record.id),
            "application_id": str(state.application_id),
            "type": record.type,
            "token": record.token,
            "version": 1,
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "guild_id": str(guild.id),
            "channel": serialize.channel(state, channel),
            "channel_id": str(channel.id),
            "member": member,
            "app_permissions": str(state.bot_permissions(channel)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": serialize.ATTACHMENT_SIZE_LIMIT,
        }

    def _new_record(
        self, kind: int, guild: Guild, channel: Channel, user: User, name: str
    ) -> InteractionRecord:
        record = InteractionRecord(
            id=self.core.state.ids.next(),
            token=f"sandbox.{secrets.token_urlsafe(48)}",
            type=kind,
            guild_id=guild.id,
            channel_id=channel.id,
            user_id=user.id,
            name=name,
            created=time.monotonic(),
        )
        self.records[record.id] = record
        self.by_token[record.token] = record
        record.timer = asyncio.get_running_loop().call_later(
            self.core.interaction_deadline, self._expire_unanswered, record
        )
        return record

    def start_command(
        self, guild: Guild, channel: Channel, user: User, invocation: Invocation, *, autocomplete: bool
    ) -> InteractionRecord:
        kind = AUTOCOMPLETE if autocomplete else APPLICATION_COMMAND
        record = self._new_record(kind, guild, channel, user, invocation.full_name)
        payload = self._base_payload(record, guild, channel, user)
        payload["data"] = invocation.data()
        self.core.hub.dispatch("INTERACTION_CREATE", payload)
        verb = "is typing" if autocomplete else "used"
        self.core.feed(f"{self.core.where(channel)}  {user.username} {verb} /{invocation.full_name}")
        return record

    def start_component(
        self,
        guild: Guild,
        channel: Channel,
        user: User,
        msg: Message,
        custom_id: str,
        values: list[str] | None,
    ) -> InteractionRecord:
        record = self._new_record(MESSAGE_COMPONENT, guild, channel, user, custom_id)
        record.original_message_id = msg.id
        payload = self._base_payload(record, guild, channel, user)
        payload["message"] = serialize.message(self.core.state, msg)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": 2 if values is None else 3}
        if values is not None:
            data["values"] = values
        payload["data"] = data
        self.core.hub.dispatch("INTERACTION_CREATE", payload)
        self.core.feed(f"{self.core.where(channel)}  {user.username} clicked {custom_id!r}")
        return record

    def _expire_unanswered(self, record: InteractionRecord) -> None:
        if record.ack_type is None:
            record.expired = True
            record.finish()
            channel = self.core.state.channels.get(record.channel_id)
            where = self.core.where(channel) if channel else "?"
            self.core.feed(f"{where}  /{record.name}: The application did not respond")

    # -- callback ---------------------------------------------------------------------------------

    def callback(
        self, interaction_id: int, token: str, body: dict[str, Any], uploads: Sequence[messages.Upload]
    ) -> dict[str, Any]:
        """POST /interactions/{id}/{token}/callback; returns the with_response body."""
        record = self.records.get(interaction_id)
        if record is None or record.token != token or record.expired:
            raise errors.unknown_interaction()
        if record.ack_type is None and time.monotonic() - record.created > self.core.interaction_deadline:
            self._expire_unanswered(record)
            raise errors.unknown_interaction()
        if record.ack_type is not None:
            raise errors.already_acknowledged()
        kind = body.get("type")
        if not isinstance(kind, int) or kind not in ALLOWED_CALLBACKS[record.type]:
            raise errors.invalid_form(
                [(["type"], "INTERACTION_CALLBACK_TYPE_INVALID", f"Callback type {kind} is not valid here.")]
            )
        data = body.get("data") or {}
        if not isinstance(data, dict):
            raise errors.invalid_form([(["data"], "DICT_TYPE_CONVERT", "Only dictionaries may be used.")])
        state = self.core.state
        channel = state.channels[record.channel_id]
        response: dict[str, Any] = {"id": str(record.id), "type": record.type}
        resource: dict[str, Any] | None = None
        if kind == AUTOCOMPLETE_RESULT:
            choices = data.get("choices") or []
            if not isinstance(choices, list) or len(choices) > 25:
                raise errors.invalid_form(
                    [(["data", "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")]
                )
            record.choices = choices
        elif kind == MODAL:
            record.modal = data
        elif kind == CHANNEL_MESSAGE:
            msg = self._create(record, channel, data, uploads, extra_flags=0)
            record.original_message_id = msg.id
            response.update(self._response_fields(msg, loading=False))
            resource = {"type": kind, "message": serialize.message(state, msg)}
        elif kind == DEFERRED_MESSAGE:
            msg = self._create(record, channel, {"flags": data.get("flags") or 0}, (), extra_flags=LOADING)
            record.original_message_id = msg.id
            response.update(self._response_fields(msg, loading=True))
        elif kind == UPDATE_MESSAGE:
            target = state.messages[record.original_message_id or 0]
            messages.edit_message(self.core, target, data, uploads, default_parse=mentions.WEBHOOK_DEFAULT)
            response.update(self._response_fields(target, loading=False))
            resource = {"type": kind, "message": serialize.message(state, target)}
        record.ack_type = kind
        if record.timer is not None:
            record.timer.cancel()
        if kind in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
            record.finish(record.original_message_id)
        elif kind in (AUTOCOMPLETE_RESULT, MODAL):
            record.finish()
        result: dict[str, Any] = {"interaction": response}
        if resource is not None:
            result["resource"] = resource
        return result

    def _response_fields(self, msg: Message, *, loading: bool) -> dict[str, Any]:
        return {
            "response_message_id": str(msg.id),
            "response_message_loading": loading,
            "response_message_ephemeral": bool(msg.flags & EPHEMERAL),
        }

    def _create(
        self,
        record: InteractionRecord,
        channel: Channel,
        data: dict[str, Any],
        uploads: Sequence[messages.Upload],
        *,
        extra_flags: int,
        followup_of: int | None = None,
    ) -> Message:
        link = messages.InteractionLink(
            interaction_id=record.id,
            user_id=record.user_id,
            command_name=record.name,
            guild_id=record.guild_id,
            interaction_type=record.type,
            original_message_id=followup_of,
        )
        return messages.create_message(
            self.core,
            channel,
            self.core.state.bot_user_id,
            data,
            uploads,
            default_parse=mentions.WEBHOOK_DEFAULT,
            allowed_flags=messages.INTERACTION_FLAGS,
            msg_type=CHAT_INPUT_COMMAND_MESSAGE if record.type == APPLICATION_COMMAND else 0,
            webhook_id=self.core.state.application_id,
            link=link,
            extra_flags=extra_flags,
            allow_empty=bool(extra_flags & LOADING),
        )

    # -- webhook routes ---------------------------------------------------------------------------

    def _by_webhook(self, application_id: int, token: str) -> InteractionRecord:
        record = self.by_token.get(token)
        if (
            record is None
            or application_id != self.core.state.application_id
            or record.ack_type is None
            or time.monotonic() - record.created > TOKEN_TTL_SECONDS
        ):
            raise errors.unknown_webhook()
        return record

    def _owned(self, record: InteractionRecord, message_id: int | None) -> Message:
        msg = self.core.state.messages.get(message_id or 0)
        if (
            msg is None
            or msg.deleted
            or (message_id != record.original_message_id and message_id not in record.followup_ids)
        ):
            raise errors.unknown_message()
        return msg

    def original(self, application_id: int, token: str) -> Message:
        record = self._by_webhook(application_id, token)
        return self._owned(record, record.original_message_id)

    def edit(
        self,
        application_id: int,
        token: str,
        message_id: int | None,
        body: dict[str, Any],
        uploads: Sequence[messages.Upload],
    ) -> Message:
        """PATCH @original (message_id None) or a followup; the first edit completes a deferred answer."""
        record = self._by_webhook(application_id, token)
        target_id = record.original_message_id if message_id is None else message_id
        msg = self._owned(record, target_id)
        messages.edit_message(
            self.core, msg, body, uploads, default_parse=mentions.WEBHOOK_DEFAULT, clear_loading=True
        )
        if msg.id == record.original_message_id and record.ack_type in (DEFERRED_MESSAGE, DEFERRED_UPDATE):
            record.finish(msg.id)
        return msg

    def delete(self, application_id: int, token: str, message_id: int | None) -> None:
        record = self._by_webhook(application_id, token)
        msg = self._owned(record, record.original_message_id if message_id is None else message_id)
        messages.delete_message(self.core, msg)

    def get(self, application_id: int, token: str, message_id: int) -> Message:
        return self._owned(self._by_webhook(application_id, token), message_id)

    def followup(
        self, application_id: int, token: str, body: dict[str, Any], uploads: Sequence[messages.Upload]
    ) -> Message:
        """POST /webhooks/{app}/{token}; right after a defer it edits the loading message as Discord does."""
        record = self._by_webhook(application_id, token)
        original = self.core.state.messages.get(record.original_message_id or 0)
        if record.ack_type == DEFERRED_MESSAGE and original is not None and original.flags & LOADING:
            kept = {k: v for k, v in body.items() if k != "flags"}
            return self.edit(application_id, token, None, kept, uploads)
        channel = self.core.state.channels[record.channel_id]
        msg = self._create(
            record, channel, body, uploads, extra_flags=0, followup_of=record.original_message_id
        )
        record.followup_ids.append(msg.id)
        if record.ack_type == DEFERRED_UPDATE:
            record.finish(msg.id)
        return msg

    # -- results for the control API --------------------------------------------------------------

    def result(self, record: InteractionRecord) -> dict[str, Any]:
        state = self.core.state
        elapsed = ((record.answered_at or time.monotonic()) - record.created) * 1000
        out: dict[str, Any] = {
            "interaction_id": str(record.id),
            "type": record.ack_type,
            "deferred": record.ack_type in (DEFERRED_MESSAGE, DEFERRED_UPDATE),
            "content": None,
            "embeds": [],
            "attachments": [],
            "ephemeral": False,
            "choices": record.choices,
            "modal": record.modal,
            "message_id": None,
            "elapsed_ms": round(elapsed, 1),
        }
        if record.expired:
            out["error"] = "The application did not respond"
        msg = state.messages.get(record.answer_message_id or 0)
        if msg is not None:
            out.update(
                content=msg.content,
                embeds=msg.embeds,
                ephemeral=bool(msg.flags & EPHEMERAL),
                message_id=str(msg.id),
                attachments=[
                    {
                        "filename": a.filename,
                        "size": a.size,
                        "content_type": a.content_type,
                        "content": _text(a.data),
                    }
                    for a in msg.attachments
                ],
                mentions={
                    "users": [str(u) for u in msg.mentions.users],
                    "roles": [str(r) for r in msg.mentions.roles],
                    "everyone": msg.mentions.everyone,
                },
            )
        return out


def _text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None

"""Creating, editing and deleting messages with Discord's validation, mentions, nonces and gateway events."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.sandbox import errors, mentions, serialize
from bot.sandbox.core import SandboxCore
from bot.sandbox.gateway import DIRECT_MESSAGES, GUILD_MESSAGES, Redactor
from bot.sandbox.ids import utcnow
from bot.sandbox.models import EPHEMERAL, LOADING, Attachment, Channel, Message

SUPPRESS_EMBEDS = 1 << 2
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_VOICE_MESSAGE = 1 << 13
IS_COMPONENTS_V2 = 1 << 15
CREATE_FLAGS = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_VOICE_MESSAGE | IS_COMPONENTS_V2
INTERACTION_FLAGS = CREATE_FLAGS | EPHEMERAL
EDIT_FLAGS = SUPPRESS_EMBEDS | IS_COMPONENTS_V2
REPLY = 19

Problems = list[tuple[Sequence[str | int], str, str]]


@dataclass
class Upload:
    """A `files[n]` part of a multipart request."""

    index: int
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass
class InteractionLink:
    """Ties a message to the interaction that produced it (interaction_metadata on the message)."""

    interaction_id: int
    user_id: int
    command_name: str
    guild_id: int | None
    interaction_type: int = 2
    original_message_id: int | None = None


def _too_long(problems: Problems, path: Sequence[str | int], value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        problems.append((path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."))


def _embed_size(embed: dict[str, Any]) -> int:
    total = len(str(embed.get("title") or "")) + len(str(embed.get("description") or ""))
    total += len(str((embed.get("footer") or {}).get("text") or ""))
    total += len(str((embed.get("author") or {}).get("name") or ""))
    for f in embed.get("fields") or []:
        if isinstance(f, dict):
            total += len(str(f.get("name") or "")) + len(str(f.get("value") or ""))
    return total


def _check_embed(problems: Problems, index: int, embed: Any) -> None:
    base: list[str | int] = ["embeds", index]
    if not isinstance(embed, dict):
        problems.append((base, "DICT_TYPE_CONVERT", "Only dictionaries may be used."))
        return
    _too_long(problems, [*base, "title"], embed.get("title"), 256)
    _too_long(problems, [*base, "description"], embed.get("description"), 4096)
    _too_long(problems, [*base, "footer", "text"], (embed.get("footer") or {}).get("text"), 2048)
    _too_long(problems, [*base, "author", "name"], (embed.get("author") or {}).get("name"), 256)
    color = embed.get("color")
    if color is not None and (not isinstance(color, int) or not 0 <= color <= 0xFFFFFF):
        problems.append(([*base, "color"], "NUMBER_TYPE_MAX", "int value should be <= 16777215 and >= 0."))
    fields = embed.get("fields") or []
    if len(fields) > 25:
        problems.append(([*base, "fields"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
    for i, f in enumerate(fields):
        for key, limit in (("name", 256), ("value", 1024)):
            value = f.get(key) if isinstance(f, dict) else None
            if not isinstance(value, str) or not value:
                problems.append(([*base, "fields", i, key], "BASE_TYPE_REQUIRED", "This field is required"))
            else:
                _too_long(problems, [*base, "fields", i, key], value, limit)


def validate_body(body: dict[str, Any]) -> None:
    """Discord's limits for message bodies (content, embeds, nonce, allowed_mentions)."""
    problems: Problems = []
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        problems.append((["content"], "BASE_TYPE_STRING", "Must be a string."))
    _too_long(problems, ["content"], content, 2000)
    embeds = body.get("embeds")
    if embeds is not None:
        if not isinstance(embeds, list):
            problems.append((["embeds"], "LIST_TYPE_CONVERT", "Only iterables may be used."))
        else:
            if len(embeds) > 10:
                problems.append((["embeds"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."))
            for index, embed in enumerate(embeds):
                _check_embed(problems, index, embed)
            if sum(_embed_size(e) for e in embeds if isinstance(e, dict)) > 6000:
                problems.append(
                    (["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
                )
    nonce = body.get("nonce")
    if nonce is not None and not (isinstance(nonce, int) or (isinstance(nonce, str) and len(nonce) <= 25)):
        problems.append((["nonce"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."))
    if problems:
        raise errors.invalid_form(problems)
    mentions.check_allowed_mentions(body.get("allowed_mentions"))


def _normalise_embed(embed: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in embed.items() if v is not None}
    out["type"] = "rich"
    for key in ("image", "thumbnail"):
        if isinstance(out.get(key), dict) and out[key].get("url"):
            out[key] = {"url": out[key]["url"], "proxy_url": out[key]["url"], "width": 0, "height": 0}
    return out


SELECT_TYPES = frozenset({3, 5, 6, 7, 8})


def normalise_components(components: Any) -> list[dict[str, Any]]:
    """Stores components as Discord returns them: every component gets a numeric `id` (depth first)."""
    if not isinstance(components, list):
        return []
    taken = {c.get("id") for c in _walk(components) if isinstance(c.get("id"), int)}
    next_id = 1
    out = [dict(c) for c in components if isinstance(c, dict)]
    stack = list(reversed(out))
    while stack:
        component = stack.pop()
        if not isinstance(component.get("id"), int):
            while next_id in taken:
                next_id += 1
            component["id"] = next_id
            taken.add(next_id)
        if component.get("type") in SELECT_TYPES:
            component.setdefault("min_values", 1)
            component.setdefault("max_values", 1)
        children = component.get("components")
        if isinstance(children, list):
            component["components"] = [dict(c) for c in children if isinstance(c, dict)]
            stack.extend(reversed(component["components"]))
    return out


def _walk(components: list[Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for c in components:
        if isinstance(c, dict):
            found.append(c)
            found += _walk(c.get("components") or [])
    return found


def _content_type(upload: Upload) -> str:
    if upload.content_type and upload.content_type != "application/octet-stream":
        return upload.content_type
    guessed = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def build_attachments(
    core: SandboxCore, body: dict[str, Any], uploads: Sequence[Upload], existing: Sequence[Attachment] = ()
) -> list[Attachment]:
    """New files from `files[n]` plus, for edits, the existing ones the `attachments` array keeps."""
    meta = body.get("attachments")
    by_index = {u.index: u for u in uploads}
    result: list[Attachment] = []
    used: set[int] = set()
    if isinstance(meta, list):
        kept = {a.id: a for a in existing}
        for index, item in enumerate(meta):
            if not isinstance(item, dict) or "id" not in item:
                raise errors.invalid_form(
                    [(["attachments", index, "id"], "BASE_TYPE_REQUIRED", "This field is required")]
                )
            ref = int(item["id"])
            if ref in kept:
                result.append(kept[ref])
            elif ref in by_index:
                upload = by_index[ref]
                used.add(ref)
                result.append(
                    Attachment(
                        id=core.state.ids.next(),
                        filename=str(item.get("filename") or upload.filename),
                        content_type=_content_type(upload),
                        data=upload.data,
                        description=item.get("description"),
                    )
                )
            else:
                raise errors.invalid_form(
                    [(["attachments", index, "id"], "ATTACHMENT_NOT_FOUND", "Unknown attachment id.")]
                )
    elif existing:
        result.extend(existing)
    for upload in uploads:
        if upload.index not in used:
            result.append(
                Attachment(
                    id=core.state.ids.next(),
                    filename=upload.filename,
                    content_type=_content_type(upload),
                    data=upload.data,
                )
            )
    return result


def describe(core: SandboxCore, msg: Message) -> str:
    """A one-line summary of a message for the feed."""
    parts = []
    if msg.content:
        first = msg.content.strip().splitlines()[0] if msg.content.strip() else ""
        parts.append(first[:117] + "..." if len(first) > 120 else first)
    parts.extend(f"[embed: {e.get('title') or e.get('description', '')[:40]}]" for e in msg.embeds)
    parts.extend(f"[file: {a.filename}]" for a in msg.attachments)
    if msg.flags & LOADING:
        parts.append("[thinking…]")
    text = " ".join(p for p in parts if p) or "(empty)"
    if msg.mentions.everyone or msg.mentions.roles or msg.mentions.users:
        pinged = [f"@{core.name_of(u)}" for u in msg.mentions.users]
        pinged += [f"@{core.state.roles[r].name}" for r in msg.mentions.roles]
        pinged += ["@everyone"] if msg.mentions.everyone else []
        text += f"  (pings {', '.join(pinged)})"
    return text


def _redactor(core: SandboxCore, msg: Message) -> Redactor | None:
    """Without MESSAGE_CONTENT the bot sees empty content, except its own messages, DMs and mentions of it."""
    bot_id = core.state.bot_user_id
    if msg.author_id == bot_id or msg.guild_id is None or bot_id in msg.mentions.users:
        return None

    def redact(payload: dict[str, Any]) -> dict[str, Any]:
        return {**payload, "content": "", "embeds": [], "attachments": [], "components": []}

    return redact


def dispatch(core: SandboxCore, event: str, msg: Message) -> None:
    intent = DIRECT_MESSAGES if msg.guild_id is None or msg.ephemeral_to is not None else GUILD_MESSAGES
    payload = serialize.message(core.state, msg, gateway=True)
    core.hub.dispatch(event, payload, intent=intent, redact=_redactor(core, msg))


def _reference(core: SandboxCore, channel: Channel, ref: Any) -> tuple[dict[str, Any] | None, int | None]:
    """Validates a reply's message_reference; returns the stored reference and who is replied to."""
    if not isinstance(ref, dict):
        return None, None
    fail = ref.get("fail_if_not_exists", True) is not False
    target = None
    if str(ref.get("message_id") or "").isdigit():
        target = core.state.messages.get(int(ref["message_id"]))
    ref_channel = int(ref.get("channel_id") or channel.id)
    if (
        target is None
        or target.deleted
        or target.channel_id != ref_channel
        or target.ephemeral_to is not None
    ):
        if fail:
            raise errors.invalid_form(
                [(["message_reference"], "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")]
            )
        return None, None
    stored: dict[str, Any] = {"type": 0, "channel_id": str(target.channel_id), "message_id": str(target.id)}
    if target.guild_id is not None:
        stored["guild_id"] = str(target.guild_id)
    return stored, target.author_id


def create_message(
    core: SandboxCore,
    channel: Channel,
    author_id: int,
    body: dict[str, Any],
    uploads: Sequence[Upload] = (),
    *,
    default_parse: Sequence[str] = mentions.REGULAR_DEFAULT,
    allowed_flags: int = CREATE_FLAGS,
    msg_type: int = 0,
    webhook_id: int | None = None,
    link: InteractionLink | None = None,
    extra_flags: int = 0,
    allow_empty: bool = False,
) -> Message:
    """Stores a new message (or returns the earlier one for a repeated enforced nonce) and dispatches it."""
    validate_body(body)
    state = core.state
    nonce = body.get("nonce")
    if nonce is not None and body.get("enforce_nonce"):
        earlier = state.recent_nonce(author_id, str(nonce), core.now())
        if earlier is not None:
            return earlier
    flags = (int(body.get("flags") or 0) & allowed_flags) | extra_flags
    attachments = build_attachments(core, body, uploads)
    content = body.get("content") or ""
    embeds = [_normalise_embed(e) for e in body.get("embeds") or []]
    components = normalise_components(body.get("components"))
    if not allow_empty and not (
        content or embeds or attachments or components or body.get("sticker_ids") or body.get("poll")
    ):
        raise errors.empty_message()
    reference, replied_to = _reference(core, channel, body.get("message_reference"))
    if reference is not None and msg_type == 0:
        msg_type = REPLY
    ephemeral_to = link.user_id if link is not None and flags & EPHEMERAL else None
    msg = Message(
        id=state.ids.next(),
        channel_id=channel.id,
        guild_id=channel.guild_id,
        author_id=author_id,
        content=content,
        timestamp=utcnow(),
        type=msg_type,
        embeds=embeds,
        attachments=attachments,
        components=components,
        flags=flags,
        tts=bool(body.get("tts")),
        nonce=nonce,
        message_reference=reference,
        webhook_id=webhook_id,
        application_id=state.application_id if link is not None else None,
        ephemeral_to=ephemeral_to,
    )
    msg.mentions = mentions.resolve(
        state,
        content=content,
        channel=channel,
        author_id=author_id,
        allowed=body.get("allowed_mentions"),
        default_parse=default_parse,
        replied_user_id=replied_to,
    )
    if link is not None:
        _attach_interaction(core, msg, link)
    state.messages[msg.id] = msg
    if ephemeral_to is None:
        channel.message_ids.append(msg.id)
    if nonce is not None:
        state.remember_nonce(author_id, str(nonce), msg.id, core.now())
    dispatch(core, "MESSAGE_CREATE", msg)
    seen_by = f"(only {core.name_of(ephemeral_to)} sees) " if ephemeral_to is not None else ""
    core.feed(f"{core.where(channel)}  {core.name_of(author_id)}: {seen_by}{describe(core, msg)}")
    return msg


def _attach_interaction(core: SandboxCore, msg: Message, link: InteractionLink) -> None:
    metadata: dict[str, Any] = {
        "id": str(link.interaction_id),
        "type": link.interaction_type,
        "user": serialize.user(core.state.users[link.user_id]),
        "authorizing_integration_owners": {"0": str(link.guild_id) if link.guild_id is not None else "0"},
        "name": link.command_name,
        "command_type": 1,
    }
    if link.original_message_id is not None:
        metadata["original_response_message_id"] = str(link.original_message_id)
    msg.interaction_metadata = metadata
    msg.interaction_user_id = link.user_id
    msg.interaction_name = link.command_name


def edit_message(
    core: SandboxCore,
    msg: Message,
    body: dict[str, Any],
    uploads: Sequence[Upload] = (),
    *,
    default_parse: Sequence[str] = mentions.REGULAR_DEFAULT,
    clear_loading: bool = False,
) -> Message:
    """Applies an edit; mentions are rebuilt from the new content with the edit's allowed_mentions."""
    validate_body(body)
    state = core.state
    channel = state.channels[msg.channel_id]
    if "content" in body:
        msg.content = body.get("content") or ""
        msg.mentions = mentions.resolve(
            state,
            content=msg.content,
            channel=channel,
            author_id=msg.author_id,
            allowed=body.get("allowed_mentions"),
            default_parse=default_parse,
        )
    if "embeds" in body:
        msg.embeds = [_normalise_embed(e) for e in body.get("embeds") or []]
    if "components" in body:
        msg.components = normalise_components(body.get("components"))
    if "flags" in body and body["flags"] is not None:
        msg.flags = (
            (msg.flags & ~EDIT_FLAGS) | (int(body["flags"]) & EDIT_FLAGS) | (msg.flags & IS_COMPONENTS_V2)
        )
    if "attachments" in body or uploads:
        msg.attachments = build_attachments(core, body, uploads, msg.attachments)
    was_loading = bool(msg.flags & LOADING)
    if clear_loading:
        msg.flags &= ~LOADING
    if not (msg.content or msg.embeds or msg.attachments or msg.components):
        raise errors.empty_message()
    if not was_loading:
        msg.edited_timestamp = utcnow()
    dispatch(core, "MESSAGE_UPDATE", msg)
    verb = "answered" if was_loading else "edited"
    core.feed(f"{core.where(channel)}  {core.name_of(msg.author_id)} {verb}: {describe(core, msg)}")
    return msg


def delete_message(core: SandboxCore, msg: Message) -> None:
    state = core.state
    channel = state.channels[msg.channel_id]
    msg.deleted = True
    if msg.id in channel.message_ids:
        channel.message_ids.remove(msg.id)
    payload: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
    if msg.guild_id is not None and msg.ephemeral_to is None:
        payload["guild_id"] = str(msg.guild_id)
    intent = DIRECT_MESSAGES if msg.guild_id is None or msg.ephemeral_to is not None else GUILD_MESSAGES
    core.hub.dispatch("MESSAGE_DELETE", payload, intent=intent)
    core.feed(
        f"{core.where(channel)}  {core.name_of(msg.author_id)}'s message deleted: {describe(core, msg)}"
    )

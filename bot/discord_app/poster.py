"""The Discord side of scheduled posting: sends, edits and reports what bot.schedule decides.

Messages go out with the ledger row's nonce and enforce_nonce, so a resend after a crash returns the
first message. Only a reminder may ping, and only the configured role.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import discord
from sqlalchemy import select

from bot.config import Config
from bot.db.models import Event, Post
from bot.discord_app.embeds import announcement_embed
from bot.discord_app.pings import NO_PINGS, reminder_pings
from bot.discord_app.rsvp_effects import CANNOT_DM
from bot.discord_app.services import Services
from bot.rsvp.counts import rsvp_counts
from bot.schedule import ledger
from bot.schedule.plan import ANNOUNCEMENT, CANCELLATION, SCHEDULED_EVENT, is_dm
from bot.schedule.service import PublishError, Undeliverable

log = logging.getLogger(__name__)

EXTERNAL = 3
GUILD_ONLY = 2
CANCELED = 4
MARKER = "meetup-bot:"


def describe(exc: discord.HTTPException) -> str:
    """A Discord failure in words an organizer can act on."""
    if isinstance(exc, discord.Forbidden):
        return f"missing permissions (Discord said: {exc.text or exc.status})"
    if isinstance(exc, discord.NotFound):
        return f"the channel or message no longer exists (Discord said: {exc.text or exc.status})"
    if exc.status == 429:
        return "rate limited by Discord"
    if exc.status >= 500:
        return f"Discord had a server error ({exc.status})"
    return f"Discord refused it ({exc.status}: {exc.text})"


def _iso(when: datetime) -> str:
    return when.isoformat()


class DiscordPublisher:
    """Sends scheduled posts through discord.py (RSVP count edits are RsvpEffects.refresh's)."""

    def __init__(self, client: discord.Client, services: Services) -> None:
        self._client = client
        self._services = services

    @property
    def _config(self) -> Config:
        return self._services.config

    def _mentions(self, post: Post) -> tuple[str, discord.AllowedMentions]:
        """Only a reminder may ping, and only the configured role (bot.discord_app.pings)."""
        if not post.kind.startswith("reminder:"):
            return "", NO_PINGS
        group = self._config.group_named(post.group_name)
        role = self._config.announcements_for(group).mention_role_id if group else None
        allowed = reminder_pings(role, self._config.discord.allowed_mentions)
        return (f"<@&{role}> " if role is not None else ""), allowed

    async def publish(self, post: Post, event: Event, reply_to: int | None) -> int | None:
        try:
            if post.kind == SCHEDULED_EVENT:
                return await self._create_scheduled_event(post, event)
            if is_dm(post.kind):
                return await self._send_dm(post)
            return await self._send(post, event, reply_to)
        except discord.Forbidden as exc:
            if is_dm(post.kind) and exc.code == CANNOT_DM:
                raise Undeliverable("the member does not accept DMs from the bot") from exc
            raise PublishError(describe(exc)) from exc
        except discord.HTTPException as exc:
            raise PublishError(describe(exc)) from exc

    async def _dm_channel(self, post: Post) -> discord.DMChannel:
        """The DM channel with the member a DM row is for (its channel_id is the member's user id)."""
        return await self._client.create_dm(discord.Object(post.channel_id))

    async def _send_dm(self, post: Post) -> int:
        channel = await self._dm_channel(post)
        text = str((post.snapshot or {}).get("text", ""))
        message = await channel.send(text, nonce=post.nonce, allowed_mentions=NO_PINGS)
        return message.id

    async def _send(self, post: Post, event: Event, reply_to: int | None) -> int:
        channel = self._client.get_partial_messageable(post.channel_id, guild_id=post.guild_id)
        prefix, allowed = self._mentions(post)
        text = prefix + str((post.snapshot or {}).get("text", ""))
        options: dict[str, Any] = {"nonce": post.nonce, "allowed_mentions": allowed}
        if post.kind == ANNOUNCEMENT:
            async with self._services.sessions() as session:
                counts = await rsvp_counts(session, event.id)
            options["embed"] = announcement_embed(event, counts, self._config.rsvp.emojis)
        elif reply_to is not None:
            options["reference"] = discord.MessageReference(
                message_id=reply_to, channel_id=post.channel_id, fail_if_not_exists=False
            )
        message = await channel.send(text, **options)  # discord.py sends enforce_nonce with a nonce
        if post.kind == ANNOUNCEMENT:
            await self._add_rsvp_reactions(message)
        if post.kind == CANCELLATION:
            await self._cancel_scheduled_event(post)
        return message.id

    async def _add_rsvp_reactions(self, message: discord.Message) -> None:
        emojis = self._config.rsvp.emojis
        for emoji in (emojis.going, emojis.maybe, emojis.not_going):
            try:
                await message.add_reaction(emoji)
            except discord.HTTPException as exc:  # members can still add them; the post itself counts
                log.warning("could not add %s to announcement %s: %s", emoji, message.id, describe(exc))

    def _scheduled_payload(self, event: Event) -> dict[str, Any]:
        location = event.location.split("\n")[0] if event.location else "To be announced"
        description = event.sections.get("Presentation", "").strip().split("\n\n", 1)[0]
        marker = f"\n\n({MARKER} {event.slug})"
        return {
            "name": event.title[:100],
            "privacy_level": GUILD_ONLY,
            "entity_type": EXTERNAL,
            "entity_metadata": {"location": location[:100]},
            "scheduled_start_time": _iso(event.starts_at),
            "scheduled_end_time": _iso(event.ends_at),
            "description": description[: 1000 - len(marker)] + marker,
        }

    async def _create_scheduled_event(self, post: Post, event: Event) -> int:
        if post.attempts > 1:  # a retry: the first try may have created it before the bot died
            existing = await self._client.http.get_scheduled_events(post.guild_id, False)
            for found in existing:
                if found.get("status") == CANCELED:  # an earlier one, cancelled: this row replaces it
                    continue
                if f"({MARKER} {event.slug})" in str(found.get("description") or ""):
                    return int(found["id"])
        created = await self._client.http.create_guild_scheduled_event(
            post.guild_id, **self._scheduled_payload(event)
        )
        return int(created["id"])

    async def _scheduled_event_row(self, post: Post) -> Post | None:
        async with self._services.sessions() as session:
            found: Post | None = await session.scalar(
                select(Post).where(
                    Post.event_id == post.event_id,
                    Post.kind == SCHEDULED_EVENT,
                    Post.channel_id == post.channel_id,
                    Post.status == ledger.SENT,
                )
            )
        return found

    async def _cancel_scheduled_event(self, post: Post) -> None:
        row = await self._scheduled_event_row(post)
        if row is None or row.discord_id is None:
            return
        try:
            await self._client.http.edit_scheduled_event(row.guild_id, row.discord_id, status=CANCELED)
        except discord.HTTPException as exc:
            log.warning("could not cancel Discord event %s: %s", row.discord_id, describe(exc))

    async def find_sent(self, post: Post, reply_to: int | None) -> list[int]:
        """This bot's messages among the channel's latest 100 that could be an earlier try of `post`, oldest
        first: the same text, and a reply to `reply_to` (the event's announcement) or to nothing (it may have
        been sent before the announcement was). Discord's history has no nonces, so the scheduler decides
        which one is this post's with the ledger (a message another row holds is not this post's)."""
        me = self._client.user
        found: list[int] = []
        try:
            channel: discord.abc.Messageable
            if is_dm(post.kind):
                channel = await self._dm_channel(post)
            else:
                channel = self._client.get_partial_messageable(post.channel_id, guild_id=post.guild_id)
            prefix, _ = self._mentions(post)
            text = prefix + str((post.snapshot or {}).get("text", ""))
            async for message in channel.history(limit=100):  # newest first
                if me is None or message.author.id != me.id or message.content != text:
                    continue
                replied = message.reference.message_id if message.reference is not None else None
                if replied is None or replied == reply_to:
                    found.append(message.id)
        except discord.HTTPException as exc:
            raise PublishError(describe(exc)) from exc
        return found[::-1]

    async def update(self, post: Post, event: Event) -> None:
        """Edit the announcement (or the Discord event) to show the event as it is now."""
        if post.discord_id is None:
            return
        try:
            if post.kind == SCHEDULED_EVENT:
                if event.cancelled or event.removed_at is not None:
                    await self._client.http.edit_scheduled_event(
                        post.guild_id, post.discord_id, status=CANCELED
                    )
                else:
                    await self._client.http.edit_scheduled_event(
                        post.guild_id, post.discord_id, **self._scheduled_payload(event)
                    )
                return
            await self._edit_announcement(post, event)
        except discord.NotFound:
            log.warning(
                "%s %s of %s is gone from Discord; not editing it", post.kind, post.discord_id, event.slug
            )
        except discord.HTTPException as exc:
            if post.kind == SCHEDULED_EVENT and exc.status == 400:  # finished or cancelled: nothing to change
                log.info("Discord event %s can no longer be edited: %s", post.discord_id, exc.text)
                return
            raise PublishError(describe(exc)) from exc

    async def _edit_announcement(self, post: Post, event: Event) -> None:
        assert post.discord_id is not None
        async with self._services.sessions() as session:
            counts = await rsvp_counts(session, event.id)
        message = self._client.get_partial_messageable(
            post.channel_id, guild_id=post.guild_id
        ).get_partial_message(post.discord_id)
        await message.edit(
            embed=announcement_embed(event, counts, self._config.rsvp.emojis), allowed_mentions=NO_PINGS
        )

    async def report(self, group_name: str, text: str, *, level: int = logging.ERROR) -> None:
        """To the group's log channel if it has one; the log always gets it (at `level`)."""
        log.log(level, "%s: %s", group_name, text)
        group = self._config.group_named(group_name)
        channel_id = self._config.announcements_for(group).log_channel_id if group else None
        if channel_id is None:
            return
        channel = self._client.get_partial_messageable(channel_id)
        await channel.send(text, allowed_mentions=NO_PINGS)

"""What RSVPs do on Discord: remove superseded reactions, DM members, read reactions back, refresh counts."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import aiohttp
import discord
from sqlalchemy import select

from bot.db.models import Event, Post
from bot.discord_app.embeds import announcement_embed
from bot.discord_app.services import Services
from bot.rsvp import announcements as ledger
from bot.rsvp.announcements import Announcement
from bot.rsvp.coalesce import RetryLater
from bot.rsvp.counts import rsvp_counts
from bot.rsvp.desk import Observation
from bot.rsvp.service import ANSWERS, Answer, Notice, Observed, effective_capacity, mark_dm_failed
from bot.rsvp.texts import counts_line, notice_text

log = logging.getLogger(__name__)
CANNOT_DM = 50007
DM_CONCURRENCY = 8
FIELD = "RSVPs"
EDIT_TIMEOUT = 30.0  # an edit with no answer by then counts as lost, and is tried again
# what makes an edit worth trying again: Discord's errors (a deleted message, NotFound, is handled before)
RETRYABLE = (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError)


class RsvpEffects:
    """Discord calls on behalf of the RSVP cog; failures are logged, never raised into a listener."""

    def __init__(self, client: discord.Client, services: Services) -> None:
        self.client = client
        self.services = services
        emojis = services.config.rsvp.emojis
        self.emoji: dict[str, str] = {
            "going": emojis.going,
            "maybe": emojis.maybe,
            "not_going": emojis.not_going,
        }
        self.emoji["waitlist"] = emojis.going
        self.status_of: dict[str, Answer] = {self.emoji[a]: a for a in ANSWERS}
        self._dm_slots = asyncio.Semaphore(DM_CONCURRENCY)
        self._warned: set[int] = set()
        # DMs waiting to be sent, by at most DM_CONCURRENCY senders (a burst queues 2,000 here, not 2,000 tasks)
        self._outbox: deque[Notice] = deque()
        self._senders: set[asyncio.Task[None]] = set()

    async def remove_reaction(self, channel_id: int, message_id: int, status: str, user_id: int) -> bool:
        """Takes a member's reaction off a message (needs Manage Messages); False if Discord refused."""
        try:
            await self.client.http.remove_reaction(channel_id, message_id, self.emoji[status], user_id)
        except discord.Forbidden:
            if channel_id not in self._warned:
                self._warned.add(channel_id)
                log.warning(
                    "cannot remove members' reactions in channel %s: give the bot Manage Messages there "
                    "(RSVPs still count only each member's latest reaction)",
                    channel_id,
                )
            return False
        except discord.HTTPException as exc:
            log.info("could not remove a reaction on message %s: %s", message_id, exc)
            return False
        return True

    def queue_notices(self, notices: Iterable[Notice]) -> None:
        """Sends the DMs in the background, after the commit that recorded them, a few at a time, in order."""
        self._outbox.extend(notices)
        while self._outbox and len(self._senders) < DM_CONCURRENCY:
            task = asyncio.create_task(self._drain(), name="rsvp-dms")
            self._senders.add(task)
            task.add_done_callback(self._senders.discard)

    async def _drain(self) -> None:
        while self._outbox:
            await self._send(self._outbox.popleft())

    async def close(self) -> None:
        """Stops sending (DMs still queued are dropped: they were recorded as told, as a crash would leave them)."""
        self._outbox.clear()
        for task in list(self._senders):
            task.cancel()
        await asyncio.gather(*self._senders, return_exceptions=True)

    async def _send(self, notice: Notice) -> None:
        async with self._dm_slots:
            try:
                channel = await self.client.create_dm(discord.Object(notice.user_id))
                text = notice_text(notice, self.emoji)
                await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
            except discord.Forbidden as exc:
                if exc.code != CANNOT_DM:
                    log.warning("DM to %s refused: %s", notice.user_id, exc)
                async with self.services.sessions.begin() as session:
                    await mark_dm_failed(session, notice.event_id, notice.user_id)
                log.info(
                    "member %s does not accept DMs; not retried for event %s", notice.user_id, notice.event_id
                )
            except discord.HTTPException as exc:
                log.warning("could not DM member %s: %s", notice.user_id, exc)

    async def observe(self, announcements: Sequence[Announcement]) -> Observation:
        """Who has which RSVP reaction on each announcement; events with an unreadable announcement are left out."""
        observation: Observation = {}
        unreadable: set[int] = set()
        me = self.client.user.id if self.client.user else None
        for announcement in announcements:
            seen = observation.setdefault(announcement.event_id, {})
            removable = self.can_remove_reactions(announcement.channel_id)
            for status in ANSWERS:
                try:
                    users = await self._reaction_users(announcement, self.emoji[status])
                except discord.HTTPException as exc:
                    log.warning(
                        "cannot read reactions on announcement %s (event %s): %s; its RSVPs are left as they are",
                        announcement.message_id,
                        announcement.event_id,
                        exc,
                    )
                    unreadable.add(announcement.event_id)
                    break
                for user in users:
                    if user.get("bot") or int(user["id"]) == me:
                        continue
                    name = str(user.get("global_name") or user.get("username") or user["id"])
                    seen.setdefault(int(user["id"]), []).append(
                        Observed(
                            status,
                            announcement.group_name,
                            name,
                            removable,
                            announcement.channel_id,
                            announcement.message_id,
                        )
                    )
        for event_id in unreadable:
            observation.pop(event_id, None)
        return observation

    def can_remove_reactions(self, channel_id: int) -> bool:
        """Whether the bot may take members' reactions off in the channel (Manage Messages); True if unknown."""
        channel = self.client.get_channel(channel_id)
        if not isinstance(channel, discord.abc.GuildChannel):
            return True
        me = channel.guild.me
        return True if me is None else channel.permissions_for(me).manage_messages

    async def _reaction_users(self, announcement: Announcement, emoji: str) -> list[dict[str, Any]]:
        users: list[dict[str, Any]] = []
        after: int | None = None
        while True:
            page = await self.client.http.get_reaction_users(
                announcement.channel_id, announcement.message_id, emoji, 100, after
            )
            users.extend(page)  # type: ignore[arg-type]
            if len(page) < 100:
                return users
            after = int(page[-1]["id"])

    async def refresh(self, event_id: int) -> None:
        """Shows the current counts on the event's announcements, and records what each one now shows.

        With the publisher (the bot as it runs) the whole announcement embed is rendered again; without it an
        "RSVPs" field is set on the message as it is. Raises RetryLater when an edit failed (a 5xx, a timeout)
        while the event is still open, so the coalescer tries again; a deleted message is not retried.
        """
        async with self.services.sessions() as session:
            event = await session.get(Event, event_id)
            if event is None:
                return
            counts = await rsvp_counts(session, event_id)
            posts = list(
                await session.scalars(
                    select(Post)
                    .where(
                        Post.event_id == event_id,
                        Post.kind == ledger.ANNOUNCEMENT,
                        Post.status == ledger.SENT,
                        Post.discord_id.is_not(None),
                    )
                    .order_by(Post.id)
                )
            )
        if self.services.publisher is not None:
            capacity = event.capacity  # what announcement_embed shows
            embed = announcement_embed(event, counts, self.services.config.rsvp.emojis)
            show = self._edit_embed(embed)
        else:
            capacity = effective_capacity(event, self.services.config.rsvp.default_capacity)
            show = self._show_field(counts_line(counts, capacity))
        results = await asyncio.gather(*(show(post) for post in posts), return_exceptions=True)
        shown: list[int] = []
        failed: list[str] = []
        for post, result in zip(posts, results, strict=True):
            if result is True:
                shown.append(post.id)
            elif isinstance(result, discord.NotFound):
                log.warning(
                    "announcement %s of %s is gone from Discord; not editing it", post.discord_id, event.slug
                )
            elif isinstance(result, RETRYABLE):
                failed.append(f"announcement {post.discord_id}: {_describe(result)}")
            elif isinstance(result, BaseException):
                raise result
        if shown:
            figures = ledger.shown_figures(counts, capacity)
            async with self.services.sessions.begin() as session:
                for post_id in shown:
                    await ledger.record_shown(session, post_id, figures)
        if failed:
            if event.cancelled or self.services.clock.now() >= event.ends_at:
                log.info(
                    "not retrying the RSVP counts of %s: the event is over (%s)",
                    event.slug,
                    "; ".join(failed),
                )
                return
            raise RetryLater("; ".join(failed))

    async def stale_announcements(self) -> list[int]:
        """Events whose announcements may show other RSVP counts than the database (for a refresh at start-up)."""
        default = None if self.services.publisher is not None else self.services.config.rsvp.default_capacity
        async with self.services.sessions() as session:
            return await ledger.stale_events(session, self.services.clock.now(), default)

    def _edit_embed(self, embed: discord.Embed) -> Callable[[Post], Awaitable[bool]]:
        async def edit(post: Post) -> bool:
            assert post.discord_id is not None
            message = self.client.get_partial_messageable(
                post.channel_id, guild_id=post.guild_id
            ).get_partial_message(post.discord_id)
            await asyncio.wait_for(
                message.edit(embed=embed, allowed_mentions=discord.AllowedMentions.none()), EDIT_TIMEOUT
            )
            return True

        return edit

    def _show_field(self, line: str) -> Callable[[Post], Awaitable[bool]]:
        async def show(post: Post) -> bool:
            assert post.discord_id is not None
            partial = self.client.get_partial_messageable(post.channel_id).get_partial_message(
                post.discord_id
            )
            message = await asyncio.wait_for(partial.fetch(), EDIT_TIMEOUT)
            embeds = [e.copy() for e in message.embeds] or [discord.Embed()]
            embed = embeds[0]
            index = next((i for i, f in enumerate(embed.fields) if f.name == FIELD), None)
            if index is None:
                embed.add_field(name=FIELD, value=line, inline=False)
            else:
                embed.set_field_at(index, name=FIELD, value=line, inline=False)
            await asyncio.wait_for(
                message.edit(embeds=embeds, allowed_mentions=discord.AllowedMentions.none()), EDIT_TIMEOUT
            )
            return True

        return show


def _describe(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"Discord answered {exc.status}" + (f" ({exc.text})" if exc.text else "")
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    return f"{type(exc).__name__}: {exc}"

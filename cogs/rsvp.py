"""RSVPs on Discord: raw reaction listeners, reconciliation at start-up and resume, /rsvp, /my-rsvps, /rsvps.

Thin: the rules live in bot.rsvp (service, desk, coalescer); Discord calls in bot.discord_app.rsvp_effects.
Listeners use the raw gateway events, so announcements of any age count, cached or not.
"""

from __future__ import annotations

import csv
import io
import logging
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.catalog import queries
from bot.config import GroupConfig
from bot.db.models import Event
from bot.discord_app.choices import event_choices
from bot.discord_app.client import MeetupBot
from bot.discord_app.embeds import EMBED_COLOUR
from bot.discord_app.permissions import group_of, require_organizer
from bot.discord_app.rsvp_effects import RsvpEffects
from bot.errors import UserError
from bot.rsvp.coalesce import Coalescer
from bot.rsvp.counts import rsvp_counts
from bot.rsvp.desk import CommandJob, Handled, ReactionJob, ReconcileJob, RsvpDesk
from bot.rsvp.service import Answer, ReconcileSummary, effective_capacity, list_rsvps, my_rsvps
from bot.rsvp.texts import counts_line

log = logging.getLogger(__name__)
STATUS_CHOICES = [
    app_commands.Choice(name="going", value="going"),
    app_commands.Choice(name="maybe", value="maybe"),
    app_commands.Choice(name="not going", value="not_going"),
]
LABELS = {"going": "Going", "waitlist": "Waitlist", "maybe": "Maybe", "not_going": "Not going"}


class RsvpCog(commands.Cog):
    def __init__(self, bot: MeetupBot) -> None:
        self.bot = bot
        self.services = bot.services
        rsvp = self.services.config.rsvp
        self.effects = RsvpEffects(bot, self.services)
        self.desk = RsvpDesk(
            self.services.sessions,
            self.services.clock,
            default_capacity=rsvp.default_capacity,
            notify=rsvp.dm_members,
        )
        self.coalescer = Coalescer(self.effects.refresh, rsvp.edit_interval_seconds)
        self.reconciled: list[list[ReconcileSummary]] = []
        self._sessions_started = 0

    async def cog_load(self) -> None:
        self.desk.start()
        try:
            await self.desk.warm()
        except Exception:  # only a cache: reactions look their announcement up instead
            log.exception("could not read the announcements of upcoming events")

    async def cog_unload(self) -> None:
        await self.desk.close()
        await self.coalescer.close()
        await self.effects.close()

    # -- reactions ----------------------------------------------------------------------------------

    def _job(self, payload: discord.RawReactionActionEvent, added: bool) -> ReactionJob | None:
        if payload.guild_id is None or self.services.group_for_guild(payload.guild_id) is None:
            return None
        status = self.effects.status_of.get(str(payload.emoji))
        if status is None:  # other emojis are left alone
            return None
        me = self.bot.user
        if (me is not None and payload.user_id == me.id) or (
            payload.member is not None and payload.member.bot
        ):
            return None
        name = payload.member.display_name if payload.member is not None else ""
        return ReactionJob(payload.message_id, payload.user_id, name, status, added)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self._react(payload, added=True)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self._react(payload, added=False)

    async def _react(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None:
        job = self._job(payload, added)
        if job is None:
            return
        metrics = self.services.metrics
        action = "add" if added else "remove"
        started = time.perf_counter()
        future = self.desk.submit(job)  # before any await: the queue keeps the gateway's order
        try:
            handled: Handled = await future
        except UserError as error:
            log.info("reaction of %s not applied: %s", payload.user_id, error.message)
            metrics.reactions.labels(action=action, result="refused").inc()
            return
        metrics.reaction_seconds.observe(time.perf_counter() - started)
        metrics.reactions.labels(action=action, result="stored").inc()
        await self._after(handled)

    async def _after(self, handled: Handled, *, tell: bool = True) -> None:
        job, announcement = handled.job, handled.announcement
        if handled.closed is not None:
            if announcement is not None and isinstance(job, ReactionJob) and job.added:
                await self.effects.remove_reaction(
                    announcement.channel_id, announcement.message_id, job.status, job.user_id
                )
            return
        outcome = handled.outcome
        if outcome is None:
            return
        previous = handled.previous_announcement
        if previous is not None and outcome.previous is not None:
            await self.effects.remove_reaction(
                previous.channel_id, previous.message_id, outcome.previous, job.user_id
            )
        notices = [n for n in outcome.notices if tell or n.user_id != job.user_id]
        if notices:
            self.effects.queue_notices(notices)
        if outcome.changed:
            self.coalescer.poke(outcome.event_id)

    # -- reconciliation -----------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        self._sessions_started += 1
        if self._sessions_started > 1:  # READY again: the gateway could not resume, a new session began
            self.services.metrics.gateway_reconnects.labels(how="new_session").inc()
        await self.reconcile("start-up")

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        self.services.metrics.gateway_reconnects.labels(how="resumed").inc()
        await self.reconcile("gateway resume")

    async def reconcile(self, why: str) -> list[ReconcileSummary]:
        """Reads the reactions on upcoming announcements and brings the database in line; logs a summary.

        Then takes superseded reactions off (a member who had reacted ✅ and ❌ keeps only the one recorded), tells
        such members what was recorded, and refreshes every announcement whose shown counts are not the
        database's (an edit lost to a kill or an outage), not just those reconciliation changed.
        """
        try:
            summaries: list[ReconcileSummary] = await self.desk.submit(ReconcileJob(self.effects.observe))
        except Exception:
            log.exception("RSVP reconciliation after %s failed", why)
            return []
        changed = [s for s in summaries if s.outcomes or s.conflicts]
        counter = self.services.metrics.reconcile_changes
        for summary in summaries:
            for change in ("added", "removed", "changed", "promoted"):
                counter.labels(change=change).inc(getattr(summary, change))
        log.info(
            "RSVP reconciliation after %s: %d event(s) checked, %d changed (%s)",
            why,
            len(summaries),
            len(changed),
            "; ".join(f"event {s.event_id}: {s}" for s in changed) or "nothing to do",
        )
        for summary in changed:
            for conflict in summary.conflicts:
                for seen in conflict.choice.superseded:
                    await self.effects.remove_reaction(
                        seen.channel_id, seen.message_id, seen.status, conflict.user_id
                    )
            self.effects.queue_notices(summary.notices)
            if summary.outcomes:
                self.coalescer.poke(summary.event_id)
        try:
            stale = await self.effects.stale_announcements()
        except Exception:
            log.exception("could not tell which announcements show stale RSVP counts")
            stale = []
        for event_id in stale:
            self.coalescer.poke(event_id)
        if stale:
            log.info(
                "refreshing the RSVP counts of %d event(s) whose announcements are not current", len(stale)
            )
        self.reconciled.append(summaries)
        return summaries

    # -- commands -----------------------------------------------------------------------------------

    def _group(self, interaction: discord.Interaction[MeetupBot]) -> GroupConfig:
        return group_of(interaction, self.services)

    async def _event(self, group: GroupConfig, slug: str) -> Event:
        async with self.services.sessions() as session:
            return await queries.group_event_by_slug(session, slug, group.name)

    @app_commands.command(
        name="rsvp", description="RSVP to a meetup (the same as reacting to its announcement)"
    )
    @app_commands.describe(slug="Start typing the event's title", status="Your answer")
    @app_commands.choices(status=STATUS_CHOICES)
    async def rsvp(self, interaction: discord.Interaction[MeetupBot], slug: str, status: str) -> None:
        group = self._group(interaction)
        event = await self._event(group, slug)
        answer: Answer = status  # type: ignore[assignment]
        job = CommandJob(event.id, interaction.user.id, interaction.user.display_name, answer, group.name)
        handled: Handled = await self.desk.submit(job)
        await self._after(handled, tell=False)
        outcome = handled.outcome
        assert outcome is not None
        text = {
            "going": f"You're going to **{event.title}**.",
            "waitlist": f"**{event.title}** is full: you're on the waitlist at place {outcome.position}.",
            "maybe": f"You're a maybe for **{event.title}**.",
            "not_going": f"Noted: you're not going to **{event.title}**.",
        }[outcome.status or "not_going"]
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="my-rsvps", description="Your RSVPs for upcoming meetups")
    async def my_rsvps(self, interaction: discord.Interaction[MeetupBot]) -> None:
        self._group(interaction)
        async with self.services.sessions() as session:
            mine = await my_rsvps(session, interaction.user.id, self.services.clock.now())
        if not mine:
            text = "You have no RSVPs for upcoming meetups. React ✅ 🤔 ❌ on an announcement, or use /rsvp."
        else:
            lines = []
            for item in mine:
                label = LABELS[item.status] + (f" (place {item.position})" if item.position else "")
                lines.append(
                    f"**{item.event.title}** · <t:{int(item.event.starts_at.timestamp())}:f> · {label}"
                )
            text = "\n".join(lines)
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(
        name="rsvps", description="Organizers: who is going, maybe or waitlisted (with a CSV)"
    )
    @app_commands.describe(slug="Start typing the event's title")
    async def rsvps(self, interaction: discord.Interaction[MeetupBot], slug: str) -> None:
        group = require_organizer(interaction, self.services, "see the RSVP list")
        event = await self._event(group, slug)
        async with self.services.sessions() as session:
            rows = await list_rsvps(session, event.id)
            counts = await rsvp_counts(session, event.id)
        capacity = effective_capacity(event, self.services.config.rsvp.default_capacity)
        embed = discord.Embed(
            title=f"RSVPs · {event.title}", colour=EMBED_COLOUR, description=counts_line(counts, capacity)
        )
        for status in ("going", "waitlist", "maybe"):
            names = [
                (f"{r.position}. " if r.position else "") + (r.name or str(r.user_id))
                for r in rows
                if r.status == status
            ]
            if names:
                value = ", ".join(names) if status != "waitlist" else "\n".join(names)
                embed.add_field(name=f"{LABELS[status]} ({len(names)})", value=_clip(value), inline=False)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["user_id", "name", "status", "position", "group"])
        for r in rows:
            writer.writerow([r.user_id, r.name, r.status, r.position or "", r.group_name or ""])
        file = discord.File(io.BytesIO(buffer.getvalue().encode()), filename=f"rsvps-{event.slug}.csv")
        await interaction.response.send_message(embed=embed, file=file, ephemeral=True)

    @rsvp.autocomplete("slug")
    @rsvps.autocomplete("slug")
    async def slug_choices(
        self, interaction: discord.Interaction[MeetupBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await event_choices(self.services, self._group(interaction).name, current)


def _clip(text: str, limit: int = 1024) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, MeetupBot)
    await bot.add_cog(RsvpCog(bot))

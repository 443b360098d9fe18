"""Check-in at the door and the organizers' numbers: /checkin, /checkin-code, /attendance, /stats.

Thin: the rules live in bot.checkin. /checkin is one command with optional options, so it reads as the
issue writes it: `/checkin member:`, `/checkin guests:3`, `/checkin code:`, and `undo:True` to revert.
Every answer is deferred first (ephemeral), so a slow database never misses Discord's 3-second deadline.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot.checkin import codes, service
from bot.checkin.attendance import Attendance, Figures, attendance, history
from bot.checkin.charts import show_up_rate, stats_png
from bot.checkin.forecast import forecast_event
from bot.config import GroupConfig
from bot.db.models import Event
from bot.discord_app.choices import event_choices as shared_event_choices
from bot.discord_app.client import MeetupBot
from bot.discord_app.embeds import EMBED_COLOUR
from bot.discord_app.permissions import group_of, is_organizer, require_organizer
from bot.discord_app.pings import NO_PINGS
from bot.errors import UserError
from bot.when import plural, when_text

MEMBERS_TTL = timedelta(minutes=5)
STATUS_LABEL = {"going": "going", "maybe": "maybe", "waitlist": "waitlist"}


class CheckInCog(commands.Cog):
    def __init__(self, bot: MeetupBot) -> None:
        self.bot = bot
        self.services = bot.services
        # (fetched at, [(id, display name)]) per guild: walk-in suggestions without the members intent
        self._members: dict[int, tuple[datetime, list[tuple[int, str]]]] = {}

    async def guild_members(self, guild_id: int) -> list[tuple[int, str]]:
        """The server's members (id, display name), over REST, kept for a few minutes; [] if Discord refuses."""
        now = self.services.clock.now()
        cached = self._members.get(guild_id)
        if cached is not None and now - cached[0] < MEMBERS_TTL:
            return cached[1]
        try:
            raw = await self.bot.http.get_members(guild_id, 1000, None)
        except discord.HTTPException:
            return []
        members = [
            (int(m["user"]["id"]), m.get("nick") or m["user"].get("global_name") or m["user"]["username"])
            for m in raw
            if not m["user"].get("bot")
        ]
        self._members[guild_id] = (now, members)
        return members

    # -- /checkin -----------------------------------------------------------------------------------

    @app_commands.command(
        name="checkin", description="Check in at a meetup: organizers at the door, or you with a code"
    )
    @app_commands.describe(
        member="Organizers: the member who arrived (start typing their name)",
        guests="Organizers: how many people without a Discord account came in",
        code="The check-in code shown at the door (checks yourself in)",
        event="Organizers: which event, if not the one open for check-in now (an hour before to the end)",
        undo="Organizers: take back the check-in of `member:` or `guests:`",
    )
    async def checkin(
        self,
        interaction: discord.Interaction[MeetupBot],
        member: str | None = None,
        guests: app_commands.Range[int, 1, 1000] | None = None,
        code: str | None = None,
        event: str | None = None,
        undo: bool = False,
    ) -> None:
        chosen = [name for name, value in (("member", member), ("guests", guests), ("code", code)) if value]
        if code is not None and (member or guests or event or undo):
            raise UserError("`code:` checks in yourself; use it alone: `/checkin code:ABC123`.")
        if code is None:
            group = require_organizer(interaction, self.services, "check members in")
        else:
            group = group_of(interaction, self.services)
        if len(chosen) != 1:
            raise UserError(
                "Say who arrived with one of the options: `member:` (a member), `guests:` (people without "
                "Discord) or, for yourself, `code:`."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        if code is not None:
            text = await self._self_check_in(interaction, group, code)
        elif guests is not None:
            text = await self._guests(interaction, group, guests, event, undo)
        else:
            assert member is not None
            text = await self._member(interaction, group, member, event, undo)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_PINGS)

    async def _self_check_in(
        self, interaction: discord.Interaction[MeetupBot], group: GroupConfig, code: str
    ) -> str:
        user = interaction.user
        async with self.services.sessions.begin() as session:
            result = await codes.redeem(
                session, group.name, user.id, user.display_name, code, self.services.clock.now()
            )
        if isinstance(result, codes.WrongCode):
            raise result  # after the commit: the wrong try counts
        if result.already:
            return f"You're already checked in to **{result.event_title}**. Enjoy!"
        return f"You're checked in to **{result.event_title}**. Welcome!"

    async def _guests(
        self,
        interaction: discord.Interaction[MeetupBot],
        group: GroupConfig,
        count: int,
        slug: str | None,
        undo: bool,
    ) -> str:
        now = self.services.clock.now()
        async with self.services.sessions.begin() as session:
            found = await service.event_for(session, group.name, now, slug)
            total = await service.add_guests(
                session, found, -count if undo else count, by=interaction.user.id, now=now, group=group.name
            )
        verb = "Took back" if undo else "Counted"
        return f"{verb} {plural(count, 'guest')} at **{found.title}**: {plural(total, 'guest')} in all."

    async def _member(
        self,
        interaction: discord.Interaction[MeetupBot],
        group: GroupConfig,
        member: str,
        slug: str | None,
        undo: bool,
    ) -> str:
        now = self.services.clock.now()
        user_id, name = await self._resolve(interaction, member)  # may ask Discord: before the transaction
        async with self.services.sessions.begin() as session:
            found = await service.event_for(session, group.name, now, slug)
            if undo:
                name = await service.undo_check_in(session, found, user_id) or name
                return f"Undone: {name} is no longer checked in to **{found.title}**."
            result = await service.check_in(
                session, found, user_id, name, by=interaction.user.id, now=now, group=group.name
            )
        if result.already:
            return f"{result.name} was already checked in to **{found.title}**; nothing changed."
        walk_in = " as a walk-in (no RSVP)" if result.kind == "walk_in" else ""
        return f"Checked in {result.name}{walk_in} to **{found.title}**."

    async def _resolve(self, interaction: discord.Interaction[MeetupBot], member: str) -> tuple[int, str]:
        """The member option: an id from the suggestions, or a name typed out (for a walk-in)."""
        text = member.strip()
        known = await self.guild_members(interaction.guild_id) if interaction.guild_id else []
        if text.isdigit():
            user_id = int(text)
            return user_id, next((name for i, name in known if i == user_id), "")
        folded = text.casefold().lstrip("@")
        matches = [(i, name) for i, name in known if name.casefold() == folded]
        if len(matches) == 1:
            return matches[0]
        raise UserError(
            f"No member of this server is called `{text}`. Pick them from the `member:` suggestions, "
            "or count people without Discord with `guests:`."
        )

    @checkin.autocomplete("member")
    async def member_choices(
        self, interaction: discord.Interaction[MeetupBot], current: str
    ) -> list[app_commands.Choice[str]]:
        group = self.services.group_for_guild(interaction.guild_id)
        if group is None or not is_organizer(interaction.user, group):
            return []
        slug = getattr(interaction.namespace, "event", None)
        async with self.services.sessions() as session:
            try:
                found = await service.event_for(session, group.name, self.services.clock.now(), slug)
            except UserError:
                return []
            listed = await service.candidates(session, found.id, current, limit=25)
        choices = [
            app_commands.Choice(name=f"{c.name[:80]} ({STATUS_LABEL[c.status]})", value=str(c.user_id))
            for c in listed
        ]
        if len(choices) < 25 and current.strip() and interaction.guild_id is not None:
            # walk-ins: members of the server not offered above (no RSVP)
            async with self.services.sessions() as session:
                done = {c.user_id for c in await service.checked_in_members(session, found.id)}
            offered = {c.user_id for c in listed} | done
            folded = current.strip().casefold()
            for user_id, name in await self.guild_members(interaction.guild_id):
                if len(choices) >= 25:
                    break
                if user_id not in offered and folded in name.casefold():
                    choices.append(app_commands.Choice(name=f"{name[:80]} (walk-in)", value=str(user_id)))
        return choices

    # -- /checkin-code ------------------------------------------------------------------------------

    @app_commands.command(
        name="checkin-code", description="Organizers: the code members use to check themselves in"
    )
    @app_commands.describe(event="Which event, if not the one open for check-in now")
    async def checkin_code(
        self, interaction: discord.Interaction[MeetupBot], event: str | None = None
    ) -> None:
        group = require_organizer(interaction, self.services, "show the check-in code")
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.services.clock.now()
        async with self.services.sessions.begin() as session:
            found = await service.event_for(session, group.name, now, event)
            code = await codes.code_for(session, found, now)
        _, closes = service.window(found)
        until = when_text(closes, found.timezone, now)
        await interaction.followup.send(
            f"Check-in code for **{found.title}**: **`{code}`**\n"
            f"Members run `/checkin code:{code}`; it works until {until}.",
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    # -- /attendance and /stats ---------------------------------------------------------------------

    @app_commands.command(
        name="attendance", description="Organizers: who came, who did not, and the forecast"
    )
    @app_commands.describe(event="Which event, if not the one open for check-in now")
    async def attendance(self, interaction: discord.Interaction[MeetupBot], event: str | None = None) -> None:
        group = require_organizer(interaction, self.services, "see attendance")
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.services.clock.now()
        async with self.services.sessions() as session:
            found = await service.event_for(session, group.name, now, event)
            figures = await attendance(session, found, now)
            forecast = await forecast_event(session, found, now) if found.ends_at > now else None
        embed = attendance_embed(found, figures)
        if forecast is not None:
            embed.add_field(name="Forecast", value=forecast.text().capitalize(), inline=False)
        await interaction.followup.send(embed=embed, ephemeral=True, allowed_mentions=NO_PINGS)

    @app_commands.command(name="stats", description="Organizers: RSVPs and attendance over time (a chart)")
    async def stats(self, interaction: discord.Interaction[MeetupBot]) -> None:
        group = require_organizer(interaction, self.services, "see the stats")
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.services.sessions() as session:
            points = await history(session, group.name, self.services.clock.now())
        points = [p for p in points if p.rsvps is not None or p.attendance is not None]
        if not points:
            raise UserError(f"{group.name} has no past events with RSVP or attendance figures yet.")
        png = await self.bot.loop.run_in_executor(None, stats_png, points, f"{group.name} meetups")
        rate = show_up_rate(points)
        rate_text = f"show-up rate {rate:.0%}" if rate is not None else "no show-up rate yet"
        await interaction.followup.send(
            f"{plural(len(points), f'past {group.name} event')} · {rate_text}",
            file=discord.File(io.BytesIO(png), filename="stats.png"),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @checkin.autocomplete("event")
    @checkin_code.autocomplete("event")
    @attendance.autocomplete("event")
    async def event_choices(
        self, interaction: discord.Interaction[MeetupBot], current: str
    ) -> list[app_commands.Choice[str]]:
        group = self.services.group_for_guild(interaction.guild_id)
        if group is None or not is_organizer(interaction.user, group):
            return []
        return await shared_event_choices(self.services, group.name, current)


def _line(f: Figures) -> str:
    """Three lines of figures; no-shows and the show-up rate only once the event is over."""
    came = f"checked in {f.checked_in} · walk-ins {f.walk_ins} · guests {f.guests}"
    if f.no_shows is None:
        outcome = "no-shows and show-up rate once the event is over"
    else:
        came += f" · no-shows {f.no_shows}"
        outcome = f"show-up rate {f.show_up_rate:.0%}" if f.show_up_rate is not None else "show-up rate –"
    answers = f"going {f.going} · maybe {f.maybe} · waitlist {f.waitlist}"
    return f"{answers}\n{came}\n**{f.present} present** · {outcome}"


def attendance_embed(event: Event, figures: Attendance) -> discord.Embed:
    embed = discord.Embed(
        title=f"Attendance · {event.title}", colour=EMBED_COLOUR, description=_line(figures.total)
    )
    if len(figures.by_group) > 1:
        for name, part in figures.by_group.items():
            embed.add_field(name=name, value=_line(part), inline=False)
    if figures.reported_rsvps is not None or figures.reported_attendance is not None:
        embed.add_field(
            name="From the event file",
            value=f"Total RSVPs {figures.reported_rsvps if figures.reported_rsvps is not None else '?'} · "
            f"Total Attendance {figures.reported_attendance if figures.reported_attendance is not None else '?'}",
            inline=False,
        )
    return embed


async def setup(bot: commands.Bot) -> None:
    assert isinstance(bot, MeetupBot)
    await bot.add_cog(CheckInCog(bot))

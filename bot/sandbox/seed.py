"""What the sandbox starts with: guilds, their channels and roles, and a few sample members."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.sandbox import permissions as perms
from bot.sandbox.ids import SnowflakeGenerator, snowflake_time, utcnow
from bot.sandbox.models import TEXT_CHANNEL, Channel, Guild, Role, User
from bot.sandbox.state import SandboxState

BOT_USERNAME = "meetup-bot"
ORGANIZER_ROLE = "organizer"
ANNOUNCE_CHANNEL_NAME = "announcements"


def default_members() -> list[tuple[str, list[str]]]:
    return [("alice", []), ("bob", []), ("carol", []), ("olivia", [ORGANIZER_ROLE])]


@dataclass
class SeedGuild:
    """One guild; the announce channel is named #announcements, extra channels are (id, name)."""

    guild_id: int
    name: str
    announce_channel_id: int
    organizer_role_id: int | None
    extra_channels: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class SandboxSeed:
    """Guilds plus members (name, role names) seeded into every guild; "organizer" is the organizer role."""

    guilds: list[SeedGuild]
    members: list[tuple[str, list[str]]] = field(default_factory=default_members)


def build_state(seed: SandboxSeed) -> SandboxState:
    ids = SnowflakeGenerator()
    state = SandboxState(bot_user_id=ids.next(), application_id=ids.next(), ids=ids)
    state.users[state.bot_user_id] = User(id=state.bot_user_id, username=BOT_USERNAME, bot=True)
    for name, _ in seed.members:
        if state.find_user(name) is None:
            user = User(id=ids.next(), username=name, global_name=name.capitalize())
            state.users[user.id] = user
    taken: set[int] = set()
    for seed_guild in seed.guilds:
        _build_guild(state, seed, seed_guild, taken)
    return state


def _claim(taken: set[int], snowflake: int, what: str) -> int:
    if snowflake in taken:
        raise ValueError(f"seed id {snowflake} ({what}) is used twice")
    taken.add(snowflake)
    return snowflake


def _build_guild(state: SandboxState, seed: SandboxSeed, seed_guild: SeedGuild, taken: set[int]) -> None:
    gid = _claim(taken, seed_guild.guild_id, "guild")
    created = snowflake_time(gid) if gid >> 22 else utcnow()
    guild = Guild(id=gid, name=seed_guild.name, owner_id=state.bot_user_id, created_at=created)
    state.guilds[gid] = guild

    def add_role(role: Role) -> Role:
        state.roles[role.id] = role
        guild.role_ids.append(role.id)
        return role

    add_role(Role(id=gid, guild_id=gid, name="@everyone", permissions=perms.EVERYONE_DEFAULT, position=0))
    named: dict[str, int] = {}
    if seed_guild.organizer_role_id is not None:
        rid = _claim(taken, seed_guild.organizer_role_id, "organizer role")
        add_role(
            Role(
                id=rid,
                guild_id=gid,
                name=ORGANIZER_ROLE,
                permissions=perms.ORGANIZER_DEFAULT,
                position=1,
                color=0x3498DB,
                hoist=True,
                mentionable=True,
            )
        )
        named[ORGANIZER_ROLE] = rid
    for _, role_names in seed.members:
        for role_name in role_names:
            if role_name not in named and role_name != ORGANIZER_ROLE:
                role = add_role(
                    Role(id=state.ids.next(), guild_id=gid, name=role_name, permissions=0, position=1)
                )
                named[role_name] = role.id
    bot_role = add_role(
        Role(
            id=state.ids.next(),
            guild_id=gid,
            name=BOT_USERNAME,
            permissions=perms.BOT_DEFAULT,
            position=len(guild.role_ids),
            managed=True,
            bot_id=state.bot_user_id,
        )
    )
    guild.bot_role_id = bot_role.id

    channels = [(seed_guild.announce_channel_id, ANNOUNCE_CHANNEL_NAME), *seed_guild.extra_channels]
    for position, (cid, cname) in enumerate(channels):
        channel = Channel(
            id=_claim(taken, cid, "channel"), type=TEXT_CHANNEL, name=cname, guild_id=gid, position=position
        )
        state.channels[channel.id] = channel
        guild.channel_ids.append(channel.id)

    state.add_member(guild, state.bot_user, [bot_role.id])
    owner: int | None = None
    for name, role_names in seed.members:
        user = state.find_user(name)
        assert user is not None
        role_ids = [named[r] for r in role_names if r in named]
        state.add_member(guild, user, role_ids)
        if owner is None and ORGANIZER_ROLE in role_names and ORGANIZER_ROLE in named:
            owner = user.id
    if owner is None and seed.members:
        first = state.find_user(seed.members[0][0])
        owner = first.id if first else None
    guild.owner_id = owner if owner is not None else state.bot_user_id

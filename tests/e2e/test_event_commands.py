"""Members' event commands through the sandbox: the real bot, real sockets, a real SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.application import Application
from bot.catalog import queries
from bot.catalog.importer import import_paths
from bot.config import Config
from bot.discord_app.permissions import NOT_CONFIGURED
from bot.sandbox import SandboxServer
from tests.e2e.conftest import NOW, STRANGER_CHANNEL, STRANGER_GUILD, Member

STLGO_GUILD, STLGO_CHANNEL = 100000000000000001, 100000000000000002
KCN_GUILD, KCN_CHANNEL = 100000000000000011, 100000000000000012

EVENT = """\
# {title}
https://www.meetup.com/example/events/{n}/

## Meta
| | |
| --- | --- |
| **When:** | {when} |
| **Where:** | [Example Hall](https://example.org/hall), 1 Main St - St. Louis, MO 63101 |
| **Presenter:** | Ada Park, [@ada](https://example.org/@ada) |
| **Hosting Group:** | {group} |

## Presentation
{text}

## Event
* 5:30 - 6:00 Food and networking
* 6:15 - 7:00 Main presentation
"""


async def add_events(
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
    write_event: Callable[[str, str], Path],
    *events: dict[str, str],
) -> None:
    for n, fields in enumerate(events):
        text = EVENT.format(
            n=n, text=fields.get("text", "A talk."), **{k: v for k, v in fields.items() if k != "text"}
        )
        write_event(f"{fields['slug']}.md", text)
    async with sessions.begin() as session:
        report = await import_paths(session, [config.events_dir], config.parse_options(), NOW)
    assert report.ok, report.errors


def ts(when: datetime) -> int:
    return int(when.timestamp())


async def test_next_event_without_events_says_what_to_do(app: Application, alice: Member) -> None:
    answer = await alice.command("next-event", STLGO_GUILD, STLGO_CHANNEL)
    assert answer["ephemeral"] is True
    assert "StLGo has no upcoming event yet" in answer["content"]
    assert "Traceback" not in answer["content"]


async def test_next_event_shows_the_groups_own_next_event(
    app: Application,
    alice: Member,
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
    write_event: Callable[[str, str], Path],
) -> None:
    await add_events(
        sessions,
        config,
        write_event,
        {"slug": "past", "title": "Old Talk", "when": "Wednesday, November 18, 2026", "group": "StLGo"},
        {"slug": "later", "title": "Later Talk", "when": "Wednesday, January 20, 2027", "group": "StLGo"},
        {"slug": "soon", "title": "Soon Talk", "when": "Wednesday, December 16, 2026", "group": "StLGo"},
        {"slug": "kcn", "title": "Cloud Talk", "when": "Thursday, December 3, 2026", "group": "KCN-STL"},
    )
    answer = await alice.command("next-event", STLGO_GUILD, STLGO_CHANNEL)
    assert answer["ephemeral"] is False
    (embed,) = answer["embeds"]
    assert embed["title"] == "Soon Talk"
    assert embed["url"] == "https://www.meetup.com/example/events/2/"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    start = ts(datetime.fromisoformat("2026-12-16T17:30:00-06:00"))
    assert fields["When"].startswith(f"<t:{start}:F>") and f"<t:{start}:R>" in fields["When"]
    assert fields["Where"].startswith("Example Hall, 1 Main St - St. Louis, MO 63101")
    assert fields["Presenters"] == "Ada Park"
    assert "Food and networking" in fields["Agenda"] and "Main presentation" in fields["Agenda"]
    assert fields["Links"] == "https://www.meetup.com/example/events/2/"
    assert fields["RSVPs"] == "0 going"

    kcn = await alice.command("next-event", KCN_GUILD, KCN_CHANNEL)
    assert kcn["embeds"][0]["title"] == "Cloud Talk"


async def test_events_pages_and_event_autocomplete(
    app: Application,
    alice: Member,
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
    write_event: Callable[[str, str], Path],
) -> None:
    days = ["December 2", "December 9", "December 16", "December 23", "December 30", "January 6"]
    await add_events(
        sessions,
        config,
        write_event,
        *(
            {
                "slug": f"e{i}",
                "title": f"Talk {i}",
                "when": f"Wednesday, {d}, {2026 if i < 5 else 2027}",
                "group": "StLGo",
            }
            for i, d in enumerate(days)
        ),
    )
    first = await alice.command("events", STLGO_GUILD, STLGO_CHANNEL)
    assert [f["name"] for f in first["embeds"][0]["fields"]] == [f"Talk {i}" for i in range(5)]
    assert first["embeds"][0]["footer"]["text"].startswith("Page 1 of 2")
    second = await alice.command("events", STLGO_GUILD, STLGO_CHANNEL, page=2)
    assert [f["name"] for f in second["embeds"][0]["fields"]] == ["Talk 5"]
    beyond = await alice.command("events", STLGO_GUILD, STLGO_CHANNEL, page=3)
    assert beyond["ephemeral"] and beyond["content"] == (
        "The upcoming events fill only 2 pages; try `/events page:2`."
    )

    choices = await alice.command("event", STLGO_GUILD, STLGO_CHANNEL, focused="slug", slug="talk 3")
    assert [c["value"] for c in choices["choices"]] == ["e3"]
    everything = await alice.command("event", STLGO_GUILD, STLGO_CHANNEL, focused="slug", slug="")
    assert [c["value"] for c in everything["choices"]] == [f"e{i}" for i in range(6)]

    shown = await alice.command("event", STLGO_GUILD, STLGO_CHANNEL, slug="e4")
    assert shown["embeds"][0]["title"] == "Talk 4"
    unknown = await alice.command("event", STLGO_GUILD, STLGO_CHANNEL, slug="nope")
    assert unknown["ephemeral"] and "No event is called `nope`" in unknown["content"]

    agenda = await alice.command("agenda", STLGO_GUILD, STLGO_CHANNEL)
    assert agenda["embeds"][0]["title"] == "Agenda · Talk 0"


async def test_autocomplete_labels_an_evening_event_with_its_local_date(
    app: Application,
    alice: Member,
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
    write_event: Callable[[str, str], Path],
) -> None:
    day = (NOW + timedelta(days=14)).astimezone(ZoneInfo("America/Chicago")).date()
    write_event(
        "evening.yaml",
        f"""
        title: Evening Talk
        when: {day.isoformat()}
        time: "6:00pm - 8:00pm"
        where: Example Hall, 1 Main St
        hosting_groups: [StLGo]
        """,
    )
    async with sessions.begin() as session:
        report = await import_paths(session, [config.events_dir], config.parse_options(), NOW)
    assert report.ok, report.errors
    async with sessions() as session:
        stored = await queries.event_by_slug(session, "evening")
    assert stored.starts_at.astimezone(UTC).date() == day + timedelta(days=1)  # 6 pm CST is tomorrow in UTC

    choices = await alice.command("event", STLGO_GUILD, STLGO_CHANNEL, focused="slug", slug="evening")
    assert choices["choices"] == [{"name": f"Evening Talk · {day.isoformat()}", "value": "evening"}]


async def test_event_text_with_everyone_pings_nobody(
    app: Application,
    alice: Member,
    sandbox: SandboxServer,
    sessions: async_sessionmaker[AsyncSession],
    config: Config,
    write_event: Callable[[str, str], Path],
) -> None:
    await add_events(
        sessions,
        config,
        write_event,
        {
            "slug": "loud",
            "title": "@everyone Free Pizza <@&100000000000000003>",
            "when": "Wednesday, December 16, 2026",
            "group": "StLGo",
            "text": "Hey @everyone and @here and <@&100000000000000003>, come along!",
        },
    )
    answer = await alice.command("next-event", STLGO_GUILD, STLGO_CHANNEL)
    assert "@everyone" in answer["content"]
    assert answer["mentions"] == {"everyone": False, "roles": [], "users": []}


async def test_unconfigured_guild_is_refused(app: Application, alice: Member) -> None:
    await app.bot.tree.sync()  # global commands, as a bot once registered everywhere would have
    answer = await alice.command("next-event", STRANGER_GUILD, STRANGER_CHANNEL)
    assert answer["ephemeral"] is True
    assert answer["content"] == NOT_CONFIGURED

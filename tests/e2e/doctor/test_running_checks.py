"""The running bot checks what it may do at start-up and after each channel or role change, and tells the
organizers in the log channel once per problem."""

from __future__ import annotations

from typing import cast

import aiohttp

from bot.sandbox import SandboxServer
from cogs.doctor import DoctorCog
from tests.e2e.announcements.conftest import LOG_CHANNEL, STLGO_CHANNEL, STLGO_GUILD, StartBot, texts
from tests.waiting import wait_for

STLGO_ORGANIZERS = 100000000000000003


async def test_problems_are_told_once_each_and_again_after_a_fix_is_undone(
    start_bot: StartBot, sandbox: SandboxServer, http: aiohttp.ClientSession
) -> None:
    app = await start_bot()
    cog = cast(DoctorCog, app.bot.get_cog("DoctorCog"))
    await wait_for(lambda: cog.checks >= 1, timeout=10, what="the start-up check")
    assert texts(sandbox, LOG_CHANNEL) == []  # everything granted: nothing to tell

    async def deny(*names: str) -> None:
        url = f"{sandbox.url}/sandbox/channels/{STLGO_CHANNEL}/permissions"
        async with http.post(url, json={"deny": list(names)}) as response:
            assert response.status == 200

    await deny("ADD_REACTIONS")  # CHANNEL_UPDATE
    await wait_for(lambda: len(texts(sandbox, LOG_CHANNEL)) == 1, timeout=10, what="the notice")
    (first,) = texts(sandbox, LOG_CHANNEL)
    assert "**permission Add Reactions** is missing in StLGo #announcements" in first
    assert "meetup-bot doctor" in first

    passes = cog.checks
    await deny("ADD_REACTIONS")  # the same problem again: not told twice
    await wait_for(lambda: cog.checks > passes, timeout=10, what="the check after the second update")
    assert len(texts(sandbox, LOG_CHANNEL)) == 1

    role = f"{sandbox.url}/sandbox/guilds/{STLGO_GUILD}/roles/{STLGO_ORGANIZERS}"
    async with http.delete(role) as response:  # GUILD_ROLE_DELETE
        assert response.status == 200
    await wait_for(lambda: len(texts(sandbox, LOG_CHANNEL)) == 2, timeout=10, what="the role notice")
    assert (
        f"**role exists** is missing in StLGo organizer_role_id {STLGO_ORGANIZERS}"
        in texts(sandbox, LOG_CHANNEL)[1]
    )

    await deny()  # fixed ...
    reactions = ("permission Add Reactions", "StLGo #announcements")
    await wait_for(lambda: reactions not in cog.watch.known["StLGo"], timeout=10, what="the fix seen")
    await deny("ADD_REACTIONS")  # ... and broken again: told again
    await wait_for(lambda: len(texts(sandbox, LOG_CHANNEL)) == 3, timeout=10, what="the notice again")
    assert "Add Reactions" in texts(sandbox, LOG_CHANNEL)[2]

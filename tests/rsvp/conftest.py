"""RSVP service fixtures: events inserted straight into a real, migrated SQLite file."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests import factories
from tests.factories import NOW

MakeEvent = Callable[..., Awaitable[int]]


async def insert_event(
    sessions: async_sessionmaker[AsyncSession],
    slug: str,
    *,
    capacity: int | None = None,
    starts_at: datetime = NOW + timedelta(days=7),
    groups: Sequence[str] = ("StLGo",),
    title: str | None = None,
) -> int:
    return await factories.insert_event(
        sessions, slug, starts_at=starts_at, groups=groups, title=title, capacity=capacity
    )


@pytest.fixture
def make_event(sessions: async_sessionmaker[AsyncSession]) -> MakeEvent:
    async def make(slug: str = "talk", **options: object) -> int:
        return await insert_event(sessions, slug, **options)  # type: ignore[arg-type]

    return make

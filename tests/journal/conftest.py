"""One journal test suite, run against every engine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from medcom_adapter.journal.interface import Journal
from medcom_adapter.journal.memory import MemoryJournal


class Clock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


ENGINES = ["memory"]


@pytest.fixture(params=ENGINES)
def journal(request: pytest.FixtureRequest, clock: Clock) -> Iterator[Journal]:
    store = MemoryJournal(clock=clock)
    yield store
    store.close()

"""Appends on PostgreSQL after the chain heads a journal left: one statement, no head read.

A journal that wrote the chain heads last (and found them as it had left them the time it
read them) writes its next append in one statement that writes only if the heads are still
those. These tests move the heads from a second journal, as another process would, and check
that the append on the stale guess wrote nothing, took its turn instead, and that the chains
verify: messages, status changes and each message once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from medcom_adapter.journal.crypto import Keyring
from medcom_adapter.journal.interface import NewMessage, Query, Status
from medcom_adapter.journal.postgres import PostgresDb
from medcom_adapter.journal.sqlstore import SqlJournal
from tests.journal.conftest import keys, postgres_url  # noqa: F401 - fixtures
from tests.journal.samples import referral
from tests.journal.statements import StatementCounter


@pytest.fixture
def two(postgres_url: str, keys: Keyring  # noqa: F811
        ) -> Iterator[tuple[SqlJournal, SqlJournal]]:
    """Two journals on one schema, as two processes would have."""
    ours, theirs = SqlJournal(PostgresDb(postgres_url), keys), SqlJournal(
        PostgresDb(postgres_url), keys)
    yield ours, theirs
    ours.close()
    theirs.close()


def _named(n: int) -> NewMessage:
    return dataclasses.replace(referral(n), envelope_id=f"ENV-{n}", message_id=f"LET-{n}")


def _append(journal: SqlJournal, *numbers: int) -> tuple[list[int], StatementCounter]:
    """Append referrals ``numbers`` (in one batch), counting the statements it took."""
    counter = StatementCounter(journal.db)
    ids = list(journal.append_many([_named(n) for n in numbers], Status.QUEUED))
    return ids, counter


def _intact(journal: SqlJournal, count: int) -> None:
    stored = journal.find(Query(limit=1000))
    assert [s.id for s in stored] == list(range(1, count + 1))
    assert sorted(s.message.envelope_id for s in stored) == sorted(
        f"ENV-{n}" for n in range(count))
    report = journal.verify()
    assert report.intact, report.problems


def test_an_append_after_the_heads_it_left_is_one_statement(
        two: tuple[SqlJournal, SqlJournal]) -> None:
    ours, _ = two
    _append(ours, 0)
    _, counted = _append(ours, 1)  # read the heads as left: alone
    assert (counted.statements, counted.transactions) == (4, 1)  # BEGIN, heads, writes, COMMIT
    ids, counted = _append(ours, 2, 3, 4)
    assert ids == [3, 4, 5]
    assert (counted.statements, counted.transactions) == (1, 0)
    ours.set_status(3, Status.SENT)  # its own status change moves the head it guesses from
    _, counted = _append(ours, 5)
    assert (counted.statements, counted.transactions) == (1, 0)
    _intact(ours, 6)
    assert [h.status for h in ours.get(3).history] == [Status.QUEUED, Status.SENT]


def test_an_append_after_another_appended_writes_nothing_and_takes_its_turn(
        two: tuple[SqlJournal, SqlJournal]) -> None:
    ours, theirs = two
    for n in range(3):
        _append(ours, n)
    _append(theirs, 3)  # the message chain's head moves under our guess
    ids, counted = _append(ours, 4, 5)
    assert ids == [5, 6]
    # the guess (one statement, nothing written), then the append in turn
    assert (counted.statements, counted.transactions) == (5, 1)
    _, counted = _append(ours, 6)  # not alone a moment ago: reads the heads again
    assert counted.transactions == 1
    _intact(ours, 7)


def test_an_append_after_another_changed_a_status_writes_nothing_and_takes_its_turn(
        two: tuple[SqlJournal, SqlJournal]) -> None:
    ours, theirs = two
    for n in range(3):
        _append(ours, n)
    theirs.set_status(1, Status.SENT)  # only the status chain's head moves
    ids, counted = _append(ours, 3, 4)
    assert ids == [4, 5]
    assert (counted.statements, counted.transactions) == (5, 1)
    _intact(ours, 5)
    assert len(ours.find(Query(status=Status.QUEUED, limit=100))) == 4


def test_a_guess_left_by_a_rolled_back_append_is_only_a_wrong_guess(
        two: tuple[SqlJournal, SqlJournal]) -> None:
    ours, _ = two
    for n in range(3):
        _append(ours, n)
    with pytest.raises(RuntimeError), ours.atomic():
        _, counted = _append(ours, 90)  # on the guess, inside the block's transaction
        assert counted.statements == 1
        raise RuntimeError("the block fails after the append")
    ids, counted = _append(ours, 3)  # the heads are as before the block: guessed wrong
    assert ids == [4]
    assert counted.transactions == 1
    _intact(ours, 4)

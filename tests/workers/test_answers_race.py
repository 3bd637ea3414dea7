"""Two workers, each on its own journal connection (as two ``poll`` processes), take two
copies of one answer (the same bytes under two file names: a redelivery) at once. An answer
that changes no status has nothing to compare-and-set: it must still be journaled once, the
other copy counted a duplicate, on PostgreSQL as on SQLite.

The copies are made to meet: the first worker stops right after it looked for the answer
among what was received before, and the second runs until it has finished or waits on the
first's lock."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from medcom_adapter.envelopes import vans
from medcom_adapter.journal import writer_lock
from medcom_adapter.journal.crypto import Keyring
from medcom_adapter.journal.interface import Direction, Query, Status, StoredMessage
from medcom_adapter.journal.sqlstore import SqlJournal
from medcom_adapter.sandbox.harness import Harness
from medcom_adapter.transport.memory import MemoryTransport
from medcom_adapter.workers import tracking
from medcom_adapter.workers.hooks import CollectingHook
from medcom_adapter.workers.inbox import Inbox, InboxRun
from tests.journal.conftest import POSTGRES_URL, keys, postgres_url  # noqa: F401 - fixtures
from tests.workers.test_fhir_end_to_end import DIRECTORY, PPR, queue

SENT = datetime(2026, 11, 22, 11, 5, tzinfo=UTC)


@dataclasses.dataclass
class _Engine:
    open: Callable[[], SqlJournal]
    # for a connection: whether it now waits for another connection's lock
    waiting: Callable[[SqlJournal], Callable[[], bool]]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, keys: Keyring,  # noqa: F811 - a fixture
           tmp_path: Path) -> Iterator[_Engine]:
    opened: list[SqlJournal] = []
    if request.param == "sqlite":
        from medcom_adapter.journal.sqlite import SqliteDb

        path = tmp_path / "journal.sqlite3"

        def open_sqlite() -> SqlJournal:
            opened.append(SqlJournal(SqliteDb(path), keys))
            return opened[-1]
        # one write transaction at a time per file: the second waits for the writer lock
        yield _Engine(open_sqlite, lambda _: lambda: writer_lock.for_file(path).waiting > 0)
    else:
        import psycopg

        from medcom_adapter.journal.postgres import PostgresDb

        url = request.getfixturevalue("postgres_url")

        def open_postgres() -> SqlJournal:
            opened.append(SqlJournal(PostgresDb(url), keys))
            return opened[-1]
        assert POSTGRES_URL is not None
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            def waiting(journal: SqlJournal) -> Callable[[], bool]:
                ((pid,),) = journal.db.rows("SELECT pg_backend_pid()")  # before it is busy

                def waits() -> bool:
                    row = admin.execute("SELECT wait_event_type FROM pg_stat_activity "
                                        "WHERE pid = %s", (pid,)).fetchone()
                    return row is not None and row[0] == "Lock"
                return waits
            yield _Engine(open_postgres, waiting)
    for journal in opened:
        journal.close()


def _sent_care_communication(journal: SqlJournal) -> tuple[int, vans.VansEnvelope]:
    h = Harness(journal, DIRECTORY, unit_ean=PPR)
    id = queue(h)
    h.outbox.run_once()
    (parcel,) = [p for p in h.mailbox.sent if p.kind == "CareCommunication"]
    return id, vans.parse(parcel.data)


def _race(engine: _Engine, first: SqlJournal, data: bytes,
          monkeypatch: pytest.MonkeyPatch) -> list[InboxRun]:
    """Two inboxes take a copy of ``data`` each, the second while the first has looked up
    what was received before and not yet written."""
    second = engine.open()
    waits = engine.waiting(second)
    inboxes = []
    for n, journal in enumerate((first, second), 1):
        transport = MemoryTransport()
        transport.provider.deposit(f"copy{n}-VANSReceipt.xml", data)
        inboxes.append(Inbox(journal, transport, CollectingHook(), directory=DIRECTORY))
    runs: dict[int, InboxRun] = {}
    other = threading.Thread(target=lambda: runs.__setitem__(2, inboxes[1].run_once()))
    me, looked = threading.get_ident(), tracking.same_file

    def looked_then_wait(*args: object, **kw: object) -> StoredMessage | None:
        found = looked(*args, **kw)  # type: ignore[arg-type]
        if threading.get_ident() == me and other.ident is None:
            other.start()
            while other.is_alive() and not waits():
                other.join(0.01)
        return found

    monkeypatch.setattr(tracking, "same_file", looked_then_wait)
    runs[1] = inboxes[0].run_once()
    other.join()
    assert other.ident is not None  # the copies did meet
    return [runs[1], runs[2]]


def _answering(journal: SqlJournal, kind: str) -> list[StoredMessage]:
    return list(journal.find(Query(direction=Direction.INBOUND, kind=kind, limit=100)))


def test_a_positive_vans_receipt_taken_by_two_workers_at_once_is_journaled_once(
    engine: _Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    journal = engine.open()
    id, sent = _sent_care_communication(journal)
    receipt = vans.receipt_for(sent, vans.VansReceiptKind.POSITIVE,
                               envelope_id="6c1d0e2f-3a4b-4c5d-8e6f-7a8b9c0d1e2f", sent=SENT)
    runs = _race(engine, journal, vans.build(receipt), monkeypatch)
    assert sum(r.receipts for r in runs) == 1
    assert sum(r.duplicates for r in runs) == 1
    (taken,) = _answering(journal, "VANSReceipt")
    assert taken.message.answers == id and taken.status is Status.DELIVERED
    assert journal.get(id).answered_by == (taken.id,)
    assert journal.get(id).status is Status.SENT  # a VANS receipt acknowledges nothing
    assert journal.verify().intact


def test_a_receipt_answering_nothing_we_sent_taken_by_two_workers_is_refused_once(
    engine: _Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    journal = engine.open()
    _, sent = _sent_care_communication(journal)
    never_sent = dataclasses.replace(sent, envelope_id="9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a")
    receipt = vans.receipt_for(never_sent, vans.VansReceiptKind.POSITIVE,
                               envelope_id="1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", sent=SENT)
    runs = _race(engine, journal, vans.build(receipt), monkeypatch)
    assert sum(r.refused for r in runs) == 1
    assert sum(r.duplicates for r in runs) == 1
    (refused,) = _answering(journal, "VANSReceipt")
    assert refused.status is Status.REFUSED
    assert journal.verify().intact

"""Journal: durable append throughput and lookup latency by CPR and forløbs-ID, per engine.

Floors, measured in the same run on the same disk or server: a bare INSERT + COMMIT of the
same bytes into a one-table database (SQLite in WAL with synchronous=FULL; PostgreSQL in
autocommit); for a person's lookup (audited: the journal commits an audit row with the
read) an indexed SELECT plus one such INSERT + COMMIT; for the adapter's own lookup (actor
``system``, not audited) the indexed SELECT alone. The journal is first filled to
``MEDCOM_BENCH_JOURNAL_ROWS`` messages (default 1,000,000) through its bulk path
(``append_many``), so lookups are measured at that size. PostgreSQL runs when
``MEDCOM_BENCH_POSTGRES_URL`` or ``MEDCOM_TEST_POSTGRES_URL`` names a server.
Targets: at least 500 durable appends per second on SQLite; lookups under 10 ms.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from benchmarks.schemas import own_schema
from medcom_adapter.journal.crypto import Keyring, new_key
from medcom_adapter.journal.db import Db
from medcom_adapter.journal.interface import Direction, NewMessage, Query, Status
from medcom_adapter.journal.sqlstore import SqlJournal
from medcom_adapter.model.identifiers import Cpr

ROWS = int(os.environ.get("MEDCOM_BENCH_JOURNAL_ROWS", "1000000"))
APPENDS = 300
LOOKUPS = 200
BATCH = 5000
APPEND_TARGET = 500.0
LOOKUP_TARGET_MS = 10.0
READER = "cli:caseworker"  # a person's reads are audited, the adapter's own are not
BODY = b"<Emessage>" + b"x" * 1000 + b"</Emessage>"  # between a receipt and a letter


def _cpr(n: int) -> Cpr:
    """The n-th of a run of made-up CPR numbers: born in the 1990s, serials 0000..3999."""
    born = date(1990, 1, 1) + timedelta(days=n % 3650)
    return Cpr(f"{born:%d%m%y}{n // 3650 % 4000:04d}")


def _message(n: int, episode: str) -> NewMessage:
    return NewMessage(Direction.OUTBOUND, "XREF01", "XH0131R", BODY, f"ENV{n:010d}",
                      f"LET{n:010d}", "5790000123456", "5790000654321",
                      patient=_cpr(n // 4), episode_id=episode)  # 4 messages a child, a course


def _fill(journal: SqlJournal, rows: int) -> tuple[float, list[str]]:
    """Rows per second through the bulk path, and the courses written."""
    episodes = []
    start = time.perf_counter()
    for first in range(0, rows, BATCH):
        batch = []
        for n in range(first, min(rows, first + BATCH)):
            if n % 4 == 0:
                episodes.append(str(uuid.UUID(int=random.getrandbits(128))))
            batch.append(_message(n, episodes[-1]))
        journal.append_many(batch, Status.ACKNOWLEDGED)
    return rows / (time.perf_counter() - start), episodes


def _paired(floor: Callable[[int], object], ours: Callable[[int], object],
            runs: int) -> tuple[float, float]:
    """Median seconds of each, sampled in turn, so that the disk's changing pace (fsync
    times vary several-fold on shared machines) weighs on both alike."""
    samples: tuple[list[float], list[float]] = ([], [])
    for i in range(runs):
        for fn, out in ((floor, samples[0]), (ours, samples[1])):
            start = time.perf_counter()
            fn(i)
            out.append(time.perf_counter() - start)
    return statistics.median(samples[0]), statistics.median(samples[1])


def _measure(journal: SqlJournal, bare: Db, rows: int) -> None:
    """``bare`` is a second, empty database of the same engine for the floors (the journal's
    own connection wrapper, so both sides pay the same driver costs)."""
    name = bare.dialect.name
    bare.script(f"CREATE TABLE t (id {bare.dialect.bigint} PRIMARY KEY, episode TEXT, "
                f"body {bare.dialect.blob})")
    bare.script("CREATE INDEX t_episode ON t (episode)")
    serial = iter(range(10**9))
    # Grow the floor's log once, as the fill grew the journal's: a log file that must grow
    # costs SQLite's fsync far more than one that is reused, and would flatter the journal.
    with bare.transaction(write=True):
        bare.run_many("INSERT INTO t VALUES (?, ?, ?)",
                      ((-n, "warm-up", BODY) for n in range(1, 5001)))
    bare.run("DELETE FROM t WHERE episode = 'warm-up'")

    def floor_insert(_: int) -> object:
        n = next(serial)
        return bare.run("INSERT INTO t VALUES (?, ?, ?)", (n, str(n), BODY))

    rate, episodes = _fill(journal, rows)
    print(f"== {name}: {rows:,} messages loaded by append_many at {rate:,.0f}/s")
    fresh = iter(range(rows, 10**9))
    floor, append = _paired(floor_insert, lambda i: journal.append(
        _message(next(fresh), episodes[0]), Status.QUEUED), APPENDS)
    floor10, grouped = _paired(floor_insert, lambda i: journal.append_many(
        [_message(next(fresh), episodes[0]) for _ in range(10)], Status.QUEUED), APPENDS // 3)
    grouped /= 10
    print(f"floor  bare insert+commit       {1 / floor:8,.0f}/s  (one fsync each: the disk's pace)")
    for label, seconds, base in (("journal.append (durable)", append, floor),
                                 ("append_many, 10/commit  ", grouped, floor10)):
        verdict = "met" if 1 / seconds >= APPEND_TARGET else "NOT met"
        print(f"ours   {label} {1 / seconds:8,.0f}/s  ratio {seconds / base:.2f}x"
              + (f"  (target >= {APPEND_TARGET:.0f}/s: {verdict})" if name == "sqlite" else ""))
    picks = random.Random(7)
    children = [Query(patient=_cpr(picks.randrange(rows // 4))) for _ in range(LOOKUPS)]
    courses = [Query(episode_id=picks.choice(episodes)) for _ in range(LOOKUPS)]

    def floor_select(i: int) -> object:
        return bare.rows("SELECT id, body FROM t WHERE episode = ?", (str(i),))

    def floor_audited(i: int) -> object:
        """An indexed SELECT plus one durable INSERT: a lookup and its audit row."""
        floor_insert(i)
        return floor_select(i)

    for label, chosen in (("by CPR", children), ("by forløbs-ID", courses)):
        assert all(journal.find(q) for q in chosen[:5]), f"lookup {label} found nothing"
        for actor, floor_of, what in ((READER, floor_audited, "SELECT + insert+commit"),
                                      ("system", floor_select, "SELECT")):
            def lookup(i: int, queries: list[Query] = chosen, actor: str = actor) -> object:
                return journal.find(queries[i], actor=actor)

            base, seconds = _paired(floor_of, lookup, LOOKUPS)
            verdict = "met" if seconds * 1000 < LOOKUP_TARGET_MS else "NOT met"
            audited = "audited read" if actor == READER else "the adapter's own, not audited"
            print(f"floor  {what:<26}{base * 1000:8.2f} ms  (a small table)")
            print(f"ours   find {label:<18} {seconds * 1000:8.2f} ms  ratio {seconds / base:.1f}x"
                  f"  (target < {LOOKUP_TARGET_MS:.0f} ms, {audited}: {verdict})")
    audited_rows = sum(1 for a in journal.audit_log() if a.actor == READER)
    assert audited_rows >= LOOKUPS * 2, "the audited lookups left no audit rows"


def _sqlite(folder: Path, keys: Keyring, rows: int) -> None:
    from medcom_adapter.journal.sqlite import SqliteDb

    bare = SqliteDb(folder / "floor.sqlite3")  # WAL, synchronous=FULL, like the journal
    journal = SqlJournal(SqliteDb(folder / "journal.sqlite3"), keys)
    try:
        _measure(journal, bare, rows)
    finally:
        journal.close()
        bare.close()


def _postgres(url: str, keys: Keyring, rows: int) -> None:
    from medcom_adapter.journal.postgres import PostgresDb

    with own_schema(url, "journal_bench") as journal_url, \
            own_schema(url, "journal_bench") as bare_url:
        bare = PostgresDb(bare_url)
        journal = SqlJournal(PostgresDb(journal_url), keys)
        try:
            _measure(journal, bare, rows)
        finally:
            journal.close()
            bare.close()


def main(rows: int = ROWS) -> None:
    keys = Keyring((new_key(),))
    with tempfile.TemporaryDirectory(dir=os.environ.get("MEDCOM_BENCH_DIR")) as folder:
        _sqlite(Path(folder), keys, rows)
    url = os.environ.get("MEDCOM_BENCH_POSTGRES_URL") or os.environ.get(
        "MEDCOM_TEST_POSTGRES_URL")
    if url:
        _postgres(url, keys, rows)
    else:
        print("== postgresql: skipped (set MEDCOM_BENCH_POSTGRES_URL=postgresql://...)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else ROWS)

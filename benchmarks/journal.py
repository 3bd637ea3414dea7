"""Journal: durable append throughput and lookup latency by CPR and forløbs-ID, per engine.

Floors, measured in the same run on the same disk or server: a bare INSERT + COMMIT of the
same bytes into a one-table database (sqlite3 in WAL with synchronous=FULL; psycopg in
autocommit), and a bare indexed SELECT. The journal is first filled to
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


def _median_seconds(fn: Callable[[int], object], runs: int) -> float:
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _measure(journal: SqlJournal, bare: Db, rows: int) -> None:
    """``bare`` is a second, empty database of the same engine for the floors (the journal's
    own connection wrapper, so both sides pay the same driver costs)."""
    name = bare.dialect.name
    bare.script(f"CREATE TABLE t (id {bare.dialect.bigint} PRIMARY KEY, episode TEXT, "
                f"body {bare.dialect.blob})")
    bare.script("CREATE INDEX t_episode ON t (episode)")

    def floor_insert(i: int) -> object:
        return bare.run("INSERT INTO t VALUES (?, ?, ?)", (i, str(i), BODY))

    def floor_select(episode: str) -> object:
        return bare.rows("SELECT id, body FROM t WHERE episode = ?", (episode,))

    rate, episodes = _fill(journal, rows)
    print(f"== {name}: {rows:,} messages loaded by append_many at {rate:,.0f}/s")
    floor = _median_seconds(floor_insert, APPENDS)
    append = _median_seconds(
        lambda i: journal.append(_message(rows + i, episodes[0]), Status.QUEUED), APPENDS)
    grouped = _median_seconds(lambda i: journal.append_many(
        [_message(rows + APPENDS + 10 * i + k, episodes[0]) for k in range(10)],
        Status.QUEUED), APPENDS // 10) / 10
    floor = min(floor, _median_seconds(lambda i: floor_insert(APPENDS + i), APPENDS))

    def target(seconds: float) -> str:
        verdict = "met" if 1 / seconds >= APPEND_TARGET else "NOT met"
        return f"  (target >= {APPEND_TARGET:.0f}/s: {verdict})" if name == "sqlite" else ""

    print(f"floor  bare insert+commit       {1 / floor:8,.0f}/s  (one fsync each: the disk's pace)")
    print(f"ours   journal.append (durable) {1 / append:8,.0f}/s  ratio {append / floor:.1f}x"
          + target(append))
    print(f"ours   append_many, 10/commit   {1 / grouped:8,.0f}/s  ratio {grouped / floor:.2f}x"
          + target(grouped))
    picks = random.Random(7)
    children = [str(_cpr(picks.randrange(rows // 4))) for _ in range(LOOKUPS)]
    courses = [picks.choice(episodes) for _ in range(LOOKUPS)]
    select = _median_seconds(lambda i: floor_select(courses[i]), LOOKUPS)
    print(f"floor  indexed SELECT, bare     {select * 1000:8.2f} ms  (a small table)")
    queries = {"by CPR": [Query(patient=Cpr(c)) for c in children],
               "by forløbs-ID": [Query(episode_id=e) for e in courses]}
    for label, chosen in queries.items():
        assert all(journal.find(q) for q in chosen[:5]), f"lookup {label} found nothing"
        seconds = _median_seconds(lambda i, chosen=chosen: journal.find(chosen[i]), LOOKUPS)
        verdict = "met" if seconds * 1000 < LOOKUP_TARGET_MS else "NOT met"
        print(f"ours   find {label:<18} {seconds * 1000:8.2f} ms  ratio {seconds / select:.1f}x  "
              f"(target < {LOOKUP_TARGET_MS:.0f} ms, audited read: {verdict})")


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
    import psycopg

    from medcom_adapter.journal.postgres import PostgresDb

    schemas = [f"journal_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with psycopg.connect(url, autocommit=True) as admin:
        for schema in schemas:
            admin.execute(f"CREATE SCHEMA {schema}")
    journal_url, bare_url = (f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{s}"
                             for s in schemas)
    bare = PostgresDb(bare_url)
    journal = SqlJournal(PostgresDb(journal_url), keys)
    try:
        _measure(journal, bare, rows)
    finally:
        journal.close()
        bare.close()
        with psycopg.connect(url, autocommit=True) as admin:
            for schema in schemas:
                admin.execute(f"DROP SCHEMA {schema} CASCADE")


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

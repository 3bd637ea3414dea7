"""Writers to one SQLite file in one process: several connections committing at once.

``serve`` writes to its journal from more than one connection in one process (the case
system's requests on one, the worker loop on its own). Measured: three connections, each
on its own thread, committing a 216 KB row (a referral's size in the journal) per write
transaction, ordered by the file's writer lock (:mod:`medcom_adapter.journal.writer_lock`).
Floor, in the same run: the same writers each with a lock of its own, so that SQLite's busy
handler orders them (a writer that finds the file locked sleeps 1, 2, 5, ... 100 ms between
tries). Reported: commits per second, and each commit's time from asking to committed
(p50, p99, the longest). No target: the figure says what the lock is for.
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import threading
import time
from pathlib import Path

from medcom_adapter.journal.sqlite import SqliteDb
from medcom_adapter.journal.writer_lock import Turns

WRITERS = 3
COMMITS = 200  # per writer
ROW = 216 * 1024
ROUNDS = 3  # each shape in turn, so a busy machine slows both alike


def _round(folder: Path, ordered: bool) -> tuple[float, list[float]]:
    """Commits a second and each commit's seconds, ``WRITERS`` connections at once."""
    path = folder / f"{'ordered' if ordered else 'polling'}-{time.monotonic_ns()}.sqlite3"
    dbs = [SqliteDb(path) for _ in range(WRITERS)]
    dbs[0].script("CREATE TABLE bodies (id INTEGER PRIMARY KEY, data BLOB)")
    if not ordered:
        for db in dbs:
            db._writer = Turns()  # the floor: each connection a lock of its own
    data = os.urandom(ROW)
    took: list[float] = []
    gate = threading.Barrier(WRITERS + 1)

    def write(db: SqliteDb) -> None:
        gate.wait()
        for _ in range(COMMITS):
            start = time.perf_counter()
            with db.transaction(write=True):
                db.run("INSERT INTO bodies (data) VALUES (?)", (data,))
            took.append(time.perf_counter() - start)

    threads = [threading.Thread(target=write, args=(db,)) for db in dbs]
    for thread in threads:
        thread.start()
    gate.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    rate = WRITERS * COMMITS / (time.perf_counter() - start)
    for db in dbs:
        db.close()
    return rate, took


def _figures(rate: float, took: list[float]) -> str:
    q = statistics.quantiles(took, n=100, method="inclusive")
    return (f"{rate:6,.0f} commits/s  p50 {q[49] * 1e3:6.2f} ms  p99 {q[98] * 1e3:6.2f} ms  "
            f"longest {max(took) * 1e3:6.1f} ms")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        shapes: dict[bool, tuple[list[float], list[float]]] = {True: ([], []),
                                                               False: ([], [])}
        for _ in range(ROUNDS):
            for locked in (False, True):
                rate, took = _round(Path(folder), locked)
                shapes[locked][0].append(rate)
                shapes[locked][1].extend(took)
    print(f"== writers to one SQLite file in one process  ({platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} cpu, {WRITERS} connections, "
          f"{ROW // 1024} KB a commit, synced, {ROUNDS} rounds of {COMMITS} each)")
    (polled, polling), (rate, ordered) = ((statistics.median(r), t) for r, t in
                                          (shapes[False], shapes[True]))
    print(f"floor  SQLite's busy handler  {_figures(polled, polling)}")
    print(f"ours   the file's writer lock {_figures(rate, ordered)}  "
          f"throughput ratio {rate / polled:.2f}x")


if __name__ == "__main__":
    main()

"""``make soak``: the fault-injection campaign, long. Prints one line per campaign and a
dated summary line (the one the README quotes).

``python -m tests.workers.soak [--runs N] [--workers 1,3] [--engines sqlite,postgresql]
[--rounds R] [--seed S]``: N runs (kill rounds) for each worker count and engine, in
campaigns of R rounds each (a fresh workload each, drained and counted). PostgreSQL runs
when ``MEDCOM_TEST_POSTGRES_URL`` names a server, each campaign in a schema of its own.
Exits 1 unless every count of a fault is 0.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

from tests.workers.campaign import Tally, Workload, campaign

# more of each than the suite's campaign: more files in flight at every kill
SOAK_WORKLOAD = Workload(kms=4, care_communications=3, referrals=2, letters=15)


def _postgres(base: str) -> tuple[str, str]:
    import psycopg

    schema = f"soak_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options=-csearch_path%3D{schema}", schema


def _drop(base: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("SOAK_RUNS", 200)))
    parser.add_argument("--workers", default=os.environ.get("SOAK_WORKERS", "1,3"))
    parser.add_argument("--engines", default=os.environ.get("SOAK_ENGINES",
                                                            "sqlite,postgresql"))
    parser.add_argument("--rounds", type=int, default=25, help="runs per campaign")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SOAK_SEED", 1)))
    args = parser.parse_args(argv)
    base = os.environ.get("MEDCOM_TEST_POSTGRES_URL")
    total = Tally()
    configurations = []
    for engine in args.engines.split(","):
        if engine == "postgresql" and not base:
            print("postgresql: skipped (set MEDCOM_TEST_POSTGRES_URL)", flush=True)
            continue
        configurations += [(engine, int(w)) for w in args.workers.split(",")]
    seed = args.seed
    for engine, workers in configurations:
        done = 0
        while done < args.runs:
            rounds = min(args.rounds, args.runs - done)
            with tempfile.TemporaryDirectory(prefix="medcom-soak-") as folder:
                root = Path(folder)
                schema = None
                if engine == "postgresql":
                    assert base is not None
                    url, schema = _postgres(base)
                else:
                    url = f"sqlite:///{root / 'journal.sqlite3'}"
                try:
                    tally = campaign(root / "campaign", url, workers=workers, rounds=rounds,
                                     seed=seed, workload=SOAK_WORKLOAD)
                finally:
                    if schema is not None:
                        assert base is not None
                        _drop(base, schema)
            seed += 1
            done += rounds
            total.add(tally)
            print(f"{engine}, {workers} worker(s): {tally.line()}", flush=True)
            for problem in tally.problems:
                print(f"  {problem[:500]}", flush=True)
    engines = ", ".join(sorted({e for e, _ in configurations}))
    counts = ", ".join(sorted({str(w) for _, w in configurations}))
    print(f"soak {datetime.now(UTC):%Y-%m-%d}: {engines}; {counts} workers: {total.line()}",
          flush=True)
    return 0 if total.clean else 1


if __name__ == "__main__":
    sys.exit(main())

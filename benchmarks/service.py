"""Service: create-and-send a referral over loopback HTTP, against the same flow in-process.

Floor: the in-process flow the API handler runs (the referral with its PDF form through
``service.forms``: build and validate XREF01 + its binary, append to the journal as
queued), called directly.
Measured: ``POST /api/referrals`` to uvicorn on 127.0.0.1, started as ``serve`` starts it
(its HTTP protocol, its heap settled), from clients in a separate process (so that the
clients' own work does not run on the server's interpreter), each client on its own
keep-alive connection: one client, then 20 at once. Every client first sends a few
unmeasured requests (connection set up, code paths warm), and the measured requests start
together. On an in-memory journal (the service's own cost), then on the SQLite journal
``serve`` opens by default, where each answer waits for its durable commit, and on
PostgreSQL where ``MEDCOM_BENCH_POSTGRES_URL`` (or ``MEDCOM_TEST_POSTGRES_URL``) names a
server (a schema of its own).
Reported: requests per second, p50 and p99 latency.
Target: under 20 concurrent clients, p99 at most 3x p50 (no request waits behind a
convoy of others), on either journal.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from benchmarks.schemas import own_schema
from medcom_adapter.journal.factory import DATA_DIR_ENV, open_journal
from medcom_adapter.journal.interface import Journal
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.journal.shared import Unit
from medcom_adapter.service import Settings, create_app, forms
from medcom_adapter.service.apikeys import ApiKeys
from medcom_adapter.service.context import Kind, LaunchContext
from medcom_adapter.service.heap import settle
from medcom_adapter.service.server import protocol
from tests.service.conftest import BUP, CONTEXT, PDF
from tests.service.live import serving

REQUESTS = 400  # measured requests per measurement, shared among the clients
WARM_UP = 3  # unmeasured requests per client before the measured ones
CONCURRENT = 20
TARGET = 3.0  # p99 / p50 under CONCURRENT clients


def _quantile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def _in_process(settings: Settings) -> list[float]:
    journal = MemoryJournal()
    p, u, w = CONTEXT["patient"], CONTEXT["unit"], CONTEXT["worker"]
    ctx = LaunchContext(p["cpr"], p["given_name"], p["surname"], u["sor"], u["ean"], w["name"],
                        CONTEXT["episode_id"], Kind.REFERRAL, "bench", u["name"], w["title"],
                        w["phone"], unit_street=u["address"]["street"],
                        unit_postcode=u["address"]["postcode"],
                        unit_district=u["address"]["district"], unit_speciality=u["speciality"])
    fields = forms.ReferralFields(
        BUP, "Angst og skolevægring", classes=(forms.REFERRAL_CLASS,),
        form=forms.Upload("Henvisningsskema", "application/pdf", PDF))
    samples = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        out = forms.referral(settings.directory, ctx, fields, now=datetime.now(UTC))
        out.prepared.queue(journal, actor="api-key:bench")
        samples.append(time.perf_counter() - start)
    return samples


def _over_http(base: str, key: str, body: dict[str, object],
               clients: int) -> tuple[float, list[float]]:
    """Requests per second and each request's latency, from a client process of its own."""
    job = json.dumps({"base": base, "key": key, "body": body, "clients": clients})
    done = subprocess.run([sys.executable, "-m", "benchmarks.service", "--clients"],
                          input=job, capture_output=True, text=True, check=True,
                          timeout=600)
    out = json.loads(done.stdout)
    return out["rate"], out["samples"]


async def _clients(base: str, key: str, body: dict[str, object], clients: int) -> dict[str, Any]:
    import httpx

    per_client = REQUESTS // clients
    go = asyncio.Event()
    ready = 0

    async def client() -> list[float]:
        nonlocal ready
        out = []
        async with httpx.AsyncClient(base_url=base, timeout=120,
                                     headers={"Authorization": f"Bearer {key}"}) as http:
            for n in range(WARM_UP + per_client):
                if n == WARM_UP:
                    ready += 1
                    if ready == clients:
                        go.set()
                    await go.wait()
                start = time.perf_counter()
                response = await http.post("/api/referrals", json=body)
                if n >= WARM_UP:
                    out.append(time.perf_counter() - start)
                assert response.status_code == 201, response.text
        return out

    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    await go.wait()
    start = time.perf_counter()
    samples = [s for chunk in await asyncio.gather(*tasks) for s in chunk]
    return {"rate": len(samples) / (time.perf_counter() - start), "samples": samples}


def _served(journal: Journal, settings: Settings, body: dict[str, object]
            ) -> tuple[tuple[float, list[float]], tuple[float, list[float]]]:
    """One client, then CONCURRENT, against ``serve``'s application on ``journal``."""
    unit = Unit(CONTEXT["unit"]["sor"], CONTEXT["unit"]["ean"])
    key = ApiKeys(journal.shared).add("bench", (unit,), ("send",))[1]
    app = create_app(journal, settings)
    settle()  # as serve does before it serves
    try:
        with serving(app, http=protocol()) as base:
            return _over_http(base, key, body, 1), _over_http(base, key, body, CONCURRENT)
    finally:
        gc.unfreeze()  # the benchmarks after this one run in this process
        journal.close()


@contextmanager
def _postgres(url: str) -> Iterator[Journal]:
    """A PostgreSQL journal in a schema of its own, dropped afterwards."""
    with own_schema(url, "service_bench") as in_schema:
        yield open_journal(in_schema)


def main() -> None:
    settings = Settings()
    body = {**CONTEXT, "receiver_sor": BUP, "reason": "Angst og skolevægring",
            "form": {"title": "Henvisningsskema", "data_base64": base64.b64encode(PDF).decode()}}
    _in_process(settings)  # warm-up: schemas compiled, code paths loaded
    floor = _in_process(settings)
    floor_rate = len(floor) / sum(floor)
    runs = [("memory journal", _served(MemoryJournal(), settings, body))]
    with tempfile.TemporaryDirectory() as data:
        sqlite = open_journal(f"sqlite:///{data}/journal.sqlite3", env={DATA_DIR_ENV: data})
        runs.append(("SQLite journal", _served(sqlite, settings, body)))
    url = os.environ.get("MEDCOM_BENCH_POSTGRES_URL") or os.environ.get(
        "MEDCOM_TEST_POSTGRES_URL")
    if url:
        with _postgres(url) as postgres:
            runs.append(("PostgreSQL journal", _served(postgres, settings, body)))
    print(f"== service create-and-send  ({platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} cpu, {REQUESTS} requests each, "
          f"PDF {len(PDF)} bytes, clients in their own process)")
    print(f"floor  in-process compose+validate+journal  {floor_rate:,.0f}/s  "
          f"p50 {_quantile(floor, 50) * 1e3:.1f} ms  p99 {_quantile(floor, 99) * 1e3:.1f} ms")
    for journal, ((one_rate, one), (many_rate, many)) in runs:
        for label, rate, samples in ((f"{journal}, 1 client ", one_rate, one),
                                     (f"{journal}, {CONCURRENT} clients", many_rate, many)):
            p50, p99 = _quantile(samples, 50), _quantile(samples, 99)
            line = (f"ours   HTTP loopback, {label}  {rate:,.0f}/s  p50 {p50 * 1e3:.1f} ms  "
                    f"p99 {p99 * 1e3:.1f} ms  (p99 {p99 / p50:.1f}x p50)  "
                    f"throughput ratio {floor_rate / rate:.2f}x")
            if samples is many:
                verdict = "met" if p99 <= TARGET * p50 else "NOT met"
                line += f"  (target p99 <= {TARGET:.0f}x p50: {verdict})"
            print(line)
    if not url:
        print("PostgreSQL: skipped (set MEDCOM_BENCH_POSTGRES_URL=postgresql://...)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--clients"]:
        job = json.load(sys.stdin)
        print(json.dumps(asyncio.run(_clients(job["base"], job["key"], job["body"],
                                              job["clients"]))))
    else:
        main()

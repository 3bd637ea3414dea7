"""Service overhead: create-and-send a referral over loopback HTTP against the same flow in-process.

Floor: the in-process flow the API handler runs (the referral with its PDF form through
``workers.submit``: build and validate XREF01 + its binary, append to the journal as
queued), called directly.
Measured: ``POST /api/referrals`` to uvicorn on 127.0.0.1, one keep-alive client at a time
and four in parallel, over a bounded number of requests; requests per second and p99
latency. The ratio floor/HTTP shows what the service layer (HTTP, JSON, base64, auth) costs.
"""

from __future__ import annotations

import base64
import os
import platform
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx

from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.journal.shared import Unit
from medcom_adapter.service import Settings, create_app, forms
from medcom_adapter.service.apikeys import ApiKeys
from medcom_adapter.service.context import Kind, LaunchContext
from tests.service.conftest import BUP, CONTEXT, PDF
from tests.service.live import serving

REQUESTS = 400  # per measurement: bounded in count, so the run stops by itself
PARALLEL = 4


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98]


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
        out.prepared.queue(journal, actor="bench")
        samples.append(time.perf_counter() - start)
    return samples


def _over_http(base: str, key: str, body: dict[str, object],
               parallel: int) -> tuple[float, list[float]]:
    headers = {"Authorization": f"Bearer {key}"}
    per_worker = REQUESTS // parallel

    def worker(_: int) -> list[float]:
        out = []
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for _ in range(per_worker):
                start = time.perf_counter()
                response = client.post("/api/referrals", json=body)
                out.append(time.perf_counter() - start)
                assert response.status_code == 201, response.text
        return out

    start = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        samples = [s for chunk in pool.map(worker, range(parallel)) for s in chunk]
    return len(samples) / (time.perf_counter() - start), samples


def main() -> None:
    settings = Settings()
    served = MemoryJournal()
    unit = Unit(CONTEXT["unit"]["sor"], CONTEXT["unit"]["ean"])
    key = ApiKeys(served.shared).add("bench", (unit,), ("send",))[1]
    body = {**CONTEXT, "receiver_sor": BUP, "reason": "Angst og skolevægring",
            "form": {"title": "Henvisningsskema", "data_base64": base64.b64encode(PDF).decode()}}
    _in_process(settings)  # warm-up: schemas compiled, code paths loaded
    floor = _in_process(settings)
    floor_rate = len(floor) / sum(floor)
    with serving(create_app(served, settings)) as base:
        _over_http(base, key, body, 1)  # warm-up
        one_rate, one = _over_http(base, key, body, 1)
        many_rate, many = _over_http(base, key, body, PARALLEL)
    print(f"== service create-and-send  ({platform.python_implementation()} "
          f"{platform.python_version()}, {os.cpu_count()} cpu, {REQUESTS} requests each, "
          f"PDF {len(PDF)} bytes)")
    print(f"floor  in-process compose+validate+journal  {floor_rate:,.0f}/s  "
          f"p99 {_p99(floor) * 1e3:.1f} ms")
    print(f"ours   HTTP loopback, 1 client              {one_rate:,.0f}/s  "
          f"p99 {_p99(one) * 1e3:.1f} ms  ratio {floor_rate / one_rate:.2f}x")
    print(f"ours   HTTP loopback, {PARALLEL} clients             {many_rate:,.0f}/s  "
          f"p99 {_p99(many) * 1e3:.1f} ms  ratio {floor_rate / many_rate:.2f}x")


if __name__ == "__main__":
    main()

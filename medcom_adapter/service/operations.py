"""For the operator: ``/healthz``, ``/readyz`` and ``/metrics`` (Prometheus).

The figures come from the journal, not from this process's memory, so every ``serve``
process on one journal reports the same numbers, a restart loses none, and what the
workers of another process did is counted too. They are read when Prometheus scrapes
(grouped counts, no message bodies, nothing about a patient):

- ``medcom_queue_depth{kind}``: outbound messages waiting to be sent;
- ``medcom_messages{direction,kind,status}``: messages by current status;
- ``medcom_negative_receipts_total{kind}``: our messages a negative receipt or a refusing
  Acknowledgement answered; ``medcom_timeouts_total{kind}``: our messages whose answer did
  not come in time; ``medcom_resends_total{kind}``: resends;
- ``medcom_inbox_quarantine{kind}``: received messages refused (answered negatively, kept
  in the journal, never delivered to the case system);
- ``medcom_time_to_receipt_seconds{kind}``: from sent to the first receipt or
  Acknowledgement, positive or negative.

``/healthz`` says the process answers; ``/readyz`` that it can work: the journal answers
and, where this process runs workers, they are running. Neither needs a key (load
balancers call them); neither says more than ok or not.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from medcom_adapter.journal.interface import Direction, Journal, Query, Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.journal.sqlstore import SqlJournal

router = APIRouter(include_in_schema=False)
# seconds: MedCom's receipt deadlines are hours; the sandbox answers within a second
BUCKETS = (1.0, 10.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 24 * 3600.0)
ANSWERED = (Status.ACKNOWLEDGED, Status.REJECTED)


@dataclass(slots=True)
class Figures:
    current: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    changes: Counter[tuple[str, str]] = field(default_factory=Counter)  # outbound kind, status
    receipt_seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def figures(journal: Journal) -> Figures:
    if isinstance(journal, SqlJournal):
        return _sql_figures(journal)
    return _memory_figures(journal)


def _sql_figures(journal: SqlJournal) -> Figures:
    result = Figures()
    db = journal.db
    with db.transaction(write=False):
        for direction, kind, status, n in db.rows(
                "SELECT m.direction, m.kind, s.status, COUNT(*) FROM messages m "
                "JOIN message_state s ON s.message = m.id GROUP BY m.direction, m.kind, s.status"):
            result.current[(direction, kind, status)] = int(n)
        history = db.rows(
            "SELECT h.message, m.kind, h.status, h.at FROM status_history h "
            "JOIN messages m ON m.id = h.message WHERE m.direction = ? ORDER BY h.id",
            (Direction.OUTBOUND.value,))
    _changes(result, ((id, kind, Status(status), datetime.fromisoformat(at))
                      for id, kind, status, at in history))
    return result


def _memory_figures(journal: Journal) -> Figures:
    result = Figures()
    found = journal.find(Query())
    for m in found:
        result.current[(m.message.direction.value, m.message.kind, m.status.value)] += 1
    _changes(result, ((m.id, m.message.kind, h.status, h.at) for m in found
                      if m.message.direction is Direction.OUTBOUND for h in m.history))
    return result


def _changes(result: Figures, history: Iterator[tuple[int, str, Status, datetime]]) -> None:
    sent: dict[int, datetime] = {}
    for id, kind, status, at in history:
        result.changes[(kind, status.value)] += 1
        if status is Status.SENT:
            sent.setdefault(id, at)
        elif status in ANSWERED and id in sent:
            result.receipt_seconds[kind].append((at - sent.pop(id)).total_seconds())


class JournalCollector(Collector):
    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def collect(self) -> Iterator[Any]:
        f = figures(self.journal)
        queue = GaugeMetricFamily("medcom_queue_depth", "Outbound messages waiting to be sent",
                                  labels=["kind"])
        messages = GaugeMetricFamily("medcom_messages", "Messages by current status",
                                     labels=["direction", "kind", "status"])
        quarantine = GaugeMetricFamily(
            "medcom_inbox_quarantine", "Received messages refused and kept, never delivered",
            labels=["kind"])
        for (direction, kind, status), n in sorted(f.current.items()):
            messages.add_metric([direction, kind, status], n)
            if direction == Direction.OUTBOUND.value and status == Status.QUEUED.value:
                queue.add_metric([kind], n)
            if direction == Direction.INBOUND.value and status == Status.REFUSED.value:
                quarantine.add_metric([kind], n)
        yield from (queue, messages, quarantine)
        for name, status, text in (
                ("medcom_negative_receipts", Status.REJECTED, "Our messages answered negatively"),
                ("medcom_timeouts", Status.TIMED_OUT, "Our messages not answered in time"),
                ("medcom_resends", Status.RESENT, "Our messages sent again")):
            counter = CounterMetricFamily(name, text, labels=["kind"])
            for (kind, changed), n in sorted(f.changes.items()):
                if changed == status.value:
                    counter.add_metric([kind], n)
            yield counter
        receipt = HistogramMetricFamily(
            "medcom_time_to_receipt_seconds", "From sent to the first answer (receipt or "
            "Acknowledgement)", labels=["kind"])
        for kind, seconds in sorted(f.receipt_seconds.items()):
            receipt.add_metric([kind], _buckets(seconds), sum_value=sum(seconds))
        yield receipt


def _buckets(seconds: Sequence[float]) -> list[tuple[str, float]]:
    cumulative = [(str(bound), float(sum(1 for s in seconds if s <= bound)))
                  for bound in BUCKETS]
    return [*cumulative, ("+Inf", float(len(seconds)))]


def registry(journal: Journal) -> CollectorRegistry:
    """A registry of the journal's figures (one per application, not the global one)."""
    result = CollectorRegistry(auto_describe=False)
    result.register(JournalCollector(journal))
    return result


def journal_answers(journal: Journal) -> bool:
    try:
        if isinstance(journal, SqlJournal):
            journal.db.rows("SELECT 1")
        elif not isinstance(journal, MemoryJournal):
            journal.find(Query(episode_id="readiness-probe"))
    except Exception:  # whatever the driver raises, the answer is "not ready"
        return False
    return True


@router.get("/healthz")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    from medcom_adapter.service.state import state

    checks = {"journal": "ok" if journal_answers(state(request).journal) else "unavailable"}
    workers = getattr(request.app.state, "workers", None)
    if workers is not None:
        checks["workers"] = "ok" if workers.running else "stopped"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                        status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics),
                    media_type="text/plain; version=0.0.4; charset=utf-8")

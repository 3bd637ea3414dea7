"""/metrics reads its figures from the journal: the same on every engine, exactly counted."""

from __future__ import annotations

import dataclasses

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from medcom_adapter.journal.interface import Journal, Status
from medcom_adapter.service.operations import figures, journal_answers, registry
from tests.journal.conftest import Clock
from tests.journal.samples import receipt, referral


def _fill(journal: Journal, clock: Clock) -> None:
    waiting = journal.append(referral(1), Status.QUEUED)
    assert waiting
    acked = journal.append(referral(2), Status.QUEUED)
    journal.set_status(acked, Status.SENT)
    clock.advance(seconds=90)
    journal.set_status(acked, Status.ACKNOWLEDGED)
    refused = journal.append(referral(3), Status.QUEUED)
    journal.set_status(refused, Status.SENT)
    clock.advance(seconds=30)
    journal.set_status(refused, Status.REJECTED, reason="ukendt lokationsnummer")
    late = journal.append(referral(4), Status.QUEUED)
    journal.set_status(late, Status.SENT)
    journal.set_status(late, Status.TIMED_OUT)
    journal.set_status(late, Status.RESENT)
    bad = journal.append(dataclasses.replace(receipt(acked), answers=None), Status.RECEIVED)
    journal.set_status(bad, Status.REFUSED, reason="syntaksfejl")


def test_figures_count_each_event_once(journal: Journal, clock: Clock) -> None:
    _fill(journal, clock)
    f = figures(journal)
    assert f.current[("outbound", "XREF01", "queued")] == 1
    assert f.current[("outbound", "XREF01", "acknowledged")] == 1
    assert f.current[("inbound", "XCTL01", "refused")] == 1
    assert f.changes[("XREF01", "rejected")] == 1
    assert f.changes[("XREF01", "timed_out")] == 1
    assert f.changes[("XREF01", "resent")] == 1
    assert sorted(f.receipt_seconds["XREF01"]) == [30.0, 90.0]


def test_metrics_in_the_exposition_format(journal: Journal, clock: Clock) -> None:
    _fill(journal, clock)
    text = generate_latest(registry(journal)).decode()
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    kind = (("kind", "XREF01"),)
    assert samples[("medcom_queue_depth", kind)] == 1
    assert samples[("medcom_negative_receipts_total", kind)] == 1
    assert samples[("medcom_timeouts_total", kind)] == 1
    assert samples[("medcom_resends_total", kind)] == 1
    assert samples[("medcom_inbox_quarantine", (("kind", "XCTL01"),))] == 1
    assert samples[("medcom_time_to_receipt_seconds_count", kind)] == 2
    assert samples[("medcom_time_to_receipt_seconds_sum", kind)] == 120
    assert samples[("medcom_time_to_receipt_seconds_bucket", (*kind, ("le", "60.0")))] == 1
    assert samples[("medcom_time_to_receipt_seconds_bucket", (*kind, ("le", "300.0")))] == 2
    assert "0201909309" not in text  # counts only, never a patient


def test_an_open_journal_answers_the_readiness_probe(journal: Journal) -> None:
    assert journal_answers(journal)

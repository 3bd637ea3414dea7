"""Every hostile input gets its typed error and, inbound, the right answer, within bounds."""

from __future__ import annotations

import time
import tracemalloc
from datetime import UTC, datetime

import pytest

from medcom_adapter.detect import Syntax, check, sniff
from medcom_adapter.errors import MedComError
from medcom_adapter.fhir import wire
from medcom_adapter.fhir.acknowledging import answer as acknowledge
from medcom_adapter.fhir.validate import validate_message
from medcom_adapter.oioxml.receipting import answer as receipt_for
from tests.hostile.catalogue import CASES, Case

NOW = datetime(2026, 11, 30, 10, 0)
SECONDS = 5  # a bound on work for any single input, not a speed measurement
EXTRA_MEMORY = 64 * 1024 * 1024  # beyond the input itself


def _is_fhir(data: bytes) -> bool:
    try:
        return sniff(data) is Syntax.FHIR_JSON or b"hl7.org/fhir" in data[:2048]
    except MedComError:
        return False


def outcome(data: bytes) -> str | None:
    """What goes back to the sender: refuse code, "positive", ack code, or None."""
    if _is_fhir(data):
        try:
            bundle, _ = wire.load(data)
        except MedComError as exc:
            ack = acknowledge(None, (exc,), now=NOW.replace(tzinfo=UTC)).ack
        else:
            problems = tuple(validate_message(bundle))
            ack = acknowledge(bundle, problems, now=NOW.replace(tzinfo=UTC)).ack
        return ack.code.value if ack else None
    result = receipt_for(data, now=NOW)
    if result.receipt is None:
        return None
    (letter,) = result.receipt.letters
    refusal = getattr(letter, "refusal", None)
    return refusal.code.value if refusal and refusal.code else "positive"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_input_gets_its_error_and_answer(case: Case) -> None:
    data = case.make()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        report = check(data)
        answered = outcome(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < SECONDS
    assert peak < len(data) + EXTRA_MEMORY
    assert report.issues, "a hostile input must be reported"
    assert report.issues[0].code == case.code, report.issues[0]
    assert answered == case.answer


def test_no_answer_case_is_one_that_cannot_be_addressed() -> None:
    # a refusal without a receipt is only acceptable when there is nobody to send it to
    for case in CASES:
        if case.answer is None:
            assert case.code in {"remote.unsafe", "remote.too-large", "remote.malformed",
                                 "fhir.entry-count"}, case.name

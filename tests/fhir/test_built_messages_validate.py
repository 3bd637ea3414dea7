"""Everything we write as FHIR passes our MedCom profile validation."""

from __future__ import annotations

import glob
import json
import os
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from medcom_adapter.errors import Issue
from medcom_adapter.fhir import acknowledgement, carecommunication
from medcom_adapter.fhir.acknowledging import answer
from medcom_adapter.fhir.threads import forward, reply, resend
from medcom_adapter.fhir.validate import validate_message
from tests.conftest import OFFICIAL
from tests.fhir.test_threads import DOCTOR, OTHER, first

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone(timedelta(hours=1)))
CARE = sorted(
    glob.glob(str(OFFICIAL / "fhir" / "carecommunication-5.0.2" / "Bundle-*.json"))
    + glob.glob(str(OFFICIAL / "fhir" / "send-examples" / "*.json"))
)


def errors(bundle: dict[str, Any]) -> list[Issue]:
    return [i for i in validate_message(bundle) if not i.warning]


@pytest.mark.parametrize("path", CARE, ids=os.path.basename)
def test_rewritten_examples_validate(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        original = json.load(handle)
    rewritten = carecommunication.to_bundle(carecommunication.from_bundle(original))
    assert errors(rewritten) == []
    ack = answer(original, now=NOW).ack
    assert ack is not None
    assert errors(acknowledgement.to_bundle(ack)) == []


def test_thread_messages_validate() -> None:
    new = first()
    answered = reply(new, text="Tak.", author=DOCTOR, phone="44527000", now=NOW)
    onward = forward(
        answered, to=OTHER, text="Til orientering.", author=DOCTOR, phone="44527000", now=NOW
    )
    for message in (new, answered, onward, resend(new, now=NOW)):
        assert errors(carecommunication.to_bundle(message)) == []


def test_fatal_error_ack_validates() -> None:
    new = carecommunication.to_bundle(first())
    ack = answer(new, [Issue("cc-5", "priority without referral", "Communication")], now=NOW).ack
    assert ack is not None
    assert errors(acknowledgement.to_bundle(ack)) == []

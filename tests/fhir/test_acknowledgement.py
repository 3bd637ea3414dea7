"""Acknowledgements: MedCom's examples read and write back; the ack owed for a message."""

from __future__ import annotations

import glob
import json
import os
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from medcom_adapter.errors import InconsistentMessage, Issue, MedComError
from medcom_adapter.fhir.acknowledgement import from_bundle, to_bundle
from medcom_adapter.fhir.acknowledging import answer
from medcom_adapter.fhir.carecommunication import from_bundle as read_cc
from medcom_adapter.model.acknowledgement import AckCode
from tests.conftest import OFFICIAL, official

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone(timedelta(hours=1)))
ACKS = [p for p in sorted(glob.glob(str(OFFICIAL / "fhir" / "acknowledgement-2.0.3" / "*.json")))
        if "Bundle-" in p and "eb26be85" not in p]  # eb26be85 is a messaging example, no ack
CARE = sorted(glob.glob(str(OFFICIAL / "fhir" / "carecommunication-5.0.2" / "Bundle-*.json")))



def official_files(found: list[str]) -> list[str]:
    """``found``, or a clean skip when MedCom's examples are not beside the checkout."""
    if not found:
        pytest.skip("MedCom's example Bundles are not in ../shared/medcom-official")
    return found

def load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def test_examples_present() -> None:
    official("fhir", "acknowledgement-2.0.3")
    assert len(ACKS) == 3 and CARE


@pytest.mark.parametrize("path", ACKS, ids=os.path.basename)
def test_ack_example_reads_and_writes_back(path: str) -> None:
    ack = from_bundle(load(path))
    assert from_bundle(to_bundle(ack)) == ack
    assert [e.activity for e in ack.history][-1] == "acknowledgement"


def test_error_ack_example_names_the_medcom_code() -> None:
    fatal = next(from_bundle(load(p)) for p in official_files(ACKS) if "bc9535ef" in p)
    assert fatal.code is AckCode.FATAL_ERROR
    assert fatal.issues[0].details is not None
    assert fatal.issues[0].details.code == "MSG_VALUESET_VALUE_UNKNOWN"


@pytest.mark.parametrize("path", CARE, ids=os.path.basename)
def test_valid_message_gets_ok_from_its_receiver(path: str) -> None:
    bundle = load(path)
    message = read_cc(bundle)
    result = answer(bundle, now=NOW)
    assert result.ack is not None
    ack = result.ack
    assert ack.code is AckCode.OK and not ack.issues
    assert ack.acknowledged_id == message.message_id
    assert (ack.sender, ack.receiver) == (message.receiver, message.sender)
    assert ack.history[0].message_id == message.message_id  # the acked message's Provenance
    assert ack.history[-1].activity == "acknowledgement"
    assert from_bundle(to_bundle(ack)) == ack


def test_invalid_message_gets_fatal_error_naming_the_problem() -> None:
    bundle = load(official_files(CARE)[0])
    problems: list[Issue | MedComError] = [
        Issue("fhir.binding", "code 'x' is not in the value set", "Communication.category"),
        InconsistentMessage("a segment names its author"),
        Issue("medcom.advice", "only a warning", warning=True),
    ]
    ack = answer(bundle, problems, now=NOW).ack
    assert ack is not None and ack.code is AckCode.FATAL_ERROR
    assert len(ack.issues) == 2
    assert ack.issues[0].details is not None
    assert ack.issues[0].details.code == "MSG_VALUESET_VALUE_UNKNOWN"
    assert "Communication.category" in (ack.issues[0].text or "")
    assert from_bundle(to_bundle(ack)) == ack


def test_acknowledgements_are_never_acknowledged() -> None:
    result = answer(load(official_files(ACKS)[0]), now=NOW)
    assert result.ack is None and "never" in result.reason


def test_unreadable_message_cannot_be_acknowledged() -> None:
    assert answer(None, now=NOW).ack is None
    assert answer({"resourceType": "Bundle", "entry": []}, now=NOW).ack is None

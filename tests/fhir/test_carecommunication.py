"""CareCommunication Bundles <-> model: MedCom's examples read, and write back the same."""

from __future__ import annotations

import copy
import glob
import json
import os
from typing import Any

import pytest

from medcom_adapter.errors import InconsistentMessage
from medcom_adapter.fhir.carecommunication import from_bundle, to_bundle
from medcom_adapter.model.carecommunication import AttachmentSegment, Category
from medcom_adapter.model.identifiers import Cpr
from tests.conftest import OFFICIAL, official

EXAMPLES = sorted(
    glob.glob(str(OFFICIAL / "fhir" / "carecommunication-5.0.2" / "Bundle-*.json"))
    + glob.glob(str(OFFICIAL / "fhir" / "send-examples" / "*.json"))
)



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
    official("fhir", "carecommunication-5.0.2")
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_example_reads_and_writes_back_the_same(path: str) -> None:
    message = from_bundle(load(path))
    again = from_bundle(to_bundle(message))
    assert again == message
    assert to_bundle(again) == to_bundle(message)  # writing is deterministic


def test_reply_example_carries_thread_history_and_earlier_attachments() -> None:
    path = next(p for p in official_files(EXAMPLES) if "c0426e3e" in p)
    message = from_bundle(load(path))
    assert message.category is Category.EXAMINATION_RESULTS
    assert [e.activity.value for e in message.history] == [
        "reply-message", "new-message", "reply-message", "forward-message"]
    assert message.latest.activity.value == "forward-message"
    assert isinstance(message.patient.id, Cpr)
    attachments = [s for s in message.segments if isinstance(s, AttachmentSegment)]
    assert attachments


@pytest.mark.parametrize(
    ("damage", "where"),
    [
        (lambda b: b["entry"].insert(0, b["entry"].pop(1)), "Bundle.entry[0]"),
        (lambda b: _resource(b, "Communication").pop("subject"), "Communication.subject"),
        (lambda b: _resource(b, "Communication")["payload"][0]["extension"].clear(),
         "Communication.payload[0].extension"),
        (lambda b: _resource(b, "MessageHeader")["sender"].update(reference="Organization/x"),
         "Bundle.entry[0].resource(MessageHeader).sender"),
        (lambda b: _resource(b, "Patient")["identifier"][0].update(value="3102479989"),
         None),
    ],
    ids=["header-not-first", "no-subject", "segment-without-id", "dangling-sender", "bad-cpr"],
)
def test_broken_bundles_name_what_and_where(damage: Any, where: str | None) -> None:
    bundle = copy.deepcopy(load(official_files(EXAMPLES)[0]))
    damage(bundle)
    with pytest.raises(InconsistentMessage) as caught:
        from_bundle(bundle)
    if where is not None:
        assert caught.value.location is not None
        assert caught.value.location.path == where
    assert "3102479989" not in str(caught.value)


def _resource(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    resource: dict[str, Any] = next(e["resource"] for e in bundle["entry"]
                                    if e["resource"]["resourceType"] == kind)
    return resource

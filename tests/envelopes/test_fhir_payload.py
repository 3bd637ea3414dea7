"""The table that names FHIR messages in their envelopes, checked against MedCom's codes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from medcom_adapter.envelopes import fhir_payload, vans
from medcom_adapter.errors import InvalidValue, UnknownMessage
from medcom_adapter.fhir.threads import resend
from medcom_adapter.model.acknowledgement import AckCode
from medcom_adapter.model.carecommunication import Category
from tests.conftest import official
from tests.envelopes.messages import T0, care_communication, cc_bytes, next_id


def test_table_names_exactly_medcoms_statistics_codes() -> None:
    path = official("fhir", "terminology-2.0.2",
                    "CodeSystem-medcom-messaging-statisticalCodes.json")
    codes = {c["code"] for c in json.loads(path.read_text(encoding="utf-8"))["concept"]}
    ours = {f"{d.vans_name}#{p}" for d in fhir_payload.FHIR_DOCUMENTS for p in d.postfixes}
    prefixes = {d.vans_name for d in fhir_payload.FHIR_DOCUMENTS}
    assert ours == {c for c in codes if c.partition("#")[0] in prefixes}


@pytest.mark.parametrize("category", list(Category))
def test_every_category_has_a_statistics_name(category: Category) -> None:
    envelope = fhir_payload.wrap(cc_bytes(care_communication(category)), sent=T0)
    assert envelope.message is not None
    assert envelope.message.meta.document.name == f"MCM:FDIS91#{category.value}"


def test_every_ack_code_has_a_statistics_name() -> None:
    row = fhir_payload.by_event("acknowledgement-message")
    assert {row.name_for(code.value) for code in AckCode} == {
        "MCM:FCTL#ok", "MCM:FCTL#transient-error", "MCM:FCTL#fatal-error"}
    with pytest.raises(InvalidValue):
        row.name_for("maybe")


def test_resent_bundle_gets_a_new_envelope_with_the_same_message_id() -> None:
    first = care_communication()
    again = resend(first, now=T0 + timedelta(minutes=31), new_id=next_id)
    a = fhir_payload.wrap(cc_bytes(first), sent=T0)
    b = fhir_payload.wrap(cc_bytes(again), sent=T0 + timedelta(minutes=31))
    assert a.envelope_id == first.bundle_id and b.envelope_id == again.bundle_id
    assert a.envelope_id != b.envelope_id
    assert a.message.meta.identifier == b.message.meta.identifier == first.message_id  # type: ignore[union-attr]


def test_unwrap_gives_back_the_message() -> None:
    data = cc_bytes(xml=True)
    payload = fhir_payload.unwrap(vans.parse(vans.build(fhir_payload.wrap(data, sent=T0))))
    assert (payload.document.kind, payload.mime_type, payload.data) == (
        "CareCommunication", "application/fhir+xml", data)


def test_unwrap_refuses_what_is_not_a_fhir_message() -> None:
    envelope = fhir_payload.wrap(cc_bytes(), sent=T0)
    receipt = vans.receipt_for(envelope, vans.VansReceiptKind.POSITIVE, envelope_id=next_id(),
                               sent=T0)
    with pytest.raises(UnknownMessage):
        fhir_payload.unwrap(receipt)
    meta = envelope.message.meta  # type: ignore[union-attr]
    other = vans.VansEnvelope(envelope.sender, envelope.receiver, next_id(), T0, vans.VansMessage(
        vans.MetaInformation(meta.identifier, vans.DocumentInfo(
            vans.DocumentFormat.HL7, "MCM:FDIS20#OnLeave", 3, "3.0.0")), b"{}\n"))
    with pytest.raises(UnknownMessage, match="FDIS20"):
        fhir_payload.unwrap(other)


@pytest.mark.parametrize("data", [b"{}", b'{"resourceType": "Bundle", "entry": []}', b"<x/>"])
def test_unreadable_message_cannot_be_wrapped(data: bytes) -> None:
    with pytest.raises(InvalidValue, match="envelope"):
        fhir_payload.wrap(data, sent=T0)

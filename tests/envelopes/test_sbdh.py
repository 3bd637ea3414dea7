"""ehmiSBDH: MedCom's samples read; what we build reads back and matches the published
schemas where they can be met."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree

from medcom_adapter.envelopes import fhir_payload, sbdh
from medcom_adapter.envelopes.sbdh import ScopeType, ServiceName
from medcom_adapter.errors import InboundInvalid, InconsistentMessage, InvalidValue, UnknownMessage
from tests.conftest import official
from tests.envelopes.messages import T0, ack_bytes, cc_bytes, next_id

XS = "{http://www.w3.org/2001/XMLSchema}"


def samples() -> list[Path]:
    return sorted(official("envelopes", "sbdh", "samples").glob("*.xml"))


def test_every_medcom_sample_reads() -> None:
    found = samples()
    assert len(found) == 3
    for path in found:
        document = sbdh.parse(path.read_bytes())
        assert document.sender_gln == "5790000121526"
        assert document.receiver_gln == "5790000201389"
        assert document.message_envelope_id == "f06c1ac8-6096-5178-a380-2831d2456986"
        assert document.sender_sor and document.receiver_sor
        request = document.receipt_request
        assert request is not None
        assert request.expected_response - request.requesting_created == timedelta(minutes=10) \
            or "ack" in path.name  # MedCom's ack sample asks for an hour
        assert document.content.lstrip().startswith(b"<")


def test_ack_sample_names_the_original_message() -> None:
    path = next(p for p in samples() if "ack" in p.name)
    document = sbdh.parse(path.read_bytes())
    assert document.standard == "Acknowledgement-message"
    assert fhir_payload.by_standard(document.standard) is fhir_payload.by_event(
        "acknowledgement-message")
    assert document.scope(ScopeType.ORIGINAL_MESSAGE_ID) == "f06c1ac8-6096-5178-a380-2831d2456986"
    assert document.message_id == "8977c47b-8d55-4a6a-81ff-dcd3dc2b3871"


@pytest.mark.parametrize("make", [cc_bytes, ack_bytes], ids=["carecommunication", "ack"])
def test_built_for_a_fhir_message_reads_back(make: object) -> None:
    data = make()  # type: ignore[operator]
    facts = fhir_payload.read_message(data)
    instance = next_id()
    document = sbdh.for_fhir(data, created=T0, instance_id=instance, patient="0201909309")
    again = sbdh.parse(sbdh.build(document))
    assert again == document
    assert (again.sender, again.receiver) == (f"0088:{facts.sender_gln}",
                                              f"0088:{facts.receiver_gln}")
    assert (again.message_id, again.message_envelope_id) == (facts.message_id, facts.bundle_id)
    assert (again.sender_sor, again.receiver_sor) == (facts.sender_sor, facts.receiver_sor)
    assert again.patient == "0201909309"
    request = again.receipt_request
    assert request is not None and request.requesting_instance_id == instance
    assert request.expected_response == T0 + timedelta(minutes=10)
    assert again.content == data
    assert "0201909309" not in repr(again)


def _official_schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(official("envelopes", "sbdh", "xsd", name))))


def test_header_and_content_we_build_validate_against_medcoms_schemas() -> None:
    # MedCom's header schema declares BinaryContent in the SBDH namespace while every sample
    # (and PEPPOL) puts it in the envelope namespace: each part is checked on its own.
    header_schema = _official_schema("ehmiStandardBusinessDocumentHeader.xsd")
    content_schema = _official_schema("ehmiEDN-Business-Message-Envelope-1.2.xsd")
    document = sbdh.for_fhir(ack_bytes(), created=T0, instance_id=next_id())
    root = etree.fromstring(sbdh.build(document))
    header, content = root[0], root[1]
    assert header_schema.validate(etree.ElementTree(header)), header_schema.error_log
    assert content_schema.validate(etree.ElementTree(content)), content_schema.error_log


def test_table_says_which_standards_medcoms_schema_lists() -> None:
    path = official("envelopes", "sbdh", "xsd", "ehmiDocumentIdentification.xsd")
    listed = {e.get("value") for e in etree.parse(str(path)).iter(f"{XS}enumeration")}
    for row in fhir_payload.FHIR_DOCUMENTS:
        assert (row.sbdh_standard in listed) is row.sbdh_listed, row.kind


def test_without_patient_or_receipt_request() -> None:
    document = sbdh.for_fhir(cc_bytes(), created=T0, instance_id=next_id(), receipt=False)
    again = sbdh.parse(sbdh.build(document))
    assert again.patient is None and again.receipt_request is None
    assert ScopeType.RECEIPT_ACKNOWLEDGEMENT not in {s.type for s in again.scopes}


def test_receipt_response_is_not_a_request() -> None:
    document = sbdh.for_fhir(cc_bytes(), created=T0, instance_id=next_id())
    scopes = tuple(
        dataclasses.replace(s, service=dataclasses.replace(
            s.service, name=ServiceName.RECEIPT_RESPONSE)) if s.service else s
        for s in document.scopes)
    again = sbdh.parse(sbdh.build(dataclasses.replace(document, scopes=scopes)))
    assert again.receipt_request is None


def _built() -> bytes:
    return sbdh.build(sbdh.for_fhir(cc_bytes(), created=T0, instance_id=next_id()))


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (b"<Type>SENDERID", b"<Type>SENDER", InboundInvalid),
        (b"<HeaderVersion>1.0", b"<HeaderVersion>1.1", InboundInvalid),
        (b'mimeType="application/fhir+json"', b'mimeType="text/plain"', InboundInvalid),
        (b"<CreationDateAndTime>2026-11-22T10:00:00+01:00",
         b"<CreationDateAndTime>2026-11-22T10:00:00", InconsistentMessage),
        (b"StandardBusinessDocumentHeader\"", b"StandardBusinessDocumentHeader2\"",
         UnknownMessage),
    ],
)
def test_bad_documents_get_typed_remote_errors(old: bytes, new: bytes, error: type) -> None:
    data = _built()
    assert old in data
    with pytest.raises(error):
        sbdh.parse(data.replace(old, new, 1))
    assert not sbdh.check(data.replace(old, new, 1)).valid


def test_actor_id_needs_a_gln() -> None:
    assert sbdh.actor_id("5790000121526") == "0088:5790000121526"
    with pytest.raises(InvalidValue):
        sbdh.actor_id("5790000121527")  # wrong GS1 check digit
    with pytest.raises(InvalidValue):
        sbdh.actor_id("57900001215")

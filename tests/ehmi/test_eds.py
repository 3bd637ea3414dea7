"""EDS delivery-status reports (AuditEvents) built from the ehmiSBDH a message travels in:
the facts come from the envelope, the shape follows EDS 1.0.2's profiles, and the FHIR
models of fhir.resources read them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from medcom_adapter.ehmi import eds
from medcom_adapter.ehmi.eds import Reporter, Source, Subtype
from medcom_adapter.envelopes import sbdh, sbdh_receipt
from medcom_adapter.errors import InvalidValue
from tests.envelopes.messages import T0, ack_bytes, cc_bytes, next_id

ME = Reporter("medcom-adapter-eksempel-kommune", Source.EUA_MSH)


def _entities(event: eds.Json) -> dict[str, eds.Json]:
    return {e["type"]["code"]: e for e in event["entity"]}


@pytest.mark.parametrize("subtype", list(Subtype))
def test_a_care_communication_gives_a_patient_delivery_status(subtype: Subtype) -> None:
    document = sbdh.for_fhir(cc_bytes(), created=T0, instance_id=next_id(),
                             patient="0201909309")
    event = eds.report(document, subtype=subtype, recorded=T0 + timedelta(seconds=1),
                       reporter=ME, id=next_id())
    assert event["meta"]["profile"] == [eds.PATIENT_PROFILE]
    assert event["subtype"][0]["code"] == subtype.value and event["action"] == "C"
    assert event["outcome"] == "0"
    sender, receiver = event["agent"]
    assert sender["who"]["identifier"]["value"] == document.sender_sor
    assert receiver["who"]["identifier"]["value"] == document.receiver_sor
    assert sender["extension"][0]["valueIdentifier"]["value"] == document.sender_gln
    assert (sender["requestor"], receiver["requestor"]) == (True, False)
    found = _entities(event)
    assert found["ehmiPatient"]["what"]["identifier"]["value"] == "0201909309"
    assert found["ehmiMessage"]["what"]["identifier"]["value"] == document.message_id
    assert [d["valueString"] for d in found["ehmiMessage"]["detail"]] == [
        "carecommunication-message", document.type_version]
    assert found["ehmiMessageEnvelope"]["what"]["identifier"]["value"] == \
        document.message_envelope_id
    assert found["ehmiTransportEnvelope"]["what"]["identifier"]["value"] == document.instance_id
    assert event["source"]["type"][0]["code"] == "EUA-MSH"


def test_profile_cardinalities_hold() -> None:
    """EDS's rules: agent 2..4 with one sender and one receiver, entity 2.. (3.. with a
    patient), ehmiMessage with 2..3 details, exactly one subtype."""
    for data, patient in ((cc_bytes(), "0201909309"), (ack_bytes(), None)):
        document = sbdh.for_fhir(data, created=T0, instance_id=next_id(), patient=patient)
        event = eds.report(document, subtype=Subtype.SENT, recorded=T0, reporter=ME)
        roles = [a["type"]["coding"][0]["code"] for a in event["agent"]]
        assert 2 <= len(roles) <= 4 and roles.count("ehmiSender") == roles.count(
            "ehmiReceiver") == 1
        assert len(event["entity"]) >= (3 if patient else 2)
        assert 2 <= len(_entities(event)["ehmiMessage"]["detail"]) <= 3
        assert len(event["subtype"]) == 1
        assert event["meta"]["profile"] == [eds.PATIENT_PROFILE if patient
                                            else eds.BASIC_PROFILE]


def test_fhir_models_read_the_report() -> None:
    audit = pytest.importorskip("fhir.resources.R4B.auditevent")
    document = sbdh.for_fhir(cc_bytes(), created=T0, instance_id=next_id(), patient="0201909309")
    event = eds.report(document, subtype=Subtype.CREATED_AND_SENT, recorded=T0, reporter=ME,
                       id="eds-1")
    model = audit.AuditEvent.model_validate(event)
    assert model.subtype[0].code == "msg-created-and-sent"


def test_an_envelope_receipt_is_reported_without_a_patient() -> None:
    original = sbdh.for_fhir(cc_bytes(), created=T0, instance_id=next_id(), patient="0201909309")
    receipt = sbdh_receipt.receipt_for(original, instance_id=next_id(), message_id=next_id(),
                                       created=T0)
    event = eds.report(receipt, subtype=Subtype.CREATED_AND_SENT, recorded=T0, reporter=ME)
    assert event["meta"]["profile"] == [eds.BASIC_PROFILE]
    assert "ehmiPatient" not in _entities(event)
    assert "0201909309" not in str(event)


def test_a_report_needs_the_parties_and_a_time_zone() -> None:
    document = sbdh.for_fhir(cc_bytes(), created=T0, instance_id=next_id())
    with pytest.raises(InvalidValue, match="time zone"):
        eds.report(document, subtype=Subtype.SENT, recorded=T0.replace(tzinfo=None),
                   reporter=ME)
    import dataclasses

    anonymous = dataclasses.replace(document, scopes=tuple(
        s for s in document.scopes if s.type is not sbdh.ScopeType.SENDER_ID))
    with pytest.raises(InvalidValue, match="SENDERID"):
        eds.report(anonymous, subtype=Subtype.SENT, recorded=T0, reporter=ME)

"""A CareCommunication to a receiver reached on EHMI: the outbox wraps it in an ehmiSBDH and
hands it to the access point, the peer MSH answers with an envelope receipt, the inbox
correlates it, and the EUA's EDS reports reach EDS once."""

from __future__ import annotations

from medcom_adapter.ehmi import eds
from medcom_adapter.envelopes import sbdh
from medcom_adapter.journal.eds_queue import ReportStatus
from medcom_adapter.journal.interface import Direction, Query, Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.kinds import Kind
from medcom_adapter.sandbox.demo import (
    EHMI_GP,
    EHMI_GP_SOR,
    REQUESTS,
    UNIT_EAN,
    UNIT_SOR,
    ehmi_directory,
    ehmi_request,
)
from medcom_adapter.sandbox.ehmi_network import EhmiSandbox
from medcom_adapter.sandbox.harness import Harness
from medcom_adapter.workers.hooks import CollectingHook
from medcom_adapter.workers.submit_fhir import queue_care_communication


def test_a_km_over_ehmi_is_acknowledged_by_an_envelope_receipt_with_its_eds_reports(
        ehmi: EhmiSandbox) -> None:
    journal = MemoryJournal()
    directory = ehmi_directory()
    harness = Harness(journal, directory, unit_ean=UNIT_EAN, ehmi=ehmi)
    queued = queue_care_communication(journal, directory, ehmi_request(), files=REQUESTS)
    harness.pump()
    [sent] = [journal.get(id) for id in queued.ids]
    assert sent.message.kind == Kind.CARE_COMMUNICATION.value
    assert sent.message.receiver_ean == EHMI_GP and sent.status is Status.SENT
    [delivered] = ehmi.ap.delivered  # the peer MSH took one envelope
    assert sbdh.parse(sbdh.build(delivered)).message_envelope_id == sent.message.envelope_id
    [receipt] = [journal.get(a) for a in sent.answered_by]
    assert receipt.message.kind == Kind.SBDH_RECEIPT.value
    assert receipt.message.direction is Direction.INBOUND
    reports = journal.eds.of_message(sent.message.message_id)
    assert [(r.subtype, r.status) for r in reports] == [
        ("msg-created-and-sent", ReportStatus.DELIVERED)]
    # the EUA's report of the letter, and the MSH's of the envelope receipt taken in
    event, of_receipt = ehmi.services.events
    assert ehmi.services.refused == []
    assert event["subtype"][0]["code"] == "msg-created-and-sent"
    assert of_receipt["subtype"][0]["code"] == "msg-received-and-finalized"
    assert of_receipt["meta"]["profile"] == [eds.BASIC_PROFILE]
    originals = {e["type"]["code"]: e["what"]["identifier"]["value"]
                 for e in of_receipt["entity"]}
    assert originals["ehmiOrigMessage"] == sent.message.message_id
    assert originals["ehmiOrigTransportEnvelope"] == delivered.instance_id
    harness.pump()  # nothing more moves: sent once, reported once
    assert len(ehmi.ap.delivered) == 1 and len(ehmi.services.events) == 2
    assert len(journal.find(Query(direction=Direction.INBOUND))) == 1


def test_a_km_arriving_over_ehmi_is_delivered_once_and_its_envelope_answered(
        ehmi: EhmiSandbox) -> None:
    from datetime import UTC, datetime

    from medcom_adapter.envelopes import sbdh_receipt
    from medcom_adapter.fhir.carecommunication import to_bundle
    from medcom_adapter.fhir.threads import new_message
    from medcom_adapter.fhir.wire import dump_json
    from medcom_adapter.model.carecommunication import Author, Category, Party
    from tests.envelopes.messages import CHILD, next_id

    journal = MemoryJournal()
    directory = ehmi_directory()
    harness = Harness(journal, directory, unit_ean=UNIT_EAN, ehmi=ehmi)
    pilot = Party(EHMI_GP_SOR, EHMI_GP, "Lægehuset Eksempel, EHMI-pilot")
    letter = new_message(sender=pilot, receiver=Party(UNIT_SOR, UNIT_EAN, "PPR"),
                         patient=CHILD, category=Category.REGARDING_REFERRAL,
                         text="Tak for henvisningen.", author=Author(
                             "Lægesen", ("Lone",), role_text="Læge", organisation=pilot),
                         phone="+4587654321", now=datetime.now(UTC), new_id=next_id)
    envelope = sbdh.build(sbdh.for_fhir(dump_json(to_bundle(letter)), created=datetime.now(UTC),
                                        instance_id=next_id()))
    ehmi.ap.deposit(envelope)
    ehmi.ap.deposit(envelope)  # the same envelope again, as after a lost receipt
    harness.pump()
    [received] = [s for s in journal.find(Query(direction=Direction.INBOUND))
                  if s.message.kind == Kind.CARE_COMMUNICATION.value]
    assert isinstance(harness.hook, CollectingHook)
    assert received.status is Status.DELIVERED and len(harness.hook.deliveries) == 1
    answers = [sbdh_receipt.read_receipt(r) for r in ehmi.ap.receipts_received]
    assert len(answers) == 2 and {a.receipt_id for a in answers} == {answers[0].receipt_id}
    assert all(a.positive and a.original_message_id == letter.message_id for a in answers)
    assert [r.subtype for r in journal.eds.of_message(letter.message_id)] == [
        "msg-received", "msg-received-and-finalized"]

"""OIOXML letters over EHMI on the sandbox network: a referral (XREF01 + XBIN01) to a
receiver whose directory entry names the ehmi channel, and a KM (XDIS91) to the EHMI
pilot practice, each in an ehmiSBDH, each answered by exactly one XCTL03 that comes back
over EHMI and acknowledges it; nothing of it travels on VANS."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.edifact import interchange
from medcom_adapter.envelopes import letter_payload, sbdh
from medcom_adapter.envelopes.sbdh import ScopeType
from medcom_adapter.errors import RefuseCode
from medcom_adapter.journal.interface import Direction, Query, Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.model.correspondence import ClinicalEmail
from medcom_adapter.model.identifiers import Gln, LocationNumber
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.receipts import Receipt
from medcom_adapter.oioxml import emessage
from medcom_adapter.sandbox.counterparts import Department, Dnhf, GpSystem
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
from medcom_adapter.workers.submit import queue_km, queue_referral
from tests import samples
from tests.workers.test_end_to_end import request

PROEVE_BUP = {"ean": "5790000555550", "identifier": "7770123",
              "identifier_code": "sygehusafdelingsnummer", "name": "Prøve Universitetshospital",
              "department": "Børne- og Ungdomspsykiatri"}
PROEVE_BUP_SOR = "88030001000016007"


def km_from_pilot_gp() -> ClinicalEmail:
    """A KM the EHMI pilot practice sends the PPR unit."""
    km = samples.clinical_email()
    pilot = dataclasses.replace(km.receiver, ean=LocationNumber.of(Gln(EHMI_GP)))
    return dataclasses.replace(km, sender=pilot, receiver=dataclasses.replace(
        samples.PPR, phone=None, speciality=None))


def _directory() -> Directory:
    """The EHMI demo directory with DNHF reached on EHMI too."""
    base = ehmi_directory()
    assert base.dnhf is not None
    hub = base.dnhf.ean
    return Directory(tuple(dataclasses.replace(r, channels=("ehmi",)) if r.ean == hub else r
                           for r in base.receivers), base.dnhf)


def _nothing_on_vans(harness: Harness) -> None:
    for counterpart in harness.network._counterparts.values():
        if isinstance(counterpart, Department | GpSystem | Dnhf):
            assert getattr(counterpart, "accepted", []) == [], counterpart.ean


def test_a_referral_travels_over_ehmi_and_each_letter_gets_one_receipt(
        ehmi: EhmiSandbox) -> None:
    journal, directory = MemoryJournal(), _directory()
    harness = Harness(journal, directory, unit_ean=UNIT_EAN, ehmi=ehmi)
    raw = request("referral-bup.json")
    assert isinstance(raw, dict)
    raw["receiver"] = {**raw["receiver"], **PROEVE_BUP}  # takes XBIN01, which EHMI lists
    queued = queue_referral(journal, directory, raw, files=REQUESTS)
    harness.pump()
    sent = [journal.get(i) for i in queued.ids]
    assert [(s.message.kind, s.message.version) for s in sent] == [
        ("XREF01", "XH0131R"), ("XBIN01", "XB0131X")]
    assert all(s.status is Status.ACKNOWLEDGED for s in sent)
    delivered = ehmi.ap.delivered
    assert [(d.standard, d.type_version, d.mime_type) for d in delivered] == [
        ("xref01", "xh0131r", "text/xml"), ("xbin01", "xb0131x", "text/xml")]
    for document, entry in zip(delivered, sent, strict=True):
        assert document.content == entry.message.data
        assert (document.message_id, document.message_envelope_id) == (
            entry.message.message_id, entry.message.envelope_id)
        assert (document.sender_sor, document.receiver_sor) == (UNIT_SOR, PROEVE_BUP_SOR)
        assert document.scope(ScopeType.DOCUMENT_ID) == letter_payload.read_letter(
            entry.message.data).entry.code
    # exactly one XCTL03 per letter, back over EHMI, each answering its letter
    assert len(ehmi.ap.letter_receipts) == 2
    kinds = [sorted(journal.get(a).message.kind for a in s.answered_by) for s in sent]
    assert kinds == [["SBDHReceipt", "XCTL03"]] * 2  # the envelope's and the letter's
    _nothing_on_vans(harness)
    harness.pump()  # nothing moves again: sent once, receipted once
    assert len(ehmi.ap.delivered) == 2 and len(ehmi.ap.letter_receipts) == 2
    inbound = journal.find(Query(direction=Direction.INBOUND))
    assert sorted(s.message.kind for s in inbound) == ["SBDHReceipt", "SBDHReceipt",
                                                       "XCTL03", "XCTL03"]


def test_a_km_letter_travels_over_ehmi_to_the_pilot_practice_and_is_receipted_once(
        ehmi: EhmiSandbox) -> None:
    journal, directory = MemoryJournal(), ehmi_directory()
    harness = Harness(journal, directory, unit_ean=UNIT_EAN, ehmi=ehmi)
    queued = queue_km(journal, directory, ehmi_request(), files=REQUESTS)
    harness.pump()
    sent = [journal.get(i) for i in queued.ids]
    assert sent[0].message.kind == "XDIS91" and sent[0].message.receiver_ean == EHMI_GP
    assert all(s.status is Status.ACKNOWLEDGED for s in sent)
    assert [d.standard for d in ehmi.ap.delivered] == [
        {"XDIS91": "xdis91", "XBIN01": "xbin01"}[s.message.kind] for s in sent]
    assert all(d.receiver_sor == EHMI_GP_SOR for d in ehmi.ap.delivered)
    assert [len(s.answered_by) for s in sent] == [2] * len(sent)  # envelope receipt + XCTL03
    kinds = [sorted(journal.get(a).message.kind for a in s.answered_by) for s in sent]
    assert kinds == [["SBDHReceipt", "XCTL03"]] * len(sent)
    assert len(ehmi.ap.letter_receipts) == len(sent)
    # the EUA's reports: sent for each letter, received for each receipt's envelope
    for entry in sent:
        assert [r.subtype for r in journal.eds.of_message(entry.message.message_id)] == [
            "msg-created-and-sent"]
    _nothing_on_vans(harness)
    wrapped = sbdh.parse(sbdh.build(ehmi.ap.letter_receipts[0]))
    assert (wrapped.sender_sor, wrapped.receiver_sor) == (EHMI_GP_SOR, UNIT_SOR)


def test_a_km_letter_arriving_over_ehmi_is_delivered_once_and_receipted_over_ehmi(
        ehmi: EhmiSandbox) -> None:
    journal, directory = MemoryJournal(), ehmi_directory()
    harness = Harness(journal, directory, unit_ean=UNIT_EAN, ehmi=ehmi)
    letter = km_from_pilot_gp()
    data = emessage.build(Emessage(Envelope("GPENV1", samples.WHEN), (letter,)), "XD9134L")
    envelope = letter_payload.for_letter(data, created=datetime.now(UTC),
                                         instance_id=str(uuid.uuid4()),
                                         sender_sor=EHMI_GP_SOR)
    assert envelope.receiver_sor == UNIT_SOR  # the letter names the unit by its SOR code
    ehmi.ap.deposit(sbdh.build(envelope))
    harness.pump()
    [received] = [s for s in journal.find(Query(direction=Direction.INBOUND))
                  if s.message.kind == "XDIS91"]
    assert received.status is Status.DELIVERED and received.message.data == data
    assert isinstance(harness.hook, CollectingHook) and len(harness.hook.deliveries) == 1
    # the envelope is answered by our MSH, the letter by an XCTL03 sent over EHMI
    assert [r.type for r in ehmi.ap.receipts_received] == ["ReceiptAcknowledgement"]
    [ours] = [d for d in ehmi.ap.delivered if d.standard == "xctl03"]
    assert (ours.sender_gln, ours.receiver_gln) == (UNIT_EAN, EHMI_GP)
    assert (ours.sender_sor, ours.receiver_sor) == (UNIT_SOR, EHMI_GP_SOR)
    assert ours.patient is None  # a receipt names no patient
    answers = {journal.get(a).message.kind: journal.get(a) for a in received.answered_by}
    assert sorted(answers) == ["SBDHReceipt", "XCTL03"]  # the envelope's and the letter's
    answer = answers["XCTL03"]
    assert answer.status is Status.SENT and len(received.answered_by) == 2
    assert answer.message.data == ours.content
    _nothing_on_vans(harness)


def test_an_invalid_letter_in_a_legible_envelope_gets_one_negative_receipt_over_ehmi(
        ehmi: EhmiSandbox) -> None:
    journal, directory = MemoryJournal(), ehmi_directory()
    harness = Harness(journal, directory, unit_ean=UNIT_EAN, ehmi=ehmi)
    letter = km_from_pilot_gp()
    data = emessage.build(Emessage(Envelope("GPENV2", samples.WHEN), (letter,)), "XD9134L")
    envelope = letter_payload.for_letter(data, created=datetime.now(UTC),
                                         instance_id=str(uuid.uuid4()), sender_sor=EHMI_GP_SOR)
    broken = data.replace(b"<Subject>", b"<Subjekt>", 1).replace(b"</Subject>", b"</Subjekt>", 1)
    assert broken != data
    ehmi.ap.deposit(sbdh.build(dataclasses.replace(envelope, content=broken)))
    harness.pump()
    assert isinstance(harness.hook, CollectingHook) and not harness.hook.deliveries
    # the envelope is legible: a positive envelope receipt; the letter is not: one XCTL02
    # saying syntaksfejl, over EHMI
    assert [r.type for r in ehmi.ap.receipts_received] == ["ReceiptAcknowledgement"]
    [negative] = [d for d in ehmi.ap.delivered if d.standard.startswith("xctl")]
    assert negative.standard == "xctl02" and negative.receiver_gln == EHMI_GP
    receipt = emessage.parse(negative.content).message.letters[0]
    assert isinstance(receipt, Receipt) and receipt.kind.negative
    refusals = [receipt.refusal, *(x.refusal for x in receipt.letters)]
    assert RefuseCode.SYNTAX_ERROR in {r.code for r in refusals if r is not None}
    harness.pump()
    assert len([d for d in ehmi.ap.delivered if d.standard.startswith("xctl")]) == 1


def test_an_edifact_dis91_arriving_over_ehmi_is_delivered_once_and_answered_by_a_ctl03(
        ehmi: EhmiSandbox) -> None:
    journal, directory = MemoryJournal(), ehmi_directory()
    harness = Harness(journal, directory, unit_ean=UNIT_EAN, ehmi=ehmi)
    letter = km_from_pilot_gp()
    data = interchange.build(Emessage(Envelope("GPENV3", samples.WHEN), (letter,)), "D9134L")
    envelope = letter_payload.for_letter(data, created=datetime.now(UTC),
                                         instance_id=str(uuid.uuid4()), sender_sor=EHMI_GP_SOR)
    assert (envelope.type, envelope.mime_type, envelope.standard) == ("UNB", "text/edi",
                                                                      "dis91")
    ehmi.ap.deposit(sbdh.build(envelope))
    harness.pump()
    [received] = [s for s in journal.find(Query(direction=Direction.INBOUND))
                  if s.message.version == "D9134L"]
    assert received.status is Status.DELIVERED and received.message.data == data
    assert isinstance(harness.hook, CollectingHook) and len(harness.hook.deliveries) == 1
    [ours] = [d for d in ehmi.ap.delivered if d.standard.startswith("ctl")]
    assert (ours.standard, ours.type, ours.mime_type) == ("ctl03", "UNB", "text/edi")
    assert (ours.sender_sor, ours.receiver_sor) == (UNIT_SOR, EHMI_GP_SOR)
    harness.pump()
    assert len([d for d in ehmi.ap.delivered if d.standard.startswith("ctl")]) == 1

"""EDS reports for OIOXML and EDIFACT letters over EHMI on the sandbox network: each event the EUA
reports is stored by the sandbox EDS exactly once and holds what the EDS profiles fix (read
from the FSH), as the FHIR messages' reports do."""

from __future__ import annotations

import dataclasses
import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest

from medcom_adapter.edifact import interchange
from medcom_adapter.ehmi import eds
from medcom_adapter.envelopes import letter_payload, sbdh
from medcom_adapter.journal.interface import Direction, Query, Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml import emessage
from medcom_adapter.sandbox.demo import (
    EHMI_GP_SOR,
    REQUESTS,
    UNIT_EAN,
    ehmi_directory,
    ehmi_request,
)
from medcom_adapter.sandbox.ehmi_network import EhmiSandbox
from medcom_adapter.sandbox.harness import Harness
from medcom_adapter.workers.submit import queue_km, queue_referral
from tests import samples
from tests.conftest import official
from tests.ehmi import fsh
from tests.ehmi.node import Json
from tests.ehmi.test_eds_reports import EDS, _profile_check
from tests.ehmi.test_ehmi_letters import PROEVE_BUP, _directory, km_from_pilot_gp
from tests.workers.test_end_to_end import request


@pytest.fixture(scope="module")
def blocks() -> dict[str, fsh.Block]:
    terminology = official("ehmi", "dk-ehmi-terminology", "input", "fsh")
    return fsh.read(official(*EDS), terminology)


def _message(event: Json) -> tuple[str, str]:
    """The id and type of the message an event reports on."""
    [entity] = [e for e in event["entity"] if e["type"]["code"] == "ehmiMessage"]
    types = [d["valueString"] for d in entity["detail"] if d["type"] == "ehmiMessageType"]
    return entity["what"]["identifier"]["value"], types[0]


def _events(ehmi: EhmiSandbox, message_id: str) -> Counter[tuple[str, str]]:
    """(subtype, outcome) of each event EDS stored about ``message_id``."""
    return Counter((e["subtype"][0]["code"], e["outcome"]) for e in ehmi.services.events
                   if _message(e)[0] == message_id)


def _holds(ehmi: EhmiSandbox, blocks: dict[str, fsh.Block]) -> None:
    assert ehmi.services.refused == []
    for event in ehmi.services.events:
        assert _profile_check(event, blocks) == [], _message(event)


def test_each_letter_of_a_referral_sent_over_ehmi_is_reported_once(
        ehmi: EhmiSandbox, blocks: dict[str, fsh.Block]) -> None:
    journal, directory = MemoryJournal(), _directory()
    harness = Harness(journal, directory, unit_ean=UNIT_EAN, ehmi=ehmi)
    raw = request("referral-bup.json")
    assert isinstance(raw, dict)
    raw["receiver"] = {**raw["receiver"], **PROEVE_BUP}
    queued = queue_referral(journal, directory, raw, files=REQUESTS)
    harness.pump()
    harness.pump()  # nothing is reported again
    sent = [journal.get(i).message for i in queued.ids]
    assert [m.kind for m in sent] == ["XREF01", "XBIN01"]
    for message in sent:
        assert _events(ehmi, message.message_id) == {("msg-created-and-sent", "0"): 1}
        [event] = [e for e in ehmi.services.events if _message(e)[0] == message.message_id]
        assert _message(event)[1] == message.kind.lower()  # the ehmiSBDH's Standard
        assert event["meta"]["profile"] == [eds.PATIENT_PROFILE]  # a letter about a patient
        assert message.patient is not None and str(message.patient) in {
            e["what"]["identifier"]["value"] for e in event["entity"]
            if e["type"]["code"] == "ehmiPatient"}
        envelope = {e["type"]["code"]: e for e in event["entity"]}["ehmiMessageEnvelope"]
        assert envelope["what"]["identifier"]["value"] == message.envelope_id
    _holds(ehmi, blocks)


def test_a_km_letter_sent_over_ehmi_is_reported_once(
        ehmi: EhmiSandbox, blocks: dict[str, fsh.Block]) -> None:
    journal, directory = MemoryJournal(), ehmi_directory()
    harness = Harness(journal, directory, unit_ean=UNIT_EAN, ehmi=ehmi)
    queued = queue_km(journal, directory, ehmi_request(), files=REQUESTS)
    harness.pump()
    harness.pump()
    [km, *_] = [journal.get(i).message for i in queued.ids]
    assert km.kind == "XDIS91"
    assert _events(ehmi, km.message_id) == {("msg-created-and-sent", "0"): 1}
    # the pilot practice's XCTL03 answering it: received and finalized, once each
    receipts = [s.message for s in journal.find(Query(direction=Direction.INBOUND))
                if s.message.kind == "XCTL03"]
    assert receipts
    for receipt in receipts:
        assert _events(ehmi, receipt.message_id) == {
            ("msg-received", "0"): 1, ("msg-received-and-finalized", "0"): 1}
    _holds(ehmi, blocks)


def _incoming_km(ehmi: EhmiSandbox, envelope_id: str, broken: bool = False,
                 edifact: bool = False) -> str:
    """The pilot practice sends us a KM over EHMI (an OIOXML XDIS91, or an EDIFACT DIS91);
    returns its message id."""
    letter = km_from_pilot_gp()
    built = Emessage(Envelope(envelope_id, samples.WHEN), (letter,))
    data = interchange.build(built, "D9134L") if edifact else emessage.build(built, "XD9134L")
    envelope = letter_payload.for_letter(data, created=datetime.now(UTC),
                                         instance_id=str(uuid.uuid4()), sender_sor=EHMI_GP_SOR)
    if broken:  # legible envelope, letter against its schema
        envelope = dataclasses.replace(envelope, content=data.replace(
            b"<Subject>", b"<Subjekt>", 1).replace(b"</Subject>", b"</Subjekt>", 1))
    ehmi.ap.deposit(sbdh.build(envelope))
    assert envelope.message_id is not None
    return envelope.message_id


def test_a_km_letter_received_over_ehmi_is_reported_received_and_finalized_once(
        ehmi: EhmiSandbox, blocks: dict[str, fsh.Block]) -> None:
    journal = MemoryJournal()
    harness = Harness(journal, ehmi_directory(), unit_ean=UNIT_EAN, ehmi=ehmi)
    message_id = _incoming_km(ehmi, "GPENV3")
    harness.pump()
    harness.pump()
    [received] = [s for s in journal.find(Query(direction=Direction.INBOUND))
                  if s.message.kind == "XDIS91"]
    assert received.status is Status.DELIVERED
    assert _events(ehmi, message_id) == {
        ("msg-received", "0"): 1, ("msg-received-and-finalized", "0"): 1}
    _holds(ehmi, blocks)


def test_a_refused_km_letter_over_ehmi_is_finalized_as_a_serious_failure_once(
        ehmi: EhmiSandbox, blocks: dict[str, fsh.Block]) -> None:
    journal = MemoryJournal()
    harness = Harness(journal, ehmi_directory(), unit_ean=UNIT_EAN, ehmi=ehmi)
    message_id = _incoming_km(ehmi, "GPENV4", broken=True)
    harness.pump()
    harness.pump()
    assert _events(ehmi, message_id) == {
        ("msg-received", "0"): 1,  # the envelope came, legible
        ("msg-received-and-finalized", "8"): 1}
    _holds(ehmi, blocks)


def test_an_edifact_dis91_received_over_ehmi_and_its_ctl03_are_reported_once(
        ehmi: EhmiSandbox, blocks: dict[str, fsh.Block]) -> None:
    journal = MemoryJournal()
    harness = Harness(journal, ehmi_directory(), unit_ean=UNIT_EAN, ehmi=ehmi)
    message_id = _incoming_km(ehmi, "GPENV5", edifact=True)
    harness.pump()
    harness.pump()
    assert _events(ehmi, message_id) == {
        ("msg-received", "0"): 1, ("msg-received-and-finalized", "0"): 1}
    # our CTL03 answering it, sent over EHMI: created and sent, once
    [ctl] = [d for d in ehmi.ap.delivered if d.standard == "ctl03"]
    assert ctl.message_id is not None
    assert _events(ehmi, ctl.message_id) == {("msg-created-and-sent", "0"): 1}
    _holds(ehmi, blocks)

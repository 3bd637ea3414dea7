"""Received KMs (a CareCommunication from the GP, an XDIS91), as the inbox journals them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from medcom_adapter.fhir.carecommunication import to_bundle
from medcom_adapter.fhir.threads import NewAttachment, new_message
from medcom_adapter.journal.interface import Direction, Journal, NewMessage, Status
from medcom_adapter.model.carecommunication import (
    Author,
    CareCommunication,
    CarePatient,
    Category,
    Party,
)
from medcom_adapter.model.parties import person_id
from medcom_adapter.service.settings import Settings
from medcom_adapter.workers.submit import prepare_km
from tests.service.conftest import CONTEXT, CPR, DENTAL, DENTAL_EAN, GP, GP_EAN


def inbound_care_communication(
    journal: Journal, attachments: Sequence[NewAttachment] = (),
) -> tuple[int, CareCommunication]:
    gp = Party(GP, GP_EAN, "Lægehuset Eksempel")
    unit = Party(CONTEXT["unit"]["sor"], CONTEXT["unit"]["ean"], CONTEXT["unit"]["name"])
    cc = new_message(
        sender=gp, receiver=unit, patient=CarePatient(person_id(CPR), "Elmer", ("Bruno", "Test")),
        category=Category.CARE_COORDINATION, topic="Spørgsmål om forløb",
        text="Kan I sende status på forløbet?", author=Author("Læge", ("Lise",), role_text="Læge"),
        phone="98000000", now=datetime(2026, 11, 19, 14, 0, tzinfo=UTC),
        attachments=attachments,
    )
    data = json.dumps(to_bundle(cc)).encode("utf-8")
    journal_id = journal.append(NewMessage(
        direction=Direction.INBOUND, kind="CareCommunication", version="5.0", data=data,
        envelope_id=cc.bundle_id, message_id=cc.message_id, sender_ean=gp.gln,
        receiver_ean=unit.gln, sender_sor=gp.sor, receiver_sor=unit.sor,
        patient=person_id(CPR), episode_id=CONTEXT["episode_id"]), Status.DELIVERED)
    return journal_id, cc


def inbound_xdis91(journal: Journal) -> int:
    """An XDIS91 from the municipal dental service to the unit, journaled as delivered."""
    unit = CONTEXT["unit"]
    request = {
        "sender": {"ean": DENTAL_EAN, "identifier": DENTAL, "identifier_code": "sorkode",
                   "name": "Eksempel Kommunale Tandpleje", "phone": "70200000"},
        "receiver": {"ean": unit["ean"], "identifier": unit["sor"],
                     "identifier_code": "sorkode", "name": unit["name"]},
        "patient": {"id": CPR, "surname": "Elmer", "given_name": "Bruno Test"},
        "episode_of_care": CONTEXT["episode_id"],
        "subject": "Tandstatus", "texts": ["Bruno er set til tandeftersyn."],
    }
    (entry,) = prepare_km(Settings().directory, request, files={},
                          now=lambda: datetime(2026, 11, 19, 14, 0)).entries
    inbound = NewMessage(
        direction=Direction.INBOUND, kind=entry.kind, version=entry.version, data=entry.data,
        envelope_id=entry.envelope_id, message_id=entry.message_id, sender_ean=DENTAL_EAN,
        receiver_ean=unit["ean"], sender_sor=DENTAL, receiver_sor=unit["sor"],
        patient=person_id(CPR), episode_id=CONTEXT["episode_id"])
    return journal.append(inbound, Status.DELIVERED)

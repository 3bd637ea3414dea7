"""Our unit's CareCommunication to a GP whose system takes only XDIS91, through MedCom's
conversion service on the sandbox network: the GP gets one XDIS91 and one XBIN01, we get one
Acknowledgement for both receipts; the GP's XDIS91 answer reaches us as a CareCommunication,
and our Acknowledgement for it reaches the GP as an XCTL03 for its letter."""

from __future__ import annotations

import json
from datetime import datetime

from medcom_adapter.fhir import wire
from medcom_adapter.fhir.acknowledgement import from_bundle as read_ack
from medcom_adapter.fhir.carecommunication import from_bundle
from medcom_adapter.journal.interface import Status
from medcom_adapter.model.acknowledgement import AckCode
from medcom_adapter.model.carecommunication import AttachmentSegment
from medcom_adapter.sandbox.conversion import ConversionService
from medcom_adapter.sandbox.counterparts import GpSystem
from medcom_adapter.workers.submit_fhir import queue_care_communication
from tests.workers.test_fhir_end_to_end import DIRECTORY, GP, REQUESTS, harness, inbound


def service_letter(service: ConversionService, message_id: str) -> str:
    """The OIOXML letter id the conversion made the FHIR message ``message_id`` from."""
    return service._by_message[message_id].letters[0].letter_id


def test_a_care_communication_to_an_xdis91_only_gp_is_converted_both_ways() -> None:
    h, _ = harness()
    gp = GpSystem(GP)
    service = ConversionService(gp, DIRECTORY)
    h.network._counterparts[GP] = service
    raw = json.loads((REQUESTS / "km-gp.json").read_text(encoding="utf-8"))
    (id,) = queue_care_communication(h.journal, DIRECTORY, raw, files=REQUESTS,
                                     now=lambda: datetime(2026, 11, 22, 11, 0)).ids
    cc = from_bundle(wire.load_json(h.journal.get(id).message.data))
    files = [s for s in cc.segments if isinstance(s, AttachmentSegment)]
    assert files, "the request carries an attachment"
    h.pump()
    # the GP's system got one XDIS91 and one XBIN01 and receipted both ...
    assert len(gp.accepted) == 2 and gp.receipts_sent == 2
    # ... which came back to us as exactly one Acknowledgement, naming our message
    sent = h.journal.get(id)
    assert sent.status is Status.ACKNOWLEDGED
    (answer,) = [h.journal.get(a) for a in sent.answered_by]
    ack = read_ack(wire.load_json(answer.message.data))
    assert ack.code is AckCode.OK and ack.acknowledged_id == cc.message_id
    # the GP's XDIS91 reply reached us as a CareCommunication, delivered once
    (reply,) = inbound(h, "CareCommunication")
    assert reply.status is Status.DELIVERED and reply.message.sender_ean == GP
    assert gp.replies_sent == 1 and service.converted == 2
    # our Acknowledgement of it went to the GP's system as a receipt for its letter
    assert service.receipted == [service_letter(service, reply.message.message_id)]
    assert h.pump() == 1  # and nothing more moves
    # the same CareCommunication again (a duplicate) is not converted twice (table 5)
    (parcel,) = [p for p in h.mailbox.sent if p.kind == "CareCommunication"]
    assert service.handle(parcel.data, datetime(2026, 11, 22, 12, 0)) == []
    assert service.converted == 2 and len(gp.accepted) == 2

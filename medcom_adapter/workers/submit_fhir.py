"""A KM as a FHIR CareCommunication -> built, validated, journaled ``queued``.

The request is read as for XDIS91 (:func:`.submit.queue_km`) and mapped by MedCom's rules
(``km.km_as_fhir``): attachments travel inside the Bundle. The journal keeps the Bundle
(envelope id = Bundle.id, message id = MessageHeader.id); the outbox puts it in a
VANSEnvelope when it sends it. The receivers directory is asked first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from medcom_adapter.errors import OutboundInvalid
from medcom_adapter.fhir import wire
from medcom_adapter.fhir.carecommunication import to_bundle
from medcom_adapter.fhir.validate import validate_message
from medcom_adapter.journal.interface import Attachment, Direction, Journal, NewMessage, Status
from medcom_adapter.km import compose_km, km_as_fhir
from medcom_adapter.model.carecommunication import AttachmentSegment
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.km_request import km_request
from medcom_adapter.transport.directory import Directory
from medcom_adapter.workers.submit import Queued

KIND, VERSION = "CareCommunication", "5.0"


def queue_care_communication(
    journal: Journal, directory: Directory, request: object, *, files: Path,
    now: Callable[[], datetime] = datetime.now, ids: IdSource | None = None,
) -> Queued:
    """Queue a KM as one CareCommunication (its attachments inside)."""
    ids = ids or IdSource()
    read = km_request(request, now=now(), letter_id=ids.letter_id())
    receiver = directory.by_ean(str(read.km.receiver.ean))
    receiver.check(KIND, VERSION)
    data = {a.file: (files / a.file).read_bytes() for a in read.attachments}
    message, binaries = compose_km(read, data, ids)
    cc = km_as_fhir(read, message, binaries)
    bundle = to_bundle(cc)
    errors = [i for i in validate_message(bundle) if not i.warning]
    if errors:
        raise OutboundInvalid(errors)
    entry = NewMessage(
        direction=Direction.OUTBOUND, kind=KIND, version=VERSION, data=wire.dump_json(bundle),
        envelope_id=cc.bundle_id, message_id=cc.message_id, sender_ean=cc.sender.gln,
        receiver_ean=cc.receiver.gln, sender_sor=cc.sender.sor, receiver_sor=cc.receiver.sor,
        patient=read.km.patient.id, episode_id=read.km.episode_of_care,
        attachments=tuple(Attachment(s.id, s.content_type or "application/octet-stream", s.data,
                                     s.title)
                          for s in cc.segments
                          if isinstance(s, AttachmentSegment) and s.data is not None))
    return Queued((journal.append(entry, Status.QUEUED),), receiver.name)

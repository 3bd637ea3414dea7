"""A KM as a FHIR CareCommunication -> built, validated, journaled ``queued``.

The request is read as for XDIS91 (:func:`.submit.queue_km`) and mapped by MedCom's rules
(``km.km_as_fhir``): attachments travel inside the Bundle. The journal keeps the Bundle
(envelope id = Bundle.id, message id = MessageHeader.id); the outbox puts it in a
VANSEnvelope when it sends it. The receivers directory is asked first.

:func:`prepare_care_communication` and :func:`prepare_reply` build the same entry without
queueing it (the service previews it first); a reply answers a received CareCommunication
by MedCom's thread rules (``fhir.threads.reply``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.compose.km import compose_km, km_as_fhir
from medcom_adapter.conformance.built import seal
from medcom_adapter.fhir import versions as fhir_versions
from medcom_adapter.fhir import wire
from medcom_adapter.fhir.carecommunication import from_bundle, to_bundle
from medcom_adapter.fhir.threads import NewAttachment, reply
from medcom_adapter.fhir.validate import validate_message
from medcom_adapter.journal.interface import Attachment, Direction, Journal, NewMessage
from medcom_adapter.kinds import Kind
from medcom_adapter.model.carecommunication import (
    AttachmentSegment,
    Author,
    CareCommunication,
    Category,
)
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.km_request import km_request
from medcom_adapter.model.parties import PersonId
from medcom_adapter.workers.attachment_files import attachment_bytes
from medcom_adapter.workers.checked import Checked
from medcom_adapter.workers.submit import Files, Prepared, Queued

KIND = Kind.CARE_COMMUNICATION.value
VERSION = fhir_versions.current(Kind.CARE_COMMUNICATION).version


def queue_care_communication(
    journal: Journal, directory: Directory, request: object, *, files: Path,
    now: Callable[[], datetime] = datetime.now, ids: IdSource | None = None,
    checked: Checked | None = None,
) -> Queued:
    """Queue a KM as one CareCommunication (its attachments inside)."""
    prepared = prepare_care_communication(directory, request, files=files, now=now, ids=ids)
    return prepared.queue(journal, checked=checked)


def prepare_care_communication(
    directory: Directory, request: object, *, files: Files,
    now: Callable[[], datetime] = datetime.now, ids: IdSource | None = None,
) -> Prepared:
    """The CareCommunication :func:`queue_care_communication` would queue, not yet queued;
    ``files`` is a folder or the attachments by name."""
    ids = ids or IdSource()
    read = km_request(request, now=now(), letter_id=ids.letter_id())
    directory.by_ean(str(read.km.receiver.ean)).check(KIND, VERSION)
    data = {a.file: attachment_bytes(files, a.file, field=f"attachments[{n}].file",
                                     extension=a.extension)
            for n, a in enumerate(read.attachments)}
    message, binaries = compose_km(read, data, ids)
    cc = km_as_fhir(read, message, binaries)
    return _prepared(directory, cc, read.km.patient.id, read.km.episode_of_care)


def prepare_reply(
    directory: Directory, received: bytes, *, text: str, author: Author, phone: str,
    now: datetime, attachments: Iterable[NewAttachment] = (), category: Category | None = None,
    topic: str | None = None,
) -> Prepared:
    """The answer, in its thread, to a received CareCommunication (its Bundle as journaled):
    same thread id, earlier attachments repeated without data, a reply Provenance. The
    category and topic may change in a reply; by default they stay the thread's."""
    bundle, _ = wire.load(received)
    previous = from_bundle(bundle)
    answer = reply(previous, text=text, author=author, phone=phone, now=now,
                   attachments=attachments)
    if category is not None or topic is not None:
        answer = dataclasses.replace(answer, category=category or answer.category,
                                     topic=topic or answer.topic)
    episode = previous.episode_of_care.value if previous.episode_of_care else None
    return _prepared(directory, answer, previous.patient.id, episode)


def _prepared(directory: Directory, cc: CareCommunication, patient: PersonId,
              episode: str | None) -> Prepared:
    """``cc`` checked against the directory and our profiles, as one journal entry."""
    receiver = directory.by_ean(cc.receiver.gln)
    receiver.check(KIND, VERSION)
    bundle = to_bundle(cc)
    # validated (OutboundInvalid on any error): Prepared.queue may tell the outbox
    raw = seal(wire.dump_json(bundle), validate_message(bundle))
    entry = NewMessage(
        direction=Direction.OUTBOUND, kind=KIND, version=VERSION, data=raw,
        envelope_id=cc.bundle_id, message_id=cc.message_id, sender_ean=cc.sender.gln,
        receiver_ean=cc.receiver.gln, sender_sor=cc.sender.sor, receiver_sor=cc.receiver.sor,
        patient=patient, episode_id=episode,
        attachments=tuple(Attachment(s.id, s.content_type or "application/octet-stream", s.data,
                                     s.title)
                          for s in cc.segments
                          if isinstance(s, AttachmentSegment) and s.data is not None))
    return Prepared((entry,), receiver.name)

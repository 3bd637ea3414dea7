"""Requests -> built, validated messages -> journal (``queued``). Nothing is sent here.

A referral for BUP is addressed to DNHF with its attachments as the department wants them
(:mod:`medcom_adapter.addressing.dnhf`) and recorded with its §126a classification; a KM
goes straight to the GP, as XDIS91 (+ XBIN01s). The receivers directory is asked first, so
a message the receiver does not take is refused before anything is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.addressing.dnhf import route_referral
from medcom_adapter.compose.km import build_km
from medcom_adapter.compose.referral import Attachment as FileAttachment
from medcom_adapter.compose.referral import OutboundFile, build_referral
from medcom_adapter.conformance.built import Built
from medcom_adapter.detect import check
from medcom_adapter.errors import OutboundInvalid
from medcom_adapter.journal.interface import Attachment, Direction, Journal, NewMessage, Status
from medcom_adapter.kinds import Kind
from medcom_adapter.model.classification import Classification, Henvisning
from medcom_adapter.model.identifiers import SorId
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.json_reading import AttachmentRequest
from medcom_adapter.model.km_request import km_request
from medcom_adapter.model.letters import BinaryLetter
from medcom_adapter.model.parties import PersonId
from medcom_adapter.model.request import referral_request
from medcom_adapter.oioxml.emessage import Document
from medcom_adapter.oioxml.versions import Version
from medcom_adapter.workers.attachment_files import attachment_bytes
from medcom_adapter.workers.checked import Checked

_MIME = {"pdf": "application/pdf"}

# Where attachments come from: a folder the request's file names are relative to, or the
# files themselves by name (the service holds uploads in memory).
Files = Path | Mapping[str, bytes]


@dataclass(frozen=True, slots=True)
class Queued:
    """What was queued: journal ids in sending order (the letter first, then binaries)."""

    ids: tuple[int, ...]
    receiver: str  # the receiving organisation's name
    via: str | None = None  # e.g. DNHF


@dataclass(frozen=True, slots=True)
class Prepared:
    """Built and validated journal entries (the letter first), not yet queued."""

    entries: tuple[NewMessage, ...]
    receiver: str
    via: str | None = None

    def queue(self, journal: Journal, *, actor: str = "system",
              checked: Checked | None = None) -> Queued:
        """Append the entries as ``queued``; ``checked``: the node whose outbox sends them,
        told they were validated when built (so it need not validate them again) and
        holding them until it does (so it need not read them back)."""
        ids = journal.append_many(self.entries, Status.QUEUED, actor=actor)
        if checked is not None:
            for id, entry in zip(ids, self.entries, strict=True):
                if isinstance(entry.data, Built):  # validated as built: the outbox need not
                    checked.remember(entry.data)
                    checked.hold(id, entry.data)
        return Queued(tuple(ids), self.receiver, self.via)


def queue_referral(
    journal: Journal, directory: Directory, request: object, *, files: Files,
    classes: Sequence[Henvisning] = (Henvisning.CHILD_PSYCHIATRY,),
    now: Callable[[], datetime] = datetime.now, ids: IdSource | None = None,
    checked: Checked | None = None,
) -> Queued:
    """Queue a referral to BUP via DNHF; ``files`` is where its attachments are."""
    return prepare_referral(directory, request, files=files, classes=classes, now=now,
                            ids=ids).queue(journal, checked=checked)


def prepare_referral(
    directory: Directory, request: object, *, files: Files,
    classes: Sequence[Henvisning] = (Henvisning.CHILD_PSYCHIATRY,),
    now: Callable[[], datetime] = datetime.now, ids: IdSource | None = None,
) -> Prepared:
    """The referral's entries as :func:`queue_referral` would queue them."""
    ids = ids or IdSource()
    read = referral_request(request, now=now(), letter_id=ids.letter_id())
    addressed, route = route_referral(directory, read.referral,
                                      referral_version=read.referral_version)
    attachments = tuple(
        FileAttachment(a.description, _read(files, a, n), a.extension, a.object_code)
        for n, a in enumerate(read.attachments))
    package = build_referral(addressed, attachments, referral_version=route.referral_version,
                             binary_version=route.binary_version,
                             acknowledgement=read.acknowledgement, ids=ids)
    del attachments  # the binaries hold the files' bytes now
    course = next((e.identifier for e in read.referral.episodes), None)
    classification = Classification(
        course_id=uuid.UUID(course) if course else uuid.uuid4(),
        referred_on=read.referral.letter.authorised.date(),
        patient=read.referral.patient.id, unit=SorId(_sender_sor(directory, package.referral)),
        classes=tuple(classes),
    )
    built = list(package.files)
    del package
    entries = [_entry(f, read.referral.patient.id, course, route.department.sor,
                      classification if n == 0 else None)
               for n, f in enumerate(_checked(built))]  # the referral comes first
    return Prepared(tuple(entries), route.department.name, via=route.hub.name)


def queue_km(
    journal: Journal, directory: Directory, request: object, *, files: Files,
    now: Callable[[], datetime] = datetime.now, ids: IdSource | None = None,
    checked: Checked | None = None,
) -> Queued:
    """Queue a KM as XDIS91 with one XBIN01 per attachment."""
    return prepare_km(directory, request, files=files, now=now, ids=ids).queue(
        journal, checked=checked)


def prepare_km(
    directory: Directory, request: object, *, files: Files,
    now: Callable[[], datetime] = datetime.now, ids: IdSource | None = None,
) -> Prepared:
    """The KM's entries as :func:`queue_km` would queue them."""
    ids = ids or IdSource()
    read = km_request(request, now=now(), letter_id=ids.letter_id())
    receiver = directory.by_ean(str(read.km.receiver.ean))
    data = {a.file: _read(files, a, n) for n, a in enumerate(read.attachments)}
    package = build_km(read, data, ids=ids)
    del data  # the binaries hold the files' bytes now
    for file in package.files:
        receiver.check(file.version.type_code, file.version.code)
    built = list(package.files)
    del package
    episode = read.km.episode_of_care
    entries = [_entry(f, read.km.patient.id, episode, receiver.sor, None)
               for f in _checked(built)]
    return Prepared(tuple(entries), receiver.name)


def _read(files: Files, attachment: AttachmentRequest, n: int) -> bytes:
    return attachment_bytes(files, attachment.file, field=f"attachments[{n}].file",
                            extension=attachment.extension)


def _checked(built: list[OutboundFile]) -> list[OutboundFile]:
    """The files, each valid by every MedCom rule the core knows, taken from ``built`` as it
    goes. A Built was validated as it was built (schema and our own rules, on its tree) and
    keeps the model it was built from: its attachment is the file's bytes, held once. Any
    other bytes are checked now, and come back with the model read from them in place of
    the one they were built from (the same letter: the bytes are that model's), so an
    attachment is never held also as the bytes it was built from."""
    checked = []
    while built:
        if isinstance(built[0].data, Built):
            checked.append(built.pop(0))
            continue
        kind, version, data = _bytes_of(built.pop(0))
        report = check(data)
        if not report.valid or not isinstance(report.message, Document):
            raise OutboundInvalid(report.issues)
        checked.append(OutboundFile(kind, version, report.message.message, data))
    return checked


def _bytes_of(file: OutboundFile) -> tuple[Kind, Version, bytes]:
    return file.kind, file.version, file.data


def _sender_sor(directory: Directory, file: OutboundFile) -> str:
    letter = file.message.letters[0]
    sender = getattr(letter, "sender", None)
    if sender is not None and sender.identifier_code.value == "sorkode":
        return str(sender.identifier)
    return directory.by_ean(str(sender.ean)).sor if sender is not None else ""


def _entry(
    file: OutboundFile, patient: PersonId, episode: str | None, receiver_sor: str,
    classification: Classification | None,
) -> NewMessage:
    letter = file.message.letters[0]
    sender = getattr(letter, "sender", None)
    receiver = getattr(letter, "receiver", None)
    attachments = tuple(
        Attachment(str(o.object_id), _MIME.get(o.extension.value, "application/octet-stream"),
                   o.data)
        for o in (letter.objects if isinstance(letter, BinaryLetter) else ()))
    sender_sor = (sender.identifier if sender is not None
                  and sender.identifier_code.value == "sorkode" else None)
    return NewMessage(
        direction=Direction.OUTBOUND, kind=file.version.type_code, version=file.version.code,
        data=file.data, envelope_id=file.envelope_id, message_id=file.letter_id,
        sender_ean=str(sender.ean) if sender else None,
        receiver_ean=str(receiver.ean) if receiver else None,
        sender_sor=sender_sor, receiver_sor=receiver_sor, patient=patient,
        episode_id=episode, attachments=attachments, classification=classification,
    )

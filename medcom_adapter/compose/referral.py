"""A referral and its attachments, built together.

An attachment travels as its own binary letter, referenced from the referral by object id.
The referral and the binaries are separate Emessages (the current versions live in
different namespaces), each with its own envelope id, and the referral's Reference/BIN and
the binary's ObjectIdentifier carry the same id, each spelled as its version requires.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from medcom_adapter.errors import InvalidValue
from medcom_adapter.kinds import Kind
from medcom_adapter.model.codes import AcknowledgementCode, ObjectCode, ObjectExtensionCode
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.letters import (
    BinaryLetter,
    BinaryObject,
    LetterHeader,
    ObjectId,
    Referral,
)
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.parties import Patient
from medcom_adapter.model.receipts import Receipt
from medcom_adapter.oioxml.emessage import DEFAULT_ENCODING, build
from medcom_adapter.oioxml.versions import Version, by_code, current


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to send with a referral, e.g. the region's PDF referral form."""

    description: str
    data: bytes
    extension: ObjectExtensionCode = ObjectExtensionCode.PDF
    # MedCom's own XBIN example labels a PDF "billede"; receivers key on the extension.
    object_code: ObjectCode = ObjectCode.IMAGE
    object_id: ObjectId | None = None


@dataclass(frozen=True, slots=True)
class OutboundFile:
    """One file ready for the VANS out-folder."""

    kind: Kind
    version: Version
    message: Emessage
    data: bytes

    @property
    def envelope_id(self) -> str:
        return self.message.envelope.identifier

    @property
    def letter_id(self) -> str:
        letter = self.message.letters[0]
        return letter.identifier if isinstance(letter, Receipt) else letter.letter.identifier

    @property
    def file_name(self) -> str:
        return f"{self.version.type_code}_{self.envelope_id}.xml"


@dataclass(frozen=True, slots=True)
class ReferralPackage:
    referral: OutboundFile
    binaries: tuple[OutboundFile, ...]

    @property
    def files(self) -> tuple[OutboundFile, ...]:
        return (self.referral, *self.binaries)


def build_referral(
    referral: Referral,
    attachments: tuple[Attachment, ...] = (),
    *,
    referral_version: str | Version | None = None,
    binary_version: str | Version | None = None,
    sent: datetime | None = None,
    acknowledgement: AcknowledgementCode = AcknowledgementCode.PLUS_POSITIVE,
    ids: IdSource | None = None,
    encoding: str = DEFAULT_ENCODING,
    validate: bool = True,
) -> ReferralPackage:
    """Build and validate the referral plus one binary letter per attachment: each file's
    bytes are a :class:`~medcom_adapter.conformance.built.Built` (the checks are left out
    with ``validate=False``, for a caller that checks the bytes fully)."""
    ids = ids or IdSource()
    ref_version = _version(referral_version, Kind.REFERRAL)
    bin_version = _version(binary_version, Kind.BINARY)
    if bin_version.kind is Kind.REFERRAL:
        raise InvalidValue(f"{bin_version.code} is not a binary letter version")
    sent = sent or referral.letter.authorised
    for role, party in (("sender", referral.sender), ("receiver", referral.receiver)):
        if party.ean.gln is None:
            raise InvalidValue(f"{role} location number {party.ean} is not a valid GLN")
    if len(referral.references) + len(attachments) > 10:
        raise InvalidValue("a referral carries at most 10 references including attachments")

    objects = [
        BinaryObject(a.object_id or ObjectId.new(), a.object_code, a.extension, a.data)
        for a in attachments
    ]
    refs = tuple(obj.reference(a.description) for obj, a in zip(objects, attachments, strict=True))
    full = dataclasses.replace(referral, references=referral.references + refs)
    referral_message = Emessage(Envelope(ids.envelope_id(), sent, acknowledgement), (full,))
    referral_file = OutboundFile(
        ref_version.kind, ref_version, referral_message,
        build(referral_message, ref_version, encoding=encoding, validate=validate),
    )

    binaries = []
    for obj in objects:
        letter = BinaryLetter(
            letter=LetterHeader(ids.letter_id(), referral.letter.authorised),
            sender=referral.sender,
            receiver=referral.receiver,
            patient=_binary_patient(referral.patient),
            objects=(obj,),
        )
        message = Emessage(Envelope(ids.envelope_id(), sent, acknowledgement), (letter,))
        binaries.append(OutboundFile(
            bin_version.kind, bin_version, message,
            build(message, bin_version, encoding=encoding, validate=validate),
        ))
    return ReferralPackage(referral_file, tuple(binaries))


def _binary_patient(patient: Patient) -> Patient:
    # A binary letter names the patient only (id and name).
    return Patient(patient.id, patient.surname, patient.given_name)


def _version(given: str | Version | None, kind: Kind) -> Version:
    if given is None:
        return current(kind)
    return given if isinstance(given, Version) else by_code(given)

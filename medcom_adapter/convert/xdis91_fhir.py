"""XDIS91 (+ its XBIN01 attachments) <-> CareCommunication, after MedCom's mapping (v5.0).

What MedCom's mapping prescribes, in short:

- envelope id -> Bundle.id, letter id -> MessageHeader.id (ids longer than OIOXML's 14
  characters are replaced by new ones on the way back); times are Danish local time.
- organisations: EAN <-> GLN; the SOR id comes from the letter when its IdentifierCode is
  ``sorkode`` and otherwise from a SOR look-up the caller provides; organisation, department
  and unit names go into one name (", "-joined; split again on the way back).
- category ``other`` with the subject as topic ("Ukendt emne" when there is none); a high
  priority, which FHIR allows only for referrals, becomes the sentence "Denne meddelelse har
  høj prioritet." in the text; text blocks become text segments (Break <-> newline, the only
  formatting that survives); the author is the organisation with role "ukendt"; the phone is
  the sender's, or "0000 0000".
- BIN references become attachment segments carrying the XBIN's bytes; URL references
  become link attachments; SUP references have no FHIR counterpart and become a text line.
- the patient's EpisodeOfCareStatusCode maps to Encounter status/class and Patient.deceased
  by the table below (MedCom's use-case document has the authoritative table).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from medcom_adapter.errors import LocalError
from medcom_adapter.model.carecommunication import (
    Activity,
    AttachmentSegment,
    Author,
    CareCommunication,
    CarePatient,
    Category,
    EpisodeOfCareRef,
    Event,
    Party,
    Priority,
    Segment,
    TextSegment,
)
from medcom_adapter.model.codes import IdentifierCode, ObjectCode, ObjectExtensionCode
from medcom_adapter.model.correspondence import (
    ClinicalEmail,
    CorrespondencePriority,
    EpisodeOfCareStatus,
)
from medcom_adapter.model.identifiers import LocationNumber
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.letters import (
    BinaryLetter,
    BinaryObject,
    LetterHeader,
    ObjectId,
    Reference,
    SupplementaryRef,
    UrlRef,
)
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.parties import Address, Organisation, Patient
from medcom_adapter.model.text import FormattedText

DANISH_TIME = ZoneInfo("Europe/Copenhagen")
NO_TOPIC = "Ukendt emne"
HIGH_PRIORITY = "Denne meddelelse har høj prioritet."
NO_PHONE = "0000 0000"
UNKNOWN_ROLE = "ukendt"
SUPPLEMENTARY = "Supplerende oplysninger eftersendes: "

# EpisodeOfCareStatusCode -> (Encounter.status, Encounter.class) when there is an encounter
_STATUS_TO_ENCOUNTER = {
    EpisodeOfCareStatus.ADMITTED: ("in-progress", "IMP"),
    EpisodeOfCareStatus.OUTPATIENT: ("in-progress", "AMB"),
    EpisodeOfCareStatus.OUTPATIENT_XRAY: ("in-progress", "AMB"),
    EpisodeOfCareStatus.INACTIVE: ("finished", "AMB"),
    EpisodeOfCareStatus.DECEASED: ("finished", "AMB"),
}
_CONTENT_TYPES = {
    ObjectExtensionCode.PDF: "application/pdf", ObjectExtensionCode.GIF: "image/gif",
    ObjectExtensionCode.JPEG: "image/jpeg", ObjectExtensionCode.PNG: "image/png",
    ObjectExtensionCode.TIFF: "image/tiff", ObjectExtensionCode.BMP: "image/bmp",
}
_EXTENSIONS = {v: k for k, v in _CONTENT_TYPES.items()}

SorLookup = Callable[[Organisation], str | None]


class ConversionError(LocalError):
    """The message cannot be expressed in the other form (e.g. no SOR id for a party)."""

    code = "local.conversion"


def sor_in_letter(org: Organisation) -> str | None:
    return org.identifier if org.identifier_code is IdentifierCode.SOR else None


# --------------------------------------------------------------------------- XDIS91 -> FHIR

def to_fhir(
    message: Emessage,
    binaries: Sequence[BinaryLetter] = (),
    *,
    sor_of: SorLookup = sor_in_letter,
    thread_id: str | None = None,
    category: Category = Category.OTHER,
    author: Author | None = None,
) -> CareCommunication:
    """The CareCommunication for an XDIS91 Emessage and the binary letters it references.

    ``category`` and ``author`` are what a sender knows beyond XDIS91 (MedCom's converter,
    knowing neither, uses ``other`` and the organisation with role "ukendt").
    """
    (km,) = message.letters
    if not isinstance(km, ClinicalEmail):
        raise ConversionError("expected an XDIS91 letter")
    objects = {o.object_id: o for b in binaries for o in b.objects}
    sent = message.envelope.sent.replace(tzinfo=DANISH_TIME)
    authorised = km.letter.authorised.replace(tzinfo=DANISH_TIME)
    sender = _party(km.sender, sor_of, joined=True)
    author = author or Author(family=sender.name, role_text=UNKNOWN_ROLE)
    referral = category is Category.REGARDING_REFERRAL
    phone = km.sender.phone or NO_PHONE

    def segment_id() -> str:
        return f"urn:uuid:{uuid.uuid4()}"

    texts = [t.to_plain() for t in km.texts] or [""]
    if km.priority is CorrespondencePriority.HIGH and not referral:
        texts[-1] = f"{texts[-1]}\n{HIGH_PRIORITY}" if texts[-1] else HIGH_PRIORITY
    segments: list[Segment] = [
        TextSegment(segment_id(), authorised, author, sender, text, phone) for text in texts
    ]
    for ref in km.references:
        segments.append(_attachment(ref, objects, authorised, sender, author, phone, segments))
    status = km.patient_status
    episode = None
    if km.episode_of_care is not None:
        encounter_status, encounter_class = _STATUS_TO_ENCOUNTER[status]
        episode = EpisodeOfCareRef(km.episode_of_care, None, encounter_status, encounter_class)
    patient = km.patient
    return CareCommunication(
        bundle_id=message.envelope.identifier,
        message_id=km.letter.identifier,
        timestamp=sent,
        sender=sender,
        receiver=_party(km.receiver, sor_of, joined=False),
        patient=CarePatient(
            id=patient.id, family=patient.surname,
            given=(patient.given_name,) if patient.given_name else (),
            deceased=True if status is EpisodeOfCareStatus.DECEASED else None,
            address_lines=(patient.address.street,) if patient.address.street else (),
            city=patient.address.district, postal_code=patient.address.postcode,
        ),
        thread_id=thread_id or f"urn:uuid:{uuid.uuid4()}",
        category=category,
        topic=km.subject or (NO_TOPIC if category is Category.OTHER else None),
        priority=_fhir_priority(km.priority) if referral else None,
        episode_of_care=episode,
        segments=tuple(segments),
        history=(Event(km.letter.identifier, Activity.NEW, sent, sender,
                       tuple(s.id for s in segments)),),
    )


def _fhir_priority(priority: CorrespondencePriority | None) -> Priority | None:
    if priority is None:
        return None
    return Priority.ASAP if priority is CorrespondencePriority.HIGH else Priority.ROUTINE


def _party(org: Organisation, sor_of: SorLookup, *, joined: bool) -> Party:
    sor = sor_of(org)
    if not sor:
        raise ConversionError(
            f"no SOR id for location number {org.ean} ({org.identifier_code.value} "
            f"{org.identifier}); FHIR needs one: give a SOR look-up"
        )
    parts = (org.name, org.department, org.unit) if joined else (org.name,)
    name = ", ".join(p for p in parts if p and p != "_") or None
    return Party(sor=sor, gln=str(org.ean), name=name)


def _attachment(
    ref: Reference, objects: dict[ObjectId, BinaryObject], time: datetime, party: Party,
    author: Author, phone: str, so_far: list[Segment],
) -> Segment:
    target = ref.target
    if isinstance(target, UrlRef):
        return AttachmentSegment(f"urn:uuid:{uuid.uuid4()}", time, party, ref.description,
                                 url=target.url, author=author, phone=phone)
    if isinstance(target, SupplementaryRef):
        return TextSegment(f"urn:uuid:{uuid.uuid4()}", time, author, party,
                           SUPPLEMENTARY + ref.description, phone)
    obj = objects.get(target.object_id)
    if obj is None:
        raise ConversionError(f"the binary letter with object {target.object_id.value} "
                              "is missing; convert the XDIS91 together with its XBIN01")
    content_type = _CONTENT_TYPES.get(target.extension)
    if content_type is None:
        raise ConversionError(f"a {target.extension.value} attachment has no FHIR form "
                              "(MedCom allows pdf, gif, jpeg, png, tiff, bmp)")
    return AttachmentSegment(f"urn:uuid:{target.object_id.value}", time, party,
                             ref.description, content_type, obj.data, author=author,
                             phone=phone)


# --------------------------------------------------------------------------- FHIR -> XDIS91

@dataclass(frozen=True, slots=True)
class OioxmlMessages:
    correspondence: Emessage  # the XDIS91
    binaries: tuple[Emessage, ...]  # one XBIN01 per attachment with data


def to_oioxml(
    cc: CareCommunication, *, ids: IdSource | None = None,
    status_code: EpisodeOfCareStatus | None = None,
) -> OioxmlMessages:
    """The XDIS91 and XBIN01 letters for a CareCommunication."""
    ids = ids or IdSource()
    sent = local_minute(cc.timestamp)
    own = set(cc.latest.segment_ids)
    texts: list[FormattedText] = []
    references: list[Reference] = []
    binaries: list[Emessage] = []
    sender, receiver = _organisation(cc.sender), _organisation(cc.receiver)
    patient = Patient(
        id=cc.patient.id, surname=cc.patient.family,
        given_name=" ".join(cc.patient.given) or None,
        address=Address(street=(cc.patient.address_lines or (None,))[0],
                        district=cc.patient.city, postcode=cc.patient.postal_code),
    )
    for segment in cc.segments:
        if isinstance(segment, TextSegment):
            if segment.id in own or not own:
                texts.append(FormattedText.plain(_with_author(segment)))
            continue
        if segment.url is not None:
            references.append(Reference(segment.title, UrlRef(segment.url)))
        elif segment.data is not None:
            obj = BinaryObject(_object_id(segment.id), ObjectCode.IMAGE,
                               _EXTENSIONS.get(segment.content_type or "",
                                               ObjectExtensionCode.PDF), segment.data)
            references.append(obj.reference(segment.title))
            letter = BinaryLetter(LetterHeader(ids.letter_id(), local_minute(segment.time)), sender,
                                  receiver, (obj,), _binary_patient(patient))
            binaries.append(Emessage(Envelope(ids.envelope_id(), sent), (letter,)))
    texts, priority = _priority(texts, cc)
    km = ClinicalEmail(
        letter=LetterHeader(oioxml_id(cc.message_id, ids), local_minute(cc.latest.occurred)),
        sender=sender, receiver=receiver, patient=patient,
        patient_status=status_code or _status(cc),
        texts=tuple(_fit_ten(texts)),
        episode_of_care=cc.episode_of_care.value if cc.episode_of_care else None,
        priority=priority,
        subject=_subject(cc),
        references=tuple(references),
    )
    envelope = Envelope(oioxml_id(cc.bundle_id, ids), sent)
    return OioxmlMessages(Emessage(envelope, (km,)), tuple(binaries))


def _organisation(party: Party) -> Organisation:
    parts: list[str | None] = [*(party.name or "").split(", ", 2), None, None]
    name, department, unit = parts[:3]
    return Organisation(
        ean=LocationNumber(party.gln), identifier=party.sor,
        identifier_code=IdentifierCode.SOR, name=name or None, department=department,
        unit=unit,
    )


def _binary_patient(patient: Patient) -> Patient:
    return Patient(patient.id, patient.surname, patient.given_name)


def _with_author(segment: TextSegment) -> str:
    author = segment.author
    if author.role_text == UNKNOWN_ROLE and author.family == segment.assigner.name:
        return segment.text  # the conversion default: nothing to add
    role = author.role.code if author.role else author.role_text
    name = " ".join((*author.given, author.family or ""))
    return f"{name.strip()} ({role}):\n{segment.text}"


def _priority(
    texts: list[FormattedText], cc: CareCommunication
) -> tuple[list[FormattedText], CorrespondencePriority | None]:
    if cc.priority is not None:
        high = cc.priority.value == "asap"
        return texts, CorrespondencePriority.HIGH if high else CorrespondencePriority.ROUTINE
    if texts and texts[-1].to_plain().endswith(HIGH_PRIORITY):
        plain = texts[-1].to_plain()[: -len(HIGH_PRIORITY)].rstrip("\n")
        rest = texts[:-1] + ([FormattedText.plain(plain)] if plain else [])
        return rest, CorrespondencePriority.HIGH
    return texts, None


def _subject(cc: CareCommunication) -> str | None:
    if cc.category is Category.OTHER:
        return None if cc.topic in (None, NO_TOPIC) else cc.topic
    subject = ", ".join(p for p in (cc.category.value, cc.topic) if p)
    return subject[:70]


def _status(cc: CareCommunication) -> EpisodeOfCareStatus:
    if cc.patient.deceased:
        return EpisodeOfCareStatus.DECEASED
    episode = cc.episode_of_care
    if episode is not None and episode.status == "in-progress":
        return (EpisodeOfCareStatus.ADMITTED if episode.class_code == "IMP"
                else EpisodeOfCareStatus.OUTPATIENT)
    return EpisodeOfCareStatus.INACTIVE


def _fit_ten(texts: list[FormattedText]) -> list[FormattedText]:
    # XDIS91 has at most 10 text blocks; later ones join the tenth
    if len(texts) <= 10:
        return texts
    joined = "\n\n".join(t.to_plain() for t in texts[9:])
    return [*texts[:9], FormattedText.plain(joined)]


def _object_id(segment_id: str) -> ObjectId:
    value = segment_id.removeprefix("urn:uuid:")
    return ObjectId(value) if len(value) in (32, 36) else ObjectId.new()


def oioxml_id(value: str, ids: IdSource) -> str:
    return value if len(value) <= 14 else ids.envelope_id()


def local_minute(value: datetime) -> datetime:
    return value.astimezone(DANISH_TIME).replace(tzinfo=None, second=0, microsecond=0)

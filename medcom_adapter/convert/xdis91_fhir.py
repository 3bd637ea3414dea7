"""XDIS91 (+ its XBIN01) <-> CareCommunication, as MedCom's VANS conversion service does it.

The rules are MedCom's use cases and rules v3.1.0 (2026-01-20) and the mapping sheet
XDIS91 <-> CareCommunication of January 2026; ``tests/convert/test_mapping_sheets.py`` checks
every row of the sheet, and ``docs/conversion.md`` lists where we differ and why. In short:

- ids: the FHIR side gets new UUIDs (Bundle.id, MessageHeader.id, Communication.identifier),
  the OIOXML side new 14-character ids; the :class:`~medcom_adapter.convert.links.Link` of a
  conversion keeps both, for the receipts (section 4.1). Times are Danish local time.
- organisations: EAN <-> GLN; SOR ids (and the sender's telephone) come from a SOR look-up
  (the receivers directory or an imported SOR register) when the letter lacks them; the
  sender's organisation, department and unit become one name and are split again.
- category ``other`` with the subject as topic ("Ukendt emne" when there is none); back,
  the category's Danish display and the topic, comma-joined, at most 70 characters. A high
  priority, which FHIR allows only for referrals, becomes "Denne meddelelse har høj
  prioritet." in the text.
- the author is the organisation with role "ukendt"; the phone is the sender's, the SOR
  register's, or "0000 0000". Back, a named author, a specific sender or recipient and a
  reply's or forward's nature are written into the text.
- all attachments of a CareCommunication travel in ONE XBIN01 (at most 10, only the six
  CareCommunication MIME types; PDF as ``vektor_grafik``, images as ``billede``), its size
  computed. Back, an attachment whose XBIN01 never came (or was invalid) becomes a
  placeholder without data and title (use case S1.A2); a file type CareCommunication does
  not allow is carried as it came (S1.A4); the receiver answers either with a negative
  Acknowledgement.
- EpisodeOfCareStatusCode <-> Encounter status/class and Patient.deceased by section 4.2.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from medcom_adapter.convert.links import Link, OioxmlLetter
from medcom_adapter.errors import LocalError
from medcom_adapter.kinds import Kind
from medcom_adapter.model.carecommunication import (
    ATTACHMENT_TYPES,
    CATEGORY_DISPLAY,
    MAX_ATTACHMENTS,
    Activity,
    AttachmentSegment,
    Author,
    CareCommunication,
    CarePatient,
    CareTeam,
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
from medcom_adapter.model.identifiers import Cpr, LocationNumber, XeCpr
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
from medcom_adapter.model.parties import Address, Organisation, Patient, PersonId
from medcom_adapter.model.text import FormattedText
from medcom_adapter.oioxml.versions import current

DANISH_TIME = ZoneInfo("Europe/Copenhagen")
NO_TOPIC = "Ukendt emne"
HIGH_PRIORITY = "Denne meddelelse har høj prioritet."
NO_PHONE = "0000 0000"
UNKNOWN_ROLE = "ukendt"
SUPPLEMENTARY = "Supplerende oplysninger eftersendes: "
NO_TITLE = "Bilag"  # RefDescription is required in XDIS91; a FHIR title may be missing
REPLY_NOTE = "Denne meddelelse er en besvarelse af en tidligere meddelelse."
FORWARD_NOTE = "Denne meddelelse er en videresendelse af en tidligere meddelelse."
EARLIER_ATTACHMENT = "Bilag i en tidligere meddelelse: "
MORE_IDS = ("Der er modtaget flere end et CPR-nummer i korrespondancemeddelelsen. Derfor er "
            "de resterende medsendte CPR-numre indsat her:")
XDIS91, XBIN01 = Kind.CORRESPONDENCE.value, Kind.BINARY.value
XDIS91_VERSION = current(Kind.CORRESPONDENCE).code
XBIN01_VERSION = current(Kind.BINARY).code
SUBJECT_LENGTH = 70  # the mapping sheet: category and topic, "dog max 70 tegn"
NAME_LENGTH = 35  # OrganisationName, DepartmentName, UnitName in XDIS91

# section 4.2.1: EpisodeOfCareStatusCode -> (Encounter.status, Encounter.class)
STATUS_TO_ENCOUNTER = {
    EpisodeOfCareStatus.INACTIVE: ("unknown", "other"),
    EpisodeOfCareStatus.ADMITTED: ("in-progress", "IMP"),
    EpisodeOfCareStatus.OUTPATIENT: ("in-progress", "AMB"),
    EpisodeOfCareStatus.DECEASED: ("finished", "other"),
    EpisodeOfCareStatus.OUTPATIENT_XRAY: ("in-progress", "AMB"),
}
# The six CareCommunication types, then what else an XBIN01 may carry (Forudsætning 6: the
# conversion service passes those on too; the receiver refuses them).
CONTENT_TYPES: dict[ObjectExtensionCode, str] = {
    ObjectExtensionCode.PDF: "application/pdf", ObjectExtensionCode.GIF: "image/gif",
    ObjectExtensionCode.JPEG: "image/jpeg", ObjectExtensionCode.PNG: "image/png",
    ObjectExtensionCode.TIFF: "image/tiff", ObjectExtensionCode.BMP: "image/bmp",
    ObjectExtensionCode.TXT: "text/plain", ObjectExtensionCode.RTF: "application/rtf",
    ObjectExtensionCode.DOC: "application/msword",
    ObjectExtensionCode.XLS: "application/vnd.ms-excel",
    ObjectExtensionCode.MPG: "video/mpeg", ObjectExtensionCode.AVI: "video/x-msvideo",
    ObjectExtensionCode.WAV: "audio/wav", ObjectExtensionCode.MID: "audio/midi",
    ObjectExtensionCode.RMI: "audio/midi", ObjectExtensionCode.DCM: "application/dicom",
    ObjectExtensionCode.ZIP: "application/zip", ObjectExtensionCode.PCX: "image/x-pcx",
}
OTHER_CONTENT_TYPE = "application/octet-stream"
# section 4.6.2: ObjectCode by the attachment's contentType
OBJECT_CODES = {"application/pdf": ObjectCode.VECTOR_GRAPHICS, "image/gif": ObjectCode.IMAGE,
                "image/jpeg": ObjectCode.IMAGE, "image/png": ObjectCode.IMAGE,
                "image/tiff": ObjectCode.IMAGE, "image/bmp": ObjectCode.IMAGE}
_EXTENSIONS = {t: e for e, t in CONTENT_TYPES.items() if t in ATTACHMENT_TYPES}

SorLookup = Callable[[Organisation], str | None]
Lookup = Callable[[Organisation], str | None]
NewId = Callable[[], str]


class ConversionError(LocalError):
    """The message cannot be expressed in the other form (e.g. no SOR id for a party)."""

    code = "local.conversion"


def sor_in_letter(org: Organisation) -> str | None:
    return org.identifier if org.identifier_code is IdentifierCode.SOR else None


def _nothing(org: Organisation) -> str | None:
    return None


def _uuid() -> str:
    return str(uuid.uuid4())


# --------------------------------------------------------------------------- XDIS91 -> FHIR

def to_fhir(
    message: Emessage,
    binaries: Sequence[BinaryLetter] = (),
    *,
    sor_of: SorLookup = sor_in_letter,
    phone_of: Lookup = _nothing,
    thread_id: str | None = None,
    category: Category | None = None,
    author: Author | None = None,
    incomplete: bool = False,
    new_id: NewId = _uuid,
) -> CareCommunication:
    """The CareCommunication for an XDIS91 Emessage and the binary letters it references.

    ``incomplete``: an XBIN01 the XDIS91 references did not come within 60 minutes or was
    invalid; its attachments become placeholders (S1.A2). Without it a missing XBIN01 is a
    ConversionError. ``category`` and ``author`` are what a sender knows beyond XDIS91.
    """
    return to_fhir_linked(message, binaries, sor_of=sor_of, phone_of=phone_of,
                          thread_id=thread_id, category=category, author=author,
                          incomplete=incomplete, new_id=new_id)[0]


def to_fhir_linked(
    message: Emessage,
    binaries: Sequence[BinaryLetter | Emessage] = (),
    *,
    sor_of: SorLookup = sor_in_letter,
    phone_of: Lookup = _nothing,
    thread_id: str | None = None,
    category: Category | None = None,
    author: Author | None = None,
    incomplete: bool = False,
    new_id: NewId = _uuid,
) -> tuple[CareCommunication, Link]:
    """:func:`to_fhir` and the :class:`Link` it makes (pass the XBIN01s as Emessages for
    their envelope ids to be linked)."""
    (km,) = message.letters
    if not isinstance(km, ClinicalEmail):
        raise ConversionError("expected an XDIS91 letter")
    letters = [b if isinstance(b, BinaryLetter) else _binary(b) for b in binaries]
    objects = {o.object_id: o for b in letters for o in b.objects}
    sent = message.envelope.sent.replace(tzinfo=DANISH_TIME)
    authorised = km.letter.authorised.replace(tzinfo=DANISH_TIME)
    sender = _party(km.sender, sor_of, joined=True)
    subject_category, topic = _read_subject(km.subject)
    category = category or subject_category
    author = author or Author(family=sender.name, role_text=UNKNOWN_ROLE)
    referral = category is Category.REGARDING_REFERRAL
    phone = km.sender.phone or phone_of(km.sender) or NO_PHONE

    texts = [t.to_plain() for t in km.texts] or [""]
    if km.priority is CorrespondencePriority.HIGH and not referral:
        texts[-1] = f"{texts[-1]}\n{HIGH_PRIORITY}" if texts[-1] else HIGH_PRIORITY
    segments: list[Segment] = [
        TextSegment(f"urn:uuid:{new_id()}", authorised, author, sender, text, phone)
        for text in texts
    ]
    missing = foreign = False
    for ref in km.references:
        segment = _attachment(ref, objects, authorised, sender, author, phone, new_id,
                              incomplete)
        missing |= isinstance(segment, AttachmentSegment) and segment.placeholder
        foreign |= isinstance(segment, AttachmentSegment) and not segment.allowed_type
        segments.append(segment)
    status = km.patient_status
    episode = None
    if km.episode_of_care is not None:
        encounter_status, encounter_class = STATUS_TO_ENCOUNTER[status]
        episode = EpisodeOfCareRef(km.episode_of_care, None, encounter_status, encounter_class)
    patient = km.patient
    message_id = new_id()
    event = Event(message_id, Activity.NEW, sent, sender, tuple(s.id for s in segments))
    cc = CareCommunication(
        bundle_id=new_id(),
        message_id=message_id,
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
        thread_id=thread_id or f"urn:uuid:{uuid.uuid4()}",  # UUID v4, as the sheet says
        category=category,
        topic=topic or (NO_TOPIC if category is Category.OTHER else None),
        priority=_fhir_priority(km.priority) if referral else None,
        episode_of_care=episode,
        segments=tuple(segments),
        history=(event,),
    )
    oioxml = [OioxmlLetter(XDIS91, message.envelope.identifier, km.letter.identifier,
                           XDIS91_VERSION, str(km.sender.ean), str(km.receiver.ean))]
    oioxml += [OioxmlLetter(XBIN01, b.envelope.identifier, b.letters[0].letter.identifier,
                            XBIN01_VERSION, str(km.sender.ean), str(km.receiver.ean))
               for b in binaries if isinstance(b, Emessage)
               and isinstance(b.letters[0], BinaryLetter)]
    link = Link(cc.bundle_id, cc.message_id, cc.sender, cc.receiver, tuple(oioxml), event,
                incomplete=missing, foreign_types=foreign)
    return cc, link


def _binary(message: Emessage) -> BinaryLetter:
    letter = message.letters[0]
    if not isinstance(letter, BinaryLetter):
        raise ConversionError("expected an XBIN01 letter with the XDIS91")
    return letter


def _read_subject(subject: str | None) -> tuple[Category, str | None]:
    """Category and topic of an XDIS91 subject. The sheet says category ``other``; a subject
    that starts with a category's Danish display, as our FHIR -> XDIS91 writes it, gets that
    category back, so a round trip keeps it (docs/conversion.md)."""
    if not subject:
        return Category.OTHER, None
    for category, display in CATEGORY_DISPLAY.items():
        if category is Category.OTHER:
            continue
        if subject == display:
            return category, None
        if subject.startswith(display + ", "):
            return category, subject[len(display) + 2:] or None
    return Category.OTHER, subject


def _fhir_priority(priority: CorrespondencePriority | None) -> Priority | None:
    if priority is None:
        return None
    return Priority.ASAP if priority is CorrespondencePriority.HIGH else Priority.ROUTINE


def _party(org: Organisation, sor_of: SorLookup, *, joined: bool) -> Party:
    sor = sor_of(org) or sor_in_letter(org)
    if not sor:
        raise ConversionError(
            f"no SOR id for location number {org.ean} ({org.identifier_code.value} "
            f"{org.identifier}); FHIR needs one: register it in the receivers directory, "
            "import the SOR register (medcom-adapter sor import) or give --sor GLN=SOR"
        )
    parts = (org.name, org.department, org.unit) if joined else (org.name,)
    name = ", ".join(p for p in parts if p and p != "_") or None
    return Party(sor=sor, gln=str(org.ean), name=name)


def _attachment(
    ref: Reference, objects: dict[ObjectId, BinaryObject], time: datetime, party: Party,
    author: Author, phone: str, new_id: NewId, incomplete: bool,
) -> Segment:
    target = ref.target
    if isinstance(target, UrlRef):
        return AttachmentSegment(f"urn:uuid:{new_id()}", time, party, ref.description,
                                 url=target.url, author=author, phone=phone)
    if isinstance(target, SupplementaryRef):
        return TextSegment(f"urn:uuid:{new_id()}", time, author, party,
                           SUPPLEMENTARY + ref.description, phone)
    content_type = CONTENT_TYPES.get(target.extension, OTHER_CONTENT_TYPE)
    segment_id = f"urn:uuid:{target.object_id.uuid or new_id()}"
    obj = objects.get(target.object_id)
    if obj is None:
        if not incomplete:
            raise ConversionError(
                f"the binary letter with object {target.object_id.value} is missing; convert "
                "the XDIS91 together with its XBIN01, or as incomplete when it did not come "
                "within 60 minutes or was invalid (use case S1.A2)")
        # S1.A2: the payload is there, but at least data and title are not
        return AttachmentSegment(segment_id, time, party, None, content_type, None,
                                 author=author, phone=phone)
    return AttachmentSegment(segment_id, time, party, ref.description, content_type, obj.data,
                             author=author, phone=phone)


# --------------------------------------------------------------------------- FHIR -> XDIS91

@dataclass(frozen=True, slots=True)
class OioxmlMessages:
    correspondence: Emessage  # the XDIS91
    binaries: tuple[Emessage, ...]  # none, or the one XBIN01 holding every attachment
    link: Link


def to_oioxml(
    cc: CareCommunication, *, ids: IdSource | None = None,
    status_code: EpisodeOfCareStatus | None = None,
    name_of: Callable[[Party], str | None] | None = None,
) -> OioxmlMessages:
    """The XDIS91 and (with attachments) the one XBIN01 for a CareCommunication.

    ``name_of`` names a party without Organization.name (the SOR register's name; XDIS91
    requires the sender's). ConversionError: more than 10 attachments or a file type
    CareCommunication does not allow (Forudsætning 5 and 6).
    """
    ids = ids or IdSource()
    sent = local_minute(cc.timestamp)
    own = _own_segments(cc)
    sender = _organisation(cc.sender, name_of, phone=_phone(cc, own))
    receiver = _organisation(cc.receiver, name_of)
    patient_id, other_ids = _patient_ids(cc.patient)
    patient = Patient(
        id=patient_id, surname=cc.patient.family,
        given_name=" ".join(cc.patient.given) or None,
        address=Address(street=(cc.patient.address_lines or (None,))[0],
                        district=cc.patient.city, postcode=cc.patient.postal_code),
    )
    texts = [FormattedText.plain(t) for t in _texts(cc, own)]
    if other_ids:
        texts.append(FormattedText.plain(
            f"{MORE_IDS} {', '.join(str(i) for i in other_ids)}"))
    files = [s for s in own if isinstance(s, AttachmentSegment) and s.data is not None]
    _check_files(files)
    objects = [BinaryObject(_object_id(s.id), OBJECT_CODES[s.content_type or ""],
                            _EXTENSIONS[s.content_type or ""], s.data or b"") for s in files]
    references = [obj.reference(s.title or NO_TITLE) for obj, s in zip(objects, files,
                                                                        strict=True)]
    references += [Reference(s.title or NO_TITLE, UrlRef(s.url)) for s in own
                   if isinstance(s, AttachmentSegment) and s.url is not None and s.data is None]
    texts, priority = _priority(texts, cc)
    km = ClinicalEmail(
        letter=LetterHeader(ids.letter_id(), local_minute(cc.latest.occurred)),
        sender=sender, receiver=receiver, patient=patient,
        patient_status=status_code or _status(cc),
        texts=tuple(_fit_ten(texts)),
        episode_of_care=_episode(cc),
        priority=priority,
        subject=_subject(cc),
        references=tuple(references),
    )
    correspondence = Emessage(Envelope(ids.envelope_id(), sent), (km,))
    letters = [OioxmlLetter(XDIS91, correspondence.envelope.identifier, km.letter.identifier,
                            XDIS91_VERSION, cc.sender.gln, cc.receiver.gln)]
    binaries: tuple[Emessage, ...] = ()
    if objects:
        binary = BinaryLetter(LetterHeader(ids.letter_id(), local_minute(files[0].time)), sender,
                              receiver, tuple(objects), Patient(patient.id, patient.surname,
                                                                patient.given_name))
        binaries = (Emessage(Envelope(ids.envelope_id(), sent), (binary,)),)
        letters.append(OioxmlLetter(XBIN01, binaries[0].envelope.identifier,
                                    binary.letter.identifier, XBIN01_VERSION, cc.sender.gln,
                                    cc.receiver.gln))
    link = Link(cc.bundle_id, cc.message_id, cc.sender, cc.receiver, tuple(letters), cc.latest)
    return OioxmlMessages(correspondence, binaries, link)


def _own_segments(cc: CareCommunication) -> list[Segment]:
    """What this message says: its own segments, and for a forward what it forwards (the
    receiver has not seen those). A reply's earlier segments the receiver already has."""
    own = set(cc.latest.segment_ids)
    if cc.latest.activity is Activity.FORWARD or not own:
        return list(cc.segments)
    return [s for s in cc.segments if s.id in own]


def _patient_ids(patient: CarePatient) -> tuple[PersonId, tuple[PersonId, ...]]:
    """The one id XDIS91's patient carries (a CPR before a national replacement CPR before
    any other) and the rest, for the text (use case S2, remark 2)."""
    ids = patient.ids
    chosen = next((i for kind in (Cpr, XeCpr) for i in ids if isinstance(i, kind)), ids[0])
    return chosen, tuple(i for i in ids if i is not chosen)


def _check_files(files: list[AttachmentSegment]) -> None:
    if len(files) > MAX_ATTACHMENTS:
        raise ConversionError(
            f"{len(files)} attachments: while MedCom's conversion service runs a "
            f"CareCommunication carries at most {MAX_ATTACHMENTS} (Forudsætning 5), and one "
            f"XBIN01 holds at most {MAX_ATTACHMENTS}")
    for s in files:
        if s.content_type not in ATTACHMENT_TYPES:
            raise ConversionError(
                f"attachment {s.title or s.id!r} is {s.content_type or 'untyped'}; "
                "CareCommunication allows only " + ", ".join(sorted(ATTACHMENT_TYPES)) +
                " (Forudsætning 6)")


def _texts(cc: CareCommunication, own: list[Segment]) -> list[str]:
    """Text01 blocks: the texts (with their author where the mapping says so), a reply's or
    forward's note, a reply's earlier attachments by name, the specific sender/recipient."""
    texts = [_with_author(s) for s in own if isinstance(s, TextSegment)]
    if cc.latest.activity is Activity.REPLY:
        texts.append(REPLY_NOTE)
    elif cc.latest.activity is Activity.FORWARD:
        texts.append(FORWARD_NOTE)
    earlier = [s for s in cc.segments if isinstance(s, AttachmentSegment) and s not in own
               and s.data is None and s.url is None]
    if earlier:
        texts[-1] += "".join(f"\n{EARLIER_ATTACHMENT}{s.title or NO_TITLE}" for s in earlier)
    for label, detail in (("Afsender", cc.sender_detail), ("Modtager", cc.recipient_detail)):
        if detail is not None:
            texts.append(f"{label}: {_describe(detail)}")
    return texts


def _describe(detail: Author | CareTeam) -> str:
    if isinstance(detail, CareTeam):
        return f"{detail.name} ({detail.organisation.name or detail.organisation.sor})"
    role = detail.role.code if detail.role else detail.role_text
    name = " ".join((*detail.given, detail.family or "")).strip()
    return f"{name} ({role})" if name else str(role)


def _phone(cc: CareCommunication, own: list[Segment]) -> str | None:
    phones = [s.phone for s in own if isinstance(s, TextSegment)]
    return next((p for p in phones if p and p != NO_PHONE), None)


def _organisation(party: Party, name_of: Callable[[Party], str | None] | None,
                  phone: str | None = None) -> Organisation:
    name = party.name or (name_of(party) if name_of else None) or f"SOR {party.sor}"
    parts: list[str | None] = [*name.split(", ", 2), None, None]
    org, department, unit = (p[:NAME_LENGTH] if p else None for p in parts[:3])
    return Organisation(
        ean=LocationNumber(party.gln), identifier=party.sor,
        identifier_code=IdentifierCode.SOR, name=org or None, department=department,
        unit=unit, phone=phone,
    )


def _with_author(segment: TextSegment) -> str:
    author = segment.author
    if author.role_text == UNKNOWN_ROLE and author.family == segment.assigner.name:
        return segment.text  # the conversion default: nothing to add
    return f"{_describe(author)}:\n{segment.text}"


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
    """The category's Danish display and the topic, comma-joined, at most 70 characters;
    for ``other`` the topic alone (what MedCom's XDIS91 -> FHIR made of the subject)."""
    if cc.category is Category.OTHER:
        return None if cc.topic in (None, NO_TOPIC) else (cc.topic or "")[:SUBJECT_LENGTH]
    subject = ", ".join(p for p in (CATEGORY_DISPLAY[cc.category], cc.topic) if p)
    return subject[:SUBJECT_LENGTH]


def _status(cc: CareCommunication) -> EpisodeOfCareStatus:
    """Section 4.2.2; every other combination (or none) is ``inaktiv``."""
    episode = cc.episode_of_care
    if cc.patient.deceased:
        return EpisodeOfCareStatus.DECEASED
    if episode is not None and episode.status == "in-progress":
        if episode.class_code == "IMP":
            return EpisodeOfCareStatus.ADMITTED
        if episode.class_code == "AMB":
            return EpisodeOfCareStatus.OUTPATIENT
    return EpisodeOfCareStatus.INACTIVE


def _episode(cc: CareCommunication) -> str | None:
    """The episode-of-care identifier, without dashes in XDIS91 (section 4.2); a UUID
    written as a URN loses its ``urn:uuid:`` prefix, which XDIS91 has no room for."""
    if cc.episode_of_care is None:
        return None
    value = cc.episode_of_care.value.removeprefix("urn:uuid:")
    return value if len(value) <= NAME_LENGTH else value.replace("-", "")[:NAME_LENGTH]


def _fit_ten(texts: list[FormattedText]) -> list[FormattedText]:
    # XDIS91 has at most 10 text blocks; later ones join the tenth
    if len(texts) <= 10:
        return texts or [FormattedText.plain("")]
    joined = "\n\n".join(t.to_plain() for t in texts[9:])
    return [*texts[:9], FormattedText.plain(joined)]


def _object_id(segment_id: str) -> ObjectId:
    value = segment_id.removeprefix("urn:uuid:")
    return ObjectId(value) if len(value) in (32, 36) else ObjectId.new()


def oioxml_id(value: str, ids: IdSource) -> str:
    return value if len(value) <= 14 else ids.envelope_id()


def local_minute(value: datetime) -> datetime:
    return value.astimezone(DANISH_TIME).replace(tzinfo=None, second=0, microsecond=0)


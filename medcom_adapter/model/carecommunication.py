"""The FHIR CareCommunication message (MedCom 5.0), as the adapter models it.

One message carries the whole thread: every text and attachment segment so far, each with
its id, time, author and the organisation that added it, and one history event
(Provenance) per message of the thread. Reply keeps the thread id; forward starts a new one.
Times carry a time zone, as FHIR requires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from medcom_adapter.errors import InvalidValue
from medcom_adapter.fhir.versions import current
from medcom_adapter.kinds import Kind
from medcom_adapter.model.parties import PersonId

_CURRENT = current(Kind.CARE_COMMUNICATION).version


class Category(StrEnum):
    """MedCom CareCommunication categories (CodeSystem medcom-careCommunication-categoryCodes)."""

    ALCOHOL_AND_DRUG_TREATMENT = "alcohol-and-drug-treatment"
    ASSISTIVE_DEVICES = "assistive-devices"
    CARE_COORDINATION = "carecoordination"
    DECEASE = "decease"
    DISCHARGE = "discharge"
    EXAMINATION_RESULTS = "examination-results"
    HEALTHCARE = "healthcare"
    HOME_CARE_ASSESSMENT = "home-care-assessment"
    MEDICINE = "medicine"
    NURSING = "nursing"
    OUTPATIENT = "outpatient"
    PSYCHIATRY_SOCIAL_DISABILITY = "psychiatry-social-disability"
    REGARDING_REFERRAL = "regarding-referral"
    TELEMEDICINE = "telemedicine"
    TRAINING = "training"
    OTHER = "other"
    ACUTE_AMBULANT = "acute-ambulant"
    EXTENDED_CARE_RESPONSIBILITY = "extended-care-responsibility"


# The Danish display MedCom's CodeSystem gives each category (designation language "da").
CATEGORY_DISPLAY: dict[Category, str] = {
    Category.ALCOHOL_AND_DRUG_TREATMENT: "Rusmiddelbehandling",
    Category.ASSISTIVE_DEVICES: "Hjælpemidler",
    Category.CARE_COORDINATION: "Forløbskoordinering",
    Category.DECEASE: "Dødsfald",
    Category.DISCHARGE: "Udskrivelse",
    Category.EXAMINATION_RESULTS: "Undersøgelsessvar",
    Category.HEALTHCARE: "Sundhedspleje",
    Category.HOME_CARE_ASSESSMENT: "Visitation",
    Category.MEDICINE: "Medicin",
    Category.NURSING: "Sygepleje",
    Category.OUTPATIENT: "Ambulant",
    Category.PSYCHIATRY_SOCIAL_DISABILITY: "Psykiatri, social, handicap",
    Category.REGARDING_REFERRAL: "Vedr. henvisning",
    Category.TELEMEDICINE: "Telemedicin",
    Category.TRAINING: "Træning",
    Category.ACUTE_AMBULANT: "Akut ambulant",
    Category.EXTENDED_CARE_RESPONSIBILITY: "Udvidet behandlingsansvar",
    Category.OTHER: "Andet",
}


class Activity(StrEnum):
    NEW = "new-message"
    REPLY = "reply-message"
    FORWARD = "forward-message"


class Priority(StrEnum):
    ROUTINE = "routine"
    ASAP = "asap"


# The six MIME types MedCom allows (ValueSet medcom-core-attachmentMimeTypes). The model
# does not refuse others: MedCom's conversion service carries an XBIN01's other file types
# into the CareCommunication (use case S1.A4), and the receiver answers it with a negative
# Acknowledgement; the profile's required binding says so, and our builders refuse them.
ATTACHMENT_TYPES = frozenset(
    {"application/pdf", "image/gif", "image/jpeg", "image/png", "image/tiff", "image/bmp"}
)
MAX_ATTACHMENTS = 10  # conversion rules v3.1.0, Forudsætning 5


def _aware(value: datetime, what: str) -> None:
    if value.tzinfo is None:
        raise InvalidValue(f"{what} needs a time zone (FHIR dateTime with time)")


@dataclass(frozen=True, slots=True)
class Party:
    """An organisation as MedCom messaging names it: SOR id and GLN, both required."""

    sor: str
    gln: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Coding:
    system: str
    code: str


@dataclass(frozen=True, slots=True)
class Author:
    """A person writing for an organisation (PractitionerRole + Practitioner)."""

    family: str | None
    given: tuple[str, ...] = ()
    role: Coding | None = None  # a MedCom PractitionerRoles code, e.g. sygeplejerske
    role_text: str | None = None  # or a free-text role
    organisation: Party | None = None

    def __post_init__(self) -> None:
        if (self.role is None) == (self.role_text is None):
            raise InvalidValue("an author has a role code or a role text, exactly one (cc-7)")


@dataclass(frozen=True, slots=True)
class CareTeam:
    name: str
    organisation: Party


@dataclass(frozen=True, slots=True)
class CarePatient:
    id: PersonId
    family: str
    given: tuple[str, ...] = ()
    deceased: bool | None = None
    address_lines: tuple[str, ...] = ()
    city: str | None = None
    postal_code: str | None = None
    other_ids: tuple[PersonId, ...] = ()  # a CPR beside replacement CPRs: one of each type

    @property
    def ids(self) -> tuple[PersonId, ...]:
        return (self.id, *self.other_ids)


@dataclass(frozen=True, slots=True)
class TextSegment:
    """A piece of text added by one message of the thread."""

    id: str  # urn:uuid of the segment
    time: datetime
    author: Author
    assigner: Party  # the organisation that added the segment
    text: str
    phone: str  # the author's contact phone (required by MedCom for text)

    def __post_init__(self) -> None:
        _aware(self.time, "a segment time")


@dataclass(frozen=True, slots=True)
class AttachmentSegment:
    """An attached file (or link); in replies earlier attachments come back without data.

    ``title`` None (and no data): the placeholder MedCom's conversion service writes for an
    XBIN01 that did not arrive within 60 minutes or was invalid (use case S1.A2)."""

    id: str
    time: datetime
    assigner: Party
    title: str | None
    content_type: str | None = None  # a link (url only) may have none
    data: bytes | None = None
    url: str | None = None
    created: datetime | None = None
    author: Author | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        _aware(self.time, "an attachment time")

    @property
    def allowed_type(self) -> bool:
        return self.content_type is None or self.content_type in ATTACHMENT_TYPES

    @property
    def placeholder(self) -> bool:
        """An attachment whose file never came (no data, title or url)."""
        return self.data is None and self.url is None and self.title is None


Segment = TextSegment | AttachmentSegment


@dataclass(frozen=True, slots=True)
class Predecessor:
    """The message a reply or forward answers: a FHIR MessageHeader id, or an OIOXML/EDIFACT
    letter named ``<lokationsnummer>#<brevid>``."""

    message_id: str | None = None
    oioxml_identifier: str | None = None

    def __post_init__(self) -> None:
        if (self.message_id is None) == (self.oioxml_identifier is None):
            raise InvalidValue("a predecessor is a FHIR message id or an OIOXML identifier")


@dataclass(frozen=True, slots=True)
class Event:
    """One message of the thread (a Provenance): who sent it, when, what it added."""

    message_id: str  # the MessageHeader.id of that message
    activity: Activity
    occurred: datetime
    agent: Party
    segment_ids: tuple[str, ...]
    predecessor: Predecessor | None = None
    recorded: datetime | None = None

    def __post_init__(self) -> None:
        _aware(self.occurred, "a history time")


@dataclass(frozen=True, slots=True)
class EpisodeOfCareRef:
    """The Encounter of a message: its episode-of-care identifier (a local UUID with the
    issuer's SOR URL as system, or an LPR3 UUID) and the encounter's status and class."""

    value: str
    system: str | None = None
    status: str = "unknown"  # FHIR EncounterStatus, e.g. in-progress, finished
    class_code: str = "AMB"  # v3 ActCode, e.g. AMB (ambulatory), IMP (inpatient), or "other"


@dataclass(frozen=True, slots=True)
class CareCommunication:
    bundle_id: str  # new for every send, also a resend
    message_id: str  # MessageHeader.id
    timestamp: datetime
    sender: Party
    receiver: Party
    patient: CarePatient
    thread_id: str  # Communication.identifier, urn:uuid
    category: Category
    segments: tuple[Segment, ...]
    history: tuple[Event, ...]
    topic: str | None = None
    priority: Priority | None = None
    episode_of_care: EpisodeOfCareRef | None = None
    sender_detail: Author | CareTeam | None = None  # a more specific sender
    recipient_detail: Author | CareTeam | None = None  # a more specific receiver
    definition_version: str = _CURRENT  # MessageHeader.definition's version

    def __post_init__(self) -> None:
        _aware(self.timestamp, "the bundle timestamp")
        if self.priority is not None and self.category is not Category.REGARDING_REFERRAL:
            raise InvalidValue("priority is only allowed with category regarding-referral (cc-5)")
        if self.category is Category.OTHER and not self.topic:
            raise InvalidValue("category other needs a topic (cc-6)")
        if not any(isinstance(s, TextSegment) for s in self.segments):
            raise InvalidValue("a CareCommunication carries at least one text segment")
        if not self.history:
            raise InvalidValue("a CareCommunication carries its history (Provenance)")

    @property
    def latest(self) -> Event:
        """This message's own history event."""
        return next(e for e in self.history if e.message_id == self.message_id)

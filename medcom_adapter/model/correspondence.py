"""The correspondence letter (korrespondancemeddelelse, XDIS91 ClinicalEmail)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from medcom_adapter.errors import InvalidValue
from medcom_adapter.model.letters import LetterHeader, Reference, canonical_uuid
from medcom_adapter.model.parties import Organisation, Patient
from medcom_adapter.model.text import FormattedText


class EpisodeOfCareStatus(StrEnum):
    """The patient's current status as the sender knows it (required in XDIS91)."""

    INACTIVE = "inaktiv"
    ADMITTED = "indlagt"
    OUTPATIENT = "ambulant"
    DECEASED = "doed"
    OUTPATIENT_XRAY = "ambulant_roentgen"


class CorrespondencePriority(StrEnum):
    ROUTINE = "rutine"
    HIGH = "høj_prioritet"  # MedCom spells it with the ø


@dataclass(frozen=True, slots=True)
class ClinicalEmail:
    """A KM: free text to a GP (or from one) about a patient, with references."""

    letter: LetterHeader
    sender: Organisation
    receiver: Organisation
    patient: Patient
    patient_status: EpisodeOfCareStatus
    texts: tuple[FormattedText, ...]
    episode_of_care: str | None = None  # forløbs-ID; MedCom's DIS91 writes UUIDs undashed
    occupation: str | None = None
    priority: CorrespondencePriority | None = None
    subject: str | None = None
    references: tuple[Reference, ...] = ()

    def __post_init__(self) -> None:
        if self.episode_of_care is not None:
            object.__setattr__(self, "episode_of_care", canonical_uuid(self.episode_of_care))
        if len(self.texts) > 10:
            raise InvalidValue(f"a KM has at most 10 text blocks, got {len(self.texts)}")
        if len(self.references) > 10:
            raise InvalidValue(f"a KM has at most 10 references, got {len(self.references)}")

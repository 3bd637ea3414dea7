"""What a case system hands over when a worker presses the button: patient, unit, worker, course.

Held in the journal's shared store, encrypted (the launch store and the page session); the
CPR number never appears in a URL, a log line or an unencrypted column.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from uuid import UUID

from medcom_adapter.errors import InvalidValue, Location
from medcom_adapter.model.identifiers import Gln, SorId
from medcom_adapter.model.parties import PersonId, outbound_person_id


class Kind(StrEnum):
    REFERRAL = "referral"
    KM = "km"


@dataclass(frozen=True, slots=True)
class LaunchContext:
    patient_id: str = field(repr=False)
    patient_given_name: str | None
    patient_surname: str
    unit_sor: str
    unit_ean: str
    worker_name: str
    episode_id: str  # forløbs-ID (a UUID)
    kind: Kind
    case_system: str  # name of the API key that launched it (for the audit trail)
    key_id: str = ""  # the API key that launched it: the session ends when it is revoked
    journal: bool = False  # may browse the unit's journal, not only this child's messages
    unit_name: str | None = None
    worker_title: str | None = None
    worker_phone: str | None = None
    patient_street: str | None = None
    patient_postcode: str | None = None
    patient_district: str | None = None
    unit_street: str | None = None  # the unit's address and MedCom speciality code: some
    unit_postcode: str | None = None  # letter versions (XBIN02 for BUP departments) need them
    unit_district: str | None = None
    unit_speciality: str | None = None
    gp_sor: str | None = None  # the child's own GP: preselected as a KM's receiver
    patient_id_is_replacement: bool = False  # an erstatnings-CPR/eCPR the case system marked
    worker_id: str | None = None  # the worker's own id in the case system: unread is theirs
    # The unit's EAN as the launching key names it (None when the key names none): what the
    # session sees by location number is scoped by this, never by the EAN the launch sent.
    scope_ean: str | None = None

    def __post_init__(self) -> None:
        for name, check in (("patient.cpr", self._patient_id), ("unit.sor", SorId),
                            ("unit.ean", Gln), ("episode_id", UUID)):
            try:
                check(getattr(self, _ATTR[name]))
            except (InvalidValue, ValueError) as exc:
                raise InvalidValue(exc.message if isinstance(exc, InvalidValue)
                                   else "not a UUID", location=Location(name)) from None

    def _patient_id(self, value: str) -> PersonId:
        return outbound_person_id(value, replacement=self.patient_id_is_replacement)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes) -> LaunchContext:
        raw = json.loads(data)
        return cls(**{**raw, "kind": Kind(raw["kind"])})

    @property
    def patient(self) -> PersonId:
        return self._patient_id(self.patient_id)

    @property
    def patient_display(self) -> str:
        """The patient's name and masked CPR, for page headers."""
        name = " ".join(p for p in (self.patient_given_name, self.patient_surname) if p)
        return f"{name} ({self.patient_id[:6]}-xxxx)"

    @property
    def actor(self) -> str:
        """Who reads the journal on this context's behalf (recorded in the audit log): the
        worker as the launch named them, under the key that launched the session; the name
        is encoded, so no name passes for another kind of actor."""
        from medcom_adapter.journal import actors

        return actors.page_session(self.key_id or "none", self.worker_name)


_ATTR = {"patient.cpr": "patient_id", "unit.sor": "unit_sor", "unit.ean": "unit_ean",
         "episode_id": "episode_id"}

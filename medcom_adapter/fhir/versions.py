"""The FHIR version table: which MedCom FHIR message types and versions we read and build.

A message is recognised by its MessageHeader.eventCoding.code and the version at the end of
MessageHeader.definition (a message without a definition is the one version of its event).
"""

from __future__ import annotations

from dataclasses import dataclass

from medcom_adapter.kinds import Kind


@dataclass(frozen=True, slots=True)
class FhirVersion:
    kind: Kind
    event: str  # MessageHeader.eventCoding.code
    version: str  # the MessageDefinition's version, as MessageHeader.definition ends
    current: bool


VERSIONS: tuple[FhirVersion, ...] = (
    FhirVersion(Kind.CARE_COMMUNICATION, "care-communication-message", "5.0", current=True),
    FhirVersion(Kind.ACKNOWLEDGEMENT, "acknowledgement-message", "2.0", current=True),
)
KIND_OF_EVENT = {v.event: v.kind for v in VERSIONS}


def current(kind: Kind) -> FhirVersion:
    return next(v for v in VERSIONS if v.kind is kind and v.current)

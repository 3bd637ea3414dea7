"""The catalogue: every MedCom message type and version this adapter speaks, one row each.

A :class:`Row` is one message type in one version: its :class:`~medcom_adapter.kinds.Kind`,
syntax, version code, how it is recognised (the syntax's own version table: OIOXML namespace
and letter element, EDIFACT UNH, FHIR event and definition), the envelopes it travels in and
whether it is the current version. What does not change with the version lives in one
:class:`MessageType` per kind: the answer it is owed (receipt, Acknowledgement, none), the
reliable-messaging protocol it follows, whether it is correspondence for the case system,
and its names for people.

Everything else reads these rows: ``detect`` (what a file is, and how its kind is read),
receipting, the workers' tracking, the receivers directory, the service's forms and the
CLI. No other module spells a kind in an ``if`` or a version code (a test holds us to it);
the version tables of each syntax (``oioxml.versions``, ``edifact.versions``,
``fhir.versions``, the envelope modules) are the rows' sources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeAlias

from medcom_adapter.edifact import versions as edifact_versions
from medcom_adapter.envelopes import registry as ehmi_registry
from medcom_adapter.errors import UnknownMessage
from medcom_adapter.fhir import versions as fhir_versions
from medcom_adapter.kinds import Kind
from medcom_adapter.model.acknowledgement import Acknowledgement
from medcom_adapter.model.carecommunication import CareCommunication
from medcom_adapter.oioxml import versions as oioxml_versions
from medcom_adapter.reliable.rules import Protocol

__all__ = [
    "ANSWERS", "CASE_SYSTEM", "FHIR", "TYPES", "Envelope", "FhirMessage", "Kind", "MessageType",
    "Owed", "Row", "Syntax", "current", "envelopes", "kind_named", "message_type", "row", "rows",
]

# the FHIR message types we read into the model (a new one joins this union and TYPES)
FhirMessage: TypeAlias = CareCommunication | Acknowledgement
Bundle: TypeAlias = dict[str, Any]  # a FHIR message Bundle as JSON


class Syntax(StrEnum):
    OIOXML = "oioxml"
    EDIFACT = "edifact"
    FHIR = "fhir"


class Envelope(StrEnum):
    """What a message travels in on the network."""

    EMESSAGE = "Emessage"  # OIOXML's own envelope, on VANS as it is
    INTERCHANGE = "UNB"  # EDIFACT's own interchange, on VANS as it is
    VANS_ENVELOPE = "VANSEnvelope"  # FHIR (and VANS receipts) on VANS
    EHMI_SBDH = "SBDH"  # on EHMI: FHIR, and OIOXML/EDIFACT versions MedCom's registry lists


class Owed(StrEnum):
    """The answer a received message of a kind is owed."""

    RECEIPT = "receipt"  # XCTL / CONTRL, in the message's own syntax
    ACKNOWLEDGEMENT = "acknowledgement"  # a FHIR Acknowledgement
    NONE = "none"  # answers are never answered


@dataclass(frozen=True, slots=True)
class MessageType:
    """What a kind is, whatever its version."""

    kind: Kind
    owed: Owed
    protocol: Protocol  # the reliable-messaging rules its sends and answers follow
    danish: str  # for the pages, in the words their users use (no MedCom codes)
    english: str  # for the CLI and logs
    case_system: bool = False  # delivered to the case system (hook, inbound API, webhook)
    read: Callable[[Bundle], FhirMessage] | None = None  # FHIR: the reader of a valid Bundle

    @property
    def is_answer(self) -> bool:
        """Receipts and acknowledgements: every receiver takes them, nobody answers them."""
        return self.owed is Owed.NONE


@dataclass(frozen=True, slots=True)
class Row:
    """One message type in one version."""

    kind: Kind
    syntax: Syntax
    version: str  # VersionCode (XH0131R), EDIFACT version (H0130R), FHIR version (5.0)
    type_code: str  # how the syntax names the type: XREF01, REF01, CareCommunication
    envelopes: tuple[Envelope, ...]
    current: bool

    @property
    def type(self) -> MessageType:
        return TYPES[self.kind]


def _read_care_communication(bundle: Bundle) -> CareCommunication:
    from medcom_adapter.fhir.carecommunication import from_bundle

    return from_bundle(bundle)


def _read_acknowledgement(bundle: Bundle) -> Acknowledgement:
    from medcom_adapter.fhir.acknowledgement import from_bundle

    return from_bundle(bundle)


def _type(kind: Kind, owed: Owed, protocol: Protocol, danish: str, english: str,
          **more: Any) -> tuple[Kind, MessageType]:
    return kind, MessageType(kind, owed, protocol, danish, english, **more)


_R, _A, _N = Owed.RECEIPT, Owed.ACKNOWLEDGEMENT, Owed.NONE
TYPES: dict[Kind, MessageType] = dict((
    _type(Kind.REFERRAL, _R, Protocol.OIOXML, "Henvisning", "referral"),
    _type(Kind.BINARY, _R, Protocol.OIOXML, "Bilag", "binary attachment"),
    _type(Kind.REFERRAL_ATTACHMENT, _R, Protocol.OIOXML, "Henvisningsbilag",
          "referral attachment"),
    _type(Kind.CORRESPONDENCE, _R, Protocol.OIOXML, "Korrespondancemeddelelse",
          "correspondence", case_system=True),
    _type(Kind.NEGATIVE_VANS_RECEIPT, _N, Protocol.OIOXML, "Kvittering fra netværket",
          "negative VANS receipt"),
    _type(Kind.NEGATIVE_RECEIPT, _N, Protocol.OIOXML, "Negativ kvittering", "negative receipt"),
    _type(Kind.POSITIVE_RECEIPT, _N, Protocol.OIOXML, "Kvittering", "positive receipt"),
    _type(Kind.CARE_COMMUNICATION, _A, Protocol.FHIR, "Korrespondancemeddelelse",
          "CareCommunication", case_system=True, read=_read_care_communication),
    _type(Kind.ACKNOWLEDGEMENT, _N, Protocol.FHIR, "Kvittering", "Acknowledgement",
          read=_read_acknowledgement),
    _type(Kind.VANS_RECEIPT, _N, Protocol.VANS, "Kvittering fra netværket", "VANS receipt"),
    _type(Kind.SBDH_RECEIPT, _N, Protocol.SBDH, "Kvittering fra netværket",
          "EHMI envelope receipt"),
))

_FHIR_ENVELOPES = (Envelope.VANS_ENVELOPE, Envelope.EHMI_SBDH)


def _letter_envelopes(own: Envelope, syntax: Syntax, version: str) -> tuple[Envelope, ...]:
    """VANS carries the file as it is; EHMI in an ehmiSBDH when MedCom's EHMI registry gives
    the version a code (its DOCUMENTID), not otherwise."""
    return (own, Envelope.EHMI_SBDH) if ehmi_registry.listed(syntax, version) else (own,)


ROWS: tuple[Row, ...] = (
    *(Row(v.kind, Syntax.OIOXML, v.code, v.type_code,
          _letter_envelopes(Envelope.EMESSAGE, Syntax.OIOXML, v.code), v.current)
      for v in oioxml_versions.VERSIONS),
    *(Row(v.kind, Syntax.EDIFACT, v.code, v.type_code,
          _letter_envelopes(Envelope.INTERCHANGE, Syntax.EDIFACT, v.code), v.current)
      for v in edifact_versions.VERSIONS),
    *(Row(v.kind, Syntax.FHIR, v.version, v.kind.value, _FHIR_ENVELOPES, v.current)
      for v in fhir_versions.VERSIONS),
)
_BY_KIND_AND_VERSION = {(r.kind, r.version): r for r in ROWS}
# network receipts have no syntax row: they are envelopes themselves
_ENVELOPE_KINDS = {Kind.VANS_RECEIPT: (Envelope.VANS_ENVELOPE,),
                   Kind.SBDH_RECEIPT: (Envelope.EHMI_SBDH,)}
_KIND_BY_NAME = {**{r.type_code: r.kind for r in ROWS}, **{k.value: k for k in Kind}}

ANSWERS = frozenset(k for k, t in TYPES.items() if t.is_answer)
CASE_SYSTEM = tuple(k for k, t in TYPES.items() if t.case_system)  # XDIS91, then FHIR
FHIR = frozenset(r.kind for r in ROWS if r.syntax is Syntax.FHIR)


def rows() -> tuple[Row, ...]:
    return ROWS


def message_type(kind: Kind | str) -> MessageType:
    return TYPES[Kind(kind)]


def kind_named(name: str) -> Kind | None:
    """The kind a syntax's type name stands for (XREF01 and REF01 are both a referral)."""
    return _KIND_BY_NAME.get(name)


def row(kind: Kind | str, version: str) -> Row:
    found = _BY_KIND_AND_VERSION.get((Kind(kind), version))
    if found is None:
        known = ", ".join(r.version for r in ROWS if r.kind == kind) or "none"
        raise UnknownMessage(f"no {kind} version {version!r} (supported: {known})")
    return found


def current(kind: Kind, syntax: Syntax) -> Row:
    """The version we build of ``kind`` in ``syntax``."""
    found = next((r for r in ROWS if r.kind is kind and r.syntax is syntax and r.current), None)
    if found is None:
        raise UnknownMessage(f"no current {syntax} version of {kind}")
    return found


def envelopes(kind: Kind | str, version: str) -> frozenset[Envelope]:
    """What a message of ``kind`` in ``version`` may travel in (a channel that carries one of
    them can send it); every envelope of the kind when the version has no row."""
    kind = Kind(kind)
    found = _BY_KIND_AND_VERSION.get((kind, version))
    if found is not None:
        return frozenset(found.envelopes)
    return frozenset(_ENVELOPE_KINDS.get(kind, ())).union(
        *(r.envelopes for r in ROWS if r.kind is kind))

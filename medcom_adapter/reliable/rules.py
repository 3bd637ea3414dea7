"""The facts reliable messaging works on, and MedCom's rules per protocol as table rows.

A message is known by a :class:`MessageKey`: the id of the envelope it travelled in and its
own id (OIOXML Envelope/Identifier + Letter/Identifier; FHIR Bundle.id + MessageHeader.id;
VANSEnvelope EnvelopeIdentifier + MetaInformation/Identifier; ehmiSBDH InstanceIdentifier +
MESSAGEIDENTIFIER). An answer (receipt or acknowledgement) is an :class:`Answer` that points
back at an envelope id, message ids, or both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from types import MappingProxyType

from medcom_adapter.errors import InvalidValue, RefuseCode


class Protocol(StrEnum):
    OIOXML = "oioxml"  # Emessage on VANS; answers are XCTL01/02/03
    FHIR = "fhir"  # MedCom FHIR messages; answers are Acknowledgements
    VANS = "vans-envelope"  # VANSEnvelope level; answers are VANS receipts
    SBDH = "ehmi-sbdh"  # ehmiSBDH level; answers are envelope receipts


@dataclass(frozen=True, slots=True)
class MessageKey:
    protocol: Protocol
    envelope_id: str
    message_id: str


class AnswerKind(StrEnum):
    POSITIVE = "positive"  # XCTL03, ack ok, VANS PositiveMessage
    NEGATIVE = "negative"  # XCTL02, ack fatal-error, VANS NegativeMessage
    NETWORK_NEGATIVE = "network-negative"  # XCTL01, VANS NegativeVans: never delivered
    TRANSIENT = "transient"  # ack transient-error: the receiver will answer again

    @property
    def final(self) -> bool:
        return self is not AnswerKind.TRANSIENT


@dataclass(frozen=True, slots=True)
class Answer:
    """A received receipt or acknowledgement, as plain facts.

    ``original_envelope_id`` is what OIOXML and VANS receipts point at; FHIR
    acknowledgements point at the MessageHeader.id only (``original_message_ids``)."""

    protocol: Protocol
    kind: AnswerKind
    answer_id: str  # the answer's own envelope/Bundle id (to recognise it arriving twice)
    original_envelope_id: str | None = None
    original_message_ids: tuple[str, ...] = ()
    reason: str | None = None
    refuse_code: RefuseCode | None = None


@dataclass(frozen=True, slots=True)
class Rules:
    """What MedCom says about answers and resends for one protocol.

    ``answer_timeout`` None: no answer is awaited on a clock (a resend is only ever a
    deliberate action). ``auto_resend``: a timed-out message may be resent without a person
    deciding. ``max_resends`` None: no limit stated."""

    answer_timeout: timedelta | None
    auto_resend: bool
    max_resends: int | None
    resend_keeps_message_id: bool = True  # the receiver must see the resend as a duplicate


# FHIR: no ack within 30 minutes MAY be marked for resend (KR7), at most 3 resends (MR5/6),
# each with a new Bundle.id and Provenance times (MR7). OIOXML and VANSEnvelope: a resend is
# a manual, deliberate action with a new envelope id; the 24 hours are this adapter's default
# for flagging a missing receipt, configurable.
FHIR_MAX_RESENDS = 3
DEFAULT_RULES: Mapping[Protocol, Rules] = MappingProxyType({
    Protocol.FHIR: Rules(timedelta(minutes=30), auto_resend=True, max_resends=FHIR_MAX_RESENDS),
    Protocol.OIOXML: Rules(timedelta(hours=24), auto_resend=False, max_resends=None),
    Protocol.VANS: Rules(timedelta(hours=24), auto_resend=False, max_resends=None),
    Protocol.SBDH: Rules(timedelta(minutes=10), auto_resend=False, max_resends=None),
})


@dataclass(frozen=True, slots=True)
class Policy:
    """The rules in force: MedCom's defaults, with timeouts (and auto-resend) configurable."""

    rules: Mapping[Protocol, Rules] = field(default_factory=lambda: DEFAULT_RULES)

    def __post_init__(self) -> None:
        fhir = self.rules[Protocol.FHIR].max_resends
        if fhir is None or fhir > FHIR_MAX_RESENDS:
            raise InvalidValue(f"MedCom allows at most {FHIR_MAX_RESENDS} resends of a FHIR "
                               f"message (MR5/MR6), not {fhir}")
        if not self.rules[Protocol.FHIR].resend_keeps_message_id:
            raise InvalidValue("a FHIR resend keeps its MessageHeader.id (MR7/MR8)")

    def of(self, protocol: Protocol) -> Rules:
        return self.rules[protocol]

    def with_rules(self, protocol: Protocol, **changes: object) -> Policy:
        """A policy with some fields of one protocol's rules changed, e.g.
        ``policy.with_rules(Protocol.FHIR, answer_timeout=timedelta(minutes=45))``."""
        updated = dict(self.rules)
        updated[protocol] = dataclasses.replace(self.rules[protocol], **changes)  # type: ignore[arg-type]
        return Policy(MappingProxyType(updated))

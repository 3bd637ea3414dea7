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
from typing import Any

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
    """How long to wait for an answer and how to resend, for one channel (protocol) and,
    where it differs, one message kind.

    ``answer_timeout`` None: no answer is awaited on a clock (a resend is only ever a
    deliberate action). ``auto_resend``: a timed-out message may be resent without a person
    deciding. ``max_resends`` None: no limit stated. ``resend_interval``: how long to wait
    for the answer to a resend (None: ``answer_timeout`` again)."""

    answer_timeout: timedelta | None
    auto_resend: bool
    max_resends: int | None
    resend_keeps_message_id: bool = True  # the receiver must see the resend as a duplicate
    resend_interval: timedelta | None = None

    def wait_after(self, resends: int) -> timedelta | None:
        """How long the answer to the first send (0) or to resend ``resends`` is awaited."""
        if resends and self.resend_interval is not None:
            return self.resend_interval
        return self.answer_timeout


# FHIR: MedCom's conversion rules v3.1.0 (4.5.1) give end systems 120 minutes to answer
# while the VANS conversion service runs (the FHIR governance's KR7 allowed a resend after 30
# minutes); without an Acknowledgement the regions resend the original message up to three
# times (MR5/6), each with a new Bundle.id and Provenance times (MR7), waiting 120 minutes
# each time. OIOXML and VANSEnvelope: a resend is a manual, deliberate action with a new
# envelope id; the 24 hours are this adapter's default for flagging a missing receipt.
# Every value is configurable (Policy.with_rules); answers themselves are never answered.
FHIR_MAX_RESENDS = 3
FHIR_ANSWER_TIMEOUT = timedelta(minutes=120)
DEFAULT_RULES: Mapping[Protocol, Rules] = MappingProxyType({
    Protocol.FHIR: Rules(FHIR_ANSWER_TIMEOUT, auto_resend=True, max_resends=FHIR_MAX_RESENDS,
                         resend_interval=FHIR_ANSWER_TIMEOUT),
    Protocol.OIOXML: Rules(timedelta(hours=24), auto_resend=False, max_resends=None),
    Protocol.VANS: Rules(timedelta(hours=24), auto_resend=False, max_resends=None),
    Protocol.SBDH: Rules(timedelta(minutes=10), auto_resend=False, max_resends=None),
})
NEVER_ANSWERED = Rules(None, auto_resend=False, max_resends=0)
# Per message kind, where a kind differs from its channel's row: answers are not answered.
DEFAULT_KIND_RULES: Mapping[tuple[Protocol, str], Rules] = MappingProxyType({
    (Protocol.FHIR, "Acknowledgement"): NEVER_ANSWERED,
    **{(Protocol.OIOXML, kind): NEVER_ANSWERED for kind in ("XCTL01", "XCTL02", "XCTL03")},
    **{(Protocol.OIOXML, kind): NEVER_ANSWERED for kind in ("CTL01", "CTL02", "CTL03")},
})


@dataclass(frozen=True, slots=True)
class Policy:
    """The rules in force: MedCom's defaults, per channel and per message kind, with
    timeouts, resend counts and intervals configurable."""

    rules: Mapping[Protocol, Rules] = field(default_factory=lambda: DEFAULT_RULES)
    kinds: Mapping[tuple[Protocol, str], Rules] = field(
        default_factory=lambda: DEFAULT_KIND_RULES)

    def __post_init__(self) -> None:
        fhir = [self.rules[Protocol.FHIR], *(r for (p, _), r in self.kinds.items()
                                             if p is Protocol.FHIR)]
        for rules in fhir:
            if rules.max_resends is None or rules.max_resends > FHIR_MAX_RESENDS:
                raise InvalidValue(f"MedCom allows at most {FHIR_MAX_RESENDS} resends of a "
                                   f"FHIR message (MR5/MR6), not {rules.max_resends}")
            if not rules.resend_keeps_message_id:
                raise InvalidValue("a FHIR resend keeps its MessageHeader.id (MR7/MR8)")
        for rules in (*self.rules.values(), *self.kinds.values()):
            for name, value in (("answer_timeout", rules.answer_timeout),
                                ("resend_interval", rules.resend_interval)):
                if value is not None and value <= timedelta(0):
                    raise InvalidValue(f"{name} must be positive, not {value}")
            if rules.max_resends is not None and rules.max_resends < 0:
                raise InvalidValue(f"max_resends must be 0 or more, not {rules.max_resends}")

    def of(self, protocol: Protocol, kind: str | None = None) -> Rules:
        """The rules for a message kind on a channel: its own row, else the channel's."""
        if kind is not None and (protocol, kind) in self.kinds:
            return self.kinds[(protocol, kind)]
        return self.rules[protocol]

    def with_rules(self, protocol: Protocol, kind: str | None = None,
                   **changes: Any) -> Policy:
        """A policy with some fields of one channel's (or one kind's) rules changed, e.g.
        ``policy.with_rules(Protocol.FHIR, answer_timeout=timedelta(minutes=45))`` or
        ``policy.with_rules(Protocol.OIOXML, "XREF01", answer_timeout=timedelta(hours=4))``."""
        if kind is None:
            updated = dict(self.rules)
            updated[protocol] = dataclasses.replace(self.rules[protocol], **changes)
            return Policy(MappingProxyType(updated), self.kinds)
        kinds = dict(self.kinds)
        kinds[(protocol, kind)] = dataclasses.replace(self.of(protocol, kind), **changes)
        return Policy(self.rules, MappingProxyType(kinds))

    @classmethod
    def from_settings(cls, values: Mapping[str, str]) -> Policy:
        """MedCom's defaults with the operator's settings (e.g. the environment) applied:
        see :data:`SETTINGS`. InvalidValue names a setting that is not a whole number."""
        policy = cls()
        for name, (protocol, field_name, unit) in SETTINGS.items():
            raw = values.get(name)
            if raw is None or not raw.strip():
                continue
            try:
                number = int(raw)
            except ValueError:
                raise InvalidValue(f"{name}: a whole number, not {raw!r}") from None
            value: object = number if unit is None else number * unit
            policy = policy.with_rules(protocol, None, **{field_name: value})
        return policy

    def describe(self) -> list[str]:
        """The rules in force, one line per channel and kind row, for people."""
        lines = [f"{p.value}: {_describe(r)}" for p, r in self.rules.items()]
        lines += [f"{p.value} {k}: {_describe(r)}" for (p, k), r in self.kinds.items()]
        return lines


# The operator's settings Policy.from_settings reads: name -> (channel, field, unit).
SETTINGS: Mapping[str, tuple[Protocol, str, timedelta | None]] = MappingProxyType({
    "MEDCOM_FHIR_ACK_TIMEOUT_MINUTES": (Protocol.FHIR, "answer_timeout", timedelta(minutes=1)),
    "MEDCOM_FHIR_MAX_RESENDS": (Protocol.FHIR, "max_resends", None),
    "MEDCOM_FHIR_RESEND_INTERVAL_MINUTES": (Protocol.FHIR, "resend_interval",
                                            timedelta(minutes=1)),
    "MEDCOM_OIOXML_RECEIPT_TIMEOUT_HOURS": (Protocol.OIOXML, "answer_timeout",
                                            timedelta(hours=1)),
})


def _describe(rules: Rules) -> str:
    if rules.answer_timeout is None:
        return "no answer awaited"
    resends = ("deliberate resends only" if not rules.auto_resend else
               f"up to {rules.max_resends} automatic resends, each awaited "
               f"{rules.wait_after(1)}")
    return f"answer awaited {rules.answer_timeout}; {resends}"

"""A journaled message as the pages show it: with whom, about what and which child, its
status in plain words, and whether the unit has read it and answered it.

Read from the stored bytes (the journal keeps no subject or name in the clear), so a row
costs one parse; what cannot be read shows as its kind. "Opened" and "answered" are the
unit's marks (:mod:`.marks`). "Taken by the case system" comes from the audit log: the
webhook's read (actor ``webhook``) or a case system's own (``api:...``), recorded there
durably for every service process.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.errors import MedComError, UnknownReceiver
from medcom_adapter.fhir import wire
from medcom_adapter.fhir.carecommunication import from_bundle
from medcom_adapter.journal import actors
from medcom_adapter.journal.interface import Direction, Journal, Query, Status, StoredMessage
from medcom_adapter.journal.shared import Unit
from medcom_adapter.kinds import Kind
from medcom_adapter.model.correspondence import ClinicalEmail
from medcom_adapter.model.letters import Referral
from medcom_adapter.model.parties import PersonId
from medcom_adapter.oioxml.emessage import parse
from medcom_adapter.service import forms, labels
from medcom_adapter.service.answers import AnswerView
from medcom_adapter.service.answers import describe as describe_answer
from medcom_adapter.service.context import LaunchContext
from medcom_adapter.service.plain import Plain, Tone, describe

LETTERS = (Kind.REFERRAL.value, *forms.KM_KINDS)  # what the mailbox lists (no receipts)
REFERRAL_SUBJECT = "Henvisning til børne- og ungdomspsykiatrien"


@dataclass(frozen=True, slots=True)
class Letter:
    """What a person reads first about a message."""

    subject: str
    child: str  # name and masked CPR


@dataclass(frozen=True, slots=True)
class MessageView:
    m: StoredMessage
    party: str  # who it went to (sent) or came from (received)
    letter: Letter
    plain: Plain
    answers: tuple[AnswerView, ...]
    opened: bool  # a person has opened it (received messages)
    answered: bool  # marked answered (received messages)

    @property
    def outbound(self) -> bool:
        return self.m.message.direction is Direction.OUTBOUND

    @property
    def unread(self) -> bool:
        return not self.outbound and not self.opened and not self.answered

    @property
    def rank(self) -> int:
        """Mailbox order: unread replies, refusals, overdue answers, then the rest."""
        if self.unread:
            return 0
        if self.outbound and self.m.status is Status.REJECTED:
            return 1
        if self.plain.overdue or (self.outbound and self.plain.tone is Tone.PROBLEM):
            return 2
        return 3


def units(ctx: LaunchContext) -> tuple[Unit, ...]:
    """The launched unit as the launching key names it: its SOR id, and its EAN only where
    the key names that EAN (a launch cannot add a location number to what it may see)."""
    return (Unit(ctx.unit_sor, ctx.scope_ean),)


def patient_scope(ctx: LaunchContext) -> PersonId | None:
    """A session sees the launched child's messages only, unless the launch opened the
    unit's journal (and its key may)."""
    return None if ctx.journal else ctx.patient


def party(directory: Directory, m: StoredMessage) -> str:
    outbound = m.message.direction is Direction.OUTBOUND
    sor = m.message.receiver_sor if outbound else m.message.sender_sor
    ean = m.message.receiver_ean if outbound else m.message.sender_ean
    receiver = forms.find(directory, sor or "")
    if receiver is None:
        try:
            receiver = directory.by_ean(ean or "")
        except UnknownReceiver:
            return "Ukendt"
    return receiver.label


def letter(m: StoredMessage) -> Letter:
    data = m.message.data
    try:
        if m.message.kind == Kind.CARE_COMMUNICATION:
            cc = from_bundle(wire.load(data)[0])
            return Letter(cc.topic or labels.CATEGORY.get(cc.category.value, ""),
                          _child(" ".join((*cc.patient.given, cc.patient.family)),
                                 str(cc.patient.id)))
        first = parse(data).message.letters[0]
    except (MedComError, ValueError, KeyError, IndexError):
        return Letter(labels.KIND.get(m.message.kind, ""), _masked(m))
    if isinstance(first, Referral):
        p = first.patient
        return Letter(REFERRAL_SUBJECT, _child(f"{p.given_name or ''} {p.surname}", str(p.id)))
    if isinstance(first, ClinicalEmail):
        p = first.patient
        return Letter(first.subject or "(intet emne)",
                      _child(f"{p.given_name or ''} {p.surname}", str(p.id)))
    return Letter(labels.KIND.get(m.message.kind, ""), _masked(m))


def _child(name: str, cpr: str) -> str:
    return f"{name.strip()} ({cpr[:6]}-xxxx)"


def _masked(m: StoredMessage) -> str:
    return f"({str(m.message.patient)[:6]}-xxxx)" if m.message.patient else ""


def taken(journal: Journal, ids: Iterable[int], since: datetime | None) -> set[int]:
    """Those of ``ids`` a case system has taken (its webhook or its own read or poll), by
    the actor's kind: no name a person chose passes for a case system (audit rows from
    before actors were typed said ``webhook`` and ``api:<name>``)."""
    wanted = set(ids)
    return {i for e in journal.audit_log(since=since)
            if e.actor in ("worker:webhook", "webhook") or actors.kind(e.actor) == "api-key"
            or e.actor.startswith("api:") for i in e.message_ids if i in wanted}


def views(journal: Journal, directory: Directory, found: Sequence[StoredMessage], *,
          ctx: LaunchContext, now: datetime, answered: set[int],
          opened: set[int]) -> list[MessageView]:
    """The mailbox's rows, in its order."""
    since = min((m.stored_at for m in found), default=None)
    seen, delivered = opened, taken(journal, [m.id for m in found], since)
    result = []
    for m in found:
        answers = tuple(describe_answer(a) for a in _answers(journal, m, ctx))
        result.append(MessageView(
            m, party(directory, m), letter(m),
            describe(m, answers, now=now, delivered=m.id in delivered), answers,
            m.id in seen, m.id in answered))
    return sorted(result, key=lambda v: (v.rank, -v.m.id))


def _answers(journal: Journal, m: StoredMessage, ctx: LaunchContext) -> list[StoredMessage]:
    if m.status is not Status.REJECTED or not m.answered_by:  # a refusal's reasons only
        return []
    return [a for i in m.answered_by
            for a in journal.find(Query(id=i, units=units(ctx), limit=1), actor=ctx.actor)]

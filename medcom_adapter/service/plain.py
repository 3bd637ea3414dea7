"""A message's status in plain Danish: what happened, what it means, what to do next.

A technical receipt says the receiving system got the message and could read it, nothing
about what a person there decided: a positive receipt for a referral is "Regionens system
har modtaget henvisningen", never "godkendt". While an answer is owed the page says when it
is due under MedCom's rules (:mod:`medcom_adapter.reliable.rules`: 120 minutes for a FHIR
Acknowledgement, the adapter's 24 hours for an XCTL receipt), counted from the last send.
A received message is "Leveret til fagsystemet" only when a case system has actually taken
it (its webhook or its poll read it); otherwise it is received and waits here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from medcom_adapter.errors import RefuseCode
from medcom_adapter.journal.interface import Direction, Status, StoredMessage
from medcom_adapter.kinds import Kind
from medcom_adapter.reliable.rules import Policy
from medcom_adapter.service.answers import AnswerView
from medcom_adapter.service.when import danish
from medcom_adapter.workers.tracking import protocol_of


class Tone(StrEnum):
    OK = "ok"
    WAITING = "waiting"
    PROBLEM = "problem"


@dataclass(frozen=True, slots=True)
class Plain:
    headline: str  # e.g. "Regionens system har modtaget henvisningen"
    tone: Tone
    explanation: str = ""
    next_step: str = ""
    due: datetime | None = None  # when the answer is due, while one is owed
    overdue: bool = False


# What a refusal's code means, and what the worker can do about it.
REFUSAL = {
    RefuseCode.UNKNOWN_LOCATION_NUMBER.value: (
        "Modtagerens lokationsnummer er ukendt i netværket.",
        "Kontrollér modtageren, og kontakt kommunens IT-support, hvis den er rigtig."),
    RefuseCode.RECEIVER_ID_PROBLEM.value: (
        "Modtageren kunne ikke genkendes ud fra meddelelsen.",
        "Kontakt kommunens IT-support: modtagerens oplysninger i adapteren skal rettes."),
    RefuseCode.VERSION_PROBLEM.value: (
        "Modtagerens system kan ikke læse denne version af meddelelsen.",
        "Kontakt kommunens IT-support, og send meddelelsen på anden måde imens."),
    RefuseCode.SYNTAX_ERROR.value: (
        "Modtagerens system kunne ikke læse meddelelsen.",
        "Kontakt kommunens IT-support. Send den ikke igen uændret."),
    RefuseCode.NOT_SPECIFIED.value: (
        "Modtagerens system har ikke oplyst hvorfor.",
        "Kontakt modtageren eller kommunens IT-support."),
}
_RECEIVED_BY = {Kind.REFERRAL.value: "Regionens system har modtaget henvisningen"}
_RECEIVED_BY_OTHER = "Modtagerens system har modtaget meddelelsen"


def describe(m: StoredMessage, answers: Sequence[AnswerView], *, now: datetime,
             delivered: bool = False, policy: Policy | None = None) -> Plain:
    """``delivered``: a case system has taken this received message."""
    if m.message.direction is Direction.INBOUND:
        return _inbound(m, delivered=delivered)
    status = m.status
    if status is Status.QUEUED or status is Status.DRAFT:
        return Plain("Sendes", Tone.WAITING, "Meddelelsen er i kø og sendes om et øjeblik.")
    if status in (Status.SENT, Status.RESENT):
        due = due_at(m, policy)
        overdue = due is not None and now >= due
        return Plain(
            "Svaret er forsinket" if overdue else "Afventer svar", Tone.PROBLEM if overdue
            else Tone.WAITING,
            f"Sendt {danish(sent_at(m))}. Modtagerens system skal kvittere senest "
            f"{danish(due)}." if due else f"Sendt {danish(sent_at(m))}.",
            "Kvitteringen er ikke kommet. Kontakt modtageren, eller bed kommunens "
            "IT-support undersøge forsendelsen." if overdue else "", due, overdue)
    if status is Status.ACKNOWLEDGED:
        return Plain(_RECEIVED_BY.get(m.message.kind, _RECEIVED_BY_OTHER), Tone.OK,
                     "Kvitteringen betyder, at meddelelsen er kommet frem og kunne læses. "
                     "Den siger ikke noget om modtagerens vurdering.")
    if status is Status.REJECTED:
        return _rejected(m, answers)
    if status is Status.TIMED_OUT:
        due = due_at(m, policy)
        return Plain("Ingen kvittering inden fristen", Tone.PROBLEM,
                     f"Modtagerens system skulle have kvitteret senest {danish(due)}.",
                     "Kontakt modtageren for at høre, om meddelelsen er kommet frem. "
                     "Kommunens IT-support kan sende den igen.", due, True)
    return Plain("Kunne ikke sendes", Tone.PROBLEM,
                 "Meddelelsen blev ikke sendt, heller ikke efter flere forsøg.",
                 "Kontakt kommunens IT-support.")


def _rejected(m: StoredMessage, answers: Sequence[AnswerView]) -> Plain:
    refused = [a for a in answers if a.ok is False]
    if refused and refused[-1].reasons:
        why = " ".join(dict.fromkeys(r.danish for r in refused[-1].reasons))
        return Plain("Modtagerens system har afvist meddelelsen", Tone.PROBLEM, why,
                     "Ret meddelelsen, og send den igen som en ny meddelelse. Kontakt "
                     "kommunens IT-support, hvis du ikke kan se, hvad der skal rettes.")
    if refused and refused[-1].answer.message.kind == Kind.NEGATIVE_VANS_RECEIPT:
        return Plain("Meddelelsen kunne ikke leveres", Tone.PROBLEM,
                     "Netværket (VANS) kunne ikke aflevere meddelelsen til modtageren.",
                     "Kontakt kommunens IT-support.")
    reason = m.history[-1].reason or ""
    words = set(re.findall(r"\w+", reason))
    code = next((c for c in REFUSAL if c in words), None)
    why, step = REFUSAL[code or RefuseCode.NOT_SPECIFIED.value]
    return Plain("Modtagerens system har afvist meddelelsen", Tone.PROBLEM, why, step)


def _inbound(m: StoredMessage, *, delivered: bool) -> Plain:
    if m.status is Status.REFUSED:
        return Plain("Afvist ved modtagelsen", Tone.PROBLEM,
                     "Meddelelsen kunne ikke læses, og afsenderen har fået besked om det.")
    if m.status is Status.DUPLICATE:
        return Plain("Modtaget igen", Tone.OK,
                     "Samme meddelelse var allerede modtaget; den vises kun én gang.")
    if delivered:
        return Plain("Leveret til fagsystemet", Tone.OK,
                     f"Modtaget {danish(m.stored_at)} og hentet af fagsystemet.")
    return Plain("Modtaget", Tone.OK, f"Modtaget {danish(m.stored_at)}.")


def sent_at(m: StoredMessage) -> datetime | None:
    return next((h.at for h in reversed(m.history)
                 if h.status in (Status.SENT, Status.RESENT)), None)


def due_at(m: StoredMessage, policy: Policy | None = None) -> datetime | None:
    """When the receipt or Acknowledgement is due under the rules in force."""
    timeout = (policy or Policy()).of(protocol_of(m.message.kind)).answer_timeout
    sent = sent_at(m)
    return sent + timeout if sent is not None and timeout is not None else None

"""What the answers to a sent message say, for the status page, in Danish.

An XCTL receipt is named by its kind (the status history carries a negative receipt's
reason). An Acknowledgement is read from its Bundle: ``ok``, or ``fatal-error`` /
``transient-error`` with each OperationOutcome issue told in plain Danish by MedCom's
error code. The issue's own text (``technical``) is kept for the API and IT support; the
pages show the Danish only.
"""

from __future__ import annotations

from dataclasses import dataclass

from medcom_adapter.errors import MedComError
from medcom_adapter.fhir import wire
from medcom_adapter.fhir.acknowledgement import from_bundle
from medcom_adapter.journal.interface import StoredMessage
from medcom_adapter.kinds import Kind
from medcom_adapter.model.acknowledgement import AckCode
from medcom_adapter.service import labels

_RECEIPT_OUTCOME = {Kind.POSITIVE_RECEIPT: labels.ACK_OUTCOME["ok"],
                    Kind.NEGATIVE_RECEIPT: "Afvist af modtagerens system",
                    Kind.NEGATIVE_VANS_RECEIPT: "Kunne ikke leveres af netværket (VANS)"}


@dataclass(frozen=True, slots=True)
class Reason:
    danish: str
    technical: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerView:
    answer: StoredMessage
    label: str  # what kind of answer, e.g. "Kvittering"
    outcome: str  # what it says, e.g. "Modtaget og læst af modtagerens system"
    ok: bool | None  # None: not a verdict (e.g. a reply)
    reasons: tuple[Reason, ...] = ()


def describe(answer: StoredMessage) -> AnswerView:
    kind = answer.message.kind
    label = labels.KIND.get(kind, kind)
    if kind == Kind.ACKNOWLEDGEMENT:
        return _acknowledgement(answer, label)
    outcome = _RECEIPT_OUTCOME.get(Kind(kind)) if kind in _RECEIPT_OUTCOME else None
    if outcome is not None:
        return AnswerView(answer, label, outcome, kind == Kind.POSITIVE_RECEIPT)
    return AnswerView(answer, label, labels.STATUS.get(answer.status.value, ""), None)


def _acknowledgement(answer: StoredMessage, label: str) -> AnswerView:
    try:
        ack = from_bundle(wire.load(answer.message.data)[0])
    except MedComError:
        return AnswerView(answer, label, "Kvitteringen kunne ikke læses", None)
    reasons = tuple(
        Reason(labels.ACK_ERROR.get(i.details.code if i.details else "", labels.ACK_ERROR_OTHER),
               i.text)
        for i in ack.issues)
    return AnswerView(answer, label, labels.ACK_OUTCOME[ack.code.value],
                      ack.code is AckCode.OK, reasons)

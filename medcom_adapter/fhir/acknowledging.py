"""The Acknowledgement a received FHIR message is owed.

Every message is acknowledged, except acknowledgements. A message that validates gets
``ok``; one that does not gets ``fatal-error`` with an OperationOutcome naming each problem
(MedCom's error code where one fits, and always a text with the place). The ack is
addressed from the receiver back to the sender and carries the acknowledged message's own
Provenance plus a new ``acknowledgement`` Provenance.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from medcom_adapter.errors import Issue, MedComError
from medcom_adapter.fhir.bundle import Index, Json, parse_time, read_party
from medcom_adapter.model.acknowledgement import (
    ERROR_CODES,
    AckCode,
    AckEvent,
    Acknowledgement,
    OutcomeIssue,
)
from medcom_adapter.model.carecommunication import Coding, Party

# our issue codes -> MedCom acknowledgement error codes, where one says the same thing
_MEDCOM_CODES = {
    "fhir.binding": "MSG_VALUESET_VALUE_UNKNOWN",
    "fhir.code-system": "MSG_CodeSystem_VALUE_UNKNOWN",
    "fhir.length": "MSG_Element_To_Long",
    "fhir.datatype": "MSG_Datatype_Wrong",
    "remote.unknown-receiver": "MSG_Receiver_Identifier_UNKNOWN",
}
_ISSUE_TYPES = {"fhir.binding": "code-invalid", "fhir.cardinality": "required",
                "fhir.datatype": "value", "fhir.length": "value"}


@dataclass(frozen=True, slots=True)
class AckAnswer:
    ack: Acknowledgement | None
    reason: str


def answer(
    bundle: Json | None,
    problems: Sequence[Issue | MedComError] = (),
    *,
    now: datetime,
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> AckAnswer:
    """The acknowledgement for a received message (``bundle`` None: it could not be read)."""
    if bundle is None:
        return AckAnswer(None, "no acknowledgement possible: the message could not be read")
    try:
        index = Index(bundle)
        header = index.header()
    except MedComError as exc:
        return AckAnswer(None, f"no acknowledgement possible: {exc.message}")
    event = (header.get("eventCoding") or {}).get("code")
    if event == "acknowledgement-message":
        return AckAnswer(None, "acknowledgements are never acknowledged")
    try:
        original_sender = read_party(index.resolve(header.get("sender"), "sender",
                                                   ("Organization",)))
        destination = (header.get("destination") or [{}])[0]
        original_receiver = read_party(index.resolve(destination.get("receiver"), "receiver",
                                                     ("Organization",)))
        acked_id = header["id"]
    except (MedComError, KeyError, TypeError) as exc:
        reason = exc.message if isinstance(exc, MedComError) else f"missing {exc}"
        return AckAnswer(None, f"no acknowledgement possible: cannot address it ({reason})")

    issues = tuple(_outcome(p) for p in problems if not (isinstance(p, Issue) and p.warning))
    history = tuple(e for e in (_own_event(index, acked_id),) if e is not None)
    message_id = new_id()
    ack = Acknowledgement(
        bundle_id=new_id(), message_id=message_id, timestamp=now,
        sender=original_receiver, receiver=original_sender, acknowledged_id=acked_id,
        code=AckCode.FATAL_ERROR if issues else AckCode.OK, issues=issues,
        history=(*history, AckEvent(message_id, "acknowledgement", now, original_receiver,
                                    predecessor=acked_id)),
    )
    return AckAnswer(ack, ack.code.value)


def _own_event(index: Index, message_id: str) -> AckEvent | None:
    """The acknowledged message's own Provenance, if it can be read."""
    for _, provenance in index.of_type("Provenance"):
        targets = [t.get("reference", "") for t in provenance.get("target") or []]
        if not any(t.rpartition("/")[2] == message_id for t in targets):
            continue
        try:
            agent: Party = read_party(index.resolve(
                (provenance.get("agent") or [{}])[0].get("who"), "agent", ("Organization",)))
            occurred = parse_time(provenance.get("occurredDateTime"), "occurredDateTime")
            activity = provenance["activity"]["coding"][0]["code"]
        except (MedComError, KeyError, IndexError, TypeError):
            return None
        return AckEvent(message_id, activity, occurred, agent)
    return None


def _outcome(problem: Issue | MedComError) -> OutcomeIssue:
    if isinstance(problem, MedComError):
        location = problem.location
        code, message = problem.code, problem.message
        path = location.path if location else None
    else:
        code, message, path = problem.code, problem.message, problem.path
    medcom = _MEDCOM_CODES.get(code)
    return OutcomeIssue(
        severity="error",
        code=_ISSUE_TYPES.get(code, "invariant" if code.startswith("cc-") else "structure"),
        details=Coding(ERROR_CODES, medcom) if medcom else None,
        # our paths are FHIRPath-like, not FHIRPath: they go in the text, not in expression
        text=f"{code}: {message}" + (f" ({path})" if path else ""),
    )

"""Acknowledgement 2.0 message Bundles <-> the model."""

from __future__ import annotations

from typing import Any

from medcom_adapter.conformance.leniency import reading
from medcom_adapter.errors import InconsistentMessage, InvalidValue
from medcom_adapter.fhir.bundle import (
    EVENT_SYSTEM,
    IG,
    ORGANIZATION_PROFILE,
    SOR_URL,
    BundleWriter,
    Index,
    Json,
    destination,
    error,
    fhir_time,
    first,
    parse_time,
    provenance,
    read_party,
)
from medcom_adapter.model.acknowledgement import AckCode, AckEvent, Acknowledgement, OutcomeIssue
from medcom_adapter.model.carecommunication import Coding

BASE = f"{IG}/acknowledgement"
PROFILES = {
    "Bundle": f"{IG}/acknowledgement/StructureDefinition/medcom-messaging-acknowledgement",
    "MessageHeader":
        f"{IG}/acknowledgement/StructureDefinition/medcom-messaging-acknowledgementHeader",
    "OperationOutcome":
        f"{IG}/acknowledgement/StructureDefinition/medcom-acknowledgement-operationoutcome",
    "Provenance": f"{IG}/messaging/StructureDefinition/medcom-messaging-provenance",
    "Organization": ORGANIZATION_PROFILE,
}


def to_bundle(ack: Acknowledgement) -> Json:
    w = BundleWriter(ack.bundle_id, BASE, PROFILES)
    header: Json = {
        "resourceType": "MessageHeader",
        "id": ack.message_id,
        "eventCoding": {"system": EVENT_SYSTEM, "code": "acknowledgement-message"},
    }
    for event in ack.history:
        w.add(_provenance(event, w), f"{event.activity} {event.occurred.isoformat()}")
    response: Json = {"identifier": ack.acknowledged_id, "code": ack.code.value}
    if ack.issues:
        outcome = {"resourceType": "OperationOutcome", "id": w.new_id("outcome"),
                   "issue": [_issue(i) for i in ack.issues]}
        response["details"] = {"reference": w.add(outcome, ack.code.value)}
    header.update({
        "destination": [destination(ack.receiver, w.party(ack.receiver))],
        "sender": {"reference": w.party(ack.sender)},
        "source": {"endpoint": SOR_URL + ack.sender.sor},
        "response": response,
    })
    w.add(header, f"Acknowledgement ({ack.code.value}) of {ack.acknowledged_id}", at=0)
    return w.message_bundle(ack.bundle_id, fhir_time(ack.timestamp))


def _provenance(event: AckEvent, w: BundleWriter) -> Json:
    entities = ([{"role": "revision", "what": {"reference": f"MessageHeader/{event.predecessor}"}}]
                if event.predecessor is not None else [])
    return provenance(w, message_id=event.message_id, activity=event.activity,
                      occurred=event.occurred, recorded=event.recorded, agent=event.agent,
                      entities=entities)


def _issue(issue: OutcomeIssue) -> Json:
    out: Json = {"severity": issue.severity, "code": issue.code}
    details: Json = {}
    if issue.details is not None:
        details["coding"] = [{"system": issue.details.system, "code": issue.details.code}]
    if issue.text is not None:
        details["text"] = issue.text
    if details:
        out["details"] = details
    if issue.expression is not None:
        out["expression"] = [issue.expression]
    return out


def from_bundle(bundle: Json) -> Acknowledgement:
    """Read an Acknowledgement Bundle; InconsistentMessage names what and where."""
    try:
        with reading():  # our own checks (a CPR number's date part) do not refuse a message
            return _read(bundle)
    except InvalidValue as exc:
        raise InconsistentMessage(exc.message, location=exc.location) from None
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise error(f"unexpected structure: {exc}", "Bundle") from None


def _read(bundle: Json) -> Acknowledgement:
    index = Index(bundle)
    header = index.header()
    hp = "Bundle.entry[0].resource(MessageHeader)"
    response = header.get("response")
    if not isinstance(response, dict):
        raise error("an acknowledgement has a response", f"{hp}.response")
    primary = first(header.get("destination"), f"{hp}.destination")
    details = response.get("details")
    outcome = (index.resolve(details, f"{hp}.response.details", ("OperationOutcome",))
               if details else None)
    return Acknowledgement(
        bundle_id=bundle["id"],
        message_id=header["id"],
        timestamp=parse_time(bundle.get("timestamp"), "Bundle.timestamp"),
        sender=read_party(index.resolve(header.get("sender"), f"{hp}.sender",
                                        ("Organization",))),
        receiver=read_party(index.resolve(primary.get("receiver"),
                                          f"{hp}.destination[0].receiver", ("Organization",))),
        acknowledged_id=response["identifier"],
        code=AckCode(response["code"]),
        issues=tuple(_read_issue(i) for i in (outcome or {}).get("issue") or []),
        history=tuple(_event(index, p, i) for i, p in index.of_type("Provenance")),
    )


def _read_issue(issue: Json) -> OutcomeIssue:
    details = issue.get("details") or {}
    coding = (details.get("coding") or [None])[0]
    expression = (issue.get("expression") or [None])[0]
    return OutcomeIssue(
        severity=issue["severity"], code=issue["code"],
        details=Coding(coding["system"], coding["code"]) if coding else None,
        text=details.get("text"), expression=expression,
    )


def _event(index: Index, provenance: Json, i: int) -> AckEvent:
    path = f"Bundle.entry[{i}].resource(Provenance)"
    target = first(provenance.get("target"), f"{path}.target").get("reference", "")
    agent = index.resolve(first(provenance.get("agent"), f"{path}.agent").get("who"),
                          f"{path}.agent[0].who", ("Organization",))
    revision: Any = next((e for e in provenance.get("entity") or []
                          if e.get("role") == "revision"), None)
    predecessor = (revision.get("what") or {}).get("reference") if revision else None
    occurred = parse_time(provenance.get("occurredDateTime"), f"{path}.occurredDateTime")
    recorded = provenance.get("recorded")
    recorded_at = parse_time(recorded, f"{path}.recorded") if recorded else None
    return AckEvent(
        message_id=target.rpartition("/")[2],
        activity=first(provenance["activity"]["coding"], f"{path}.activity")["code"],
        occurred=occurred,
        agent=read_party(agent),
        predecessor=predecessor.rpartition("/")[2] if predecessor else None,
        recorded=None if recorded_at == occurred else recorded_at,
    )

"""What every MedCom FHIR message Bundle shares: identifiers, organisations, references,
times, narrative, and errors that name the place in the Bundle."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from html import escape
from typing import Any

from medcom_adapter.errors import InconsistentMessage, Location
from medcom_adapter.model.carecommunication import Party

Json = dict[str, Any]

IG = "http://medcomfhir.dk/ig"
SOR = "urn:oid:1.2.208.176.1.1"
GLN = "https://www.gs1.org/gln"
SOR_URL = "https://sor2.sum.dsdn.dk/#id="
EVENT_SYSTEM = f"{IG}/terminology/CodeSystem/medcom-messaging-eventCodes"
DESTINATION_USE = f"{IG}/messaging/StructureDefinition/medcom-messaging-destinationUseExtension"
DESTINATION_USE_SYSTEM = f"{IG}/terminology/CodeSystem/medcom-messaging-destinationUse"
ACTIVITY_SYSTEM = f"{IG}/terminology/CodeSystem/medcom-messaging-activityCodes"
ORGANIZATION_PROFILE = f"{IG}/messaging/StructureDefinition/medcom-messaging-organization"


class BundleWriter:
    """Collects a Bundle's entries; one Organization per distinct party; stable ids.

    Resource ids are derived from the Bundle id, so the same message always gives the same
    Bundle (and a resend, with its new Bundle id, gets new resource ids).
    """

    def __init__(self, bundle_id: str, base: str, profiles: Mapping[str, str]) -> None:
        self._namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:bundle:{bundle_id}")
        self._base = base
        self._profiles = profiles
        self.entries: list[Json] = []
        self.refs: dict[object, str] = {}

    def new_id(self, key: str) -> str:
        return str(uuid.uuid5(self._namespace, key))

    def message_bundle(self, bundle_id: str, timestamp: str) -> Json:
        """The Bundle of type message around the entries added so far."""
        return {
            "resourceType": "Bundle",
            "id": bundle_id,
            "meta": {"profile": [self._profiles["Bundle"]]},
            "type": "message",
            "timestamp": timestamp,
            "entry": self.entries,
        }

    def add(self, resource: Json, summary: str, *, at: int | None = None) -> str:
        kind, rid = resource["resourceType"], resource["id"]
        resource["meta"] = {"profile": [self._profiles[kind]]}
        resource["text"] = {"status": "generated", "div": narrative(summary)}
        entry = {"fullUrl": f"{self._base}/{kind}/{rid}", "resource": ordered(resource)}
        if at is None:
            self.entries.append(entry)
        else:
            self.entries.insert(at, entry)
        return f"{kind}/{rid}"

    def party(self, party: Party) -> str:
        if party not in self.refs:
            resource: Json = {
                "resourceType": "Organization",
                "id": self.new_id(f"org:{party.sor}:{party.gln}:{party.name}"),
                "identifier": [{"system": GLN, "value": party.gln},
                               {"system": SOR, "value": party.sor}],
            }
            if party.name is not None:
                resource["name"] = party.name
            self.refs[party] = self.add(resource, party.name or f"SOR {party.sor}")
        return self.refs[party]


def provenance(
    w: BundleWriter, *, message_id: str, activity: str, occurred: datetime,
    recorded: datetime | None, agent: Party, entities: list[Json],
) -> Json:
    """A Provenance: one message of the history (``recorded`` defaults to ``occurred``)."""
    resource: Json = {
        "resourceType": "Provenance",
        "id": w.new_id(f"provenance:{message_id}"),
        "target": [{"reference": f"MessageHeader/{message_id}"}],
        "occurredDateTime": fhir_time(occurred),
        "recorded": fhir_time(recorded or occurred),
        "activity": {"coding": [{"system": ACTIVITY_SYSTEM, "code": activity}]},
        "agent": [{"who": {"reference": w.party(agent)}}],
    }
    if entities:
        resource["entity"] = entities
    return resource


def destination(receiver: Party, reference: str) -> Json:
    """MessageHeader.destination for the primary receiver."""
    return {
        "extension": [{"url": DESTINATION_USE, "valueCoding": {
            "system": DESTINATION_USE_SYSTEM, "code": "primary"}}],
        "endpoint": SOR_URL + receiver.sor,
        "receiver": {"reference": reference},
    }


_ORDER = ("resourceType", "id", "meta", "text", "extension", "identifier")


def ordered(resource: Json) -> Json:
    """id/meta/text first: FHIR JSON has no required order, but readers expect it."""
    head = {k: resource[k] for k in _ORDER if k in resource}
    return {**head, **{k: v for k, v in resource.items() if k not in head}}


def narrative(summary: str) -> str:
    return f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{escape(summary)}</p></div>'


def fhir_time(value: datetime) -> str:
    return value.isoformat()


class Index:
    """Resources of a Bundle by fullUrl and by ``Type/id``, for resolving references."""

    def __init__(self, bundle: Json) -> None:
        self.by_ref: dict[str, tuple[int, Json]] = {}
        entries = bundle.get("entry")
        if not isinstance(entries, list) or not entries:
            raise error("a message Bundle has entries", "Bundle.entry")
        for i, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                raise error("entry without a resource", f"Bundle.entry[{i}]")
            kind, rid = resource.get("resourceType"), resource.get("id")
            if isinstance(entry.get("fullUrl"), str):
                self.by_ref[entry["fullUrl"]] = (i, resource)
            if isinstance(kind, str) and isinstance(rid, str):
                self.by_ref.setdefault(f"{kind}/{rid}", (i, resource))
        self.entries = entries

    def header(self) -> Json:
        header: Json = self.entries[0]["resource"]
        if header.get("resourceType") != "MessageHeader":
            raise error("the first entry must be the MessageHeader", "Bundle.entry[0]")
        return header

    def resolve(self, reference: Any, path: str, kinds: tuple[str, ...]) -> Json:
        ref = reference.get("reference") if isinstance(reference, dict) else None
        if not isinstance(ref, str):
            raise error("missing reference", path)
        found = self.by_ref.get(ref) or self.by_ref.get("/".join(ref.rsplit("/", 2)[-2:]))
        if found is None:
            raise error(f"reference {ref!r} is not in the Bundle", path)
        if found[1].get("resourceType") not in kinds:
            raise error(f"reference {ref!r} is not a {' or '.join(kinds)}", path)
        return found[1]

    def of_type(self, kind: str) -> list[tuple[int, Json]]:
        return [(i, e["resource"]) for i, e in enumerate(self.entries)
                if e["resource"].get("resourceType") == kind]


def read_party(org: Json) -> Party:
    systems = {i.get("system"): i.get("value") for i in org.get("identifier") or []}
    if not systems.get(SOR) or not systems.get(GLN):
        raise error("a messaging organisation has both a SOR id and a GLN",
                    f"Organization/{org.get('id')}.identifier")
    return Party(sor=systems[SOR], gln=systems[GLN], name=org.get("name"))


def extension(element: Json, url: str, value_key: str) -> Any:
    return next((e.get(value_key) for e in element.get("extension") or []
                 if e.get("url") == url), None)


def first(items: Any, path: str) -> Any:
    if not isinstance(items, list) or not items:
        raise error("required element is missing", path)
    return items[0]


def parse_time(value: Any, path: str) -> datetime:
    if not isinstance(value, str):
        raise error("missing time", path)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise error(f"{value!r} is not a FHIR dateTime", path) from None
    if parsed.tzinfo is None:
        raise error("a FHIR dateTime with a time needs a time zone", path)
    return parsed


def error(message: str, path: str) -> InconsistentMessage:
    return InconsistentMessage(message, location=Location(path))

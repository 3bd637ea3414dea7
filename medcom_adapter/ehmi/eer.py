"""Who takes what on EHMI: reading the endpoint register (EER) into capabilities, and a
cache that keeps them until they expire.

An EER ``Endpoint`` (profile EerEndpointMessaging, on IHE mCSD) names a location number
(its GLN identifier), how it is reached (``connectionType``: eDelivery, eDelivery FHIR, or
VANS), while it is valid (``period``) and which message types it takes (``payloadType``,
codes of MedCom's message-definition registry). The registry's codes are turned into the
adapter's kinds and versions: ``...:oioxml:schema:xsd:medref:xref01:xh0131r`` is XREF01
XH0131R, ``...:edifact:medref:ref01:h0131r`` is REF01 H0131R,
``...::carecommunication-message##...::5.0`` is CareCommunication 5.0. No I/O here: the
caller fetches the register's Bundles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from medcom_adapter.errors import MalformedMessage

Json = dict[str, Any]
GLN_SYSTEM = "http://www.gs1.org/gln"  # fixed by EER's GLN_Identifier profile
# read as well: spellings MedCom's own EER and EAS instances use
GLN_SYSTEMS = frozenset({GLN_SYSTEM, "https://www.gs1.org/gln", "http://gs1.org/gln"})
EHMI_CONNECTIONS = frozenset({"EerMessagingEdelivery", "EerMessagingEdeliveryFhir"})
VANS_CONNECTIONS = frozenset({"vansMessaging"})
_FHIR_KINDS = {"carecommunication-message": "CareCommunication",
               "acknowledgement-message": "Acknowledgement",
               "ehmisbdh-acknowledgement": "SBDH-Ack"}


@dataclass(frozen=True, slots=True)
class MessageType:
    kind: str  # XREF01, CareCommunication, REF01, ...
    version: str  # XH0131R, 5.0, H0131R, ...


@dataclass(frozen=True, slots=True)
class Capability:
    """One endpoint: a location number, the channel it is reached on, what it takes."""

    gln: str
    channel: str  # ehmi or vans
    address: str | None
    takes: frozenset[MessageType]
    valid_from: date | None
    valid_until: date | None

    def valid_on(self, day: date) -> bool:
        return ((self.valid_from is None or self.valid_from <= day)
                and (self.valid_until is None or day <= self.valid_until))


def message_type(code: str) -> MessageType | None:
    """The kind and version a registry code names; None for one the adapter has no kind for."""
    if "##" in code:  # FHIR and ebXML: <...>::<name>##<...>::<version>
        name = code.split("##", 1)[0].rsplit("::", 1)[-1]
        version = code.rsplit("::", 1)[-1]
        kind = _FHIR_KINDS.get(name)
        return None if kind is None else MessageType(kind, version)
    parts = code.split(":")
    if len(parts) >= 3 and ("oioxml" in parts or "edifact" in parts):
        return MessageType(parts[-2].upper(), parts[-1].upper())
    return None


def capabilities(bundle: Json) -> list[Capability]:
    """The endpoints of an EER search Bundle (or a single Endpoint); MalformedMessage when
    the answer is not shaped as FHIR shapes them (lists that are not lists, objects that are
    not objects, a period that is no date)."""
    try:
        resources = ([e.get("resource", {}) for e in bundle.get("entry", [])]
                     if bundle.get("resourceType") == "Bundle" else [bundle])
        return [_capability(r) for r in resources
                if r.get("resourceType") == "Endpoint" and r.get("status", "active") == "active"]
    except (TypeError, AttributeError, ValueError) as exc:  # read only: refused as a whole
        raise MalformedMessage(f"EER answer is not a Bundle of Endpoints as FHIR shapes one "
                               f"({type(exc).__name__})") from None


def _capability(endpoint: Json) -> Capability:
    gln = next((i.get("value") for i in endpoint.get("identifier", [])
                if i.get("system") in GLN_SYSTEMS), None)
    if not gln:
        raise MalformedMessage(f"EER Endpoint {endpoint.get('id', '?')} has no GLN identifier")
    connection = {c.get("code") for c in _codings(endpoint.get("connectionType"))}
    channel = "ehmi" if connection & EHMI_CONNECTIONS else (
        "vans" if connection & VANS_CONNECTIONS else "")
    if not channel:
        raise MalformedMessage(f"EER Endpoint {endpoint.get('id', '?')}: connectionType "
                               f"{sorted(c for c in connection if c)} is not a messaging one")
    takes = frozenset(t for c in endpoint.get("payloadType", []) for coding in _codings(c)
                      if (t := message_type(str(coding.get("code", "")))) is not None)
    period = endpoint.get("period", {})
    return Capability(gln, channel, endpoint.get("address"), takes,
                      _day(period.get("start")), _day(period.get("end")))


def _codings(concept: object) -> Iterable[Json]:
    if isinstance(concept, dict):
        return [concept] if "code" in concept else concept.get("coding", [])
    return []


def _day(text: object) -> date | None:
    return None if not text else date.fromisoformat(str(text)[:10])


def channel_for(found: Iterable[Capability], gln: str, kind: str, version: str, *,
                on: date) -> str | None:
    """The channel a message of ``kind`` and ``version`` to ``gln`` goes on: EHMI before
    VANS where both take it; None when no valid endpoint takes it."""
    wanted = MessageType(kind, version)
    channels = {c.channel for c in found if c.gln == gln and c.valid_on(on) and wanted in c.takes}
    return "ehmi" if "ehmi" in channels else ("vans" if "vans" in channels else None)


class EerCache:
    """Capabilities per location number, fetched on a miss and kept for ``ttl``."""

    def __init__(self, fetch: Callable[[str], Json], *, ttl: timedelta,
                 clock: Callable[[], datetime]) -> None:
        self._fetch, self._ttl, self._clock = fetch, ttl, clock
        self._held: dict[str, tuple[datetime, list[Capability]]] = {}

    def lookup(self, gln: str) -> list[Capability]:
        now = self._clock()
        held = self._held.get(gln)
        if held is None or now - held[0] >= self._ttl:
            held = (now, [c for c in capabilities(self._fetch(gln)) if c.gln == gln])
            self._held[gln] = held
        return held[1]

"""What the scenario runner puts on the wire: catalogue messages with fresh ids, FHIR in a
VANSEnvelope, and what an answer to each must name.

Every scenario gets ids of its own, so a vendor's system never takes one scenario's
message for a duplicate of another's (or of an earlier run's), and every answer can be
traced to the scenario that asked for it. Within a scenario the same fixture gets the same
ids, so a delivery repeated is a true duplicate and a reply delivered first still names the
message it answers.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from medcom_adapter.detect import check
from medcom_adapter.envelopes import fhir_payload, vans
from medcom_adapter.model.ids import IdSource
from medcom_adapter.safe_xml import load

# where an OIOXML message keeps the ids a receiver tells messages apart by
_OIOXML_IDS = ("{*}Envelope/{*}Identifier", "{*}*/{*}Letter/{*}Identifier")


@dataclass(frozen=True, slots=True)
class Wire:
    """One file as delivered, and the keys answers to it name."""

    data: bytes
    kind: str  # the transport's kind: VANSEnvelope, XDIS91, ...
    envelope_id: str  # what a receipt names (Envelope/Identifier or EnvelopeIdentifier)
    message_id: str | None  # what a FHIR Acknowledgement names (MessageHeader.id)
    sender: str
    receiver: str


def is_fhir(data: bytes) -> bool:
    return bytes(data[:64]).lstrip().startswith(b"{")


def is_edifact(data: bytes) -> bool:
    return bytes(data[:3]) in (b"UNA", b"UNB")


# the catalogue's interchanges use MedCom's default service characters (UNA:+.? ')
_UNB = re.compile(rb"UNB\+[^+']*\+[^+']*\+[^+']*\+[^+']*\+([^+':]+)")  # 0020 reference
_UNH = re.compile(rb"(?:^|')\s*UNH\+([^+':]+)")  # 0062 message (letter) reference


def _edifact_value(old: str) -> re.Pattern[bytes]:
    """``old`` as a whole data element (between separators), never inside another."""
    return re.compile(rb"(?<=[+:])" + re.escape(old.encode("latin-1")) + rb"(?=['+:])")


def ids_of(data: bytes) -> list[str]:
    """The ids a receiver tells this message apart by."""
    if is_edifact(data):
        return [m.group(1).decode("latin-1") for p in (_UNB, _UNH) for m in p.finditer(data)]
    if is_fhir(data):
        bundle = json.loads(data)
        ids = [str(bundle["id"]), str(bundle["entry"][0]["resource"]["id"])]
        for entry in bundle["entry"]:  # the thread id: urn:uuid:<uuid>
            if entry["resource"].get("resourceType") == "Communication":
                ids += [i["value"].removeprefix("urn:uuid:")
                        for i in entry["resource"].get("identifier", []) if "value" in i]
        return ids
    root = load(data).getroot()
    return [e.text for path in _OIOXML_IDS for e in root.iterfind(path)
            if isinstance(e, etree._Element) and e.text]


def renew(messages: Sequence[bytes], *, ids: IdSource | None = None,
          new_uuid: Callable[[], str] = lambda: str(uuid.uuid4())) -> list[bytes]:
    """``messages`` with every id replaced by a fresh one, the same one everywhere it occurs
    (so references between the messages still hold)."""
    ids = ids or IdSource()
    fresh: dict[str, str] = {}
    for data in messages:
        for old in ids_of(data):
            if old not in fresh:
                fresh[old] = new_uuid() if is_fhir(data) else ids.envelope_id()
    out = []
    for data in messages:
        for old, new in fresh.items():
            if is_fhir(data):
                data = data.replace(old.encode(), new.encode())
            elif is_edifact(data):  # interchange and message references are data elements
                data = _edifact_value(old).sub(new.encode("latin-1"), data)
            else:  # OIOXML ids stand alone as element text
                data = data.replace(b">" + old.encode() + b"<", b">" + new.encode() + b"<")
        out.append(data)
    return out


def on_the_wire(data: bytes, *, sent: datetime) -> Wire:
    """The file for ``data`` as VANS carries it: FHIR in a VANSEnvelope, OIOXML and EDIFACT
    as they are."""
    if is_fhir(data):
        facts = fhir_payload.read_message(data)
        envelope = fhir_payload.wrap(data, sent=sent, envelope_id=str(uuid.uuid4()))
        return Wire(vans.build(envelope), "VANSEnvelope", envelope.envelope_id,
                    facts.message_id, facts.sender_gln, facts.receiver_gln)
    report = check(data)
    if is_edifact(data):  # the interchange is its own envelope: UNB names its parties
        reference = _UNB.search(data)
        parties = re.search(rb"UNB\+[^+']*\+([^+':]*)[^+']*\+([^+':]*)", data)
        return Wire(data, report.kind or "UNB", reference.group(1).decode("latin-1")
                    if reference else "", None,
                    *((parties.group(1).decode(), parties.group(2).decode()) if parties
                      else ("", "")))
    root = load(data).getroot()
    envelope_id = root.findtext("{*}Envelope/{*}Identifier") or ""
    eans = [e.text or "" for e in root.iter("{*}EANIdentifier")]
    return Wire(data, report.kind or "Emessage", envelope_id, None,
                *(eans[:2] if len(eans) >= 2 else ("", "")))

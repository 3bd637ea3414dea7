"""What a VANS provider reads from a file to route it: kind, envelope id and parties.

An OIOXML Emessage names its parties in its first letter; a VANSEnvelope in ``SenderID`` and
``ReceiverID``, its kind in ``Document/Name`` (``MCM:FDIS91#...`` is a CareCommunication,
``MCM:FCTL#...`` an Acknowledgement) or ``Receipt`` (a VANS receipt). Read leniently (a
damaged file is still routed, so its receiver can refuse it), without DTDs, entities or
network access, and never beyond the addressing elements.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from medcom_adapter import catalogue
from medcom_adapter.catalogue import Envelope
from medcom_adapter.envelopes.fhir_payload import by_name
from medcom_adapter.errors import UnknownMessage
from medcom_adapter.kinds import Kind
from medcom_adapter.oioxml.versions import by_code

VANS_RECEIPT = Kind.VANS_RECEIPT.value

_LENIENT = etree.XMLParser(
    recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
)


@dataclass(frozen=True, slots=True)
class Address:
    kind: str  # XREF01, XBIN02, XCTL03, ... (or the letter element when the version is unknown)
    envelope_id: str | None
    sender: str | None
    receiver: str | None
    letters: tuple[tuple[str, str], ...] = ()  # (letter id, version code)
    receiver_identifier: tuple[str, str] | None = None  # (IdentifierCode, Identifier)
    vans: bool = False  # a VANSEnvelope (FHIR), not an OIOXML Emessage

    @property
    def is_receipt(self) -> bool:
        return self.kind in catalogue.ANSWERS and self.kind != Kind.ACKNOWLEDGEMENT


# Addressing comes before any binary content, so the head of a file is enough to route it.
_HEAD = 32 * 1024


def read_address(data: bytes) -> Address | None:
    """The routing facts of an OIOXML file; None when not even those can be read."""
    try:
        root = etree.fromstring(bytes(data[:_HEAD]), _LENIENT)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is not None and _local(root) == Envelope.VANS_ENVELOPE:
        return _vans_address(root)
    if root is None or _local(root) != "Emessage":
        return None
    envelope, letters = None, []
    for child in root:
        name = _local(child)
        if name == "Envelope":
            envelope = envelope if envelope is not None else child
        elif name and name != "Local_Elements":
            letters.append(child)
    if not letters:
        return None
    first = letters[0]
    heads = [_Children(letter) for letter in letters]  # each letter's children, by name
    head = heads[0]
    sender, receiver = _Children(head.first("Sender")), _Children(head.first("Receiver"))
    version = _Children(head.first("Letter")).text("VersionCode")
    try:
        kind = by_code(version).type_code if version else _local(first)
    except UnknownMessage:
        kind = _local(first)
    code, ident = receiver.text("IdentifierCode"), receiver.text("Identifier")
    said = [_Children(h.first("Letter")) for h in heads]
    return Address(
        kind=kind,
        envelope_id=_Children(envelope).text("Identifier"),
        sender=sender.text("EANIdentifier"),
        receiver=receiver.text("EANIdentifier"),
        letters=tuple(
            (letter_id, letter.text("VersionCode") or "ukendt")
            for letter in said if (letter_id := letter.text("Identifier"))
        ),
        receiver_identifier=(code, ident) if code and ident else None,
    )


def _vans_address(root: etree._Element) -> Address:
    message = _child(root, "Message")
    meta = _child(message, "MetaInformation")
    name = _text(meta, "Document", "Name", limit=80)
    document = by_name(name) if name else None
    if message is None:
        kind = VANS_RECEIPT if _child(root, "Receipt") is not None else Envelope.VANS_ENVELOPE
    else:
        kind = document.kind if document is not None else "VANSEnvelope"
    identifier = _text(meta, "Identifier", limit=64)
    return Address(
        kind=kind, envelope_id=_text(root, "EnvelopeIdentifier", limit=64),
        sender=_text(root, "SenderID"), receiver=_text(root, "ReceiverID"),
        letters=((identifier, _text(meta, "Document", "Version") or "ukendt"),)
        if identifier else (), vans=True)


class _Children:
    """An element's children by local name, the first of each (one pass over them)."""

    __slots__ = ("_by_name",)

    def __init__(self, element: etree._Element | None) -> None:
        self._by_name: dict[str, etree._Element] = {}
        for child in element if element is not None else ():
            self._by_name.setdefault(_local(child), child)

    def first(self, name: str) -> etree._Element | None:
        return self._by_name.get(name)

    def text(self, name: str, limit: int = 35) -> str | None:
        return _text(self._by_name.get(name), limit=limit)


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    return next((c for c in element if _local(c) == name), None)


def _text(element: etree._Element | None, *path: str, limit: int = 35) -> str | None:
    for step in path:
        element = _child(element, step)
    value = element.text.strip() if element is not None and element.text else None
    return value if value and len(value) <= limit else None


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""

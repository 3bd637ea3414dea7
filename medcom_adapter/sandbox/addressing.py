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
_OBJECT = b"Object_Base64Encoded>"


def read_address(data: bytes) -> Address | None:
    """The routing facts of an OIOXML file; None when not even those can be read."""
    root = _head(data)
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
    sender, receiver = _child(first, "Sender"), _child(first, "Receiver")
    version = _text(first, "Letter", "VersionCode")
    try:
        kind = by_code(version).type_code if version else _local(first)
    except UnknownMessage:
        kind = _local(first)
    code, ident = _text(receiver, "IdentifierCode"), _text(receiver, "Identifier")
    said = [_child(letter, "Letter") for letter in letters]
    return Address(
        kind=kind,
        envelope_id=_text(envelope, "Identifier"),
        sender=_text(sender, "EANIdentifier"),
        receiver=_text(receiver, "EANIdentifier"),
        letters=tuple(
            (letter_id, _text(letter, "VersionCode") or "ukendt")
            for letter in said if (letter_id := _text(letter, "Identifier"))
        ),
        receiver_identifier=(code, ident) if code and ident else None,
    )


def _head(data: bytes) -> etree._Element | None:
    """The head of the file as a lenient parse of its first 32 KB sees it, the routing facts
    read from it. Where an attachment's base64 text starts sooner, up to that text only:
    parsing 30 KB of base64 into a tree to throw it away was most of routing an XBIN. The
    shorter head is taken only when nothing but that text can follow in the 32 KB (no "<"),
    and it ends in that text's empty element: the longer head adds text to it, nothing the
    routing facts are read from."""
    head = bytes(data[:_HEAD])
    text = head.find(_OBJECT)
    if text >= 0 and head.find(b"<", text + len(_OBJECT)) < 0:
        root = _parse(head[:text + len(_OBJECT)])
        if root is not None and _ends_in_empty_object(root):
            return root
    return _parse(head)


def _parse(head: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(head, _LENIENT)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _ends_in_empty_object(root: etree._Element) -> bool:
    """Whether the last node of the tree is an ``Object_Base64Encoded`` without content."""
    last = root
    while len(last):
        last = last[-1]
    return _local(last) == "Object_Base64Encoded" and last.text is None


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


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    """The first child element named ``name``, in any namespace or none."""
    if element is None:
        return None
    return next(element.iterchildren(f"{{*}}{name}"), None)


def _text(element: etree._Element | None, *path: str, limit: int = 35) -> str | None:
    for step in path:
        element = _child(element, step)
    value = element.text.strip() if element is not None and element.text else None
    return value if value and len(value) <= limit else None


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""

"""Loading untrusted XML safely: no DTDs, no entities, no network, bounded size.

Messages come from peers on the health network; a parser that expands entities or fetches
a DTD is an attack surface. libxml2 is told not to load DTDs, resolve entities or touch the
network, and any document that declares a DOCTYPE at all is refused: MedCom messages never
have one.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from medcom_adapter.errors import Location, MalformedMessage, MessageTooLarge, UnsafeMessage

DEFAULT_MAX_BYTES = 100 * 1024 * 1024  # the VANS network's message size limit

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=True,  # large base64 text nodes are normal in XBIN; size is bounded above
    remove_comments=False,
    collect_ids=False,
)


def load(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._ElementTree:
    """Parse ``data`` into a tree, or raise a RemoteError saying what is wrong and where."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("load() takes the message bytes, not text")
    if len(data) > max_bytes:
        raise MessageTooLarge(f"message is {len(data)} bytes; the limit is {max_bytes}")
    if not bytes(data[:4096]).strip():
        raise MalformedMessage("message is empty")
    if _declares_doctype(bytes(data[:_PROLOG_SCAN])):
        raise UnsafeMessage("document has a DOCTYPE; MedCom messages never declare one")
    try:
        root = etree.fromstring(bytes(data), _PARSER)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        where = Location(line=line) if line else None
        raise MalformedMessage(_syntax_message(exc), location=where) from None
    except (ValueError, LookupError) as exc:  # e.g. an encoding libxml2 does not know
        raise MalformedMessage(f"cannot read the XML: {exc}") from None
    tree = root.getroottree()
    docinfo: Any = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise UnsafeMessage("document has a DOCTYPE; MedCom messages never declare one")
    if _has_entity_nodes(root):
        raise UnsafeMessage("document uses entity references")
    return tree


# A DOCTYPE can only come before the root element; look for it in the prolog, in the
# byte forms of the encodings XML allows without a declaration (UTF-8/Latin-1 and UTF-16).
_PROLOG_SCAN = 64 * 1024
_DOCTYPE_FORMS = tuple(
    "<!DOCTYPE".encode(codec) for codec in ("ascii", "utf-16-le", "utf-16-be")
)


def _declares_doctype(prolog: bytes) -> bool:
    return any(form in prolog for form in _DOCTYPE_FORMS)


def _has_entity_nodes(root: etree._Element) -> bool:
    return any(True for _ in root.iter(etree.Entity))


def _syntax_message(exc: etree.XMLSyntaxError) -> str:
    text = str(exc.msg or exc).strip()
    return f"not well-formed XML: {text}"


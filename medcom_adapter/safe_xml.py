"""Loading untrusted XML safely: no DTDs, no entities, no network, bounded size.

Messages come from peers on the health network; a parser that expands entities or fetches
a DTD is an attack surface. libxml2 is told not to load DTDs, resolve entities or touch the
network, and any document that declares a DOCTYPE at all is refused: MedCom messages never
have one.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from medcom_adapter.errors import Location, MalformedMessage, MessageTooLarge, UnsafeMessage
from medcom_adapter.xml_root import root_namespace

__all__ = ["DEFAULT_MAX_BYTES", "load", "root_namespace"]

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
    if not isinstance(data, bytes):
        data = bytes(data)  # one copy for a bytearray or memoryview, none for bytes
    if not data[:4096].strip():
        raise MalformedMessage("message is empty")
    if _declares_doctype(data):
        raise UnsafeMessage("document has a DOCTYPE; MedCom messages never declare one")
    try:
        root = etree.fromstring(data, _PARSER)
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


# A DOCTYPE can only come before the root element, so only the prolog is searched.
_PROLOG_SCAN = 64 * 1024
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_ROOT_START_TEXT = re.compile(r"<[A-Za-z_]")


def _declares_doctype(data: bytes) -> bool:
    head = data[:_PROLOG_SCAN]
    if b"\x00" in head[:4]:  # UTF-16 (with or without a byte order mark)
        text = head.decode("utf-16", errors="ignore")
        root = _ROOT_START_TEXT.search(text)
        return "<!DOCTYPE" in (text[: root.start()] if root else text)
    start = _ROOT_START.search(head)
    return b"<!DOCTYPE" in (head[: start.start()] if start else head)


def _has_entity_nodes(root: etree._Element) -> bool:
    return any(True for _ in root.iter(etree.Entity))


def _syntax_message(exc: etree.XMLSyntaxError) -> str:
    text = str(exc.msg or exc).strip()
    return f"not well-formed XML: {text}"

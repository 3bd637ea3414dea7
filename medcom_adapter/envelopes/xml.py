"""XML plumbing both envelopes share: safe loading against our schema, element helpers,
and errors that name the element and line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import pybase64
from lxml import etree

from medcom_adapter import safe_xml
from medcom_adapter.errors import (
    InboundInvalid,
    InconsistentMessage,
    Issue,
    Location,
    MedComError,
    OutboundInvalid,
    UnknownMessage,
)
from medcom_adapter.oioxml import schemas

_WHITESPACE = b" \t\r\n"
T = TypeVar("T")


class Dialect:
    """One envelope format: its namespace, root element and schema."""

    def __init__(self, namespace: str, root: str, schema_folder: str, schema_entry: str,
                 name: str) -> None:
        self.ns = f"{{{namespace}}}"
        self.root = root
        self.schema = (schema_folder, schema_entry)
        self.name = name

    def load(self, data: bytes, *, max_bytes: int) -> etree._Element:
        """The schema-valid root of a received envelope; a RemoteError otherwise."""
        tree = safe_xml.load(data, max_bytes=max_bytes)
        root = tree.getroot()
        if root.tag != self.ns + self.root:
            raise UnknownMessage(f"not {self.name}: root element is {root.tag}")
        issues = schemas.validate(tree, *self.schema)
        if issues:
            raise InboundInvalid(issues)
        return root

    def dump(self, root: etree._Element, *, validate: bool) -> bytes:
        """Bytes of an envelope we built, refused with OutboundInvalid if our schema says no."""
        if validate:
            issues = schemas.validate(etree.ElementTree(root), *self.schema)
            if issues:
                raise OutboundInvalid(issues)
        return etree.tostring(root, encoding="UTF-8", xml_declaration=True)

    def el(self, parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, self.ns + name)
        if text is not None:
            element.text = text
        return element

    def child(self, parent: etree._Element, name: str) -> etree._Element:
        found = parent.find(self.ns + name)
        if found is None:  # unreachable after schema validation; a clear error all the same
            raise at(parent, f"missing {name}")
        return found


def text(element: etree._Element) -> str:
    return (element.text or "").strip()


def aware_time(element: etree._Element, what: str) -> datetime:
    """An ISO date-time with a zone: MedCom's envelope times are never local."""
    value = text(element)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise at(element, f"{value!r} is not a date and time") from None
    if parsed.tzinfo is None:
        raise at(element, f"{what} needs a time zone (MedCom times are never local)")
    return parsed


def base64_content(element: etree._Element, what: str) -> bytes:
    try:
        raw = (element.text or "").encode("ascii")
        return pybase64.b64decode(raw.translate(None, _WHITESPACE), validate=True)
    except ValueError:
        raise at(element, f"{what} is not valid base64") from None


def at(element: etree._Element, message: str) -> InconsistentMessage:
    return InconsistentMessage(
        message, location=Location(schemas.element_path(element), schemas.line_of(element)))


def checked(read: Callable[[], T]) -> tuple[T | None, tuple[Issue, ...]]:
    """``read()`` or the issues that say why not: the never-raising form of a parser."""
    try:
        return read(), ()
    except InboundInvalid as exc:
        return None, exc.issues
    except MedComError as exc:
        where = exc.location
        return None, (Issue(exc.code, exc.message, where.path if where else None,
                            where.line if where else None),)

"""FHIR XML out: the JSON object model -> UTF-8 XML, elements in definition order."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Final

from lxml import etree

from medcom_adapter import safe_xml
from medcom_adapter.errors import (
    InvalidValue,
    Location,
    RemoteError,
)
from medcom_adapter.fhir.wire.common import BAD_CHAR, FHIR_NS, MAX_DEPTH, XHTML_DIV
from medcom_adapter.fhir.wire.definitions import (
    COMPLEX,
    INTEGERS,
    PRIMITIVE,
    RESOURCE,
    TEXT_TYPES,
    Element,
    Type,
    extension_type,
    resource_type,
)
from medcom_adapter.fhir.wire.json_out import decimal_text


class _Path:
    """Where the writer is, made text only when there is an error to report."""

    __slots__ = ("index", "name", "parent")

    def __init__(self, parent: _Path | None, name: str, index: int = -1) -> None:
        self.parent = parent
        self.name = name
        self.index = index

    def __str__(self) -> str:
        steps: list[str] = []
        node: _Path | None = self
        while node is not None:
            steps.append(node.name + (f"[{node.index}]" if node.index >= 0 else ""))
            node = node.parent
        return ".".join(reversed(steps))


def _invalid(message: str, path: _Path) -> InvalidValue:
    return InvalidValue(message, location=Location(str(path)))


def dump_xml(resource: dict[str, Any]) -> bytes:
    """FHIR XML in UTF-8 with an XML declaration, elements in definition order, no
    indentation (whitespace in XML is not FHIR data, but one byte less is one byte less)."""
    if not isinstance(resource, dict):
        raise InvalidValue("a FHIR resource is a dict")
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    _write_resource(out, resource, None, 0)
    return "".join(out).encode("utf-8")  # every string was checked to be XML characters


def _write_resource(out: list[str], resource: Any, path: _Path | None, depth: int) -> None:
    name = resource.get("resourceType") if isinstance(resource, dict) else None
    here = path if path is not None else _Path(None, str(name))
    if not isinstance(resource, dict):
        raise _invalid("a resource is an object", here)
    if not isinstance(name, str):
        raise _invalid("resourceType is missing", here)
    info = resource_type(name)
    if info is None:
        raise _invalid(f"{name} is not a FHIR R4 resource type", here)
    out.append(f'<{name} xmlns="{FHIR_NS}">' if path is None else f"<{name}>")
    _write_children(out, resource, info, here, depth)
    out.append(f"</{name}>")


def _write_element(
    out: list[str], name: str, obj: Any, info: Type, path: _Path, depth: int
) -> None:
    if not isinstance(obj, dict) or not obj:
        raise _invalid("expected a non-empty object", path)
    attributes = ""
    for key in info.attributes:
        value = obj.get(key)
        if value is not None:
            if not isinstance(value, str) or not value:
                raise _invalid(f"{key} must be a non-empty string", _Path(path, key))
            attributes += f' {key}="{_escape(value, _Path(path, key))}"'
    start = len(out)
    out.append(f"<{name}{attributes}>")
    _write_children(out, obj, info, path, depth)
    if len(out) == start + 1:
        out[start] = f"<{name}{attributes}/>"
    else:
        out.append(f"</{name}>")


def _write_children(
    out: list[str], obj: dict[str, Any], info: Type, path: _Path, depth: int
) -> None:
    if depth > MAX_DEPTH:
        raise _invalid(f"nested more than {MAX_DEPTH} levels deep", path)
    unknown = obj.keys() - info.json_keys
    if unknown:
        name = min(map(str, unknown))
        raise _invalid(f"{info.name} has no element {name}", _Path(path, name))
    rank = info.rank
    sequence = info.sequence
    for index in sorted({rank[key] for key in obj if key in rank}):
        spec = sequence[index]
        name = spec.name
        here = _Path(path, name)
        kind = spec.kind
        if kind == PRIMITIVE:
            _write_primitives(out, spec, obj.get(name), obj.get("_" + name), here, depth)
            continue
        value = obj[name]
        if value is None:
            raise _invalid(f"{name} is null", here)
        items = _items(value, spec, here)
        for position, item in enumerate(items):
            at = _Path(path, name, position) if spec.many else here
            if kind == COMPLEX:
                _write_element(out, name, item, spec.type, at, depth + 1)
            elif kind == RESOURCE:
                out.append(f"<{name}>")
                _write_resource(out, item, at, depth + 1)
                out.append(f"</{name}>")
            else:
                out.append(_div_xml(item, at))


def _items(value: Any, spec: Element, path: _Path) -> list[Any]:
    if spec.many:
        if not isinstance(value, list) or not value:
            raise _invalid(f"{spec.name} repeats: expected a non-empty array", path)
        return value
    if isinstance(value, list):
        raise _invalid(f"{spec.name} does not repeat: expected a single value", path)
    return [value]


def _write_primitives(
    out: list[str], spec: Element, value: Any, companion: Any, path: _Path, depth: int
) -> None:
    if not spec.many:
        _write_primitive(out, spec, value, companion, path, depth)
        return
    values = [] if value is None else _items(value, spec, path)
    extras = [] if companion is None else _items(companion, spec, path)
    if values and extras and len(values) != len(extras):
        raise _invalid(f"{spec.name} and _{spec.name} differ in length", path)
    for index in range(max(len(values), len(extras))):
        item = values[index] if values else None
        extra = extras[index] if extras else None
        at = _Path(path.parent, spec.name, index)
        _write_primitive(out, spec, item, extra, at, depth)


def _write_primitive(
    out: list[str], spec: Element, value: Any, companion: Any, path: _Path, depth: int
) -> None:
    if value is None and companion is None:
        raise _invalid(f"{spec.name} has neither a value nor an id or extension", path)
    attributes = ""
    extensions = None
    if companion is not None:
        if not isinstance(companion, dict) or not companion:
            raise _invalid(f"_{spec.name} must be a non-empty object", path)
        unknown = companion.keys() - {"id", "extension", "fhir_comments"}
        if unknown:
            raise _invalid(f"_{spec.name} has no element {min(map(str, unknown))}", path)
        ident = companion.get("id")
        if ident is not None:
            if not isinstance(ident, str) or not ident:
                raise _invalid("id must be a non-empty string", path)
            attributes = f' id="{_escape(ident, path)}"'
        extensions = companion.get("extension")
    if value is not None:
        attributes += f' value="{_value_text(value, spec.primitive, path)}"'
    if extensions is None:
        out.append(f"<{spec.name}{attributes}/>")
        return
    extension = extension_type()
    items = _items(extensions, extension.elements["extension"], path)
    out.append(f"<{spec.name}{attributes}>")
    for index, item in enumerate(items):
        at = _Path(path, "extension", index)
        _write_element(out, "extension", item, extension, at, depth + 1)
    out.append(f"</{spec.name}>")


def _value_text(value: Any, primitive: str, path: _Path) -> str:
    """The value attribute's text, escaped."""
    kind = type(value)
    if primitive in TEXT_TYPES:
        if kind is str and value:
            return _escape(value, path)
    elif primitive == "boolean":
        if kind is bool:
            return "true" if value else "false"
    elif primitive in INTEGERS:
        if kind is int:
            return str(value)
    elif primitive == "decimal":
        if kind is int:
            return str(value)
        if kind is Decimal:
            return decimal_text(value, str(path))
        if kind is float and value == value and value not in (float("inf"), float("-inf")):
            return repr(value)
    if kind is list:
        raise _invalid(f"{path.name} does not repeat: expected a single value", path)
    if kind is str and not value:
        raise _invalid(f"{path.name} is empty; FHIR values are never empty", path)
    raise _invalid(f"{value!r:.40} is not a FHIR {primitive}", path)


_TO_ESCAPE: Final = re.compile('[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')


def _escape(value: str, path: _Path) -> str:
    """``value`` as attribute text (tab and line ends as references, so parsers keep them)."""
    if _TO_ESCAPE.search(value) is None:
        return value
    bad = BAD_CHAR.search(value)
    if bad:
        raise _invalid(f"a string holds U+{ord(bad.group()):04X}, which XML cannot carry", path)
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )


def _div_xml(value: Any, path: _Path) -> str:
    """The narrative, checked to be one well-formed XHTML div, as XML text."""
    if not isinstance(value, str):
        raise _invalid("div must be a string of XHTML", path)
    try:
        div = safe_xml.load(value.encode("utf-8", "surrogatepass")).getroot()
    except RemoteError as exc:
        raise _invalid(f"div is not well-formed XHTML: {exc.message}", path) from None
    if div.tag != XHTML_DIV:
        raise _invalid(f"narrative must be an XHTML div, not {div.tag}", path)
    return etree.tostring(div, encoding="unicode")

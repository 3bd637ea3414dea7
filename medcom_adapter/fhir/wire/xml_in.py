"""FHIR XML in: bytes -> the dict its JSON twin gives, strict where FHIR is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Final

from lxml import etree

from medcom_adapter import safe_xml
from medcom_adapter.errors import (
    Location,
    MalformedMessage,
    UnknownMessage,
)
from medcom_adapter.fhir.wire.common import (
    DEFAULT_MAX_BYTES,
    FHIR_NS,
    FHIR_TAG,
    MAX_DEPTH,
    XHTML_NSMAP,
    XSI_SCHEMA_LOCATION,
)
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

_INTEGER_TEXT: Final = {
    "integer": re.compile(r"-?(?:0|[1-9][0-9]*)"),
    "unsignedInt": re.compile(r"0|[1-9][0-9]*"),
    "positiveInt": re.compile(r"\+?[1-9][0-9]*"),
}
_DECIMAL_TEXT: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def load_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Read FHIR XML into the object its FHIR JSON twin gives.

    Strict where FHIR is: unknown elements or attributes, text outside values, empty values
    and elements, a repeated non-repeating element are errors. Lenient on one point: elements
    out of definition order are accepted (and put in order).
    """
    tree = safe_xml.load(data, max_bytes=max_bytes)
    encoding = str(tree.docinfo.encoding or "UTF-8").upper()
    if encoding not in ("UTF-8", "UTF8"):
        raise MalformedMessage(f"FHIR XML is UTF-8, not {encoding}")
    root = tree.getroot()
    tag = root.tag
    if not isinstance(tag, str) or not tag.startswith(FHIR_TAG):
        name = etree.QName(root).localname if isinstance(tag, str) else "?"
        space = etree.QName(root).namespace if isinstance(tag, str) else None
        raise UnknownMessage(
            f"root element {name} is in namespace {space or '(none)'}, not {FHIR_NS}",
            location=Location(name, _line(root)),
        )
    if _HAS_TEXT(root):
        found: Any = _TEXT(root)
        parent = found[0].getparent() if found else None
        where = "after" if found and found[0].is_tail else "in"
        raise _malformed(
            f"text {where} a FHIR element; FHIR values go in value attributes",
            parent if parent is not None else root,
        )
    try:
        return _read_resource(root, 0)
    except RecursionError:  # not reached while MAX_DEPTH is far below the recursion limit
        raise MalformedMessage(f"XML is nested more than {MAX_DEPTH} levels deep") from None


_NAMESPACES: Final = {"f": FHIR_NS}
# Text directly in a FHIR element (its own or a child's tail): never allowed.
_TEXT: Final = etree.XPath("//f:*/text()[normalize-space()]", namespaces=_NAMESPACES)
_HAS_TEXT: Final = etree.XPath("boolean(//f:*/text()[normalize-space()])", namespaces=_NAMESPACES)


def _read_resource(element: etree._Element, depth: int) -> dict[str, Any]:
    name = str(element.tag)[len(FHIR_TAG) :]
    info = resource_type(name)
    if info is None:
        raise _malformed(f"{name} is not a FHIR R4 resource type", element)
    out: dict[str, Any] = {"resourceType": name}
    _read_into(element, info, out, depth)
    return out


def _read_into(element: etree._Element, info: Type, out: dict[str, Any], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _malformed(f"XML is nested more than {MAX_DEPTH} levels deep", element)
    for key, text in element.items():
        if key in info.attributes:
            if not text:
                raise _malformed(f"attribute {key} is empty", element)
            out[str(key)] = text
        elif not (depth == 0 and key == XSI_SCHEMA_LOCATION):
            raise _malformed(f"{info.name} has no attribute {_local(str(key))}", element)
    by_tag = info.by_tag
    last = -1
    unordered = False
    arrays: dict[str, tuple[list[Any], list[Any]]] | None = None  # repeating primitives
    for child in element:
        spec = by_tag.get(child.tag)
        if spec is None:
            if not isinstance(child.tag, str):
                continue  # comments and processing instructions carry nothing
            raise _malformed(f"{info.name} has no element {_local(child.tag)}", child)
        name = spec.name
        if spec.index != last:
            if spec.index < last:
                unordered = True
            elif name in out and not spec.many:
                raise _malformed(f"{name} does not repeat in {info.name}", child)
            last = spec.index
        elif not spec.many:
            raise _malformed(f"{name} does not repeat in {info.name}", child)
        kind = spec.kind
        if kind == PRIMITIVE:
            value, companion = _read_primitive(child, spec, depth + 1)
            if spec.many:
                if arrays is None:
                    arrays = {}
                values, companions = arrays.setdefault(name, ([], []))
                values.append(value)
                companions.append(companion)
                out[name] = values  # placeholder keeping the order; settled below
            elif name in out or "_" + name in out:
                raise _malformed(f"{name} does not repeat in {info.name}", child)
            else:
                if value is not None:
                    out[name] = value
                if companion is not None:
                    out["_" + name] = companion
            continue
        if kind == COMPLEX:
            value = {}
            _read_into(child, spec.type, value, depth + 1)
            if not value:
                raise _malformed(f"{name} is empty; FHIR elements need content", child)
        elif kind == RESOURCE:
            value = _read_contained(child, depth + 1)
        else:
            value = _div_text(child)
        if not spec.many:
            if name in out:
                raise _malformed(f"{name} does not repeat in {info.name}", child)
            out[name] = value
        elif name in out:
            out[name].append(value)
        else:
            out[name] = [value]
    if arrays is not None:
        for name, (values, companions) in arrays.items():
            if any(c is not None for c in companions):
                out["_" + name] = companions
                unordered = True  # _name goes right after name
            if all(v is None for v in values):
                del out[name]
    if unordered:
        _reorder(out, info)


def _reorder(out: dict[str, Any], info: Type) -> None:
    """Put the members of ``out`` in definition order (only for XML that was not)."""

    def rank(key: str) -> tuple[int, int]:
        spec = info.elements.get(key.lstrip("_"))
        return (spec.index if spec is not None else -1, key.startswith("_"))

    ordered = sorted(out.items(), key=lambda item: rank(item[0]))
    out.clear()
    out.update(ordered)


def _read_primitive(
    element: etree._Element, spec: Element, depth: int
) -> tuple[Any, dict[str, Any] | None]:
    value: Any = None
    companion: dict[str, Any] | None = None
    for key, text in element.items():
        if key == "value":
            if not text:
                raise _malformed("value attribute is empty; FHIR values are never empty", element)
            value = text if spec.primitive in TEXT_TYPES else _typed(str(text), spec, element)
        elif key == "id":
            if not text:
                raise _malformed("attribute id is empty", element)
            companion = {"id": text}
        else:
            raise _malformed(f"{spec.name} has no attribute {_local(str(key))}", element)
    if len(element):
        extensions: list[Any] = []
        for child in element:
            tag = child.tag
            if tag != _EXTENSION_TAG:
                if not isinstance(tag, str):
                    continue
                raise _malformed(
                    f"{spec.name} ({spec.primitive}) has no element {_local(tag)}", child
                )
            extension: dict[str, Any] = {}
            _read_into(child, extension_type(), extension, depth + 1)
            if not extension:
                raise _malformed("extension is empty; FHIR elements need content", child)
            extensions.append(extension)
        if extensions:
            companion = companion or {}
            companion["extension"] = extensions
    if value is None and companion is None:
        raise _malformed(f"{spec.name} has no value attribute (and no extension)", element)
    return value, companion


_EXTENSION_TAG: Final = FHIR_TAG + "extension"
def _typed(text: str, spec: Element, element: etree._Element) -> Any:
    primitive = spec.primitive
    if primitive == "boolean":
        if text == "true":
            return True
        if text == "false":
            return False
    elif primitive in INTEGERS:
        if _INTEGER_TEXT[primitive].fullmatch(text) and len(text) <= 20:
            return int(text)
    elif primitive == "decimal":
        if _DECIMAL_TEXT.fullmatch(text) and len(text) <= 1000:
            # exactly what json.loads(parse_float=Decimal) gives for the same number
            return int(text) if not text.strip("-0123456789") else Decimal(text)
    else:
        raise _malformed(f"{spec.name} has the unknown primitive type {primitive}", element)
    raise _malformed(f"{text[:40]!r} is not a FHIR {primitive}", element)


def _read_contained(element: etree._Element, depth: int) -> dict[str, Any]:
    if element.attrib:
        raise _malformed(f"{_local(str(element.tag))} takes no attributes", element)
    if element.text and not element.text.isspace():
        raise _malformed("FHIR elements hold no text; values go in value attributes", element)
    found: list[etree._Element] = []
    for child in element:
        if child.tail and not child.tail.isspace():
            raise _malformed("FHIR elements hold no text; values go in value attributes", child)
        if isinstance(child.tag, str):
            found.append(child)
    if len(found) != 1:
        raise _malformed(f"{_local(str(element.tag))} must hold exactly one resource", element)
    resource = found[0]
    if not str(resource.tag).startswith(FHIR_TAG):
        raise _malformed(f"{_local(str(resource.tag))} is not a FHIR resource", resource)
    if depth > MAX_DEPTH:
        raise _malformed(f"XML is nested more than {MAX_DEPTH} levels deep", resource)
    return _read_resource(resource, depth + 1)


def _div_text(div: etree._Element) -> str:
    """The narrative XHTML as FHIR JSON holds it: the div, XHTML as its default namespace."""
    if div.nsmap != XHTML_NSMAP:
        div = _xhtml_copy(div)
    return etree.tostring(div, encoding="unicode", with_tail=False)


def _xhtml_copy(div: etree._Element) -> etree._Element:
    """A copy of ``div`` declaring only XHTML, as the default namespace (iterative: the XHTML
    is not depth-checked)."""
    top = etree.Element(div.tag, dict(_attributes(div)), nsmap=XHTML_NSMAP)
    top.text = div.text
    stack: list[tuple[etree._Element, etree._Element]] = [(div, top)]
    while stack:
        source, target = stack.pop()
        for child in source:
            copy: etree._Element
            if isinstance(child.tag, str):
                copy = etree.SubElement(target, child.tag, dict(_attributes(child)))
                copy.text = child.text
                stack.append((child, copy))
            elif isinstance(child, etree._Comment):
                copy = etree.Comment(child.text)
                target.append(copy)
            elif isinstance(child, etree._ProcessingInstruction):
                copy = etree.ProcessingInstruction(child.target, child.text)
                target.append(copy)
            else:
                continue
            copy.tail = child.tail
    return top


def _attributes(element: etree._Element) -> Iterator[tuple[str, str]]:
    for key, value in element.attrib.items():
        yield str(key), str(value)


def _local(tag: str) -> str:
    if tag.startswith("{"):
        space, _, name = tag[1:].partition("}")
        return name if space == FHIR_NS else f"{name} (namespace {space})"
    return tag


def _line(element: etree._Element) -> int | None:
    line = element.sourceline
    return line if isinstance(line, int) else None


def _malformed(message: str, element: etree._Element) -> MalformedMessage:
    return MalformedMessage(message, location=Location(_xml_path(element), _line(element)))


_WRAPPERS: Final = frozenset({FHIR_TAG + "resource", FHIR_TAG + "contained"})


def _xml_path(element: etree._Element) -> str:
    """``Bundle.entry[2].resource.name.given[1]``: FHIRPath-like, 0-based indexes where an
    element repeats; the resource element inside ``resource``/``contained`` is left out."""
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        parent = node.getparent()
        tag = node.tag
        if isinstance(tag, str):
            step = tag.rpartition("}")[2]
            if parent is not None:
                same = [c for c in parent if c.tag == tag]
                if len(same) > 1:
                    step += f"[{same.index(node)}]"
                wrapper = str(parent.tag) in _WRAPPERS and parent.getparent() is not None
                if wrapper and step[:1].isupper():
                    step = ""  # the resource inside Bundle.entry.resource / contained
            if step:
                steps.append(step)
        node = parent
    steps.reverse()
    if len(steps) > 12:  # a hostile nesting: the start and the end say enough
        steps[3:-8] = ["(...)"]
    return ".".join(steps)

"""FHIR R4 JSON and XML on the wire <-> the FHIR JSON object model.

The project's internal form of a FHIR resource is what ``json.loads`` gives for its FHIR JSON
(with ``parse_float=Decimal``, so decimals keep their digits): ``dict``, ``list``, ``str``,
``int``, ``Decimal``, ``bool`` and, inside the arrays of repeating primitives, ``None``.
MedCom messages arrive on VANS as FHIR JSON or as FHIR XML (``application/fhir+xml``); both
read into that one form, and both can be written from it::

    resource, fmt = load(data)          # sniffs JSON or XML
    resource = load_json(data)          # bytes -> dict
    resource = load_xml(data)           # bytes -> the dict its JSON twin gives
    data = dump_json(resource)          # compact UTF-8
    data = dump_xml(resource)           # UTF-8, elements in definition order

Reading untrusted bytes never raises anything but a :class:`~medcom_adapter.errors.RemoteError`
(``MalformedMessage``, ``UnsafeMessage``, ``MessageTooLarge``, ``UnknownMessage``), with a
line and, where known, a FHIRPath-like path. Writing raises ``InvalidValue`` for an object
that is not valid FHIR JSON in a way the chosen format cannot carry.

XML needs to know, for every element, whether it repeats, which primitive type it has and the
element order; that comes from the FHIR R4B models of ``fhir.resources``, read lazily (the
import costs a few hundred milliseconds, paid on the first XML message, not at start-up),
adjusted to R4 where the two differ (see ``_r4_adjusted``).

Limits of the conversion, all inherent in the formats: a decimal written with an exponent
(``1.5E-3``) is written back in plain notation (``0.0015``, same digits) unless its exponent
is positive; the XHTML of a narrative read from XML is lxml's serialisation, which is the
form FHIR JSON examples hold.
"""

from __future__ import annotations

import importlib
import json
import json.scanner
import re
import types
import typing
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, Final, Literal

from lxml import etree

from medcom_adapter.errors import (
    InvalidValue,
    Location,
    MalformedMessage,
    MessageTooLarge,
    RemoteError,
    UnknownMessage,
)
from medcom_adapter.oioxml import safe_xml

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FHIR_NS",
    "MAX_DEPTH",
    "XHTML_NS",
    "Format",
    "dump_json",
    "dump_xml",
    "load",
    "load_json",
    "load_xml",
]

FHIR_NS: Final = "http://hl7.org/fhir"
XHTML_NS: Final = "http://www.w3.org/1999/xhtml"
DEFAULT_MAX_BYTES: Final = safe_xml.DEFAULT_MAX_BYTES
MAX_DEPTH: Final = 100
"""Deepest nesting accepted: JSON objects and arrays, or XML elements (real FHIR: ~15)."""

Format = Literal["json", "xml"]

_BOM: Final = b"\xef\xbb\xbf"
_FHIR: Final = "{" + FHIR_NS + "}"
_XHTML_DIV: Final = "{" + XHTML_NS + "}div"
_XSI_SCHEMA_LOCATION: Final = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"
_XHTML_NSMAP: Final[Any] = {None: XHTML_NS}


# --------------------------------------------------------------------------------------------
# Sniffing


_LEADING: Final = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*")


def load(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[dict[str, Any], Format]:
    """Read a FHIR resource sent as JSON or XML; says which it was."""
    _check_size(data, max_bytes)
    start = _LEADING.match(data)
    first = data[start.end() : start.end() + 1] if start else data[:1]
    if first == b"{":
        return load_json(data, max_bytes=max_bytes), "json"
    if first == b"<":
        return load_xml(data, max_bytes=max_bytes), "xml"
    if not first:
        raise MalformedMessage("message is empty")
    raise MalformedMessage("neither FHIR JSON (starts with '{') nor FHIR XML (starts with '<')")


def _check_size(data: bytes, max_bytes: int) -> None:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("takes the message bytes, not text")
    if len(data) > max_bytes:
        raise MessageTooLarge(f"message is {len(data)} bytes; the limit is {max_bytes}")


# --------------------------------------------------------------------------------------------
# JSON in


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key
        self.position: int | None = None


class _BadConstant(ValueError):
    pass


class _TooDeep(Exception):
    pass


class _Objects:
    """The decoder's object hook: refuses repeated keys and measures nesting depth.

    Objects are built innermost first, so each one's depth is one more than its deepest
    member's, remembered by ``id`` until its parent asks. Arrays get no hook; their depth is
    measured when their parent object is built (bounded, so never a deep recursion here).
    """

    __slots__ = ("depths",)

    def __init__(self) -> None:
        self.depths: dict[int, int] = {}

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    raise _DuplicateKey(key)
                seen.add(key)
        depth = 1
        for _, value in pairs:
            kind = type(value)
            if kind is dict:
                below = self.depths.pop(id(value))
            elif kind is list:
                below = self._array(value, 2)
            else:
                continue
            if below >= depth:
                depth = below + 1
        if depth > MAX_DEPTH:
            raise _TooDeep
        self.depths[id(obj)] = depth
        return obj

    def _array(self, items: list[Any], level: int) -> int:
        if level > MAX_DEPTH:
            raise _TooDeep
        depth = 1
        for value in items:
            kind = type(value)
            if kind is dict:
                below = self.depths.pop(id(value))
            elif kind is list:
                below = self._array(value, level + 1)
            else:
                continue
            if below >= depth:
                depth = below + 1
        return depth


def _constant(name: str) -> Any:
    raise _BadConstant(f"{name} is not a JSON number")


def _decoder() -> json.JSONDecoder:
    return json.JSONDecoder(
        object_pairs_hook=_Objects(), parse_float=Decimal, parse_constant=_constant
    )


# Escapes of characters FHIR strings cannot hold (C0 controls but tab/CR/LF, surrogates,
# U+FFFE/U+FFFF), none of which XML can carry either.
_SUSPECT_ESCAPE: Final = re.compile(r"\\u(?:00[01][0-9a-fA-F]|[dD][89a-fA-F]|[fF]{3}[eEfF])")
_BAD_CHAR: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def load_json(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Read FHIR JSON: UTF-8 (a BOM is tolerated), one object with a ``resourceType``."""
    _check_size(data, max_bytes)
    raw = bytes(data)
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise MalformedMessage(
            f"not UTF-8: byte {exc.start} ({raw[exc.start : exc.start + 1]!r}) cannot be decoded",
            location=Location(line=line),
        ) from None
    if not text.strip():
        raise MalformedMessage("message is empty")
    try:
        obj = _decoder().decode(text)
    except _DuplicateKey as exc:
        raise _duplicate_error(text, exc.key) from None
    except json.JSONDecodeError as exc:
        raise MalformedMessage(
            f"not well-formed JSON: {exc.msg} at column {exc.colno}",
            location=Location(line=exc.lineno),
        ) from None
    except (_TooDeep, RecursionError):  # the parser recurses before the hook sees anything
        raise MalformedMessage(f"JSON is nested more than {MAX_DEPTH} levels deep") from None
    except _BadConstant as exc:
        raise MalformedMessage(f"not acceptable JSON: {exc}") from None
    except ValueError:  # the only other: an integer longer than Python converts (4300 digits)
        raise MalformedMessage("not acceptable JSON: a number has too many digits") from None
    if not isinstance(obj, dict):
        raise MalformedMessage(f"FHIR JSON must be an object, not {_json_kind(obj)}")
    resource_type = obj.get("resourceType")
    if not isinstance(resource_type, str) or not resource_type:
        raise MalformedMessage("FHIR JSON object has no resourceType")
    if ("\\u" in text and _SUSPECT_ESCAPE.search(text)) or "\ufffe" in text or "\uffff" in text:
        _check_characters(obj, resource_type)
    return obj


def _json_kind(value: object) -> str:
    return {list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def _duplicate_error(text: str, key: str) -> MalformedMessage:
    """Find where the duplicate is (slowly: this is the error path) and describe it."""
    position = _duplicate_position(text)
    if position is None:
        return MalformedMessage(f"duplicate key {key!r}; FHIR JSON forbids repeated keys")
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return MalformedMessage(
        f"duplicate key {key!r} in the object starting at column {column}; "
        "FHIR JSON forbids repeated keys",
        location=Location(line=line),
    )


def _duplicate_position(text: str) -> int | None:
    decoder: Any = _decoder()
    parse_object: Callable[..., Any] = decoder.parse_object

    def located(s_and_end: tuple[str, int], *args: Any) -> Any:
        try:
            return parse_object(s_and_end, *args)
        except _DuplicateKey as exc:
            if exc.position is None:
                exc.position = s_and_end[1] - 1  # the object's "{"
            raise

    decoder.parse_object = located
    scanner: Any = json.scanner  # the pure-Python scanner calls parse_object; C's does not
    decoder.scan_once = scanner.py_make_scanner(decoder)
    try:
        decoder.decode(text)
    except _DuplicateKey as exc:
        return exc.position
    except (ValueError, RecursionError, _TooDeep):
        return None
    return None


def _check_characters(value: Any, path: str) -> None:
    """Reject strings that FHIR forbids and XML cannot carry (only called on suspicion)."""
    for item_path, text in _strings(value, path):
        bad = _BAD_CHAR.search(text)
        if bad:
            raise MalformedMessage(
                f"a string holds U+{ord(bad.group()):04X}, which FHIR does not allow",
                location=Location(item_path),
            )


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}", key
            if key != "resourceType":
                yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


# --------------------------------------------------------------------------------------------
# JSON out


_NUMBER_MARK: Final = "\x00"
_MARKED_NUMBER: Final = re.compile(r'"\\u0000(-?[0-9][0-9.eE+-]*)\\u0000"')


def dump_json(resource: dict[str, Any]) -> bytes:
    """Compact FHIR JSON in UTF-8; decimals are written with exactly their digits."""
    if not isinstance(resource, dict):
        raise InvalidValue("a FHIR resource is a dict")
    numbers = 0

    def default(value: object) -> str:
        nonlocal numbers
        if isinstance(value, Decimal):
            numbers += 1
            return _NUMBER_MARK + _decimal_text(value, None) + _NUMBER_MARK
        raise InvalidValue(f"{type(value).__name__} has no FHIR JSON form")

    try:
        text = json.dumps(
            resource, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=default
        )
    except InvalidValue:
        raise
    except RecursionError:
        raise InvalidValue(f"nested more than {MAX_DEPTH} levels deep") from None
    except (TypeError, ValueError) as exc:  # a non-str key, NaN, a cycle
        raise InvalidValue(f"not a FHIR JSON object model: {exc}") from None
    if numbers:
        text, replaced = _MARKED_NUMBER.subn(r"\1", text)
        if replaced != numbers:  # a string of ours looked like a marked number
            raise InvalidValue("a string holds U+0000, which FHIR does not allow")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidValue(f"a string holds a lone surrogate: {exc.reason}") from None


def _decimal_text(value: Decimal, path: str | None) -> str:
    if not value.is_finite():
        raise InvalidValue(f"{value} is not a FHIR decimal", location=Location(path))
    exponent = value.as_tuple().exponent
    # Plain notation keeps every digit of a decimal read from plain notation (Decimal's str()
    # would turn 0.0000001 into 1E-7); a positive exponent can only come from E-notation, and
    # so can a very negative one (plain notation of 1E-999999999 would take a gigabyte).
    plain = isinstance(exponent, int) and -_PLAIN_DIGITS <= exponent <= 0
    return format(value, "f") if plain else str(value)


_PLAIN_DIGITS: Final = 1000


# --------------------------------------------------------------------------------------------
# What XML needs to know: the element definitions, from fhir.resources' R4B models


_PRIMITIVE: Final = 0
_COMPLEX: Final = 1
_RESOURCE: Final = 2
_XHTML: Final = 3

_INTEGERS: Final = frozenset({"integer", "unsignedInt", "positiveInt"})


class _Element:
    """One element of a type: its name, whether it repeats, and what it holds."""

    __slots__ = ("index", "info", "kind", "many", "model", "name", "primitive", "tag")

    def __init__(
        self, name: str, *, many: bool, kind: int, primitive: str, model: Any, index: int
    ) -> None:
        self.name = name
        self.tag = _FHIR + name
        self.many = many
        self.kind = kind
        self.primitive = primitive  # FHIR primitive type ("" unless kind is _PRIMITIVE)
        self.model = model  # the R4B model class of a complex element
        self.index = index  # position in the definition order
        self.info: _Type | None = None  # the model's _Type, once asked for

    @property
    def type(self) -> _Type:
        info = self.info
        if info is None:
            info = self.info = _type_of(self.model)
        return info

    def __repr__(self) -> str:
        what = self.primitive or getattr(self.model, "__name__", "Resource")
        return f"<{self.name}: {what}{'[]' if self.many else ''}>"


class _Type:
    """A complex type, backbone element or resource: its elements in definition order."""

    __slots__ = (
        "attributes", "by_tag", "children", "elements", "json_keys", "name", "rank", "resource",
        "sequence",
    )  # fmt: skip

    def __init__(self, name: str, *, resource: bool, elements: list[_Element]) -> None:
        self.name = name
        self.resource = resource
        self.elements = {e.name: e for e in elements}
        # Element.id and Extension.url are XML attributes; Resource.id is an element.
        on_attributes = set() if resource else {"id", "url"} if name == "Extension" else {"id"}
        self.attributes = {n: e for n, e in self.elements.items() if n in on_attributes}
        self.children = {n: e for n, e in self.elements.items() if n not in on_attributes}
        self.by_tag = {
            (_XHTML_DIV if e.kind == _XHTML else e.tag): e for e in self.children.values()
        }
        self.sequence = list(self.elements.values())  # sequence[e.index] is e
        self.rank = {n: e.index for n, e in self.children.items()}
        self.rank |= {"_" + n: e.index for n, e in self.children.items() if e.kind == _PRIMITIVE}
        keys = set(self.elements) | set(self.rank) | {"fhir_comments"}
        if resource:
            keys.add("resourceType")
        self.json_keys = frozenset(keys)


_TYPES: dict[Any, _Type] = {}
_RESOURCES: dict[str, _Type] = {}
_NOT_RESOURCES: Final = frozenset({"Resource", "DomainResource"})
_RESOURCE_NAME: Final = re.compile(r"[A-Z][A-Za-z]{1,63}")


def _r4b() -> Any:
    return importlib.import_module("fhir.resources.R4B")


def _resource(name: str) -> _Type | None:
    """The definition of resource type ``name``; None if FHIR R4 has no such resource."""
    known = _RESOURCES.get(name)
    if known is not None or not _RESOURCE_NAME.fullmatch(name) or name in _NOT_RESOURCES:
        return known
    try:
        model = _r4b().get_fhir_model_class(name)
    except ValueError:
        return None
    if not model.has_resource_base() or model.get_resource_type() != name:
        return None
    info = _type_of(model)
    _RESOURCES[name] = info
    return info


def _type_of(model: Any) -> _Type:
    info = _TYPES.get(model)
    if info is None:
        info = _TYPES[model] = _build_type(model)
    return info


def _build_type(model: Any) -> _Type:
    fields = {
        (f.alias or n): f
        for n, f in model.model_fields.items()
        if n != "fhir_comments" and not n.endswith("__ext")
    }
    elements: list[_Element] = []
    for name in model.elements_sequence():
        many, kind, primitive, sub = _classify(fields[name].annotation)
        elements.append(
            _Element(name, many=many, kind=kind, primitive=primitive, model=sub, index=0)
        )
    elements = _r4_adjusted(model.__name__, elements)
    for index, element in enumerate(elements):
        element.index = index
    return _Type(model.__name__, resource=model.has_resource_base(), elements=elements)


# Types R4B introduced; R4 has no element of these types (they only widen choices in R4B).
_R4B_ONLY_TYPES: Final = frozenset({"CodeableReference", "RatioRange"})


def _r4_adjusted(type_name: str, elements: list[_Element]) -> list[_Element]:
    """R4B's definitions made R4's where they differ for what can appear in a message.

    - ``CodeableReference`` and ``RatioRange`` are R4B types; R4 choices (``Extension.value[x]``
      and the other open-typed elements) cannot hold them.
    - R4's ``Extension.value[x]`` may be ``Meta`` (``valueMeta``); the R4B model lacks it.
    """
    kept = [e for e in elements if getattr(e.model, "__name__", "") not in _R4B_ONLY_TYPES]
    if type_name == "Extension" and not any(e.name == "valueMeta" for e in kept):
        meta = importlib.import_module("fhir.resources.R4B.meta").Meta
        at = next(i for i, e in enumerate(kept) if e.name == "valueDosage") + 1
        value_meta = _Element(
            "valueMeta", many=False, kind=_COMPLEX, primitive="", model=meta, index=0
        )
        kept.insert(at, value_meta)
    return kept


def _classify(annotation: Any) -> tuple[bool, int, str, Any]:
    """(repeats, kind, primitive type, model) from a pydantic field annotation."""
    many = False
    target = _without_none(annotation)
    if typing.get_origin(target) is list:
        many = True
        target = _without_none(typing.get_args(target)[0])
    if target is bool:
        return many, _PRIMITIVE, "boolean", None
    if typing.get_origin(target) is typing.Annotated:
        base, *metadata = typing.get_args(target)
        for item in metadata:
            name = getattr(item, "__visit_name__", None)
            if isinstance(name, str):
                return many, (_XHTML if name == "xhtml" else _PRIMITIVE), name, None
        if getattr(base, "__name__", "") == "UUID":
            return many, _PRIMITIVE, "uuid", None
    get_model = getattr(target, "get_model_klass", None)
    if get_model is not None:
        model = get_model()
        if model.has_resource_base():
            return many, _RESOURCE, "", None
        return many, _COMPLEX, "", model
    raise TypeError(f"cannot tell the FHIR type of {annotation!r}")  # a new fhir.resources


def _without_none(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0]
    return annotation


# --------------------------------------------------------------------------------------------
# XML in


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
    if not isinstance(tag, str) or not tag.startswith(_FHIR):
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
    name = str(element.tag)[len(_FHIR) :]
    info = _resource(name)
    if info is None:
        raise _malformed(f"{name} is not a FHIR R4 resource type", element)
    out: dict[str, Any] = {"resourceType": name}
    _read_into(element, info, out, depth)
    return out


def _read_into(element: etree._Element, info: _Type, out: dict[str, Any], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _malformed(f"XML is nested more than {MAX_DEPTH} levels deep", element)
    for key, text in element.items():
        if key in info.attributes:
            if not text:
                raise _malformed(f"attribute {key} is empty", element)
            out[str(key)] = text
        elif not (depth == 0 and key == _XSI_SCHEMA_LOCATION):
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
        if kind == _PRIMITIVE:
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
        if kind == _COMPLEX:
            value = {}
            _read_into(child, spec.type, value, depth + 1)
            if not value:
                raise _malformed(f"{name} is empty; FHIR elements need content", child)
        elif kind == _RESOURCE:
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


def _reorder(out: dict[str, Any], info: _Type) -> None:
    """Put the members of ``out`` in definition order (only for XML that was not)."""

    def rank(key: str) -> tuple[int, int]:
        spec = info.elements.get(key.lstrip("_"))
        return (spec.index if spec is not None else -1, key.startswith("_"))

    ordered = sorted(out.items(), key=lambda item: rank(item[0]))
    out.clear()
    out.update(ordered)


def _read_primitive(
    element: etree._Element, spec: _Element, depth: int
) -> tuple[Any, dict[str, Any] | None]:
    value: Any = None
    companion: dict[str, Any] | None = None
    for key, text in element.items():
        if key == "value":
            if not text:
                raise _malformed("value attribute is empty; FHIR values are never empty", element)
            value = text if spec.primitive in _TEXT_TYPES else _typed(str(text), spec, element)
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
            _read_into(child, _extension_type(), extension, depth + 1)
            if not extension:
                raise _malformed("extension is empty; FHIR elements need content", child)
            extensions.append(extension)
        if extensions:
            companion = companion or {}
            companion["extension"] = extensions
    if value is None and companion is None:
        raise _malformed(f"{spec.name} has no value attribute (and no extension)", element)
    return value, companion


_EXTENSION_TAG: Final = _FHIR + "extension"
_TEXT_TYPES: Final = frozenset(
    {
        "base64Binary", "canonical", "code", "date", "dateTime", "id", "instant", "markdown",
        "oid", "string", "time", "uri", "url", "uuid",
    }
)  # fmt: skip


def _extension_type() -> _Type:
    global _EXTENSION
    if _EXTENSION is None:
        _EXTENSION = _type_of(importlib.import_module("fhir.resources.R4B.extension").Extension)
    return _EXTENSION


_EXTENSION: _Type | None = None


def _typed(text: str, spec: _Element, element: etree._Element) -> Any:
    primitive = spec.primitive
    if primitive == "boolean":
        if text == "true":
            return True
        if text == "false":
            return False
    elif primitive in _INTEGERS:
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
    if not str(resource.tag).startswith(_FHIR):
        raise _malformed(f"{_local(str(resource.tag))} is not a FHIR resource", resource)
    if depth > MAX_DEPTH:
        raise _malformed(f"XML is nested more than {MAX_DEPTH} levels deep", resource)
    return _read_resource(resource, depth + 1)


def _div_text(div: etree._Element) -> str:
    """The narrative XHTML as FHIR JSON holds it: the div, XHTML as its default namespace."""
    if div.nsmap != _XHTML_NSMAP:
        div = _xhtml_copy(div)
    return etree.tostring(div, encoding="unicode", with_tail=False)


def _xhtml_copy(div: etree._Element) -> etree._Element:
    """A copy of ``div`` declaring only XHTML, as the default namespace (iterative: the XHTML
    is not depth-checked)."""
    top = etree.Element(div.tag, dict(_attributes(div)), nsmap=_XHTML_NSMAP)
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


_WRAPPERS: Final = frozenset({_FHIR + "resource", _FHIR + "contained"})


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


# --------------------------------------------------------------------------------------------
# XML out


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
    info = _resource(name)
    if info is None:
        raise _invalid(f"{name} is not a FHIR R4 resource type", here)
    out.append(f'<{name} xmlns="{FHIR_NS}">' if path is None else f"<{name}>")
    _write_children(out, resource, info, here, depth)
    out.append(f"</{name}>")


def _write_element(
    out: list[str], name: str, obj: Any, info: _Type, path: _Path, depth: int
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
    out: list[str], obj: dict[str, Any], info: _Type, path: _Path, depth: int
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
        if kind == _PRIMITIVE:
            _write_primitives(out, spec, obj.get(name), obj.get("_" + name), here, depth)
            continue
        value = obj[name]
        if value is None:
            raise _invalid(f"{name} is null", here)
        items = _items(value, spec, here)
        for position, item in enumerate(items):
            at = _Path(path, name, position) if spec.many else here
            if kind == _COMPLEX:
                _write_element(out, name, item, spec.type, at, depth + 1)
            elif kind == _RESOURCE:
                out.append(f"<{name}>")
                _write_resource(out, item, at, depth + 1)
                out.append(f"</{name}>")
            else:
                out.append(_div_xml(item, at))


def _items(value: Any, spec: _Element, path: _Path) -> list[Any]:
    if spec.many:
        if not isinstance(value, list) or not value:
            raise _invalid(f"{spec.name} repeats: expected a non-empty array", path)
        return value
    if isinstance(value, list):
        raise _invalid(f"{spec.name} does not repeat: expected a single value", path)
    return [value]


def _write_primitives(
    out: list[str], spec: _Element, value: Any, companion: Any, path: _Path, depth: int
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
    out: list[str], spec: _Element, value: Any, companion: Any, path: _Path, depth: int
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
    extension = _extension_type()
    items = _items(extensions, extension.elements["extension"], path)
    out.append(f"<{spec.name}{attributes}>")
    for index, item in enumerate(items):
        at = _Path(path, "extension", index)
        _write_element(out, "extension", item, extension, at, depth + 1)
    out.append(f"</{spec.name}>")


def _value_text(value: Any, primitive: str, path: _Path) -> str:
    """The value attribute's text, escaped."""
    kind = type(value)
    if primitive in _TEXT_TYPES:
        if kind is str and value:
            return _escape(value, path)
    elif primitive == "boolean":
        if kind is bool:
            return "true" if value else "false"
    elif primitive in _INTEGERS:
        if kind is int:
            return str(value)
    elif primitive == "decimal":
        if kind is int:
            return str(value)
        if kind is Decimal:
            return _decimal_text(value, str(path))
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
    bad = _BAD_CHAR.search(value)
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
    if div.tag != _XHTML_DIV:
        raise _invalid(f"narrative must be an XHTML div, not {div.tag}", path)
    return etree.tostring(div, encoding="unicode")

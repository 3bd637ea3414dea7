"""FHIR JSON in: bytes -> the JSON object model, strictly (duplicate keys, bad escapes, depth)."""

from __future__ import annotations

import json
import json.scanner
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, Final

from medcom_adapter.errors import (
    Location,
    MalformedMessage,
)
from medcom_adapter.fhir.wire.common import BAD_CHAR, BOM, DEFAULT_MAX_BYTES, MAX_DEPTH, check_size


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


def load_json(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Read FHIR JSON: UTF-8 (a BOM is tolerated), one object with a ``resourceType``."""
    check_size(data, max_bytes)
    raw = bytes(data)
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
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
        check_characters(obj, resource_type)
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


def check_characters(value: Any, path: str) -> None:
    """Reject strings that FHIR forbids and XML cannot carry (only called on suspicion)."""
    for item_path, text in _strings(value, path):
        bad = BAD_CHAR.search(text)
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

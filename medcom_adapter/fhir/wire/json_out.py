"""FHIR JSON out: the JSON object model -> compact UTF-8, decimals written exactly."""

from __future__ import annotations

import json
import json.scanner
import re
from decimal import Decimal
from typing import Any, Final

from medcom_adapter.errors import (
    InvalidValue,
    Location,
)
from medcom_adapter.fhir.wire.common import MAX_DEPTH

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
            return _NUMBER_MARK + decimal_text(value, None) + _NUMBER_MARK
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


def decimal_text(value: Decimal, path: str | None) -> str:
    if not value.is_finite():
        raise InvalidValue(f"{value} is not a FHIR decimal", location=Location(path))
    exponent = value.as_tuple().exponent
    # Plain notation keeps every digit of a decimal read from plain notation (Decimal's str()
    # would turn 0.0000001 into 1E-7); a positive exponent can only come from E-notation, and
    # so can a very negative one (plain notation of 1E-999999999 would take a gigabyte).
    plain = isinstance(exponent, int) and -_PLAIN_DIGITS <= exponent <= 0
    return format(value, "f") if plain else str(value)


_PLAIN_DIGITS: Final = 1000

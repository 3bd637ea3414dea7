"""Check one JSON value against one compiled node, and its children, recursively.

Only elements that have a rule are visited: the cost follows the profile, not the message.
Paths are written as the FHIR JSON reads (``payload[0].contentString``); an element that is
missing is named by its parent's path and its own name.
"""

from __future__ import annotations

import re
from typing import Any

from medcom_adapter.fhir.profile_engine.context import Context
from medcom_adapter.fhir.profile_engine.model import Binding, Json, Node
from medcom_adapter.fhir.profile_engine.paths import PRIMITIVES, type_of_suffix

# FHIR R4 primitive formats that matter to messaging (times need a zone where FHIR says so).
_FORMATS = {
    "dateTime": re.compile(
        r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]"
        r"|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3])"
        r":[0-5][0-9]|14:00)))?)?)?"
    ),
    "instant": re.compile(
        r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]"
        r"|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3])"
        r":[0-5][0-9]|14:00))"
    ),
}
_STRING_TYPES = frozenset({"string", "code", "uri", "url", "canonical", "id", "markdown", "oid",
                           "uuid", "base64Binary", "date", "time", "dateTime", "instant"})

Item = tuple[Any, str, "str | None"]  # value, its path, the type a choice key names


def check_value(ctx: Context, node: Node, value: Any, path: str, ctype: str | None,
                entry: int | None) -> None:
    """Check ``value`` (one item of ``node``'s element) and everything under it."""
    if value is None:  # a repeating primitive that has only extensions (XML)
        return
    if node.types:
        _check_type(ctx, node, value, path, ctype)
    if node.fixed is not None and value != node.fixed:
        ctx.issue("fhir.fixed-value", path,
                  f"{node.id} must be exactly {_show(node.fixed)}, found {_show(value)}")
    if node.pattern is not None and not pattern_matches(value, node.pattern):
        ctx.issue("fhir.fixed-value", path,
                  f"{node.id} must match {_show(node.pattern)}, found {_show(value)}")
    if node.binding is not None and not binding_holds(node.binding, value):
        ctx.issue("fhir.binding", path,
                  f"{node.id}: {_show(_codes_in(value))} is not in the required value set "
                  f"{node.binding.value_set}")
    if node.targets:
        _check_reference(ctx, node, value, path, entry)
    if node.children and isinstance(value, dict):
        check_children(ctx, node, value, path, entry)
    for invariant in node.invariants:
        for failure in invariant.fn(ctx, value, path, entry):
            detail = f" ({failure.detail})" if failure.detail else ""
            ctx.issue(invariant.id, failure.path, f"{invariant.human}{detail}",
                      warning=invariant.severity != "error")


def check_children(ctx: Context, node: Node, obj: Json, path: str, entry: int | None) -> None:
    for child in node.children:
        items = gather(obj, child, path)
        count = len(items)
        if count < child.min:
            ctx.issue("fhir.cardinality", f"{path}.{child.label}",
                      f"{child.id} is required (at least {child.min}), found {count}")
        elif child.max is not None and count > child.max:
            allowed = "not allowed" if child.max == 0 else f"allowed at most {child.max}"
            ctx.issue("fhir.cardinality", f"{path}.{child.label}",
                      f"{child.id} is {allowed}, found {count}")
        if child.slicing is not None:  # also when empty: a required slice is then missing
            _check_sliced(ctx, child, items, path, entry)
        else:
            for value, item_path, ctype in items:
                check_value(ctx, child, value, item_path, ctype, entry)


def gather(obj: Json, node: Node, path: str) -> list[Item]:
    """The items of ``node``'s element in ``obj``, each with its path."""
    if node.choice:
        prefix = node.name
        found: list[Item] = []
        for key, value in obj.items():
            if len(key) > len(prefix) and key.startswith(prefix) and key[len(prefix)].isupper():
                found.append((value, f"{path}.{key}", type_of_suffix(key[len(prefix):])))
        return found
    value = obj.get(node.name)
    if value is None:
        return [(None, f"{path}.{node.name}", None)] if f"_{node.name}" in obj else []
    if isinstance(value, list):
        return [(v, f"{path}.{node.name}[{i}]", None) for i, v in enumerate(value)]
    return [(value, f"{path}.{node.name}", None)]


def _check_sliced(ctx: Context, node: Node, items: list[Item], path: str,
                  entry: int | None) -> None:
    slicing = node.slicing
    assert slicing is not None
    counts = [0] * len(slicing.slices)
    for value, item_path, ctype in items:
        for k, piece in enumerate(slicing.slices):
            if piece.matches(value, ctype):
                counts[k] += 1
                check_value(ctx, piece.node, value, item_path, ctype, entry)
                break
        else:
            if slicing.closed:
                names = ", ".join(s.name for s in slicing.slices)
                ctx.issue("fhir.slice", item_path,
                          f"{node.id} is closed to the slices {names} ({slicing.description}); "
                          "this item matches none")
            check_value(ctx, node, value, item_path, ctype, entry)
    for k, piece in enumerate(slicing.slices):
        where = f"{path}.{node.label}:{piece.name}"
        if counts[k] < piece.min:
            ctx.issue("fhir.slice", where,
                      f"{piece.node.id} is required (at least {piece.min}), found {counts[k]}")
        elif piece.max is not None and counts[k] > piece.max:
            allowed = "not allowed" if piece.max == 0 else f"allowed at most {piece.max}"
            ctx.issue("fhir.slice", where, f"{piece.node.id} is {allowed}, found {counts[k]}")


def _check_type(ctx: Context, node: Node, value: Any, path: str, ctype: str | None) -> None:
    if ctype is not None and ctype not in node.types:
        ctx.issue("fhir.type", path, f"{node.id} must be of type {' or '.join(node.types)}, "
                  f"found {ctype}")
        return
    kind = ctype or (node.types[0] if len(node.types) == 1 else None)
    if kind in _STRING_TYPES:
        if not isinstance(value, str):
            ctx.issue("fhir.type", path, f"{node.id} must be a {kind} (a JSON string)")
        elif kind in _FORMATS and not _FORMATS[kind].fullmatch(value):
            ctx.issue("fhir.datatype", path, f"{node.id}: {value!r} is not a valid FHIR {kind}")
    elif kind is not None and kind not in PRIMITIVES and not isinstance(value, dict):
        ctx.issue("fhir.type", path, f"{node.id} must be a {kind} (a JSON object)")


def _check_reference(ctx: Context, node: Node, value: Any, path: str, entry: int | None) -> None:
    if not isinstance(value, dict):
        return  # reported by the type check
    reference = value.get("reference")
    wanted = " or ".join(dict.fromkeys(t.resource_type for t in node.targets))
    if not isinstance(reference, str):
        if node.bundled:
            ctx.issue("fhir.reference", path,
                      f"{node.id} must reference a {wanted} in this Bundle; it has no reference")
        return
    target = ctx.resolve(reference, entry)
    if target is None:
        if node.bundled:
            ctx.issue("fhir.reference", f"{path}.reference",
                      f"{node.id}: {reference!r} does not resolve to an entry in this Bundle")
        return
    matching = [t for t in node.targets if t.resource_type == target.type]
    if not matching:
        ctx.issue("fhir.reference", f"{path}.reference",
                  f"{node.id} must reference a {wanted}; {reference!r} is a {target.type}")
        return
    if len(matching) == 1:
        ctx.want(target.index, matching[0].profile)


def pattern_matches(value: Any, pattern: Any) -> bool:
    """FHIR pattern[x]: every element the pattern has, the value has with the same content."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            k in value and pattern_matches(value[k], v) for k, v in pattern.items()
        )
    if isinstance(pattern, list):
        return isinstance(value, list) and all(
            any(pattern_matches(v, p) for v in value) for p in pattern
        )
    return bool(value == pattern)


def binding_holds(binding: Binding, value: Any) -> bool:
    """A required binding: a code, a Coding, or a CodeableConcept with a coding from the set."""
    if isinstance(value, str):
        return value in binding.codes
    if not isinstance(value, dict):
        return False
    if "coding" in value or "text" in value:
        codings = value.get("coding")
        return isinstance(codings, list) and any(_pair(c) in binding.pairs for c in codings)
    return _pair(value) in binding.pairs


def _pair(coding: Any) -> tuple[str, str] | None:
    if not isinstance(coding, dict):
        return None
    system, code = coding.get("system"), coding.get("code")
    return (system, code) if isinstance(system, str) and isinstance(code, str) else None


def _codes_in(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("coding"), list):
        return [_codes_in(c) for c in value["coding"]] or value
    if isinstance(value, dict):  # system#code; a part that is missing is said so, not "None"
        system, code = value.get("system"), value.get("code")
        if system is None:
            return f"{code!r} without a system" if code is not None else "a coding without code"
        return f"{system}#{code}" if code is not None else f"{system} without a code"
    return value


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."

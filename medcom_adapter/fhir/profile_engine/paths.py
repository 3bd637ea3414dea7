"""The small path languages of profiles: element ids and slicing discriminator paths.

Element ids are FHIR's (``Communication.payload:string.extension:date``). Discriminator paths
are the FHIRPath subset FHIR allows there: ``$this``, element names, and
``extension('url')``; a name also finds a choice element (``value`` -> ``valueCoding``).
"""

from __future__ import annotations

import re
from typing import Any

Step = tuple[str, str]  # ("this", ""), ("name", "system") or ("ext", "http://...")
THIS: Step = ("this", "")

_STEP = re.compile(r"\$this|extension\('([^']*)'\)|([A-Za-z][A-Za-z0-9]*)")
PRIMITIVES = frozenset({
    "string", "code", "uri", "url", "canonical", "id", "markdown", "oid", "uuid",
    "base64Binary", "date", "time", "dateTime", "instant", "boolean", "integer", "decimal",
    "positiveInt", "unsignedInt",
})


def element_steps(element_id: str) -> list[str]:
    """``A.b:s.c[x]`` -> ``["A", "b:s", "c[x]"]``."""
    return element_id.split(".")


def parse(path: str) -> list[Step]:
    steps: list[Step] = []
    for part in _split(path):
        match = _STEP.fullmatch(part)
        if match is None:
            raise ValueError(f"unsupported discriminator path step {part!r} in {path!r}")
        if part == "$this":
            steps.append(THIS)
        elif match.group(1) is not None:
            steps.append(("ext", match.group(1)))
        else:
            steps.append(("name", part))
    return steps


def _split(path: str) -> list[str]:
    """Split on dots outside parentheses (URLs in ``extension('...')`` have dots)."""
    parts, depth, current = [], 0, ""
    for char in path:
        if char == "." and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
    parts.append(current)
    return parts


def type_of_suffix(suffix: str) -> str:
    """The FHIR type a choice key names: ``DateTime`` -> ``dateTime``, ``Coding`` stays."""
    lowered = suffix[:1].lower() + suffix[1:]
    return lowered if lowered in PRIMITIVES else suffix


def evaluate(value: Any, steps: list[Step]) -> list[tuple[Any, str | None]]:
    """The values ``steps`` select from ``value``, each with the type a choice key names."""
    current: list[tuple[Any, str | None]] = [(value, None)]
    for kind, arg in steps:
        if kind == "this":
            continue
        found: list[tuple[Any, str | None]] = []
        for item, _ in current:
            if not isinstance(item, dict):
                continue
            if kind == "ext":
                found.extend((e, None) for e in _listed(item.get("extension"))
                             if isinstance(e, dict) and e.get("url") == arg)
            elif arg in item:
                found.extend((v, None) for v in _listed(item[arg]))
            else:
                for key, v in item.items():
                    if len(key) > len(arg) and key.startswith(arg) and key[len(arg)].isupper():
                        found.append((v, type_of_suffix(key[len(arg):])))
        current = found
    return current


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]

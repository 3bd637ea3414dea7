"""Our flattened schemas in xsd/<yyyy-mm-dd>/ accept the same letters as MedCom's published ones.

For every folder xsd/<yyyy-mm-dd>/ (discovered, not listed) we load our emessage.xsd and MedCom's
../shared/medcom-official/oioxml/xsd/<yyyy>/<mm>/<dd>/EMessage.xsd with xmlschema and compare,
for the Envelope and every letter our Emessage allows, the two element declarations recursively:
element names (with namespace) and order, model groups, occurrences, mixed content and, for
simple content, builtin base type, facets, effective enumeration and patterns.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from xmlschema import XMLSchema10
from xmlschema.validators import XsdAnyElement, XsdAtomicBuiltin, XsdElement, XsdGroup

ROOT = Path(__file__).resolve().parents[2]
OURS = ROOT / "xsd"
OFFICIAL = ROOT.parent / "shared" / "medcom-official" / "oioxml" / "xsd"
XS = "{http://www.w3.org/2001/XMLSchema}"
BOUND_FACETS = (
    "length",
    "minLength",
    "maxLength",
    "totalDigits",
    "fractionDigits",
    "minInclusive",
    "maxInclusive",
    "minExclusive",
    "maxExclusive",
)

FOLDERS = sorted(p.parent.name for p in OURS.glob("*/emessage.xsd"))


@functools.cache
def load(path: Path) -> XMLSchema10:
    """xmlschema is slow to build a schema: load each one once per session."""
    return XMLSchema10(str(path))


def ours(folder: str) -> XMLSchema10:
    return load(OURS / folder / "emessage.xsd")


def official(folder: str) -> XMLSchema10:
    path = OFFICIAL.joinpath(*folder.split("-"), "EMessage.xsd")
    if not path.is_file():
        pytest.skip(f"MedCom's official schema not present at {path}")
    return load(path)


def declaration(schema: XMLSchema10, letter: str) -> XsdElement | None:
    """A global letter element, or the Emessage's Envelope child."""
    if letter != "Envelope":
        return schema.elements.get(letter)
    for e in schema.elements["Emessage"].iter_components(XsdElement):
        if isinstance(e, XsdElement) and e.local_name == "Envelope":
            return e
    return None


def letters(folder: str) -> list[str]:
    """Envelope plus the global letter elements our Emessage refers to. Read with lxml so that
    collecting the tests neither waits for xmlschema nor breaks on a schema being edited."""
    try:
        root = etree.parse(str(OURS / folder / "emessage.xsd")).getroot()
    except etree.XMLSyntaxError:
        return ["Envelope"]  # the tests below will show what is wrong
    refs = [
        str(e.get("ref")).rpartition(":")[2]
        for emessage in root.iterfind(f"{XS}element[@name='Emessage']")
        for e in emessage.iter(f"{XS}element")
        if e.get("ref")
    ]
    return ["Envelope", *refs]


def particles(group: XsdGroup) -> list[Any]:
    """A group's particles, with redundant nesting (a once-only group inside a group of the
    same kind, or holding a single once-only particle) spliced away."""
    out: list[Any] = []
    for p in group:
        if isinstance(p, XsdGroup) and p.min_occurs == p.max_occurs == 1:
            inner = particles(p)
            if p.model == group.model or len(inner) == 1:
                out.extend(inner)
                continue
        out.append(p)
    return out


def occurs(p: Any) -> str:
    return f"{p.min_occurs}..{'unbounded' if p.max_occurs is None else p.max_occurs}"


def chain(st: Any) -> Iterator[Any]:
    """A simple type and its bases, most derived first, up to (and including) a builtin."""
    while st is not None:
        yield st
        if isinstance(st, XsdAtomicBuiltin) or not hasattr(st, "base_type"):
            return
        st = st.base_type


def describe(st: Any) -> dict[str, Any]:
    """What a simple type accepts, independent of how its derivation is written down."""
    steps = list(chain(st))
    builtin = steps[-1]
    facets: dict[str, Any] = {}
    patterns: list[tuple[str, ...]] = []
    enum: list[Any] | None = None
    for step in steps:
        for qname, facet in getattr(step, "facets", {}).items():
            name = (qname or "").removeprefix(XS)
            if name in BOUND_FACETS:
                facets.setdefault(name, facet.value)
            elif name == "pattern":
                patterns.append(tuple(sorted(facet.regexps)))
            elif name == "enumeration" and enum is None:
                enum = list(facet.enumeration)
    base = builtin.local_name if isinstance(builtin, XsdAtomicBuiltin) else repr(builtin)
    info: dict[str, Any] = {"base": base}
    info |= facets
    if enum is not None:  # a pattern on top of an enumeration only narrows the list
        info["enumeration"] = sorted(str(v) for v in enum if st.is_valid(str(v)))
    elif patterns:
        info["patterns"] = sorted(patterns)
    return info


def compare_element(a: Any, b: Any, path: str, seen: set[tuple[int, int]]) -> Iterator[str]:
    """Differences between our declaration `a` and the official `b` (names already equal)."""
    ta, tb = a.type, b.type
    if (id(ta), id(tb)) in seen:
        return
    seen.add((id(ta), id(tb)))
    simple_a = ta.is_simple() or ta.has_simple_content()
    simple_b = tb.is_simple() or tb.has_simple_content()
    if simple_a != simple_b:
        yield f"{path}: simple content {simple_a} != {simple_b}"
        return
    if simple_a:
        sa = ta if ta.is_simple() else ta.content
        sb = tb if tb.is_simple() else tb.content
        da, db = describe(sa), describe(sb)
        for key in sorted(da.keys() | db.keys()):
            if da.get(key) != db.get(key):
                yield f"{path}: {key} {da.get(key)} != {db.get(key)}"
    elif ta.name == f"{XS}anyType" or tb.name == f"{XS}anyType":
        if ta.name != tb.name:
            yield f"{path}: type {ta.name} != {tb.name}"
        return
    else:
        if ta.mixed != tb.mixed:
            yield f"{path}: mixed {ta.mixed} != {tb.mixed}"
        if ta.is_empty() or tb.is_empty():
            if ta.is_empty() != tb.is_empty():
                yield f"{path}: empty content {ta.is_empty()} != {tb.is_empty()}"
            return
        yield from compare_group(ta.content, tb.content, path, seen)
    attrs_a = sorted(str(k) for k in getattr(ta, "attributes", {}) if k)
    attrs_b = sorted(str(k) for k in getattr(tb, "attributes", {}) if k)
    if attrs_a != attrs_b:
        yield f"{path}: attributes {attrs_a} != {attrs_b}"


def compare_group(a: XsdGroup, b: XsdGroup, path: str, seen: set[tuple[int, int]]) -> Iterator[str]:
    if a.model != b.model:
        yield f"{path}: {a.model} != {b.model}"
        return
    pa, pb = particles(a), particles(b)
    labels_a, labels_b = [label(p) for p in pa], [label(p) for p in pb]
    if labels_a != labels_b:
        yield f"{path}: {a.model} ({', '.join(labels_a)}) != ({', '.join(labels_b)})"
        return
    for x, y, name in zip(pa, pb, labels_a, strict=True):
        here = f"{path}/{name}"
        if key(x) != key(y):  # same local name, different namespace
            yield f"{here}: namespace {namespace(x)!r} != {namespace(y)!r}"
        if occurs(x) != occurs(y):
            yield f"{here}: occurs {occurs(x)} != {occurs(y)}"
        if isinstance(x, XsdElement) and element_flags(x) != element_flags(y):
            yield f"{here}: default/fixed/nillable {element_flags(x)} != {element_flags(y)}"
        if isinstance(x, XsdGroup):
            yield from compare_group(x, y, here, seen)
        elif isinstance(x, XsdElement):
            yield from compare_element(x, y, here, seen)


def key(p: Any) -> str:
    """What must be equal for two particles to match: elements by namespace and name."""
    if isinstance(p, XsdGroup):
        return f"<{p.model}>"
    if isinstance(p, XsdAnyElement):
        return f"<any {p.namespace} {p.process_contents}>"
    return str(p.name)


def namespace(e: XsdElement) -> str:
    return str(e.name)[1:].partition("}")[0] if str(e.name).startswith("{") else ""


def element_flags(e: XsdElement) -> tuple[Any, ...]:
    return e.default, e.fixed, e.nillable


def label(p: Any) -> str:
    """A particle's name in a path (no namespace)."""
    return key(p) if not isinstance(p, XsdElement) else str(p.local_name)


CASES = [(folder, letter) for folder in FOLDERS for letter in letters(folder)]


@pytest.mark.parametrize(("folder", "letter"), CASES, ids=[f"{f}-{x}" for f, x in CASES])
def test_same_declaration_as_medcom(folder: str, letter: str) -> None:
    mine, theirs = declaration(ours(folder), letter), declaration(official(folder), letter)
    assert mine is not None, f"our {folder} schema has no {letter}"
    assert theirs is not None, f"MedCom's {folder} schema has no global element {letter}"
    assert mine.name == theirs.name, f"{mine.name} != {theirs.name}"
    differences = list(compare_element(mine, theirs, letter, set()))
    assert not differences, "ours != MedCom's:\n" + "\n".join(differences)


@pytest.mark.parametrize("folder", FOLDERS)
def test_compiles_with_lxml(folder: str) -> None:
    etree.XMLSchema(etree.parse(str(OURS / folder / "emessage.xsd")))

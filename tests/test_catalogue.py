"""The catalogue is the one place that knows which message types and versions exist.

Its rows agree with the syntaxes' version tables, and no other module spells a kind in a
comparison or a version code: both are read from the catalogue (or a version table)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from medcom_adapter import catalogue
from medcom_adapter.catalogue import Envelope, Owed, Syntax
from medcom_adapter.edifact import versions as edifact_versions
from medcom_adapter.errors import UnknownMessage
from medcom_adapter.fhir import versions as fhir_versions
from medcom_adapter.kinds import Kind
from medcom_adapter.oioxml import versions as oioxml_versions

PACKAGE = Path(catalogue.__file__).parent
# the catalogue and the version tables it reads are where kinds and versions are spelled
TABLES = {"catalogue.py", "kinds.py", "oioxml/versions.py", "edifact/versions.py",
          "fhir/versions.py", "envelopes/fhir_payload.py", "envelopes/vans.py",
          "envelopes/sbdh.py", "envelopes/registry.py",  # MedCom's EHMI registry codes
          "certify/evidence.py",  # the versions of MedCom's material the evidence names
          "certify/word_cases.py"}  # section numbers of MedCom's Word protocols, not versions
VERSION = re.compile(r"X?[A-Z]\d{4}[A-Z]|\d+\.\d+(\.\d+)?")
# what detect reports as a kind: message types, and the envelopes that carry FHIR
NAMES = ({k.value for k in Kind} | {r.type_code for r in catalogue.rows()}
         | {Envelope.VANS_ENVELOPE.value, Envelope.EHMI_SBDH.value})


def test_every_kind_has_one_type_and_every_row_a_kind() -> None:
    assert set(catalogue.TYPES) == set(Kind)
    assert all(t.kind is k for k, t in catalogue.TYPES.items())
    keys = [(r.kind, r.syntax, r.version) for r in catalogue.rows()]
    assert len(keys) == len(set(keys))


def test_rows_are_the_version_tables() -> None:
    by_syntax = {s: {(r.kind, r.version) for r in catalogue.rows() if r.syntax is s}
                 for s in Syntax}
    assert by_syntax[Syntax.OIOXML] == {(v.kind, v.code) for v in oioxml_versions.VERSIONS}
    assert by_syntax[Syntax.EDIFACT] == {(v.kind, v.code) for v in edifact_versions.VERSIONS}
    assert by_syntax[Syntax.FHIR] == {(v.kind, v.version) for v in fhir_versions.VERSIONS}


def test_each_kind_has_at_most_one_current_version_per_syntax() -> None:
    for syntax in Syntax:
        for kind in {r.kind for r in catalogue.rows() if r.syntax is syntax}:
            currents = [r for r in catalogue.rows()
                        if r.kind is kind and r.syntax is syntax and r.current]
            assert len(currents) <= 1, (kind, syntax)
            if currents:
                assert catalogue.current(kind, syntax) == currents[0]
    assert catalogue.current(Kind.CORRESPONDENCE, Syntax.OIOXML).version == "XD9134L"
    with pytest.raises(UnknownMessage, match="no current"):
        catalogue.current(Kind.REFERRAL, Syntax.EDIFACT)  # REF01 is built as XREF01 now


def test_what_each_kind_is_owed() -> None:
    owed = {k: t.owed for k, t in catalogue.TYPES.items()}
    assert owed[Kind.REFERRAL] is Owed.RECEIPT and owed[Kind.CORRESPONDENCE] is Owed.RECEIPT
    assert owed[Kind.CARE_COMMUNICATION] is Owed.ACKNOWLEDGEMENT
    answers = {Kind.NEGATIVE_VANS_RECEIPT, Kind.NEGATIVE_RECEIPT, Kind.POSITIVE_RECEIPT,
               Kind.ACKNOWLEDGEMENT, Kind.VANS_RECEIPT, Kind.SBDH_RECEIPT}
    assert answers == catalogue.ANSWERS
    assert catalogue.CASE_SYSTEM == (Kind.CORRESPONDENCE, Kind.CARE_COMMUNICATION)


def test_lookups() -> None:
    assert catalogue.row("XREF01", "XH0131R").current
    assert catalogue.kind_named("REF01") is Kind.REFERRAL
    assert catalogue.kind_named("XREF01") is Kind.REFERRAL
    assert catalogue.kind_named("NoSuchMessage") is None
    with pytest.raises(UnknownMessage, match="XH0131R"):
        catalogue.row(Kind.REFERRAL, "XH9999R")


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name not in TABLES:
            yield name, ast.parse(path.read_text(encoding="utf-8"))


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _literals(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [s for e in node.elts for s in _literals(e)]
    return []


def test_no_kind_is_compared_with_a_literal_outside_the_catalogue() -> None:
    """``if kind == "XREF01"`` (or ``in ("XCTL01", ...)``) is a catalogue row read by hand."""
    found = []
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                spelled = [s for side in (node.left, *node.comparators)
                           for s in _literals(side) if s in NAMES]
                found += [f"{name}:{node.lineno}: {s!r}" for s in spelled]
    assert found == []


def test_no_version_literal_outside_the_catalogue_and_version_tables() -> None:
    found = []
    for name, tree in _modules():
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docstrings and VERSION.fullmatch(node.value)):
                found.append(f"{name}:{node.lineno}: {node.value!r}")
    assert found == []

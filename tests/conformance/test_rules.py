"""The rule registry: complete, documented, and never refusing on a rule of our own."""

from __future__ import annotations

import re

from medcom_adapter import errors
from medcom_adapter.certify import codes
from medcom_adapter.conformance.rules import OWN, Severity, markdown, rules
from medcom_adapter.fhir.profiles import registry
from tests.conftest import ROOT

DOC = ROOT / "docs" / "rules.md"


def _documented() -> dict[str, list[str]]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- rules:start -->\n")[1].split("<!-- rules:end -->")[0]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_the_docs_table_is_the_registry() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert f"<!-- rules:start -->\n{markdown()}<!-- rules:end -->" in text, (
        "docs/rules.md is out of date: python -m medcom_adapter.conformance.rules --write "
        "docs/rules.md")


def test_every_rule_has_a_row_with_its_severity_and_source() -> None:
    documented = _documented()
    for code, rule in rules().items():
        assert code in documented, f"{code} has no row in docs/rules.md"
        severity, what, source = documented[code]
        assert severity == rule.severity.value and what and source


def test_no_rule_of_our_own_refuses() -> None:
    own_errors = [r.code for r in rules().values()
                  if r.severity is Severity.ERROR and (r.own or OWN in r.source)]
    assert own_errors == []


def test_every_check_of_our_own_is_a_registered_warning() -> None:
    for code in errors.OwnCheck:
        rule = rules()[str(code)]
        assert rule.severity is Severity.WARNING and rule.own, code


def test_every_code_the_validators_report_is_registered() -> None:
    registered = set(rules())
    remote = {c.code for c in _subclasses(errors.RemoteError)} - {"remote", "remote.edifact"}
    assert remote <= registered, remote - registered
    reported = {c for c in codes._VALIDATION if c.split(".")[0] in ("xsd", "fhir", "medcom")}
    assert reported <= registered, reported - registered
    invariants = {i.id for p in registry().profiles.values() for i in p.invariants}
    assert invariants <= registered, invariants - registered


def test_profile_invariants_keep_their_published_severity_unless_ours() -> None:
    for profile in registry().profiles.values():
        for inv in profile.invariants:
            rule = rules()[inv.id]
            if rule.severity is Severity.ERROR:
                assert inv.origin is None or not inv.origin.startswith(OWN), inv.id


def _subclasses(cls: type[errors.MedComError]) -> list[type[errors.MedComError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found += _subclasses(sub)
    return found

"""The vendor documentation stays current: its code table and fixture catalogue."""

from __future__ import annotations

import json

from medcom_adapter.certify.codes import markdown
from tests.catalogue import ROOT
from tests.conftest import ROOT as REPO

DOC = (REPO / "docs" / "certification.md").read_text(encoding="utf-8")


def _section(name: str) -> str:
    return DOC.split(f"<!-- {name}:start -->\n")[1].split(f"<!-- {name}:end -->")[0]


def test_code_table_is_generated_from_the_code() -> None:
    assert _section("codes") == markdown(), "regenerate: python -m medcom_adapter.certify.codes"


def test_catalogue_table_lists_every_fixture() -> None:
    rows = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))["fixtures"]
    listed = [line.split("`")[1] for line in _section("catalogue").splitlines()[2:]]
    assert listed == [r["file"] for r in rows]


def test_every_scenario_is_documented() -> None:
    from medcom_adapter.certify.scenarios import SCENARIOS

    section = DOC.split("## 2.")[1].split("## 3.")[0]
    for scenario in SCENARIOS:
        assert f"| `{scenario.id}` |" in section, scenario.id


def test_medcom_case_table_is_generated_from_the_code() -> None:
    from medcom_adapter.certify.medcom_cases import markdown as cases

    assert _section("medcom") == cases(), \
        "regenerate: python -m medcom_adapter.certify.medcom_cases --write docs/certification.md"


def test_word_case_table_is_generated_from_the_code() -> None:
    from medcom_adapter.certify.word_cases import markdown as word

    assert _section("word") == word(), \
        "regenerate: python -m medcom_adapter.certify.word_cases --write docs/certification.md"

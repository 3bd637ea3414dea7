"""The fixture catalogue: in sync with the builders, and in agreement with the validator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from medcom_adapter.certify.runner import certify_file
from tests import catalogue

ROOT = catalogue.ROOT
MANIFEST: dict[str, Any] = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
ROWS = MANIFEST["fixtures"]


def test_committed_catalogue_is_what_the_builders_make() -> None:
    fixtures = catalogue.catalogue()
    assert (ROOT / "manifest.json").read_bytes() == catalogue.manifest(fixtures), (
        "manifest out of date: run python -m tests.catalogue")
    for f in fixtures:
        assert (ROOT / f.file).read_bytes() == f.data, f"{f.file}: run python -m tests.catalogue"
    on_disk = {p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*")
               if p.is_file() and p.name != "manifest.json"}
    assert on_disk == {f.file for f in fixtures}, "stray files in fixtures/catalogue"


def test_catalogue_covers_every_kind_and_both_verdicts() -> None:
    kinds = {(r["kind"], r["verdict"]) for r in ROWS}
    for kind in ("XREF01", "XBIN01", "XBIN02", "XDIS91", "XCTL01", "XCTL02", "XCTL03",
                 "CareCommunication", "Acknowledgement", "REF01", "BIN01", "DIS91", "CTL01",
                 "CTL02", "CTL03", "VANSEnvelope", "SBDH"):
        assert (kind, "valid") in kinds, kind
    assert sum(r["verdict"] == "invalid" for r in ROWS) >= 10


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_validator_agrees_with_manifest(row: dict[str, Any]) -> None:
    result = certify_file(ROOT / row["file"])
    assert (result.kind, result.version) == (row["kind"], row["version"])
    if row["verdict"] == "valid":
        assert result.valid and not result.errors, [f.location for f in result.errors]
        warnings = [f for f in result.findings if f.warning]
        if "warning" not in row:
            return
        # breaks only our own check: valid, with exactly that one warning where expected
        assert [f.code for f in warnings] == [row["warning"]["code"]], warnings
        assert warnings[0].path == row["warning"]["location"]
        return
    assert not result.valid
    expected = row["error"]
    # each invalid fixture breaks exactly one rule: one code, reported at the expected place
    assert {f.code for f in result.errors} == {expected["code"]}, result.errors
    assert expected["location"] in {f.path for f in result.errors}


def test_manifest_rows_are_unique_files() -> None:
    files = [r["file"] for r in ROWS]
    assert len(files) == len(set(files))
    assert all(Path(ROOT / f).is_file() for f in files)

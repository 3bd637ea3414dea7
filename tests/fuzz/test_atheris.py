"""A short coverage-guided run per target: libFuzzer exits non-zero on any finding."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fuzz.targets import TARGETS

pytest.importorskip("atheris", reason="atheris is not installed (pip install -e '.[dev]')")

SECONDS = 3


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_short_coverage_guided_run_finds_nothing(name: str, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.atheris_run", name, str(tmp_path / "corpus"),
         f"-max_total_time={SECONDS}", f"-artifact_prefix={tmp_path}/", "-print_final_stats=1"],
        cwd=ROOT, capture_output=True, text=True, timeout=SECONDS * 20,
    )
    findings = sorted(p.name for p in tmp_path.iterdir() if p.name != "corpus")
    assert run.returncode == 0 and not findings, (findings, run.stderr[-3000:])
    assert "stat::number_of_executed_units" in run.stderr  # it really fuzzed

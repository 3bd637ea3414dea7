"""Shared test helpers: where MedCom's published artefacts are, and sample models."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OFFICIAL = ROOT.parent / "shared" / "medcom-official"
FIXTURES = ROOT / "fixtures"


def official(*parts: str) -> Path:
    """A path under MedCom's published artefacts; skips the test when they are absent."""
    path = OFFICIAL.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"MedCom reference data not present at {path} (it lives beside the checkout)")
    return path

"""Where the package's own data lives: schemas (``xsd/``), FHIR profiles (``profiles/``) and
fixtures (``fixtures/``), top level in the repository.

Every path to them is made here and nowhere else.
"""

from __future__ import annotations

from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]


def fixtures() -> Path:
    return _ROOT / "fixtures"


EXAMPLE_RECEIVERS = fixtures() / "network" / "receivers.json"  # the sandbox's directory
EXAMPLE_REQUESTS = fixtures() / "requests"

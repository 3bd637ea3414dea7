"""``validate`` and ``show`` of an OIOXML file stay light: no web, FHIR-model, HTTP, crypto or
database library is imported on their way (they dominate a cold start when they are).

Structural, not timed: a fresh interpreter runs the command and reports ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml.emessage import build
from tests import samples

# top-level packages (or dotted prefixes) that must not be loaded by these commands
HEAVY = ("fastapi", "starlette", "uvicorn", "pydantic", "fhir.resources", "httpx",
         "cryptography", "psycopg", "zeep")

_REPORT = """
import json, sys
from medcom_adapter.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
print(json.dumps({"exit": code, "modules": sorted(sys.modules)}))
"""


def _loaded_by(argv: list[str]) -> tuple[int, list[str]]:
    proc = subprocess.run([sys.executable, "-c", _REPORT, *argv], capture_output=True,
                          text=True, check=False, timeout=120)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    return report["exit"], report["modules"]


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


@pytest.mark.parametrize("command", ["validate", "show"])
def test_oioxml_commands_import_no_heavy_library(command: str, tmp_path: Path) -> None:
    path = tmp_path / "XREF01.xml"
    path.write_bytes(build(Emessage(Envelope("ENV1", samples.WHEN),
                                    (samples.full_referral(),)), "XH0131R"))
    exit_code, modules = _loaded_by([command, str(path)])
    assert exit_code == 0
    assert "medcom_adapter.oioxml.emessage" in modules  # the command really read the file
    assert _heavy(modules) == []


def test_heavy_means_the_package_and_its_submodules() -> None:
    # not other packages whose names merely start alike
    assert _heavy(["fhir.resources.R4B.bundle", "fhirpath", "httpx", "httpxy"]) == [
        "fhir.resources.R4B.bundle", "httpx"]

"""The public API is a short, deliberate list: these names, and everything they need."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import medcom_adapter
from tests.conftest import FIXTURES

PUBLIC = {
    # read, validate and answer any MedCom file
    "check", "parse", "answer", "Report", "Enveloped",
    # build what we send
    "build_referral", "Attachment", "ReferralPackage", "build_km", "KmPackage",
    # what a message is
    "Kind", "catalogue",
    # the model a user reads and builds
    "Emessage", "Referral", "BinaryLetter", "ClinicalEmail", "Receipt", "CareCommunication",
    "Acknowledgement",
    # the error tree
    "MedComError", "LocalError", "RemoteError",
}


def test_the_exported_names_are_exactly_these() -> None:
    assert set(medcom_adapter.__all__) == PUBLIC
    assert len(medcom_adapter.__all__) == len(PUBLIC)


def test_every_exported_name_resolves_to_what_its_module_defines() -> None:
    from medcom_adapter import detect, errors

    for name in medcom_adapter.__all__:
        assert getattr(medcom_adapter, name) is not None, name
    assert medcom_adapter.check is detect.check
    assert issubclass(medcom_adapter.RemoteError, medcom_adapter.MedComError)
    assert medcom_adapter.MedComError is errors.MedComError
    assert set(medcom_adapter.__all__) <= set(dir(medcom_adapter))


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        medcom_adapter.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("an unknown name resolved")


def test_importing_the_package_loads_none_of_it() -> None:
    """The names load on first use: ``import medcom_adapter`` (and so the CLI) stays light."""
    code = ("import json, sys, medcom_adapter; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('medcom_adapter.'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    assert json.loads(out) == []


def test_the_readme_example_runs_on_the_public_names() -> None:
    from medcom_adapter import Emessage, Kind, Receipt, answer, check, parse

    data = (FIXTURES / "catalogue" / "oioxml" / "XREF01-XH0131R-minimal.xml").read_bytes()
    report = check(data)
    assert report.valid and report.kind == Kind.REFERRAL
    document = parse(data)
    assert document is not None and isinstance(getattr(document, "message", None), Emessage)
    receipt = answer(data, now=datetime(2026, 11, 22, 12, 0))
    assert receipt.receipt is not None and isinstance(receipt.receipt.letters[0], Receipt)

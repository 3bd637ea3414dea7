"""MedCom's own example messages against our profiles: current ones pass, legacy ones are refused.

Every CareCommunication 5.0 / Acknowledgement 2.0 / Messaging example Bundle and every
test-protocol "send" example must validate without errors (warnings are allowed and listed in
the failure message). Known defects in MedCom's examples are handled here, case by case.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medcom_adapter.errors import Issue
from medcom_adapter.fhir.validate import validate_message
from tests.conftest import OFFICIAL, official

FHIR = OFFICIAL / "fhir"
CURRENT_DIRS = ("carecommunication-5.0.2", "acknowledgement-2.0.3", "messaging-4.0.2",
                "send-examples")

# Defects in MedCom's examples that our rules rightly report, as warnings (the examples are
# valid by MedCom's own rules): file name -> the warnings (code, path) we expect.
#
# The fatal-error and transient-error acknowledgement examples answer MessageHeader
# 53128d9b-..., while their own "acknowledgement" Provenance says they acknowledge
# MessageHeader/42cb9200-... (the CareCommunication add5e7e2 that the ok example a8c041b8
# acknowledges consistently). The Acknowledgement IG defines response.identifier as the
# MessageHeader.id of the acknowledged message, so the two cannot disagree: a receiver could not
# tell which message was answered. Our rule medcom.ack-response-identifier reports it.
_ACK_ID = ("medcom.ack-response-identifier",
           "Bundle.entry[0].resource(MessageHeader).response.identifier")
KNOWN_DEFECTS: dict[str, list[tuple[str, str]]] = {
    "Bundle-bc9535ef-ed94-4060-a928-7baddec7ee71.json": [_ACK_ID],
    "Bundle-c9c2b2f6-0807-11ed-861d-0242ac120002.json": [_ACK_ID],
}


def _files(pattern: str, dirs: tuple[str, ...]) -> list[str]:
    if not FHIR.exists():
        return ["<reference data absent>"]
    return sorted(str(p.relative_to(FHIR)) for d in dirs for p in (FHIR / d).glob(pattern))


def _report(issues: list[Issue]) -> str:
    return "\n".join(f"  {'warning' if i.warning else 'error'}: {i}" for i in issues)


def _check_current(bundle: dict[str, object], name: str) -> None:
    issues = validate_message(bundle)
    errors = [i for i in issues if not i.warning]
    assert errors == [], f"{name}: expected no errors, got:\n{_report(issues)}"
    expected = KNOWN_DEFECTS.get(name, [])
    warned = {(i.code, i.path) for i in issues if i.warning}
    assert set(expected) <= warned, f"{name}: expected warnings {expected}:\n{_report(issues)}"


@pytest.mark.parametrize("relative", _files("Bundle-*.json", CURRENT_DIRS))
def test_current_json_example_is_valid(relative: str) -> None:
    path = official("fhir", *relative.split("/"))
    _check_current(json.loads(path.read_bytes()), path.name)


def _xml_only() -> list[str]:
    return [f for f in _files("Bundle-*.xml", ("send-examples",))
            if not f.endswith(".xml") or not (FHIR / f).with_suffix(".json").exists()]


@pytest.mark.parametrize("relative", _xml_only())
def test_xml_only_send_example_is_valid(relative: str) -> None:
    path = official("fhir", *relative.split("/"))
    wire = pytest.importorskip("medcom_adapter.fhir.wire",
                               reason="medcom_adapter.fhir.wire (FHIR XML reading) not there yet")
    _check_current(wire.load_xml(path.read_bytes()), path.name)


def test_known_defects_name_real_files() -> None:
    names = {Path(f).name for f in _files("Bundle-*.json", CURRENT_DIRS)}
    official("fhir")
    assert set(KNOWN_DEFECTS) <= names


def _legacy() -> list[str]:
    return _files("*/*.json", ("legacy-v4",)) + _files("*/*.xml", ("legacy-v4",))


@pytest.mark.parametrize("relative", _legacy())
def test_legacy_v4_example_is_refused_by_version(relative: str) -> None:
    path = official("fhir", *relative.split("/"))
    if path.suffix == ".xml":
        wire = pytest.importorskip("medcom_adapter.fhir.wire",
                                   reason="medcom_adapter.fhir.wire not there yet")
        bundle = wire.load_xml(path.read_bytes())
    else:
        bundle = json.loads(path.read_bytes())
    issues = validate_message(bundle)
    assert [i.code for i in issues] == ["fhir.unsupported-version"], _report(issues)
    assert "4.0" in issues[0].message
    assert issues[0].path == "Bundle.entry[0].resource(MessageHeader).definition"

"""MedCom's own material, read as a receiving system reads it.

Every file MedCom publishes as a valid example is valid here with no error; the warnings
our own checks give on them are listed below, file by file, so that a new one is noticed.
The legacy sets are refused, naming the version they are.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from medcom_adapter.detect import check
from tests.conftest import OFFICIAL, official

# (folder under medcom-official, glob): MedCom's valid examples
VALID_SETS = (
    ("oioxml/examples", "*.xml"), ("oioxml/examples", "*.edi"),
    ("fhir/carecommunication-5.0.2", "Bundle-*"), ("fhir/acknowledgement-2.0.3", "Bundle-*"),
    ("fhir/messaging-4.0.2", "Bundle-*"), ("fhir/send-examples", "Bundle-*"),
    ("envelopes/sbdh/samples", "*.xml"),
)
# The warnings our own checks give on MedCom's examples, and why they are only warnings.
WARNINGS = {
    # its location numbers fail GS1's check digit; MedCom's schema asks for 1-35 characters
    "oioxml/examples/DIS91_1.xml": {"medcom.gln-check-digit"},
    "oioxml/examples/DIS91_1.edi": {"medcom.gln-check-digit"},
    # MedCom's fatal- and transient-error examples name another message in response.identifier
    # than their acknowledgement Provenance does; MedCom's validator accepts them
    **{f"fhir/acknowledgement-2.0.3/Bundle-{b}.{ext}": {"medcom.ack-response-identifier"}
       for b in ("bc9535ef-ed94-4060-a928-7baddec7ee71", "c9c2b2f6-0807-11ed-861d-0242ac120002")
       for ext in ("json", "xml")},
}
# Valid by MedCom, but a message this adapter does not read: reported as unsupported.
NOT_OURS = {
    "envelopes/sbdh/samples/ehmisbdh_fullsample.xml": "fhir.unsupported-message",  # HomeCare
}


def _files(sets: tuple[tuple[str, str], ...]) -> list[str]:
    found: list[str] = []
    for folder, pattern in sets:
        found += sorted(glob.glob(str(OFFICIAL / folder / pattern)))
    return [os.path.relpath(f, OFFICIAL) for f in found]


VALID = _files(VALID_SETS)
LEGACY = _files((("fhir/legacy-v4/legacy-v4-CareCommunication_Ex_receive", "*"),
                 ("fhir/legacy-v4/legacy-v4-CareCommunication_Ex_send", "*")))


def test_the_sets_are_present() -> None:
    official("fhir", "legacy-v4")
    assert len(VALID) >= 40 and len(LEGACY) >= 30


@pytest.mark.parametrize("name", VALID)
def test_every_valid_example_is_valid_with_only_its_listed_warnings(name: str) -> None:
    report = check(official(name).read_bytes())
    errors = [i for i in report.issues if not i.warning]
    if name in NOT_OURS:
        assert [i.code for i in errors] == [NOT_OURS[name]]
        return
    assert errors == [], errors
    assert {i.code for i in report.issues} == WARNINGS.get(name, set())


def test_the_listed_warnings_name_files_that_exist() -> None:
    assert set(WARNINGS) | set(NOT_OURS) <= set(VALID)


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_messages_are_refused_naming_their_version(name: str) -> None:
    report = check(Path(official(name)).read_bytes())
    assert not report.valid
    (error,) = [i for i in report.issues if not i.warning]
    assert error.code == "fhir.unsupported-version"
    assert "4.0.0" in error.message and "CareCommunication" in error.message
    assert report.version == "4.0.0"

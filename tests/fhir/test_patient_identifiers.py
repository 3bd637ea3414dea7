"""Which of a received Patient's identifiers is the patient's person id.

medcom-core-patient slices Patient.identifier by system (cpr, x-ecpr, d-ecpr, each 0..1),
rules open: identifiers of other systems may stand anywhere and are not the person id.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from medcom_adapter.detect import check
from medcom_adapter.errors import InconsistentMessage
from medcom_adapter.fhir.carecommunication import from_bundle, to_bundle
from medcom_adapter.model.identifiers import Cpr, DeCpr, XeCpr
from tests.conftest import FIXTURES

CPR, X_ECPR, D_ECPR = ("urn:oid:1.2.208.176.1.2", "urn:oid:1.2.208.176.1.6.1.1",
                       "urn:oid:1.2.208.176.1.6.1.3")
LOCAL = {"system": "http://example.org/journal-id", "value": "J-4711"}
SOURCE = FIXTURES / "catalogue" / "fhir" / "CareCommunication-5.0-category-carecoordination.json"


def bundle_with(*identifiers: dict[str, str]) -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(SOURCE.read_text(encoding="utf-8"))
    patient = next(e["resource"] for e in bundle["entry"]
                   if e["resource"]["resourceType"] == "Patient")
    patient["identifier"] = [copy.deepcopy(i) for i in identifiers]
    return bundle


def test_an_identifier_of_another_system_is_valid_and_not_the_person_id() -> None:
    cpr = {"system": CPR, "value": "2509479989"}
    for identifiers in ((LOCAL, cpr), (cpr, LOCAL)):
        bundle = bundle_with(*identifiers)
        report = check(json.dumps(bundle).encode())
        assert report.valid and report.issues == ()  # not even a warning
        patient = from_bundle(bundle).patient
        assert patient.id == Cpr("2509479989") and patient.other_ids == ()


def test_the_cpr_is_the_person_id_and_replacement_cprs_follow_in_order() -> None:
    # the CPR is the id the letter is filed under, wherever it stands among them
    bundle = bundle_with({"system": X_ECPR, "value": "0703921VJ5"}, LOCAL,
                         {"system": D_ECPR + ".177", "value": "0101705AB1"},
                         {"system": CPR, "value": "2509479989"})
    patient = from_bundle(bundle).patient
    assert patient.id == Cpr("2509479989")
    assert patient.ids == (Cpr("2509479989"), XeCpr("0703921VJ5"), DeCpr("0101705AB1"))


def test_we_build_only_the_person_ids() -> None:
    message = from_bundle(bundle_with(LOCAL, {"system": CPR, "value": "2509479989"}))
    built = next(e["resource"] for e in to_bundle(message)["entry"]
                 if e["resource"]["resourceType"] == "Patient")
    assert built["identifier"] == [{"system": CPR, "value": "2509479989"}]


def test_without_a_cpr_system_a_value_that_reads_as_one_is_the_person_id() -> None:
    # as before: a sender that leaves out the system still names the patient
    patient = from_bundle(bundle_with(LOCAL, {"value": "2509479989"})).patient
    assert patient.id == Cpr("2509479989")


def test_without_a_cpr_system_two_values_that_read_as_person_ids_are_refused() -> None:
    # a local ten-digit number beside the CPR, neither with a system: which is the child's
    # cannot be told, and filing the letter under another child is worse than refusing it
    with pytest.raises(InconsistentMessage, match="more than one reads as a person id"):
        from_bundle(bundle_with({"value": "0201909309"}, {"value": "2509479989"}))


@pytest.mark.parametrize(("identifiers", "where"), [
    ((LOCAL,), "Patient.identifier"),
    ((LOCAL, {"system": CPR, "value": "J-4712"}), "Patient.identifier[1]"),
    (({"system": CPR, "value": "0703921VJ5"},), "Patient.identifier[0]"),
], ids=["no-person-id", "cpr-system-not-a-cpr", "x-ecpr-under-cpr-system"])
def test_the_person_id_itself_must_fit_its_system(identifiers: tuple[dict[str, str], ...],
                                                  where: str) -> None:
    with pytest.raises(InconsistentMessage) as caught:
        from_bundle(bundle_with(*identifiers))
    assert caught.value.location is not None and caught.value.location.path == where

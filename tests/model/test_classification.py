"""The §126a henvisning classification: codes, Danish names, defaults from the receiver."""

from __future__ import annotations

import dataclasses
from datetime import date
from uuid import UUID

import pytest

from medcom_adapter.errors import InvalidValue
from medcom_adapter.model.classification import Classification, Henvisning, default_henvisning
from medcom_adapter.model.codes import MedicalSpeciality
from medcom_adapter.model.identifiers import Cpr, SorId
from tests import samples


def test_six_classes_with_the_data_standards_wording() -> None:
    assert [h.display for h in Henvisning] == [
        "§126a-tilbud i anden kommune", "Børne- og ungdomspsykiatri",
        "Alment praktiserende læge", "Andet tilbud i hjemkommune", "Civilsamfund", "Andet"]


def test_a_bup_department_defaults_to_child_psychiatry() -> None:
    assert default_henvisning(samples.BUP) == (Henvisning.CHILD_PSYCHIATRY,)
    short = dataclasses.replace(samples.BUP, department="BUP, Ambulatorium")
    assert default_henvisning(short) == (Henvisning.CHILD_PSYCHIATRY,)


def test_speciality_codes_decide_before_names() -> None:
    gp = dataclasses.replace(samples.PPR, department="Lægehuset",
                             speciality=MedicalSpeciality("almen_medicin"))
    assert default_henvisning(gp) == (Henvisning.GENERAL_PRACTITIONER,)
    bup = dataclasses.replace(samples.PPR, speciality=MedicalSpeciality("boernepsykiatri"))
    assert default_henvisning(bup) == (Henvisning.CHILD_PSYCHIATRY,)


def test_no_default_where_the_receiver_does_not_make_it_plain() -> None:
    assert default_henvisning(samples.PPR) == ()
    bupkis = dataclasses.replace(samples.BUP, department="Bupkis Ambulatorium")
    assert default_henvisning(bupkis) == ()


def test_a_classification_needs_distinct_classes() -> None:
    args = (UUID(int=1), date(2024, 3, 1), Cpr("0201909309"), SorId("1234561000016000"))
    with pytest.raises(InvalidValue):
        Classification(*args, ())
    with pytest.raises(InvalidValue):
        Classification(*args, (Henvisning.OTHER, Henvisning.OTHER))
    assert Classification(*args, (Henvisning.CIVIL_SOCIETY, Henvisning.OTHER)).classes[1] is (
        Henvisning.OTHER)

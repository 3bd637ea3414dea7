"""Referral requests: strict reading with key paths in every error."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

import pytest

from medcom_adapter.errors import InvalidValue
from medcom_adapter.model.codes import ObjectExtensionCode, Priority
from medcom_adapter.model.identifiers import Cpr
from medcom_adapter.model.request import referral_request
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 22, 10, 15, 42)
EXAMPLE: dict[str, Any] = json.loads(
    (FIXTURES / "requests" / "referral-bup.json").read_text(encoding="utf-8"))


def read(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    return referral_request(data, now=NOW, letter_id="L1")


def test_example_request_reads() -> None:
    request = read(EXAMPLE)
    referral = request.referral
    assert referral.patient.id == Cpr("2509479989")
    assert referral.priority is Priority.ELECTIVE
    assert referral.letter.identifier == "L1"
    assert referral.letter.authorised == datetime(2026, 11, 22, 10, 15)  # to the minute
    assert referral.episodes[0].identifier == "8f0c4a52-3d1e-4a8b-9c7e-2b5d6f1a0e93"
    assert referral.clinical_reason is not None
    assert "\n" in referral.clinical_reason.to_plain()
    (attachment,) = request.attachments
    assert attachment.extension is ObjectExtensionCode.PDF
    assert request.referral_version == "XH0131R"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["patient"].update(id="3102479989"), "patient.id"),
        (lambda d: d["sender"].update(ean="5790000123453"), "sender.ean"),
        (lambda d: d["receiver"].update(identifier="12"), "receiver.identifier"),
        (lambda d: d.update(priority="straks"), "priority"),
        (lambda d: d["patient"].update(nickname="x"), "patient.nickname"),
        (lambda d: d.pop("referrer"), "referrer"),
        (lambda d: d["patient"].pop("surname"), "patient.surname"),
        (lambda d: d["attachments"][0].update(extension="docx"), "attachments[0].extension"),
        (lambda d: d["patient"].update(phones=[{"number": "1", "kind": "fax"}]),
         "patient.phones[0].kind"),
        (lambda d: d["letter"].update(authorised="2026-11-22T10:15+01:00")
         if "letter" in d else d.update(letter={"authorised": "2026-11-22T10:15+01:00"}),
         "letter.authorised"),
    ],
)
def test_errors_name_the_key(change: Any, where: str) -> None:
    data = copy.deepcopy(EXAMPLE)
    change(data)
    with pytest.raises(InvalidValue) as caught:
        read(data)
    assert caught.value.location is not None
    assert caught.value.location.path == where
    assert "3102479989" not in str(caught.value)


def test_request_must_be_an_object() -> None:
    with pytest.raises(InvalidValue, match="expected an object"):
        read([])  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["ABCDEFGHIJ", "250947-998", "0703921VJ5"])
def test_a_patient_id_that_is_no_cpr_number_must_be_marked_as_a_replacement(value: str) -> None:
    data = copy.deepcopy(EXAMPLE)
    data["patient"]["id"] = value
    with pytest.raises(InvalidValue) as caught:
        read(data)
    assert caught.value.location is not None and caught.value.location.path == "patient.id"
    assert "replacement" in caught.value.message and value not in caught.value.message


def test_a_marked_replacement_id_is_sent_as_the_replacement_it_is() -> None:
    from medcom_adapter.model.identifiers import XeCpr
    from medcom_adapter.model.parties import AlternativeId

    data = copy.deepcopy(EXAMPLE)
    data["patient"].update(id="0703921VJ5", replacement=True)
    assert read(data).referral.patient.id == XeCpr("0703921VJ5")
    data["patient"].update(id="250947-998")
    assert isinstance(read(data).referral.patient.id, AlternativeId)
    data["patient"].update(id="2509479989")  # a CPR number is no replacement
    with pytest.raises(InvalidValue, match="not a replacement"):
        read(data)
    data["patient"].update(id="2509479989", replacement="yes")
    with pytest.raises(InvalidValue) as caught:
        read(data)
    assert caught.value.location is not None
    assert caught.value.location.path == "patient.replacement"


@pytest.mark.parametrize("code", ["angst!!", "F419", "df419", "DF4"])
def test_an_sks_diagnosis_code_must_be_shaped_as_one(code: str) -> None:
    data = copy.deepcopy(EXAMPLE)
    data["diagnosis"]["code"] = code
    with pytest.raises(InvalidValue) as caught:
        read(data)
    assert caught.value.location is not None
    assert (caught.value.location.path or "").startswith("diagnosis")
    assert "SKS" in caught.value.message

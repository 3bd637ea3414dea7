"""Identifier value types: their edge cases, and that CPR numbers never leak into text."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medcom_adapter.errors import InvalidValue, LocalError
from medcom_adapter.model.identifiers import (
    Cpr,
    DeCpr,
    Gln,
    InvalidIdentifier,
    Kommunenummer,
    LocationNumber,
    SorId,
    Sygehusafdelingsnummer,
    XeCpr,
    Ydernummer,
    parse_person_id,
)
from medcom_adapter.model.parties import AlternativeId, person_id


@pytest.mark.parametrize(
    ("value", "born"),
    [
        ("2509479989", date(1947, 9, 25)),  # MedCom's test patient; 7th digit 9, YY > 36
        ("0101001234", date(1900, 1, 1)),   # 7th digit 0-3: 1900s
        ("0101364000", date(2036, 1, 1)),   # 4: 2000s up to YY 36 ...
        ("0101374000", date(1937, 1, 1)),   # ... 1900s from 37
        ("0101575000", date(2057, 1, 1)),   # 5-8: 2000s up to 57 ...
        ("0101585000", date(1858, 1, 1)),   # ... 1800s from 58
        ("2902004000", date(2000, 2, 29)),  # 2000 is a leap year
        ("2902961234", date(1996, 2, 29)),
    ],
)
def test_cpr_century_rule(value: str, born: date) -> None:
    assert Cpr(value).birth_date == born


@pytest.mark.parametrize(
    "value",
    [
        "2902000000",  # 1900 is not a leap year
        "2902585000",  # 1858 is not a leap year
        "3104001234",  # April has 30 days
        "0113001234",  # month 13
        "0001001234",  # day 00
        "250947998",   # 9 digits
        "25094799890",  # 11 digits
        "25094799A9",
        "".join(chr(0xFF10 + int(d)) for d in "2509479989"),  # full-width digits
        " 2509479989",
    ],
)
def test_invalid_cpr(value: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        Cpr(value)
    assert value.strip() not in str(caught.value)


def test_cpr_without_modulus_11_is_accepted() -> None:
    cpr = Cpr("0101001235")  # valid date, fails modulus 11 like many post-2007 numbers
    assert not cpr.passes_modulus11
    assert Cpr("0101000001").passes_modulus11


def test_cpr_sex_and_masking() -> None:
    assert Cpr("2509479989").sex == "male"
    assert Cpr("2509479988").sex == "female"
    cpr = Cpr("2509479989")
    assert cpr.masked() == "250947-xxxx"
    assert "2509479989" not in repr(cpr)
    assert "2509479989" not in repr(person_id("2509479989"))
    assert str(cpr) == "2509479989"  # the value itself is still available to builders


def test_errors_are_local_value_errors() -> None:
    with pytest.raises(InvalidValue):
        Gln("123")
    assert issubclass(InvalidIdentifier, LocalError)
    assert issubclass(InvalidIdentifier, ValueError)


@pytest.mark.parametrize(
    ("value", "kind"),
    [("0703921VJ5", XeCpr), ("0703927AB1", XeCpr), ("0101700AB1", DeCpr),
     ("2902005ZZ9", DeCpr), ("2509476XY0", DeCpr)],
)
def test_replacement_cpr(value: str, kind: type) -> None:
    parsed = parse_person_id(value)
    assert type(parsed) is kind
    assert value not in repr(parsed)


@pytest.mark.parametrize(
    "value",
    ["0703922VJ5", "0703921vj5", "3002921VJ5", "0703921V15", "0703921VJ", "070392-1VJ5"],
)
def test_invalid_replacement_cpr(value: str) -> None:
    with pytest.raises(InvalidIdentifier):
        parse_person_id(value)


def test_alternative_id_keeps_other_forms_but_never_a_bad_cpr() -> None:
    assert isinstance(person_id("ABCDEFGHIJ"), AlternativeId)
    with pytest.raises(InvalidValue, match="date"):
        person_id("3102479989")  # ten digits is a CPR attempt, not an alternative id
    with pytest.raises(InvalidValue):
        AlternativeId("0703921VJ5")  # that is an X-eCPR


@pytest.mark.parametrize("value", ["5790000121526", "5790001348120", "5790000201389"])
def test_gln_valid(value: str) -> None:
    assert str(Gln(value)) == value


@pytest.mark.parametrize(
    "value", ["5790000121527", "579000012152", "57900001215260", "579000012152A"]
)
def test_gln_invalid(value: str) -> None:
    with pytest.raises(InvalidIdentifier):
        Gln(value)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12),
       st.integers(0, 12), st.integers(1, 9))
def test_gln_any_single_digit_change_is_caught(first12: str, position: int, delta: int) -> None:
    gln = Gln.with_check_digit(first12).value
    changed = gln[:position] + str((int(gln[position]) + delta) % 10) + gln[position + 1:]
    with pytest.raises(InvalidIdentifier):
        Gln(changed)


def test_location_number_accepts_what_the_schema_does() -> None:
    assert LocationNumber("5790000121526").gln == Gln("5790000121526")
    assert LocationNumber("5790000120400").gln is None  # wrong check digit, still routable
    assert LocationNumber("DKKMDKMDNET").gln is None    # a VANS provider code
    with pytest.raises(InvalidIdentifier):
        LocationNumber("x" * 36)


def test_sor_id() -> None:
    assert SorId("953741000016009").passes_verhoeff
    assert SorId("953741000016009").in_danish_namespace
    assert not SorId("328081000016004").passes_verhoeff  # MedCom test data; still accepted
    for bad in ("0953741000016009", "12345", "1" * 19, "95374100001600X"):
        with pytest.raises(InvalidIdentifier):
            SorId(bad)


def test_ydernummer_kommunenummer_department() -> None:
    assert str(Ydernummer("079741")) == "079741"
    for bad in ("79741", "0797411", "07974a"):
        with pytest.raises(InvalidIdentifier):
            Ydernummer(bad)
    Kommunenummer("101")
    Kommunenummer("860")
    for bad in ("100", "861", "46", "0461"):
        with pytest.raises(InvalidIdentifier):
            Kommunenummer(bad)
    Sygehusafdelingsnummer("2001060")
    Sygehusafdelingsnummer("130139A")
    for bad in ("200106", "A001060", "130139a", "20010600"):
        with pytest.raises(InvalidIdentifier):
            Sygehusafdelingsnummer(bad)

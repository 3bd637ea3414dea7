"""Identifier value types: CPR and eCPR, GLN, SOR, ydernummer, kommunenummer, SHAK.

Person numbers here are MedCom test persons (2512489996, 0201919990, 2406444917, 2509479989)
or invented ones with sequence 99x/x99x that fail modulus 11; the one number that passes
modulus 11 (0101585018) has a birth year of 1858, before the CPR register existed.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medcom_adapter.errors import InvalidValue, LocalError
from medcom_adapter.model.identifiers import (
    Cpr,
    DeCpr,
    Ean,
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


def arabic(ascii_digits: str) -> str:
    """The same number in Arabic-Indic digits, which str.isdigit() accepts."""
    return "".join(chr(0x0660 + int(d)) for d in ascii_digits)


def fullwidth(ascii_digits: str) -> str:
    """The same number in fullwidth digits (U+FF10-FF19)."""
    return "".join(chr(0xFF10 + int(d)) for d in ascii_digits)


def assert_not_revealed(value: str, exc: InvalidIdentifier) -> None:
    """Nothing the error carries shows the whole person number."""
    assert value
    for text in (str(exc), repr(exc), exc.reason, exc.shown, *map(str, exc.args)):
        assert value not in text
        if len(value) == 10:
            assert value[6:] not in text  # the sequence part, which makes a date a person


# --- CPR ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "born"),
    [
        # 7th digit 0-3: always 1900s.
        ("0101650996", date(1965, 1, 1)),
        ("1503053995", date(1905, 3, 15)),
        ("3112992990", date(1999, 12, 31)),
        # 7th digit 4 or 9: 2000s up to YY 36, else 1900s.
        ("0101364996", date(2036, 1, 1)),
        ("0101374996", date(1937, 1, 1)),
        ("0201919990", date(1991, 1, 2)),
        ("2512489996", date(1948, 12, 25)),
        ("2406444917", date(1944, 6, 24)),
        ("0101009994", date(2000, 1, 1)),
        # 7th digit 5-8: 2000s up to YY 57, else 1800s.
        ("3112575996", date(2057, 12, 31)),
        ("0101585996", date(1858, 1, 1)),
        ("1507006992", date(2000, 7, 15)),
        ("1507997992", date(1899, 7, 15)),
        ("1508208992", date(2020, 8, 15)),
        ("1508898992", date(1889, 8, 15)),
    ],
)
def test_birth_date_century_from_the_7th_digit(value: str, born: date) -> None:
    assert Cpr(value).birth_date == born


@pytest.mark.parametrize(
    ("value", "born"),
    [
        ("2902004996", date(2000, 2, 29)),  # 4 + YY 00: 2000, divisible by 400
        ("2902009996", date(2000, 2, 29)),
        ("2902929996", date(1992, 2, 29)),
        ("2902965996", date(1896, 2, 29)),  # 5 + YY 96: 1896
        ("2902045996", date(2004, 2, 29)),
        ("2902080996", date(1908, 2, 29)),
    ],
)
def test_29_february_in_leap_years(value: str, born: date) -> None:
    assert Cpr(value).birth_date == born


@pytest.mark.parametrize(
    ("value", "year"),
    [
        ("2902000996", 1900),  # 0 + YY 00: 1900, a century year not divisible by 400
        ("2902585996", 1858),  # 5 + YY 58: 1858
        ("2902014996", 2001),
        ("2902373996", 1937),
        ("2902995996", 1899),
    ],
)
def test_29_february_in_other_years_is_rejected(value: str, year: int) -> None:
    with pytest.raises(InvalidIdentifier, match=f"date part {value[:6]} is not a valid date") as e:
        Cpr(value)
    assert f"{year} is not a leap year" in e.value.reason
    assert_not_revealed(value, e.value)


@pytest.mark.parametrize(
    "value",
    [
        "3104909996",  # 31 April
        "3106909996",  # 31 June
        "3109909996",  # 31 September
        "3111909996",  # 31 November
        "3002009996",  # 30 February, even in a leap year
        "3201909996",  # day 32
        "0001909996",  # day 00
        "0113909996",  # month 13
        "0100909996",  # month 00
        "9999999999",
    ],
)
def test_impossible_dates_are_rejected(value: str) -> None:
    with pytest.raises(InvalidIdentifier, match=r"^CPR number: date part \d{6} is not a valid"):
        Cpr(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("25124899961", "must be 10 digits, got 11"),
        ("251248999", "must be 10 digits, got 9"),
        ("", "must be 10 digits, got 0"),
        ("25124899A6", "may only contain digits 0-9"),
        ("251248999x", "may only contain digits 0-9"),
        (arabic("2512489996"), "may only contain digits 0-9"),  # isdigit() says True
        (fullwidth("2512489996"), "may only contain digits 0-9"),
        ("251248" + fullwidth("9996"), "may only contain digits 0-9"),
        (" 2512489996", "leading or trailing whitespace"),
        ("2512489996 ", "leading or trailing whitespace"),
        ("2512489996\n", "leading or trailing whitespace"),
        ("\u00a02512489996", "leading or trailing whitespace"),
        ("251248 9996", "may only contain digits 0-9"),
        ("251248-9996", "without the hyphen"),
    ],
)
def test_malformed_cpr_numbers(value: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as e:
        Cpr(value)
    assert e.value.kind == "CPR number"
    assert reason in e.value.reason
    assert str(e.value) == f"CPR number: {e.value.reason}"
    if value:
        assert_not_revealed(value.strip().replace("-", ""), e.value)


def test_cpr_is_a_string_not_an_int() -> None:
    with pytest.raises(InvalidIdentifier, match="expected a string, got int") as e:
        Cpr(2512489996)  # type: ignore[arg-type]
    assert_not_revealed("2512489996", e.value)


def test_invalid_identifier_is_a_local_value_error() -> None:
    with pytest.raises(ValueError, match="CPR number"):
        Cpr("x")
    assert issubclass(InvalidIdentifier, InvalidValue)
    assert issubclass(InvalidIdentifier, LocalError)
    with pytest.raises(InvalidValue) as e:
        Gln("123")
    assert e.value.message == str(e.value)  # what parsers re-raise as a remote error


@pytest.mark.parametrize("value", ["2512489996", "0201919990", "2406444917", "2509479989"])
def test_numbers_failing_modulus_11_are_accepted(value: str) -> None:
    # Since 2007 the CPR office issues numbers that fail modulus 11; they are valid.
    cpr = Cpr(value)
    assert str(cpr) == value
    assert not cpr.passes_modulus11


def test_modulus_11_is_reported() -> None:
    # 0*4 + 1*3 + 0*2 + 1*7 + 5*6 + 8*5 + 5*4 + 0*3 + 1*2 + 8*1 = 110 = 10 * 11
    assert Cpr("0101585018").passes_modulus11
    assert Cpr("0101000001").passes_modulus11  # 1*3 + 1*7 + 1*1 = 11
    assert not Cpr("0101585019").passes_modulus11
    assert not Cpr("0101585028").passes_modulus11


@pytest.mark.parametrize(
    ("value", "sex"),
    [
        ("2512489996", "female"),
        ("0201919990", "female"),  # 0 is even
        ("0101585018", "female"),
        ("2406444917", "male"),
        ("2509479989", "male"),
        ("0101650991", "male"),
    ],
)
def test_sex_from_the_last_digit(value: str, sex: str) -> None:
    assert Cpr(value).sex == sex


def test_cpr_repr_and_masked_hide_the_sequence() -> None:
    cpr = Cpr("2512489996")
    assert cpr.masked() == "251248-xxxx"
    assert repr(cpr) == "Cpr('251248-xxxx')"
    assert "2512489996" not in repr((cpr, [cpr], {"id": cpr}))
    assert str(cpr) == "2512489996"
    assert f"{cpr}" == "2512489996"


def test_cpr_is_a_frozen_slotted_value() -> None:
    cpr = Cpr("2512489996")
    assert cpr == Cpr("2512489996")
    assert hash(cpr) == hash(Cpr("2512489996"))
    assert cpr != Cpr("0201919990")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cpr.value = "0201919990"  # type: ignore[misc]
    assert not hasattr(cpr, "__dict__")
    assert Cpr.kind == "CPR number"


def test_error_messages_are_masked_even_when_a_reason_names_the_value() -> None:
    # The safety net in InvalidIdentifier: a careless raise site cannot leak a CPR.
    error = InvalidIdentifier("CPR number", "2512489996", "2512489996 is wrong")
    assert str(error) == "CPR number: 251248-xxxx is wrong"
    assert error.shown == "251248-xxxx"
    short = InvalidIdentifier("X-eCPR", "0703921", "bad")
    assert short.shown == "xxxxxx-xxxx"


def _seventh_digits_for(year: int) -> list[int]:
    """The 7th digits that give ``year``, from the CPR office's table read independently."""
    digits = []
    for seventh in range(10):
        if seventh <= 3:
            ok = 1900 <= year <= 1999
        elif seventh in (4, 9):
            ok = 2000 <= year <= 2036 or 1937 <= year <= 1999
        else:
            ok = 2000 <= year <= 2057 or 1858 <= year <= 1899
        if ok:
            digits.append(seventh)
    return digits


@given(
    born=st.dates(min_value=date(1858, 1, 1), max_value=date(2057, 12, 31)),
    data=st.data(),
)
def test_birth_date_round_trips(born: date, data: st.DataObject) -> None:
    seventh = data.draw(st.sampled_from(_seventh_digits_for(born.year)))
    rest = data.draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    cpr = Cpr(f"{born:%d%m}{born.year % 100:02d}{seventh}{rest}")
    assert cpr.birth_date == born


# --- eCPR -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0703921VJ5", "0703927VJ5", "2902011AB1", "3112997ZZ9"])
def test_valid_x_ecpr(value: str) -> None:
    ecpr = XeCpr(value)
    assert str(ecpr) == value
    assert repr(ecpr) == f"XeCpr('{value[:6]}-xxxx')"
    assert ecpr.masked() == f"{value[:6]}-xxxx"


@pytest.mark.parametrize("value", ["0101700AB1", "0101705AB1", "0101706AB1", "2902015XY0"])
def test_valid_d_ecpr(value: str) -> None:
    ecpr = DeCpr(value)
    assert str(ecpr) == value
    assert repr(ecpr) == f"DeCpr('{value[:6]}-xxxx')"


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        (XeCpr, "0703920VJ5", "7th character must be one of 1/7, got '0'"),
        (XeCpr, "0703925VJ5", "7th character must be one of 1/7"),
        (XeCpr, "0703929VJ5", "7th character must be one of 1/7"),
        (DeCpr, "0101701AB1", "7th character must be one of 0/5/6, got '1'"),
        (DeCpr, "0101707AB1", "7th character must be one of 0/5/6"),
        (DeCpr, "0101709AB1", "7th character must be one of 0/5/6"),
        (XeCpr, "0703921vj5", "characters 8-9 must be letters A-Z"),
        (XeCpr, "0703921Vj5", "characters 8-9 must be letters A-Z"),
        (DeCpr, "0101700ab1", "characters 8-9 must be letters A-Z"),
        (XeCpr, "0703921ÆJ5", "characters 8-9 must be letters A-Z"),
        (XeCpr, "0703921V15", "characters 8-9 must be letters A-Z"),
        (XeCpr, "0703921VJA", "10th character must be a digit"),
        (XeCpr, "0703921VJ" + arabic("5"), "10th character must be a digit"),
        (XeCpr, "07039X1VJ5", "characters 1-6 must be DDMMYY"),
        (XeCpr, arabic("0") + "703921VJ5", "characters 1-6 must be DDMMYY"),
        (XeCpr, "3002921VJ5", "date part 300292 is not a valid day and month"),
        (DeCpr, "3002700AB1", "date part 300270 is not a valid day and month"),
        (XeCpr, "3104921VJ5", "date part 310492"),
        (XeCpr, "0013921VJ5", "date part 001392"),
        (XeCpr, "0001921VJ5", "date part 000192"),
        (XeCpr, "0703921VJ", "must be 10 characters, got 9"),
        (XeCpr, "0703921VJ55", "must be 10 characters, got 11"),
        (XeCpr, " 0703921VJ5", "leading or trailing whitespace"),
        (DeCpr, "0101700AB1\t", "leading or trailing whitespace"),
    ],
)
def test_invalid_ecpr(kind: type[XeCpr | DeCpr], value: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as e:
        kind(value)
    assert e.value.kind == kind.kind
    assert reason in e.value.reason
    assert_not_revealed(value.strip(), e.value)


# --- parse_person_id ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("2512489996", Cpr),
        ("0201919990", Cpr),
        ("0703921VJ5", XeCpr),
        ("0703927VJ5", XeCpr),
        ("0101700AB1", DeCpr),
        ("0101705AB1", DeCpr),
        ("0101706AB1", DeCpr),
    ],
)
def test_parse_person_id_picks_the_type(value: str, kind: type[object]) -> None:
    parsed = parse_person_id(value)
    assert type(parsed) is kind
    assert str(parsed) == value


@pytest.mark.parametrize(
    ("value", "kind", "reason"),
    [
        ("0101702AB1", "person identifier", "7th character is '2'"),
        ("0101709AB1", "person identifier", "7th character is '9'"),
        ("010170XAB1", "person identifier", "7th character is 'X'"),
        ("ABC", "person identifier", "got 3 characters"),
        ("0703921VJ55", "person identifier", "got 11 characters"),
        ("070392-1VJ5", "person identifier", "got 11 characters"),
        ("0703922VJ5", "person identifier", "7th character is '2'"),
        ("0703921VJ5 ", "person identifier", "leading or trailing whitespace"),
        ("3104909996", "CPR number", "date part 310490 is not a valid date"),
        ("251248999", "CPR number", "must be 10 digits"),
        ("0703921vj5", "X-eCPR", "letters A-Z"),
        ("3002700AB1", "D-eCPR", "not a valid day and month"),
    ],
)
def test_parse_person_id_rejects(value: str, kind: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as e:
        parse_person_id(value)
    assert e.value.kind == kind
    assert reason in e.value.reason
    if kind == "person identifier" and "whitespace" not in reason:
        assert "CPR number" in e.value.reason
        assert "X-eCPR" in e.value.reason and "1/7" in e.value.reason
        assert "D-eCPR" in e.value.reason and "0/5/6" in e.value.reason
    assert_not_revealed(value.strip(), e.value)


def test_person_id_falls_back_to_alternative_ids_but_never_for_a_bad_cpr() -> None:
    # parties.person_id relies on parse_person_id raising InvalidIdentifier for other forms.
    assert isinstance(person_id("ABCDEFGHIJ"), AlternativeId)
    assert isinstance(person_id("0703921VJ5"), XeCpr)
    assert "2509479989" not in repr(person_id("2509479989"))
    with pytest.raises(InvalidValue, match="date"):
        person_id("3102479989")  # ten digits is a CPR attempt, not an alternative id
    with pytest.raises(InvalidValue):
        AlternativeId("0703921VJ5")  # that is an X-eCPR


# --- GLN ------------------------------------------------------------------------------------

VALID_GLNS = ["5790000121526", "5790001348120", "5790000201389"]


@pytest.mark.parametrize("value", VALID_GLNS)
def test_valid_gln(value: str) -> None:
    assert str(Gln(value)) == value
    assert Gln.with_check_digit(value[:12]) == Gln(value)


def test_ean_is_gln() -> None:
    assert Ean is Gln


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("5790000121527", "5790000121527 has check digit 7, expected 6"),
        ("5790001348128", "expected 0"),
        ("5790000201380", "expected 9"),
        ("7590000121526", "expected"),  # swapped first two digits
        ("579000012152", "must be 13 digits, got 12"),
        ("57900001215260", "must be 13 digits, got 14"),
        ("579000012152a", "may only contain digits 0-9"),
        ("579000012152" + fullwidth("6"), "may only contain digits 0-9"),
        ("57900001215" + arabic("2") + "6", "may only contain digits 0-9"),
        (" 5790000121526", "leading or trailing whitespace"),
        ("5790000121526\r\n", "leading or trailing whitespace"),
    ],
)
def test_invalid_gln(value: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as e:
        Gln(value)
    assert e.value.kind == Gln.kind
    assert reason in e.value.reason


@pytest.mark.parametrize("first12", ["57900001215", "5790000121526", "57900001215x", ""])
def test_with_check_digit_needs_12_digits(first12: str) -> None:
    with pytest.raises(InvalidIdentifier):
        Gln.with_check_digit(first12)


@given(
    first12=st.from_regex(r"[0-9]{12}", fullmatch=True),
    position=st.integers(0, 12),
    shift=st.integers(1, 9),
)
def test_gln_check_digit_catches_every_single_digit_error(
    first12: str, position: int, shift: int
) -> None:
    gln = Gln.with_check_digit(first12)
    digits = list(gln.value)
    digits[position] = str((int(digits[position]) + shift) % 10)
    with pytest.raises(InvalidIdentifier, match="check digit"):
        Gln("".join(digits))


# --- location number ------------------------------------------------------------------------


def test_location_number_takes_any_1_to_35_characters() -> None:
    assert LocationNumber("5790000121527").gln is None  # wrong check digit: kept, but no GLN
    assert LocationNumber("DKKMDKMDNET").gln is None  # a VANS provider code
    assert LocationNumber("5790000121526").gln == Gln("5790000121526")
    assert str(LocationNumber.of(Gln("5790000121526"))) == "5790000121526"
    assert str(LocationNumber("x" * 35)) == "x" * 35
    for bad in ("", "x" * 36):
        with pytest.raises(InvalidIdentifier, match="1-35 characters"):
            LocationNumber(bad)


# --- SOR ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "verhoeff", "danish"),
    [
        ("953741000016009", True, True),
        # From MedCom's published FHIR examples; all of those pass with the correct tables
        # (row 4 of the permutation table was once mistyped, which failed 328081000016004).
        ("328081000016004", True, True),
        ("1017421000016003", True, True),
        ("8851000016006", True, True),
        # One digit off: accepted all the same, since the check is not enforced.
        ("953741000016008", False, True),
        ("328081000016005", False, True),
        ("123451", True, False),  # the textbook Verhoeff vector 12345 -> 1
        ("1234567890120", True, False),  # and 123456789012 -> 0
        ("123452", False, False),
        ("100000", False, False),  # shortest
        ("123456789012345678", False, False),  # longest
        ("1000016", False, False),  # the namespace alone is not in the namespace
    ],
)
def test_sor_ids(value: str, verhoeff: bool, danish: bool) -> None:
    sor = SorId(value)
    assert str(sor) == value
    assert sor.passes_verhoeff is verhoeff
    assert sor.in_danish_namespace is danish


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("12345", "must be 6-18 digits, got 5"),
        ("1234567890123456789", "must be 6-18 digits, got 19"),
        ("", "must be 6-18 digits, got 0"),
        ("053741000016009", "starts with 0"),
        ("000000", "starts with 0"),
        ("95374100001600A", "may only contain digits 0-9"),
        ("9537410000160" + arabic("0") + "9", "may only contain digits 0-9"),
        ("953741000016009 ", "leading or trailing whitespace"),
    ],
)
def test_invalid_sor_ids(value: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as e:
        SorId(value)
    assert e.value.kind == "SOR id"
    assert reason in e.value.reason


def _with_verhoeff(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if SorId(prefix + d).passes_verhoeff)


_SOR_PREFIX = st.from_regex(r"[1-9][0-9]{4,16}", fullmatch=True)


@given(prefix=_SOR_PREFIX)
def test_verhoeff_has_exactly_one_check_digit(prefix: str) -> None:
    assert sum(SorId(prefix + d).passes_verhoeff for d in "0123456789") == 1


@given(prefix=_SOR_PREFIX, data=st.data())
def test_verhoeff_catches_transpositions_in_random_ids(prefix: str, data: st.DataObject) -> None:
    # What Verhoeff adds over a weighted sum: every swap of two neighbouring digits shows.
    value = _with_verhoeff(prefix)
    i = data.draw(st.integers(1, len(value) - 2))  # keep the leading digit non-zero
    swapped = value[:i] + value[i + 1] + value[i] + value[i + 2 :]
    if swapped != value:
        assert not SorId(swapped).passes_verhoeff


@pytest.mark.parametrize("zeros_after", range(8))  # one case per row of the permutation table
def test_verhoeff_catches_every_adjacent_transposition(zeros_after: int) -> None:
    for a in "0123456789":
        for b in "0123456789":
            if a != b:
                value = _with_verhoeff(f"1000{a}{b}" + "0" * zeros_after)
                swapped = f"1000{b}{a}" + value[6:]
                assert not SorId(swapped).passes_verhoeff, (value, swapped)


# --- ydernummer, kommunenummer, sygehusafdelingsnummer ----------------------------------------


@pytest.mark.parametrize("value", ["079741", "000001", "999999"])
def test_valid_ydernummer(value: str) -> None:
    assert str(Ydernummer(value)) == value  # leading zeros kept


@pytest.mark.parametrize(
    "value", ["79741", "0797410", "07974A", " 079741", "079741\n", fullwidth("079741"), ""]
)
def test_invalid_ydernummer(value: str) -> None:
    with pytest.raises(InvalidIdentifier, match=r"^ydernummer: "):
        Ydernummer(value)


@pytest.mark.parametrize("value", ["101", "461", "860", "147"])
def test_valid_kommunenummer(value: str) -> None:
    assert str(Kommunenummer(value)) == value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("100", "100 is outside 101-860"),
        ("861", "861 is outside 101-860"),
        ("000", "outside 101-860"),
        ("999", "outside 101-860"),
        ("99", "must be 3 digits, got 2"),
        ("0461", "must be 3 digits, got 4"),
        ("46l", "may only contain digits 0-9"),
        (arabic("461"), "may only contain digits 0-9"),
        (" 461", "leading or trailing whitespace"),
    ],
)
def test_invalid_kommunenummer(value: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as e:
        Kommunenummer(value)
    assert reason in e.value.reason


@pytest.mark.parametrize("value", ["2001060", "130139A", "1301ZZZ", "6620A0B"])
def test_valid_sygehusafdelingsnummer(value: str) -> None:
    assert str(Sygehusafdelingsnummer(value)) == value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("130139a", "uppercase A-Z"),
        ("130139Æ", "uppercase A-Z"),
        ("1301 9A", "uppercase A-Z"),
        ("A301390", "4-digit hospital code"),
        ("130A39A", "4-digit hospital code"),
        (arabic("130139") + "A", "4-digit hospital code"),
        ("13013A", "must be 7 characters, got 6"),
        ("130139AB", "must be 7 characters, got 8"),
        (" 130139A", "leading or trailing whitespace"),
    ],
)
def test_invalid_sygehusafdelingsnummer(value: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as e:
        Sygehusafdelingsnummer(value)
    assert e.value.kind == "sygehusafdelingsnummer"
    assert reason in e.value.reason


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (Gln, "5790000121526"),
        (SorId, "953741000016009"),
        (Ydernummer, "079741"),
        (Kommunenummer, "461"),
        (Sygehusafdelingsnummer, "130139A"),
        (XeCpr, "0703921VJ5"),
        (DeCpr, "0101700AB1"),
    ],
)
def test_every_type_is_a_frozen_value(kind: type[object], value: str) -> None:
    made = kind(value)  # type: ignore[call-arg]
    assert made == kind(value)  # type: ignore[call-arg]
    assert str(made) == value
    assert isinstance(kind.kind, str)  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.value = value  # type: ignore[attr-defined]

"""The disagreements with MedCom found by reading as a receiving system would, one test each.

Reading is never stricter than MedCom: where only our own check fails, a message is valid
with a warning; what we build stays strict.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from medcom_adapter.convert.edifact_oioxml import edifact_to_oioxml, oioxml_to_edifact
from medcom_adapter.convert.xdis91_fhir import to_fhir
from medcom_adapter.edifact import interchange
from medcom_adapter.errors import OutboundInvalid
from medcom_adapter.fhir.carecommunication import to_bundle
from medcom_adapter.fhir.validate import validate_message
from medcom_adapter.model.letters import BinaryLetter, Referral
from medcom_adapter.oioxml import emessage
from tests.conftest import official


def _example(name: str) -> bytes:
    return Path(official("oioxml", "examples", name)).read_bytes()


def _municipality_with_location_number(data: bytes) -> bytes:
    changed = data.replace(
        b"<Identifier>079741</Identifier>\n            <IdentifierCode>ydernummer",
        b"<Identifier>5790000121526</Identifier>\n            <IdentifierCode>kommunenummer")
    assert changed != data
    return changed


# 1 -------------------------------------------------------------------------------------

def test_location_number_labelled_kommunenummer_is_read_with_a_warning() -> None:
    # MedCom's schema gives Identifier 1-17 characters whatever its IdentifierCode says
    data = _municipality_with_location_number(_example("REF01_1.xml"))
    result = emessage.check(data)
    assert result.valid
    (warning,) = result.issues
    assert warning.warning and warning.code == "medcom.identifier-shape"
    assert warning.path == "Emessage/HospitalReferral/Sender/Identifier"
    letter = emessage.parse(data).message.letters[0]
    assert isinstance(letter, Referral) and letter.sender.identifier == "5790000121526"


def test_such_a_letter_converts_to_edifact_and_back() -> None:
    data = _municipality_with_location_number(_example("REF01_1.xml"))
    edifact = oioxml_to_edifact(data)
    assert interchange.check(edifact).valid
    again = emessage.parse(edifact_to_oioxml(edifact))
    assert again.message == emessage.parse(data).message


def test_we_do_not_build_what_we_would_warn_about() -> None:
    document = emessage.parse(_municipality_with_location_number(_example("REF01_1.xml")))
    with pytest.raises(OutboundInvalid) as caught:
        emessage.build(document.message, document.versions)
    assert [i.code for i in caught.value.issues] == ["medcom.identifier-shape"]
    # unless the caller says so: passing a peer's letter on as it came
    assert emessage.build(document.message, document.versions, allow_warnings=True)


# 2 -------------------------------------------------------------------------------------

def test_cpr_date_part_is_a_warning_on_read_and_strict_on_build() -> None:
    data = _example("REF01_1.xml").replace(b"2406444917", b"3202444917")
    document = emessage.parse(data)
    (warning,) = document.warnings
    assert warning.code == "medcom.cpr-date" and warning.warning
    assert "3202444917" not in warning.message
    with pytest.raises(OutboundInvalid):
        emessage.build(document.message, document.versions)


def test_a_fhir_message_whose_cpr_date_part_is_no_calendar_date_is_read() -> None:
    # 29 February 1901: dk-core's cpr invariant accepts the day and month, MedCom's
    # profiles nothing more; the year is our own check
    import json

    from medcom_adapter.fhir.carecommunication import from_bundle

    bundle = json.loads(Path(official("fhir", "send-examples",
                                      "Bundle-S-A-new-1932711d-49d0-4ad7-b1ee-61de711892d2.json"))
                        .read_text(encoding="utf-8").replace("2509479989", "2902011234"))
    assert [i for i in validate_message(bundle) if not i.warning] == []
    assert str(from_bundle(bundle).patient.id) == "2902011234"


# 3 -------------------------------------------------------------------------------------

def test_carecommunication_converted_from_medcoms_dis91_example_is_valid() -> None:
    # DIS91_1's location numbers fail GS1's check digit: a warning on OIOXML, and the same
    # numbers in the converted FHIR message are a warning too (gln-modulus-10 is dk-core's,
    # not a MedCom invariant)
    document = emessage.parse(_example("DIS91_1.xml"))
    assert {w.code for w in document.warnings} == {"medcom.gln-check-digit"}
    cc = to_fhir(document.message, sor_of=lambda org: "330461000016004")
    issues = validate_message(to_bundle(cc))
    assert [i for i in issues if not i.warning] == []
    assert "gln-modulus-10" in {i.code for i in issues if i.warning}


# 4 -------------------------------------------------------------------------------------

def test_line_break_between_binary_object_and_unp_is_read_as_medcom_reads_it() -> None:
    # MedCom's converter reads the declared bytes, then skips whitespace to the next segment
    data = _example("BIN01_1.edi")
    spaced = data.replace(b"UNP+", b"\r\nUNP+", 1)
    original, read = interchange.parse(data), interchange.parse(spaced)
    assert read.message == original.message
    letter = read.message.letters[0]
    assert isinstance(letter, BinaryLetter) and letter.objects


def test_trailers_medcoms_converter_does_not_check_are_warnings() -> None:
    data = _example("BIN01_1.edi")
    wrong_unp = data.replace(b"UNP+1327700+1'", b"UNP+1327701+1'", 1)
    assert wrong_unp != data
    document = interchange.parse(wrong_unp)
    (warning,) = document.warnings
    assert warning.code == "medcom.edifact-trailer" and "UNP" in warning.message
    assert document.message == interchange.parse(data).message


def test_a_count_that_runs_into_the_next_segment_is_still_refused() -> None:
    # so does MedCom's converter: the byte after the object must start a segment
    data = _example("BIN01_1.edi")
    too_long = data.replace(b"+1327700", b"+1327701", 2)
    assert not interchange.check(too_long).valid


# 6 -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "kept"), [
    (b"<IdentifierCode>ydernummer", b"<IdentifierCode>ydernumber",
     "{'sygehusafdelingsnummer', 'ydernummer', 'lokationsnummer', 'kommunenummer', 'sorkode'}"),
    (b"2406444917", b"24064449", "'[0-9]{10}'"),
])
def test_schema_messages_keep_what_is_in_braces(old: bytes, new: bytes, kept: str) -> None:
    (issue,) = emessage.check(_example("REF01_1.xml").replace(old, new, 1)).issues
    assert kept in issue.message
    assert "http://" not in issue.message  # MedCom's namespace is left out on purpose

"""A received message's sender by SOR id: its own, the directory's by identifier, by EAN."""

from __future__ import annotations

from medcom_adapter.addressing.directory import Directory, Receiver
from medcom_adapter.addressing.senders import sender_sor

DIRECTORY = Directory([
    Receiver("265161000016000", "5790000121526", "Lægerne Testvej",
             identifiers={"ydernummer": "012345"}),
    Receiver("88020001000016009", "5790000200009", "BUP Eksempel"),
    Receiver("88030001000016007", "5790000200009", "BUP Prøve"),  # shares the EAN
])


def test_a_letter_naming_its_sender_by_sor_is_taken_at_its_word() -> None:
    assert sender_sor(None, ean="5790000121526", identifier="953741000016009",
                      code="sorkode") == "953741000016009"


def test_the_directory_names_a_sender_by_its_local_identifier_then_by_ean() -> None:
    assert sender_sor(DIRECTORY, ean="5790000999999", identifier="012345",
                      code="ydernummer") == "265161000016000"
    assert sender_sor(DIRECTORY, ean="5790000121526", identifier="999999",
                      code="ydernummer") == "265161000016000"
    assert sender_sor(DIRECTORY, ean="5790000121526") == "265161000016000"


def test_a_location_number_shared_by_several_units_names_none_of_them() -> None:
    assert sender_sor(DIRECTORY, ean="5790000200009") is None
    assert sender_sor(DIRECTORY, ean="5790000777777") is None
    assert sender_sor(None, ean="5790000121526") is None

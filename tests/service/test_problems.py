"""redact: no run of four characters of anything submitted survives in a problem's text."""

from __future__ import annotations

from medcom_adapter.service.problems import path_of, redact


def test_any_four_characters_of_a_submitted_value_are_cut() -> None:
    cpr = "2509479989"
    assert redact(f"CPR {cpr} is invalid", [cpr]) == "CPR … is invalid"
    assert redact("date part 250947 is not a date", [cpr]) == "date part … is not a date"
    assert redact("masked 250947-xxxx", [cpr]) == "masked …-xxxx"
    assert redact("ends 9989", [cpr]) == "ends …"
    assert redact("digits 250 and 989", [cpr]) == "digits 250 and 989"  # three are no part
    assert redact("must be 10 digits", [cpr]) == "must be 10 digits"


def test_long_values_are_cut_where_they_occur_whole() -> None:
    text = "x" * 300
    assert redact(f"echo: {text}", [text]) == "echo: …"


def test_paths_keep_field_names_and_indexes_only() -> None:
    assert path_of(("patient", "cpr")) == "patient.cpr"
    assert path_of(("attachments", 0, "data_base64")) == "attachments[0].data_base64"
    assert path_of(("classification", "2509479989")) == "classification"  # a submitted key

"""Formatted text: modelled as a tree, normalised, with MedCom's nesting rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medcom_adapter.errors import InvalidValue
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.text import Break, FormattedText, Space, Style, Styled
from medcom_adapter.oioxml.emessage import build, parse
from tests import samples


def test_plain_text_becomes_breaks() -> None:
    text = FormattedText.plain("Første linje\nAnden linje æøå ÆØÅ")
    assert text.content == ("Første linje", Break(), "Anden linje æøå ÆØÅ")
    assert text.to_plain() == "Første linje\nAnden linje æøå ÆØÅ"


def test_runs_are_normalised() -> None:
    assert FormattedText(("a", "", "b", Break(), "")) == FormattedText(("ab", Break()))


def test_styles_other_than_fixed_font_hold_only_text() -> None:
    with pytest.raises(InvalidValue, match="Italic cannot be nested inside Bold"):
        Styled(Style.BOLD, (Styled(Style.ITALIC, ("x",)),))
    with pytest.raises(InvalidValue):
        Styled(Style.FIXED_FONT, (Styled(Style.FIXED_FONT, ("x",)),))
    Styled(Style.FIXED_FONT, (Styled(Style.BOLD, ("fed",)), Space()))


def round_trip(text: FormattedText) -> FormattedText:
    import dataclasses

    referral = dataclasses.replace(samples.minimal_referral(), clinical_reason=text)
    data = build(Emessage(Envelope("E", samples.WHEN), (referral,)), "XH0131R")
    parsed = parse(data).message.letters[0]
    assert parsed.clinical_reason is not None  # type: ignore[union-attr]
    return parsed.clinical_reason  # type: ignore[union-attr]


def test_danish_letters_and_styles_survive_latin1() -> None:
    assert round_trip(samples.DANISH) == samples.DANISH


# Text that XML 1.0 can carry; leading/trailing whitespace kept as is.
xml_text = st.text(
    alphabet=st.characters(codec="latin-1", exclude_categories=("Cc", "Cs")), min_size=1,
)
leaf = st.one_of(xml_text, st.just(Break()), st.just(Space()))
simple_style = st.sampled_from([s for s in Style if s is not Style.FIXED_FONT])
styled = st.builds(lambda s, parts: Styled(s, tuple(parts)), simple_style, st.lists(leaf))
fixed = st.builds(lambda parts: Styled(Style.FIXED_FONT, tuple(parts)),
                  st.lists(st.one_of(leaf, styled)))
formatted = st.builds(lambda parts: FormattedText(tuple(parts)),
                      st.lists(st.one_of(leaf, styled, fixed), min_size=1))


@given(formatted)
def test_any_formatted_text_round_trips(text: FormattedText) -> None:
    assert round_trip(text) == text

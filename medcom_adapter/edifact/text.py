"""MedCom formatted text <-> FTX segments.

An FTX carries up to five text components of at most 70 characters and one format code
for the whole segment (element 2): font ``P`` (proportional) or ``F`` (fixed), style ``0``,
``F`` (bold), ``U`` (underline) or ``K`` (italic), alignment ``0``, ``H`` (right) or ``M``
(centre); plain text is ``P00``. Each component is a line: a line break follows it, unless
it ends with ``\\``, which continues the line in the next component; a component of just
``.`` is an empty line. Styled runs become segments of their own format code.

Writing is the exact inverse of reading, so any text the model holds survives both ways;
only ``Space`` (EDIFACT has none: written as a space) and line-feed characters inside a
run (whitespace in XML: written as spaces) come back different.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from medcom_adapter.edifact.codes import ALIGN_LETTER, STYLE_LETTER
from medcom_adapter.model.text import Break, FormattedText, Inline, Space, Style, Styled

COMPONENTS_PER_FTX = 5
COMPONENT_LENGTH = 70
CONTINUE = "\\"
EMPTY_LINE = "."
PLAIN = "P00"



@dataclass(frozen=True, slots=True)
class TextSegment:
    """One FTX's share of a text: its format code and components."""

    format: str
    components: tuple[str, ...]


def to_segments(text: FormattedText) -> list[TextSegment]:
    """The FTX format codes and components that carry ``text``."""
    out: list[TextSegment] = []
    for code, parts in _runs(text.content, fixed=False, style=None):
        components = _components(parts)
        for start in range(0, len(components), COMPONENTS_PER_FTX):
            out.append(TextSegment(code, tuple(components[start : start + COMPONENTS_PER_FTX])))
    return out


def from_segments(segments: Iterable[TextSegment]) -> FormattedText:
    """The formatted text a run of FTX segments (of one qualifier) carries."""
    parts: list[Inline] = []
    for segment in segments:
        lines: list[Inline] = []
        for component in segment.components:
            if component == EMPTY_LINE:
                lines.append(Break())
            elif component.endswith(CONTINUE):
                lines.append(component[:-1])
            else:
                lines.extend((component, Break()))
        parts.extend(_wrap(segment.format, tuple(lines)))
    return FormattedText(_merge(parts))


def text_value(components: Sequence[str]) -> str:
    """Components read as one unbroken value (a URL split over several components)."""
    return "".join(c[:-1] if c.endswith(CONTINUE) else c for c in components if c != EMPTY_LINE)


def value_components(value: str) -> list[str]:
    """``value`` in components that ``text_value`` reads back unchanged."""
    chunks = [value[i : i + COMPONENT_LENGTH - 1] for i in range(0, len(value),
                                                                  COMPONENT_LENGTH - 1)]
    return [c + CONTINUE if c == EMPTY_LINE or c.endswith(CONTINUE) else c for c in chunks]


# -- writing ------------------------------------------------------------------------------

def _format_code(fixed: bool, style: Style | None) -> str:
    font = "F" if fixed else "P"
    if style is None:
        return font + "00"
    return font + STYLE_LETTER.get(style, "0") + ALIGN_LETTER.get(style, "0")


def _runs(
    content: Sequence[Inline], *, fixed: bool, style: Style | None
) -> list[tuple[str, list[str | Break]]]:
    """Consecutive leaves of one format code: text and breaks."""
    runs: list[tuple[str, list[str | Break]]] = []

    def add(code: str, leaf: str | Break) -> None:
        if runs and runs[-1][0] == code:
            runs[-1][1].append(leaf)
        else:
            runs.append((code, [leaf]))

    for part in content:
        if isinstance(part, Styled):
            if part.style is Style.FIXED_FONT:
                nested = _runs(part.content, fixed=True, style=None)
            else:
                nested = _runs(part.content, fixed=fixed, style=part.style)
            for code, leaves in nested:
                for leaf in leaves:
                    add(code, leaf)
        elif isinstance(part, Space):
            add(_format_code(fixed, style), " ")
        elif isinstance(part, Break):
            add(_format_code(fixed, style), part)
        else:
            add(_format_code(fixed, style), part.replace("\r\n", " ").replace("\n", " ")
                .replace("\r", " "))
    return runs


def _components(leaves: list[str | Break]) -> list[str]:
    lines: list[str] = [""]
    breaks: list[bool] = [False]
    for leaf in leaves:
        if isinstance(leaf, Break):
            breaks[-1] = True
            lines.append("")
            breaks.append(False)
        else:
            lines[-1] += leaf
    if not lines[-1] and not breaks[-1] and len(lines) > 1:
        lines.pop()  # the run ended with a break: no open line after it
        breaks.pop()
    out: list[str] = []
    for line, broken in zip(lines, breaks, strict=True):
        out.extend(_line(line, broken))
    return out


def _line(line: str, broken: bool) -> list[str]:
    chunks = _wrapped(line)
    out = [c + CONTINUE for c in chunks[:-1]]
    last = chunks[-1]
    if not broken:
        if last:
            out.append(last + CONTINUE)
    elif last in ("", EMPTY_LINE) or last.endswith(CONTINUE):
        if last:
            out.append(last + CONTINUE)
        out.append(EMPTY_LINE)
    else:
        out.append(last)
    return out


def _wrapped(line: str) -> list[str]:
    """``line`` in pieces of at most 69 characters, each but the last to be continued, cut as
    MedCom's converter cuts them: after the last whitespace of a full piece (when there is one
    past its third character), else after the 69th character."""
    size = COMPONENT_LENGTH - 1
    chunks: list[str] = []
    piece = ""
    for char in line:
        if len(piece) == size:
            cut = max(piece.rfind(c) for c in _WHITESPACE)
            if cut > 2:
                chunks.append(piece[: cut + 1])
                piece = piece[cut + 1 :]
            else:
                chunks.append(piece)
                piece = ""
        piece += char
    return [*chunks, piece]


_WHITESPACE = " \t"


# -- reading ------------------------------------------------------------------------------

_FORMATS: dict[str, tuple[bool, Style | None]] = {
    _format_code(fixed, style): (fixed, style)
    for fixed in (False, True) for style in (None, *STYLE_LETTER, *ALIGN_LETTER)
}


def _wrap(code: str, lines: tuple[Inline, ...]) -> list[Inline]:
    # an unknown format is shown in a fixed font, as MedCom's converter does
    fixed, style = _FORMATS.get(code, (True, None))
    inner: tuple[Inline, ...] = (Styled(style, lines),) if style is not None else lines
    return [Styled(Style.FIXED_FONT, inner)] if fixed else list(inner)


def _merge(parts: list[Inline]) -> tuple[Inline, ...]:
    """Adjacent runs of one style become one element, as they were before writing."""
    out: list[Inline] = []
    for part in parts:
        if isinstance(part, Styled) and out and isinstance(out[-1], Styled) and (
            out[-1].style is part.style
        ):
            out[-1] = Styled(part.style, _merge([*out[-1].content, *part.content]))
        else:
            out.append(part)
    return tuple(out)

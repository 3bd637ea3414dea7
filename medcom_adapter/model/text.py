"""MedCom formatted text: mixed content with Break, Space and style elements, kept as a tree.

MedCom's ``FormattedTextType`` allows text with ``Break``, ``Space``, ``Right``, ``Center``,
``Bold``, ``Italic``, ``Underline`` and ``FixedFont``. The styles other than FixedFont may
hold only text, Break and Space; FixedFont may hold the other styles too. The model keeps
the tree (it is not flattened to a string) so a message survives parse -> build unchanged.
Runs are normalised (adjacent strings merged, empty strings dropped) so that equal texts
compare equal however they were assembled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from medcom_adapter.errors import InvalidValue


class Style(StrEnum):
    """A style element; the value is MedCom's element name."""

    BOLD = "Bold"
    ITALIC = "Italic"
    UNDERLINE = "Underline"
    RIGHT = "Right"
    CENTER = "Center"
    FIXED_FONT = "FixedFont"


@dataclass(frozen=True, slots=True)
class Break:
    """A line break (``<Break/>``)."""


@dataclass(frozen=True, slots=True)
class Space:
    """An explicit space (``<Space/>``), kept where whitespace would otherwise collapse."""


@dataclass(frozen=True, slots=True)
class Styled:
    style: Style
    content: tuple[Inline, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "content", _normalise(self.content))
        for part in self.content:
            if isinstance(part, Styled) and (
                self.style is not Style.FIXED_FONT or part.style is Style.FIXED_FONT
            ):
                raise InvalidValue(
                    f"{part.style.value} cannot be nested inside {self.style.value}"
                )


Inline = str | Break | Space | Styled


def _normalise(parts: Iterable[Inline]) -> tuple[Inline, ...]:
    out: list[Inline] = []
    for part in parts:
        if isinstance(part, str):
            if not part:
                continue
            if out and isinstance(out[-1], str):
                out[-1] = out[-1] + part
                continue
        out.append(part)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class FormattedText:
    content: tuple[Inline, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "content", _normalise(self.content))

    @classmethod
    def plain(cls, text: str) -> FormattedText:
        """Text whose newlines become ``Break`` elements."""
        parts: list[Inline] = []
        for i, line in enumerate(text.replace("\r\n", "\n").split("\n")):
            if i:
                parts.append(Break())
            parts.append(line)
        return cls(tuple(parts))

    def to_plain(self) -> str:
        """A readable string: Break -> newline, Space -> space, styles dropped."""
        return "".join(_plain(p) for p in self.content)

    def __bool__(self) -> bool:
        return bool(self.content)


def _plain(part: Inline) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, Break):
        return "\n"
    if isinstance(part, Space):
        return " "
    return "".join(_plain(p) for p in part.content)

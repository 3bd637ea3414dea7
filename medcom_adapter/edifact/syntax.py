"""EDIFACT's building blocks: the service characters (UNA) and segments."""

from __future__ import annotations

from dataclasses import dataclass, field

Element = tuple[str, ...]  # the components of one data element


@dataclass(frozen=True, slots=True)
class Separators:
    """The service string advice (UNA): MedCom always uses the defaults ``:+.? '``."""

    component: str = ":"
    element: str = "+"
    decimal: str = "."
    release: str = "?"
    reserved: str = " "
    terminator: str = "'"

    @property
    def una(self) -> str:
        return ("UNA" + self.component + self.element + self.decimal + self.release
                + self.reserved + self.terminator)

    @property
    def specials(self) -> str:
        """The characters a value must escape with the release character."""
        return self.release + self.component + self.element + self.terminator


DEFAULT = Separators()


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: its tag and data elements; ``binary`` holds the raw object after a UNO.

    ``number`` (UNB = 1) and ``offset`` (of the tag, in bytes) say where it was read; built
    segments have neither.
    """

    tag: str
    elements: tuple[Element, ...] = ()
    binary: bytes | None = field(default=None, repr=False)
    number: int = 0
    offset: int = -1

    @classmethod
    def of(cls, tag: str, *elements: str | Element | None, binary: bytes | None = None) -> Segment:
        """A segment to write; ``None`` or ``""`` is an empty element, a tuple a composite."""
        return cls(tag, tuple(_element(e) for e in elements), binary)

    def get(self, element: int, component: int = 1) -> str:
        """Element ``element``, component ``component`` (both 1-based as in MedCom's
        guides: ``NAD+PO+079741:YNR`` has get(2, 2) == "YNR"); "" when absent."""
        try:
            return self.elements[element - 1][component - 1]
        except IndexError:
            return ""

    def has(self, element: int, component: int = 1) -> bool:
        try:
            self.elements[element - 1][component - 1]
        except IndexError:
            return False
        return True

    def components(self, element: int) -> Element:
        return self.elements[element - 1] if element <= len(self.elements) else ()


def _element(value: str | Element | None) -> Element:
    if value is None:
        return ("",)
    return (value,) if isinstance(value, str) else tuple(value)


def ascii_digits(value: str) -> bool:
    """0-9 only: ``str.isdigit`` also takes superscripts and other scripts' digits."""
    return value.isascii() and value.isdigit()

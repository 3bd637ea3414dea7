"""An interchange -> bytes: service string, escaping, counts, raw binary objects."""

from __future__ import annotations

from collections.abc import Sequence

from medcom_adapter.edifact.syntax import DEFAULT, Segment, Separators
from medcom_adapter.errors import InvalidValue

ENCODING = "latin-1"  # UNOC


def serialize(
    unb: Segment,
    messages: Sequence[tuple[Segment, Sequence[Segment]]],
    *,
    separators: Separators = DEFAULT,
    line_breaks: bool = False,
) -> bytes:
    """UNA, ``unb``, each (UNH, body) with its UNT, then UNZ; counts are computed here."""
    writer = _Writer(separators, line_breaks)
    writer.add_text(separators.una)
    writer.add(unb)
    for unh, body in messages:
        writer.add(unh)
        for segment in body:
            writer.add(segment)
        writer.add(Segment.of("UNT", str(len(body) + 2), unh.get(1)))
    writer.add(Segment.of("UNZ", str(len(messages)), unb.get(5)))
    return bytes(writer.out)


class _Writer:
    def __init__(self, separators: Separators, line_breaks: bool) -> None:
        self.s = separators
        self.newline = "\n" if line_breaks else ""
        self.escape = str.maketrans({c: separators.release + c for c in separators.specials})
        self.out = bytearray()

    def add_text(self, text: str) -> None:
        try:
            self.out += text.encode(ENCODING)
        except UnicodeEncodeError as exc:
            bad = exc.object[exc.start : exc.end]
            raise InvalidValue(f"{bad!r} cannot be written in UNOC (ISO-8859-1)") from None

    def add(self, segment: Segment) -> None:
        elements = [self._element(e) for e in segment.elements]
        while elements and not elements[-1]:
            elements.pop()
        text = self.s.element.join([segment.tag, *elements]) + self.s.terminator
        if segment.binary is None:
            self.add_text(text + self.newline)
        else:  # the object follows its UNO at once, and UNP follows the object
            self.add_text(text)
            self.out += segment.binary

    def _element(self, components: tuple[str, ...]) -> str:
        values = list(components)
        while values and not values[-1]:
            values.pop()
        for value in values:
            if "\n" in value or "\r" in value:
                raise InvalidValue(f"an EDIFACT value cannot hold a line break: {value!r}")
        return self.s.component.join(v.translate(self.escape) for v in values)

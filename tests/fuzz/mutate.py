"""Hypothesis strategies that damage a seed the ways transport and peers do."""

from __future__ import annotations

from hypothesis import strategies as st

# bytes that change a parser's path: markup, quotes, separators, escapes, encodings, NUL
INTERESTING = b"<>&;'\"=/:+?\\{}[],\x00\xff\xc3\x1b\n\r"


@st.composite
def damaged(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with a few flips, cuts, insertions and duplications."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(("flip", "cut", "insert", "repeat", "truncate")))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif action == "insert":
            byte = draw(st.sampled_from(INTERESTING))
            data[at:at] = bytes([byte]) * draw(st.integers(1, 8))
        elif action == "repeat":
            span = bytes(data[at : at + draw(st.integers(1, 256))])
            data[at:at] = span * draw(st.integers(1, 4))
        else:
            del data[at:]
    return bytes(data)

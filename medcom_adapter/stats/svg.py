"""Horizontal bar charts as inline SVG: drawn on the server, no JavaScript, printable.

A suppressed count is drawn as an outlined bar of a fixed short length marked ``<5``, so
the picture reveals no more than the number beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from medcom_adapter.stats.suppress import HIDDEN, SMALL

_ROW, _LABEL, _WIDTH, _VALUE = 22, 190, 300, 50


def bars(title: str, items: Sequence[tuple[str, int | str]]) -> str:
    """One bar per (label, shown count)."""
    top = max([v for _, v in items if isinstance(v, int)] + [SMALL])
    height = _ROW * len(items) + 8
    width = _LABEL + _WIDTH + _VALUE
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" aria-labelledby="t">'
             f"<title>{escape(title)}</title>"]
    for n, (label, value) in enumerate(items):
        y = 4 + n * _ROW
        parts.append(f'<text x="{_LABEL - 6}" y="{y + 15}" text-anchor="end" '
                     f'class="label">{escape(label)}</text>')
        if value == HIDDEN:
            length = _WIDTH * (SMALL / 2) / top
            parts.append(f'<rect x="{_LABEL}" y="{y + 3}" width="{length:.1f}" height="14" '
                         'class="hidden-bar" fill="none" stroke="#333" stroke-dasharray="3 2"/>')
        else:
            length = _WIDTH * int(value) / top
            parts.append(f'<rect x="{_LABEL}" y="{y + 3}" width="{length:.1f}" height="14" '
                         'class="bar" fill="#1d4f91"/>')
        parts.append(f'<text x="{_LABEL + length + 6:.1f}" y="{y + 15}" '
                     f'class="value">{escape(str(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)

"""Tables in the docs that are generated from the code: each between ``<!-- NAME:start -->``
and ``<!-- NAME:end -->``, rewritten in place (tests compare the section with the code)."""

from __future__ import annotations

from pathlib import Path


def write_section(path: str | Path, name: str, text: str) -> None:
    """Replace what stands between the markers named ``name`` in ``path`` with ``text``."""
    doc = Path(path)
    head, _, rest = doc.read_text(encoding="utf-8").partition(f"<!-- {name}:start -->\n")
    _, _, tail = rest.partition(f"<!-- {name}:end -->")
    doc.write_text(f"{head}<!-- {name}:start -->\n{text}<!-- {name}:end -->{tail}",
                   encoding="utf-8")

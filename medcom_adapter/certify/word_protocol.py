"""Reading MedCom's Word test protocols (.docx): their numbered sections and test steps.

A protocol numbers its sections by heading level (Word's automatic numbering, so the numbers
are not in the text: they are counted here as Word counts them) and its test steps by the
automatic numbering of a table's first column (or, in some tables, written out). MedCom
refers to a step as section.step ("Use test example from 3.2.1.1"), and so do we. Only
structure and MedCom's ids are read (section numbers, use-case ids, the names of the test
examples a step loads); the kit's descriptions are its own. A .docx is a ZIP of XML:
read with ``zipfile`` and the project's safe XML parser.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from medcom_adapter.safe_xml import load

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING = re.compile(r"(?:Heading|Overskrift)([1-4])")
_WRITTEN = re.compile(r"\d+(?:\.\d+)+")
# a test example is named by MedCom as <name>-<uuid>, e.g. R-Tek-J-dublicate-7283eae8-...
_EXAMPLE = re.compile(r"(?<![\w-])((?:[A-Za-z]+-)+[A-Za-z0-9]+(?:-[A-Za-z]+)*)"
                      r"-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# a use case's id opens its heading: "R1: ...", "S1 + S1.A2 + S1.A4: ...", "R.TC2 Create ..."
_USE_CASE = re.compile(r"^((?:[RS](?:\.TC)?\d+(?:\.A\d+)?)(?:\s*\+\s*[RS](?:\.TC)?\d+(?:\.A\d+)?)*)"
                       r"(?=[:\s])")


@dataclass(frozen=True, slots=True)
class Step:
    number: str  # MedCom's step number, e.g. 3.2.7.1
    examples: tuple[str, ...]  # the test examples it names (MedCom's names, no uuid)


@dataclass(frozen=True, slots=True)
class Section:
    number: str  # e.g. 3.2.7
    use_case: str | None  # MedCom's use-case id where the heading names one, e.g. R1
    steps: tuple[Step, ...]


def read(path: Path) -> tuple[Section, ...]:
    """The sections of a protocol that hold test steps, in document order."""
    with zipfile.ZipFile(path) as docx:
        root = load(docx.read("word/document.xml")).getroot()
    body = root.find(f"{_W}body")
    assert body is not None, "a Word document has a body"
    counters = [0, 0, 0, 0]
    heading = ""
    found: dict[str, tuple[str | None, list[Step]]] = {}
    for element in body:
        if element.tag == f"{_W}p":
            style = element.find(f"{_W}pPr/{_W}pStyle")
            level = _HEADING.fullmatch(style.get(f"{_W}val", "")) if style is not None else None
            if level is not None and _text(element):  # Word leaves empty ones unnumbered
                n = int(level.group(1))
                counters[n - 1] += 1
                counters[n:] = [0] * (4 - n)
                heading = _text(element)
        elif element.tag == f"{_W}tbl":
            number = ".".join(str(c) for c in counters if c)
            steps = _steps(element, number)
            if steps:
                use_case = _USE_CASE.match(heading)
                entry = found.setdefault(number, (use_case.group(1) if use_case else None, []))
                entry[1].extend(steps)
    return tuple(Section(number, use_case, tuple(steps))
                 for number, (use_case, steps) in found.items())


def _steps(table: etree._Element, section: str) -> list[Step]:
    """The numbered rows of a test-step table (the header row names 'Test step')."""
    rows = table.findall(f"{_W}tr")
    if not rows or not _text(rows[0]).lower().startswith("test step"):
        return []
    steps: list[Step] = []
    numbered = any(_WRITTEN.fullmatch(_text(c)) or c.find(f".//{_W}numPr") is not None
                   for c in (r.find(f"{_W}tc") for r in rows[1:]) if c is not None)
    for row in rows[1:]:
        cells = row.findall(f"{_W}tc")
        if not cells:
            continue
        first = cells[0]
        written = _WRITTEN.fullmatch(_text(first))
        if written is not None:
            number = written.group(0)
        elif first.find(f".//{_W}numPr") is not None or (not numbered and _text(row)):
            # numbered by Word; a table with no numbers at all numbers its rows in order
            number = f"{section}.{sum(1 for s in steps if s.number.startswith(section)) + 1}"
        else:
            continue  # a row naming the topic of the steps below it
        examples = _EXAMPLE.findall(" ".join(_text(c) for c in cells[1:]))
        steps.append(Step(number, tuple(dict.fromkeys(examples))))
    return steps


def _text(element: etree._Element) -> str:
    """The text, paragraph by paragraph (a cell's paragraphs do not run together)."""
    return " ".join("".join(str(t) for t in p.itertext())
                    for p in element.iter(f"{_W}p")).strip()

"""MedCom's EHMI FSH read as far as the EDS tests need (no compiled JSON is published): the
assignments of each Instance, Profile and RuleSet (RuleSets inserted, aliases resolved),
and a look-up of an FSH path with slice names in an AuditEvent as JSON."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Json = dict[str, Any]
GLN_EXTENSION = "http://medcomehmi.dk/ig/eds/StructureDefinition/eds-otherId"


@dataclass(frozen=True, slots=True)
class Coding:
    system: str | None
    code: str
    display: str | None = None


Value = Coding | str | bool


@dataclass(frozen=True, slots=True)
class Block:
    kind: str  # Instance, RuleSet, Profile, ...
    name: str
    header: dict[str, str]  # InstanceOf, Parent, ...
    rules: tuple[str, ...]  # the lines after "* ", inserts not yet expanded


_BLOCK = re.compile(r"^(Instance|RuleSet|Profile|Extension|Alias|ValueSet|CodeSystem|Logical"
                    r"|Mapping|Invariant):\s*(.*)$")


def read(*folders: Path) -> dict[str, Block]:
    """Every named block in the .fsh files under ``folders``, and the aliases (as blocks
    of kind Alias whose name is the alias and first rule the value)."""
    blocks: dict[str, Block] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*.fsh")):
            current: tuple[str, str, dict[str, str], list[str]] | None = None
            for line in path.read_text(encoding="utf-8").splitlines():
                found = _BLOCK.match(line)
                if found:
                    if current is not None:
                        blocks[current[1]] = Block(current[0], current[1], current[2],
                                                   tuple(current[3]))
                    kind, rest = found.groups()
                    if kind == "Alias":
                        name, _, value = rest.partition("=")
                        blocks[name.strip()] = Block("Alias", name.strip(), {},
                                                     (value.strip(),))
                        current = None
                        continue
                    current = (kind, rest.split("(")[0].strip(), {}, [])
                elif current is not None and re.match(r"^[A-Za-z]+:\s", line):
                    key, _, value = line.partition(":")
                    current[2][key.strip()] = value.strip()
                elif current is not None and line.startswith("* "):
                    current[3].append(line[2:].split(" //")[0].strip())
            if current is not None:
                blocks[current[1]] = Block(current[0], current[1], current[2],
                                           tuple(current[3]))
    return blocks


def assignments(blocks: dict[str, Block], name: str) -> list[tuple[str, Value]]:
    """The ``path = value`` rules of block ``name``, inserted RuleSets expanded in place."""
    found: list[tuple[str, Value]] = []
    for rule in blocks[name].rules:
        if rule.startswith("insert "):
            inserted = rule[len("insert "):].split("(")[0].strip()
            if inserted in blocks:
                found.extend(assignments(blocks, inserted))
            continue
        path, eq, value = rule.partition(" = ")
        if not eq or "^" in path or path.startswith("contained"):
            continue
        found.append((path.strip(), _value(blocks, value.strip())))
    return found


def _value(blocks: dict[str, Block], text: str) -> Value:
    text = text.replace("(exactly)", "").strip()
    if text.startswith("$") and text in blocks:
        return blocks[text].rules[0]
    if text in ("true", "false"):
        return text == "true"
    coding = re.match(r'^(\S*)#(\S+)(?:\s+"([^"]*)")?$', text)
    if coding:
        system, code, display = coding.groups()
        if system.startswith("$"):
            system = blocks[system].rules[0] if system in blocks else system
        return Coding(system or None, code, display)
    return text.strip('"')


_SEGMENT = re.compile(r"^([A-Za-z]+)(?:\[([^\]]+)\])?$")


def locate(event: Json, path: str) -> list[Any]:
    """The elements of ``event`` an FSH path names: ``agent[ehmiSender]`` is the agent of
    that role, ``entity[ehmiMessage]`` the entity of that type, ``detail[x]`` the detail of
    type x, ``extension[GLNId]`` EDS's other-id extension; a list elsewhere is each item."""
    current: list[Any] = [event]
    for segment in path.split("."):
        found = _SEGMENT.match(segment)
        assert found is not None, segment
        key, slice_name = found.groups()
        following: list[Any] = []
        for element in current:
            if not isinstance(element, dict) or key not in element:
                continue
            value = element[key]
            items = value if isinstance(value, list) else [value]
            if slice_name is not None and not slice_name.isdigit() and slice_name != "+":
                items = [i for i in items if _sliced(key, i, slice_name)]
            following.extend(items)
        current = following
    return current


def _sliced(key: str, item: Any, name: str) -> bool:
    if key == "agent":
        return bool(item.get("type", {}).get("coding", [{}])[0].get("code") == name)
    if key == "entity":
        return bool(item.get("type", {}).get("code") == name)
    if key == "detail":
        return bool(item.get("type") == name)
    if key == "extension":
        return bool(name == "GLNId" and item.get("url") == GLN_EXTENSION)
    return False


def holds(element: Any, value: Value) -> bool:
    """Whether ``element`` carries ``value``: a coding (or a CodeableConcept's first) with
    its system and code (and display when the FSH gives one), a code, a string, a bool."""
    if isinstance(value, Coding):
        if isinstance(element, dict) and "coding" in element:
            element = element["coding"][0]
        if isinstance(element, str):  # a code (action, outcome) or a detail's type
            return element == value.code
        return bool(isinstance(element, dict) and element.get("code") == value.code
                    and (value.system is None or element.get("system") == value.system)
                    and (value.display is None or element.get("display") == value.display))
    return bool(element == value)

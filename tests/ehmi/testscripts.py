"""MedCom's EDS TestScripts read from their FSH, and the subset of FHIRPath they use, so
their search checks can run against the sandbox's EDS with the reports the adapter sent:
each script's variables (read from its fixture: here, one of our reports), each test's
operations (a search's ``params``) and asserts (a count of the fixture among the results, or
``Bundle.total``, equal to a value)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

Json = dict[str, Any]


@dataclass
class Assert:
    description: str = ""
    expression: str | None = None
    value: str | None = None


@dataclass
class Operation:
    kind: str  # search, create, delete, metadata, ...
    params: str | None = None
    asserts: list[Assert] = field(default_factory=list)


@dataclass
class Test:
    id: str
    description: str = ""
    operations: list[Operation] = field(default_factory=list)


@dataclass
class Script:
    name: str
    variables: dict[str, str] = field(default_factory=dict)  # name -> FHIRPath
    sources: dict[str, str] = field(default_factory=dict)  # name -> the fixture it reads
    tests: list[Test] = field(default_factory=list)


_FIELD = re.compile(r'^\s*\* (\w+) = "?(.*?)"?$')


def read(path: Path) -> Script:
    """One TestScript file (the RuleSet its Instances insert)."""
    script = Script(path.stem)
    variable: str | None = None
    test: Test | None = None
    operation: Operation | None = None
    check: Assert | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped == "* variable[+]":
            variable, test = "", None
            continue
        if stripped == "* test[+]":
            test = Test("")
            script.tests.append(test)
            variable, operation, check = None, None, None
            continue
        if stripped == "* action[+].operation" and test is not None:
            operation, check = Operation(""), None
            test.operations.append(operation)
            continue
        if stripped == "* action[+].assert" and operation is not None:
            check = Assert()
            operation.asserts.append(check)
            continue
        found = _FIELD.match(line)
        if not found:
            continue
        key, value = found.groups()
        if variable is not None and test is None:
            if key == "name":
                variable = value
            elif key == "expression" and variable:
                script.variables[variable] = value
            elif key == "sourceId" and variable:
                script.sources[variable] = value
        elif check is not None:
            if key in ("expression", "value", "description"):
                setattr(check, key, value)
        elif operation is not None:
            if key == "type":
                operation.kind = value.rpartition("#")[2]
            elif key == "params":
                operation.params = value
        elif test is not None and key in ("id", "description"):
            setattr(test, key, value)
    return script


def evaluate(resource: Json, expression: str) -> str | None:
    """The FHIRPath the scripts' variables use, on an AuditEvent: recorded (plus or minus
    minutes), outcome, an entity's identifier by type, ehmiMessageType, an agent's SOR
    code, name or location number by role. None when the resource has no such value."""
    moved = re.fullmatch(r"recorded ([+-]) (\d+) 'minute'", expression)
    if moved:
        sign, minutes = moved.groups()
        at = datetime.fromisoformat(resource["recorded"])
        delta = timedelta(minutes=int(minutes))
        return (at + delta if sign == "+" else at - delta).isoformat(timespec="milliseconds")
    if expression in ("recorded", "outcome"):
        return str(resource[expression]) if expression in resource else None
    entity = re.fullmatch(r"entity\.where\(type\.code = '(\w+)'\)\.what\.identifier\.value",
                          expression)
    if entity:
        return next((str(e["what"]["identifier"]["value"]) for e in resource["entity"]
                     if e["type"]["code"] == entity.group(1)), None)
    if expression == "entity.detail.where(type = 'ehmiMessageType').value":
        return next((d["valueString"] for e in resource["entity"] for d in e.get("detail", [])
                     if d["type"] == "ehmiMessageType"), None)
    agent = re.fullmatch(r"agent\.where\(type\.coding\.code = '(\w+)'\)\.(.*)", expression)
    if agent:
        role, rest = agent.groups()
        found = next((a for a in resource["agent"]
                      if a["type"]["coding"][0]["code"] == role), None)
        if found is None:
            return None
        if rest == "who.identifier.value":
            return str(found["who"]["identifier"]["value"])
        if rest == "name":
            return str(found["name"]) if found.get("name") else None
        if rest.startswith("extension.where(url = "):
            return next((str(x["valueIdentifier"]["value"]) for x in found.get("extension", [])
                         if x["url"] in rest), None)
    raise ValueError(f"FHIRPath this reader does not know: {expression}")


def search_params(template: str, values: dict[str, str | None]) -> list[tuple[str, str]] | None:
    """A search's parameters with the script's variables put in (as the scripts write them,
    not URL-decoded: a time zone's '+' stays one); None when one has no value."""
    filled = template.lstrip("?")
    for name in re.findall(r"\$\{(\w+)\}", filled):
        value = values.get(name)
        if value is None:
            return None
        filled = filled.replace("${" + name + "}", value)
    return [(k, v) for k, _, v in (part.partition("=") for part in filled.split("&"))]


def holds(check: Assert, bundle: Json, values: dict[str, str | None]) -> bool:
    """An assert on a search Bundle: the fixture's count among the entries, or the total."""
    assert check.expression is not None and check.value is not None
    if check.expression == "Bundle.total":
        return str(bundle.get("total")) == check.value
    recorded = re.search(r"recorded = '\$\{(\w+)\}'", check.expression)
    if recorded is None:
        raise ValueError(f"an assert this reader does not know: {check.expression}")
    wanted = values[recorded.group(1)]
    count = sum(1 for e in bundle.get("entry", [])
                if e.get("resource", {}).get("resourceType") == "AuditEvent"
                and e["resource"].get("recorded") == wanted)
    return str(count) == check.value

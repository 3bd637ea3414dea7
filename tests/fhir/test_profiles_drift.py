"""Our profile files against MedCom's published StructureDefinitions and ValueSets.

For each of our profiles whose StructureDefinition is in the reference data, every element we
declare is compared with the official snapshot (cardinality, fixed and pattern values, required
bindings, target and type profiles, choice types), every element MedCom's differential
constrains must be declared by us, and the invariants (ids, severity, published expressions)
must match. Each code list must equal the official ValueSet's. Differences are listed, one a line.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from medcom_adapter.fhir.profile_engine.compiler import strip_version
from medcom_adapter.fhir.profiles import profile_files, profiles_dir, read_yaml, registry
from tests.conftest import OFFICIAL, official

Json = dict[str, Any]
# FHIR core constraint keys (ele-1, txt-1, ...) that snapshots copy; not MedCom's own.
_CORE_KEY = re.compile(r"^[a-z]{2,4}-\d+$")


@cache
def _official_files() -> dict[str, Json]:
    """Every published conformance resource in the reference data, by canonical url."""
    found: dict[str, Json] = {}
    for path in sorted(official("fhir").glob("*/*.json")):
        if path.name.startswith(("StructureDefinition-", "ValueSet-", "CodeSystem-")):
            data = json.loads(path.read_bytes())
            found[data["url"]] = data
    return found


def _ours() -> list[str]:
    return sorted(profile_files()) if OFFICIAL.exists() else ["<reference data absent>"]


def _fixed(element: Json, prefix: str) -> Any:
    return next((v for k, v in element.items() if k.startswith(prefix)), None)


def _strip(urls: list[str]) -> list[str]:
    return sorted(strip_version(u) for u in urls)


def _compare_element(eid: str, ours: Json, theirs: Json) -> list[str]:
    diffs: list[str] = []
    for key in ("min", "max"):
        if key in ours and str(ours[key]) != str(theirs.get(key)):
            diffs.append(f"{eid}: {key} is {ours[key]}, official {theirs.get(key)}")
    for ours_key, prefix in (("fixed", "fixed"), ("pattern", "pattern")):
        official_value = _fixed(theirs, prefix)
        if ours_key in ours and ours[ours_key] != official_value:
            diffs.append(f"{eid}: {ours_key} {ours[ours_key]!r}, official {official_value!r}")
        elif ours_key not in ours and official_value is not None:
            diffs.append(f"{eid}: official {prefix} {official_value!r} not declared")
    binding = theirs.get("binding") or {}
    ours_binding = ours.get("binding") or {}
    required = "required" in (binding.get("strength"), ours_binding.get("strength"))
    ours_pair = (ours_binding.get("strength"), strip_version(str(ours_binding.get("valueSet"))))
    if required and ours_pair != (binding.get("strength"),
                                  strip_version(str(binding.get("valueSet")))):
        diffs.append(f"{eid}: binding {ours_binding or None}, official "
                     f"{binding.get('strength')} {binding.get('valueSet')}")
    types = theirs.get("type") or []
    if "targetProfile" in ours:
        official_targets = _strip([p for t in types for p in t.get("targetProfile", [])])
        if _strip(ours["targetProfile"]) != official_targets:
            diffs.append(f"{eid}: targetProfile {ours['targetProfile']}, official "
                         f"{official_targets}")
    if "profile" in ours:
        official_profiles = _strip([p for t in types for p in t.get("profile", [])])
        if _strip(ours["profile"]) != official_profiles:
            diffs.append(f"{eid}: type profile {ours['profile']}, official {official_profiles}")
    if "types" in ours and sorted(ours["types"]) != sorted(t["code"] for t in types):
        diffs.append(f"{eid}: types {ours['types']}, official {[t['code'] for t in types]}")
    return diffs


def _differential_must_declare(element: Json) -> bool:
    """Does MedCom's differential constrain this element beyond must-support and text?"""
    keys = {k for k in element if k not in ("id", "path", "mustSupport", "short", "definition",
                                            "comment", "requirements", "alias", "extension",
                                            "isModifier", "isSummary", "constraint")}
    binding = element.get("binding")
    if binding and binding.get("strength") != "required":
        keys.discard("binding")
    return bool(keys) and ".text" not in element["id"]


def _constraints(sd: Json) -> dict[str, tuple[str, str, str]]:
    """MedCom's (and dk-core's) constraints in a snapshot: key -> (element, severity, expr)."""
    found: dict[str, tuple[str, str, str]] = {}
    for element in sd["snapshot"]["element"]:
        for c in element.get("constraint", []):
            if not _CORE_KEY.match(c["key"]) and "hl7.org/fhir/StructureDefinition" not in (
                c.get("source") or ""
            ):
                found[c["key"]] = (element["id"], c["severity"], c["expression"])
    return found


@pytest.mark.parametrize("file", _ours())
def test_profile_matches_official(file: str) -> None:
    official("fhir")
    raw = profile_files()[file]
    if raw.get("official") == "none":
        pytest.skip(f"{file}: {raw['url']} is not in the reference data (dk-core)")
    sd = _official_files().get(strip_version(raw["url"]))
    if sd is None:
        pytest.skip(f"{file}: no StructureDefinition {raw['url']} in the reference data")
    profile = registry().profiles[strip_version(raw["url"])]
    snapshot = {e["id"]: e for e in sd["snapshot"]["element"]}
    diffs = [f"version: ours {profile.version}, official {sd.get('version')}"
             ] if profile.version != sd.get("version") else []
    for eid, rules in profile.flat.items():
        if eid not in snapshot:
            diffs.append(f"{eid}: not in the official snapshot")
        else:
            diffs += _compare_element(eid, rules, snapshot[eid])
    for element in sd["differential"]["element"]:
        if _differential_must_declare(element) and element["id"] not in profile.flat:
            diffs.append(f"{element['id']}: constrained by MedCom's differential, not declared")
    theirs = _constraints(sd)
    ours = {inv.key: inv for inv in profile.invariants
            if inv.key in theirs or not _own(file, inv.id)}
    for key in sorted(set(theirs) | set(ours)):
        if key not in ours:
            diffs.append(f"invariant {key}: published on {theirs[key][0]}, not declared")
        elif key not in theirs:
            diffs.append(f"invariant {key}: declared, not in the official snapshot")
        else:
            where, severity, expression = theirs[key]
            inv = ours[key]
            if (inv.context, inv.severity) != (where, severity):
                diffs.append(f"invariant {key}: on {inv.context} ({inv.severity}), official on "
                             f"{where} ({severity})")
            if " ".join(inv.expression.split()) != " ".join(expression.split()):
                diffs.append(f"invariant {key}: expression differs:\n    ours     {inv.expression}"
                             f"\n    official {expression}")
    assert not diffs, f"{file} drifted from {sd['url']}|{sd.get('version')}:\n  " + "\n  ".join(
        diffs)


def _own(file: str, inv_id: str) -> bool:
    """Our own rules (``origin`` set) are not in any StructureDefinition."""
    spec = (profile_files()[file].get("invariants") or {}).get(inv_id)
    if spec is None:  # inherited from the base profile's file
        return any(_own(f, inv_id) for f, raw in profile_files().items()
                   if inv_id in (raw.get("invariants") or {}) and f != file)
    return "origin" in spec


def _terminology() -> list[tuple[str, str]]:
    if not OFFICIAL.exists():
        return [("<reference data absent>", "")]
    out = []
    for path in sorted((profiles_dir() / "terminology").glob("*.yaml")):
        for spec in read_yaml(path)["valueSets"]:
            out.append((path.name, str(spec["url"])))
    return out


def _codes_of(code_system_url: str) -> list[str]:
    cs = _official_files()[code_system_url]
    out: list[str] = []

    def walk(concepts: list[Json]) -> None:
        for c in concepts:
            out.append(c["code"])
            walk(c.get("concept", []))

    walk(cs.get("concept", []))
    return out


@pytest.mark.parametrize(("file", "url"), _terminology(), ids=[u for _, u in _terminology()])
def test_code_list_matches_official(file: str, url: str) -> None:
    official("fhir")
    vs = _official_files().get(url)
    if vs is None:
        pytest.skip(f"{url} is not in the reference data (FHIR core or dk-core)")
    spec = next(s for s in read_yaml(profiles_dir() / "terminology" / file)["valueSets"]
                if s["url"] == url)
    diffs = []
    if "version" in spec and str(spec["version"]) != vs.get("version"):
        diffs.append(f"version {spec['version']}, official {vs.get('version')}")
    ours = {(inc["system"], str(c)) for inc in spec["include"] for c in inc["codes"]}
    theirs: set[tuple[str, str]] = set()
    for inc in vs["compose"]["include"]:
        if "filter" in inc:  # cannot be expanded offline: our list is taken as written
            theirs |= {pair for pair in ours if pair[0] == inc["system"]}
        elif "concept" in inc:
            theirs |= {(inc["system"], c["code"]) for c in inc["concept"]}
        elif inc["system"] in _official_files():
            theirs |= {(inc["system"], c) for c in _codes_of(inc["system"])}
        else:
            diffs.append(f"include of {inc['system']} cannot be expanded from the reference data")
    diffs += [f"{s}#{c}: ours only" for s, c in sorted(ours - theirs)]
    diffs += [f"{s}#{c}: official only" for s, c in sorted(theirs - ours)]
    assert not diffs, f"{file} ({url}) drifted:\n  " + "\n  ".join(diffs)


def test_every_official_profile_we_use_has_a_file() -> None:
    official("fhir")
    ours = set(registry().profiles)
    wanted = {
        url for url, data in _official_files().items()
        if data.get("resourceType") == "StructureDefinition" and url.startswith((
            "http://medcomfhir.dk/ig/carecommunication/", "http://medcomfhir.dk/ig/acknowledgement/"
        ))
    }
    assert wanted <= ours, sorted(wanted - ours)


def test_yaml_pointers_name_registered_functions() -> None:
    for path in sorted(profiles_dir().rglob("*.yaml")):
        data = read_yaml(path)
        for inv_id, spec in (data.get("invariants") or {}).items() if isinstance(
                data, dict) else []:
            module, _, name = spec["python"].rpartition(".")
            assert module == "medcom_adapter.fhir.invariants", f"{Path(path).name}: {inv_id}"
            assert name, inv_id

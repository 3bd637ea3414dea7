"""The profile engine itself: version detection, reference forms, loading, robustness."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medcom_adapter.fhir.profiles import registry
from medcom_adapter.fhir.validate import validate_message
from tests.conftest import ROOT, official

Json = dict[str, Any]
NEW = "carecommunication-5.0.2/Bundle-0d5b3c18-fab6-4d93-9d88-c9c8abf1f18c.json"
ACK_OK = "acknowledgement-2.0.3/Bundle-a8c041b8-c65a-4fde-a90f-962076918834.json"
DEFINITION = ("http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/"
              "MedComCareCommunicationMessageDefinition")
CC_BUNDLE = ("http://medcomfhir.dk/ig/carecommunication/StructureDefinition/"
             "medcom-careCommunication-message")


def load(name: str) -> Json:
    return json.loads(official("fhir", *name.split("/")).read_bytes())  # type: ignore[no-any-return]


def codes(bundle: Any) -> list[str]:
    return [i.code for i in validate_message(bundle) if not i.warning]


def header(bundle: Json) -> Json:
    return bundle["entry"][0]["resource"]  # type: ignore[no-any-return]


# -- what a message is ---------------------------------------------------------------------------

@pytest.mark.parametrize(("definition", "expected"), [
    (f"{DEFINITION}|5.0", []),
    (f"{DEFINITION}|5.1", []),                 # a later 5.x minor is still 5.x
    (f"{DEFINITION}|5.10", []),
    (f"{DEFINITION}|6.0", ["fhir.unsupported-version"]),
    (f"{DEFINITION}|4.0", ["fhir.unsupported-version"]),
    (f"{DEFINITION}|5.100", ["medcom-carecommunication-definition-url"]),
    # 5.0.2's unescaped "|" accepted anything ending in "5.<n>"; the strict 5.0.3 form does not:
    ("urn:example:carecommunication-5.0", ["medcom-carecommunication-definition-url"]),
    (f"{DEFINITION}5.0", ["medcom-carecommunication-definition-url"]),
])
def test_definition_decides_version(definition: str, expected: list[str]) -> None:
    bundle = load(NEW)
    header(bundle)["definition"] = definition
    assert codes(bundle) == expected


def test_unsupported_version_is_one_error_naming_it() -> None:
    bundle = load(NEW)
    header(bundle)["definition"] = f"{DEFINITION}|6.0"
    del bundle["entry"][2]  # broken in other ways too: not looked at
    issues = validate_message(bundle)
    assert [i.code for i in issues] == ["fhir.unsupported-version"]
    assert "6.0" in issues[0].message and "5.x" in issues[0].message


@pytest.mark.parametrize(("claim", "expected"), [
    (f"{CC_BUNDLE}|5.0.2", []),
    (f"{CC_BUNDLE}|5.0.4", []),
    (f"{CC_BUNDLE}|4.0.3", ["fhir.unsupported-version"]),
])
def test_versioned_profile_claim_decides_version(claim: str, expected: list[str]) -> None:
    bundle = load(NEW)
    bundle["meta"]["profile"] = [claim]
    assert codes(bundle) == expected


def test_without_definition_the_current_version_is_assumed() -> None:
    bundle = load(NEW)
    del header(bundle)["definition"]
    issues = validate_message(bundle)
    assert [(i.code, i.path) for i in issues] == [
        ("fhir.cardinality", "Bundle.entry[0].resource(MessageHeader).definition")]


def test_other_messages_are_refused_by_kind() -> None:
    bundle = load(NEW)
    header(bundle)["eventCoding"]["code"] = "hospital-notification-message"
    del header(bundle)["meta"]
    del bundle["meta"]
    issues = validate_message(bundle)
    assert [i.code for i in issues] == ["fhir.unsupported-message"]
    assert "hospital-notification-message" in issues[0].message


def test_the_header_profile_tells_the_kind_when_the_event_is_missing() -> None:
    bundle = load(NEW)
    del header(bundle)["eventCoding"]
    assert codes(bundle) == ["fhir.cardinality"]


@pytest.mark.parametrize(("value", "code"), [
    ([], "fhir.not-a-message"),
    ({"resourceType": "Patient"}, "fhir.not-a-message"),
    ({"resourceType": "Bundle", "type": "message"}, "fhir.message-header"),
    ({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}}]},
     "fhir.message-header"),
])
def test_not_a_message(value: Any, code: str) -> None:
    assert codes(value) == [code]


def test_acknowledgement_and_empty_message_are_recognised() -> None:
    ack = registry().messages
    assert {(r.kind, r.version) for r in ack} >= {("CareCommunication", "5.0"),
                                                  ("Acknowledgement", "2.0")}
    assert codes(load(ACK_OK)) == []


# -- references inside the Bundle -----------------------------------------------------------------

def _rewrite(bundle: Json, form: str) -> Json:
    """The same message with other fullUrl and reference forms."""
    text = json.dumps(bundle)
    base = "https://medcomfhir.dk/ig/carecommunication/"
    for entry in bundle["entry"]:
        rtype, rid = entry["resource"]["resourceType"], entry["resource"]["id"]
        if form == "urn:uuid":
            text = text.replace(f'"{base}{rtype}/{rid}"', f'"urn:uuid:{rid}"')
            text = text.replace(f'"{rtype}/{rid}"', f'"urn:uuid:{rid}"')
        elif form == "absolute":
            text = text.replace(f'"reference": "{rtype}/{rid}"',
                                f'"reference": "{base}{rtype}/{rid}"')
        elif form == "relative-to-urn":  # urn:uuid fullUrls, Type/id references
            text = text.replace(f'"{base}{rtype}/{rid}"', f'"urn:uuid:{rid}"')
    return json.loads(text)  # type: ignore[no-any-return]


@pytest.mark.parametrize("form", ["urn:uuid", "absolute", "relative-to-urn"])
def test_reference_forms_resolve(form: str) -> None:
    bundle = _rewrite(load(NEW), form)
    assert codes(bundle) == []
    header(bundle)["sender"]["reference"] = "urn:uuid:00000000-0000-4000-8000-000000000000"
    assert "fhir.reference" in codes(bundle)


def test_history_suffix_is_ignored() -> None:
    bundle = load(NEW)
    header(bundle)["focus"][0]["reference"] += "/_history/1"
    assert codes(bundle) == []


def test_reference_must_point_at_the_right_type() -> None:
    bundle = load(NEW)
    header(bundle)["focus"][0]["reference"] = bundle["entry"][1]["fullUrl"]  # the Patient
    issues = validate_message(bundle)
    assert ("fhir.reference", "Bundle.entry[0].resource(MessageHeader).focus[0].reference") in {
        (i.code, i.path) for i in issues}


# -- loading ---------------------------------------------------------------------------------------

def test_profiles_load_once_and_lazily() -> None:
    assert registry() is registry()
    probe = ("import sys; import medcom_adapter.fhir.validate; "
             "print('yaml' in sys.modules, 'medcom_adapter.fhir.invariants' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.split() == ["False", "False"]


def test_every_profile_file_compiles() -> None:
    reg = registry()
    assert len(reg.by_file) == len(reg.profiles) >= 30
    for profile in reg.profiles.values():
        assert profile.url in profile.lineage


def test_decimals_and_json_floats_are_both_fine() -> None:
    text = official("fhir", *NEW.split("/")).read_text()
    assert codes(json.loads(text, parse_float=Decimal)) == []


# -- robustness: any JSON shape gives issues, never an exception ----------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _paths(v, (*prefix, i))
    return found


@cache
def _base() -> tuple[Json, list[tuple[Any, ...]]]:
    bundle = load("carecommunication-5.0.2/Bundle-gfd00bc2-9c26-4174-934e-f6e4360845de.json")
    return bundle, _paths(bundle)[1:]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_damage_gives_issues_not_exceptions(data: st.DataObject) -> None:
    base, paths = _base()
    bundle = copy.deepcopy(base)
    where = data.draw(st.sampled_from(paths))
    holder = bundle
    for step in where[:-1]:
        holder = holder[step]
    holder[where[-1]] = data.draw(_json)
    issues = validate_message(bundle)
    assert all(i.code and i.message for i in issues)

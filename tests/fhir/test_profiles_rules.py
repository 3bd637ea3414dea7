"""Each rule of our profiles fails when it should, with its code and a path that names the place.

Three tables, each case a valid MedCom example broken in one place:

- every invariant (hand-written mutations; a test checks the table covers all of them);
- every required element (min >= 1, slices included) of every profile a message instance
  claims, generated from the compiled profiles: the element is removed from one instance;
- the other rule kinds (fixed and pattern values, bindings, references, types, slices, entries).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest

from medcom_adapter.errors import Issue
from medcom_adapter.fhir.invariants import REGISTERED
from medcom_adapter.fhir.profile_engine.model import Node, Profile, Slice
from medcom_adapter.fhir.profile_engine.paths import type_of_suffix
from medcom_adapter.fhir.profile_engine.walker import gather
from medcom_adapter.fhir.profiles import registry
from medcom_adapter.fhir.validate import validate_message
from tests.conftest import OFFICIAL, official

Json = dict[str, Any]

GFD = "carecommunication-5.0.2/Bundle-gfd00bc2-9c26-4174-934e-f6e4360845de.json"  # referral
K7 = "carecommunication-5.0.2/Bundle-k7bfbc0c-553d-11ed-bdc3-0242ac120002.json"  # encounter
NEW = "carecommunication-5.0.2/Bundle-0d5b3c18-fab6-4d93-9d88-c9c8abf1f18c.json"  # X-eCPR
CPRS = "send-examples/Bundle-S-Tek-CPR-77ff05d0-9eca-4a59-b436-fe1b97673817.json"  # X/D-eCPR
ACK_OK = "acknowledgement-2.0.3/Bundle-a8c041b8-c65a-4fde-a90f-962076918834.json"
ACK_FATAL = "acknowledgement-2.0.3/Bundle-bc9535ef-ed94-4060-a928-7baddec7ee71.json"
EMPTY = "messaging-4.0.2/Bundle-eb26be85-fdb7-454d-a980-95cba6d1745b.json"

EXAMPLES = (GFD, K7, NEW, CPRS, ACK_OK, ACK_FATAL, EMPTY,
            "send-examples/Bundle-S-A-new-1932711d-49d0-4ad7-b1ee-61de711892d2.json",
            "carecommunication-5.0.2/Bundle-3dcb5618-3055-406a-9034-1b8fc8de0fea.json")


@cache
def _raw(name: str) -> bytes:
    return official("fhir", *name.split("/")).read_bytes()


def load(name: str) -> Json:
    return json.loads(_raw(name))  # type: ignore[no-any-return]


def entry_of(bundle: Json, rtype: str, n: int = 0) -> tuple[int, Json]:
    found = [(i, e["resource"]) for i, e in enumerate(bundle["entry"])
             if e["resource"]["resourceType"] == rtype]
    return found[n]


def res(bundle: Json, rtype: str, n: int = 0) -> Json:
    return entry_of(bundle, rtype, n)[1]


def at(bundle: Json, rtype: str, n: int = 0) -> str:
    return f"Bundle.entry[{entry_of(bundle, rtype, n)[0]}].resource({rtype})"


def resolve(bundle: Json, reference: str) -> Json:
    rtype, _, rid = reference.rpartition("/")
    rtype = rtype.rsplit("/", 1)[-1]
    return next(e["resource"] for e in bundle["entry"]
                if e["resource"]["resourceType"] == rtype and e["resource"]["id"] == rid)


def ext_index(extensions: list[Json], suffix: str) -> int:
    return next(i for i, e in enumerate(extensions) if e["url"].endswith(suffix))


def found(issues: list[Issue]) -> str:
    return "\n".join(f"  {i}" for i in issues)


# -- invariants ------------------------------------------------------------------------------

Mutation = Callable[[Json], str]  # breaks the bundle, returns the path the issue must name


def _cpr(b: Json) -> str:
    res(b, "Patient")["identifier"][0]["value"] = "3213456789"
    return at(b, "Patient") + ".identifier[0].value"


def _x_ecpr(b: Json) -> str:
    res(b, "Patient")["identifier"][0]["value"] = "0703925VJ6"  # 7th: 5 is a D-eCPR marker
    return at(b, "Patient") + ".identifier[0].value"


def _d_ecpr(b: Json) -> str:
    res(b, "Patient")["identifier"][1]["value"] = "1206551VK9"  # 7th: 1 is an X-eCPR marker
    return at(b, "Patient") + ".identifier[1].value"


def _org_identifier(b: Json, system: str, value: str) -> str:
    org = res(b, "Organization")
    k = next(i for i, ident in enumerate(org["identifier"]) if ident["system"] == system)
    org["identifier"][k]["value"] = value
    return at(b, "Organization") + f".identifier[{k}].value"


def _gln_check(b: Json) -> str:
    org = res(b, "Organization")
    gln = next(i["value"] for i in org["identifier"] if i["system"] == "https://www.gs1.org/gln")
    return _org_identifier(b, "https://www.gs1.org/gln", gln[:12] + str((int(gln[12]) + 1) % 10))


def _no_sor(b: Json) -> str:
    for ident in res(b, "Organization")["identifier"]:
        if ident["system"] == "urn:oid:1.2.208.176.1.1":
            ident["system"] = "urn:oid:1.2.208.176.1.999"
    return at(b, "Organization") + ".identifier"


def _marital(b: Json) -> str:
    system = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
    res(b, "Patient")["maritalStatus"] = {"coding": [{"system": system, "code": "P"},
                                                     {"system": system, "code": "A"}]}
    return at(b, "Patient") + ".maritalStatus"


def _thread_id(b: Json) -> str:
    res(b, "Communication")["identifier"][0]["value"] = "urn:uuid:not-a-uuid"
    return at(b, "Communication") + ".identifier[0].value"


def _segment_id(b: Json) -> str:
    payload = res(b, "Communication")["payload"][0]["extension"]
    k = ext_index(payload, "medcom-core-identifier-extension")
    payload[k]["valueIdentifier"]["value"] = "urn:uuid:24D01288-AD36"
    return at(b, "Communication") + f".payload[0].extension[{k}].valueIdentifier.value"


def _lpr3(b: Json) -> str:
    episodes = res(b, "Encounter")["episodeOfCare"]
    episodes.append({"identifier": {
        "system": "https://www.esundhed.dk/Registre/Landspatientregisteret",
        "value": "urn:uuid:fc60e762-b13b-4773-865e-67f3907bdcc7",  # a version 4 UUID
    }})
    return at(b, "Encounter") + f".episodeOfCare[{len(episodes) - 1}].identifier.value"


def _phone(b: Json) -> str:
    payload = res(b, "Communication")["payload"][0]["extension"]
    k = ext_index(payload, "medcom-core-contact-extension")
    payload[k]["valueContactPoint"]["value"] = "no digits"
    return at(b, "Communication") + f".payload[0].extension[{k}].valueContactPoint.value"


def _definition(b: Json) -> str:
    res(b, "MessageHeader")["definition"] = (
        "http://medcomfhir.dk/ig/messagedefinitions/MessageDefinition/"
        "MedComCareCommunicationMessageDefinition-5.0"
    )
    return at(b, "MessageHeader") + ".definition"


def _no_provenance(b: Json) -> str:
    b["entry"] = [e for e in b["entry"] if e["resource"]["resourceType"] != "Provenance"]
    return "Bundle.entry"


def _header_claim(b: Json) -> str:
    del res(b, "MessageHeader")["meta"]
    return at(b, "MessageHeader") + ".meta.profile"


def _two_patients(b: Json) -> str:
    twin = copy.deepcopy(next(e for e in b["entry"] if e["resource"]["resourceType"] == "Patient"))
    twin["resource"]["id"] = "f0000000-0000-4000-8000-000000000001"
    twin["fullUrl"] = "urn:uuid:f0000000-0000-4000-8000-000000000001"
    b["entry"].append(twin)
    return "Bundle.entry"


def _provenance_claim(b: Json) -> str:
    res(b, "Provenance")["meta"]["profile"] = [
        "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-provenance"
    ]
    return at(b, "Provenance") + ".meta.profile"


def _no_practitioner_names(b: Json) -> str:
    for e in b["entry"]:
        if e["resource"]["resourceType"] == "Practitioner":
            e["resource"].pop("name", None)
    return "Bundle.entry"


def _priority_without_referral(b: Json) -> str:
    res(b, "Communication")["category"][0]["coding"][0]["code"] = "examination-results"
    return at(b, "Communication") + ".priority"


def _other_without_topic(b: Json) -> str:
    res(b, "Communication")["category"][0]["coding"][0]["code"] = "other"
    res(b, "Communication").pop("topic", None)
    return at(b, "Communication") + ".topic"


def _role_code_and_text(b: Json) -> str:
    payload = res(b, "Communication")["payload"][0]["extension"]
    k = ext_index(payload, "medcom-core-practitioner-extension")
    role = resolve(b, payload[k]["valueReference"]["reference"])
    role["code"] = [{"coding": [{"system": "urn:x", "code": "sygeplejerske"}], "text": "nurse"}]
    return at(b, "Communication") + f".payload[0].extension[{k}]"


def _authors_unnamed(b: Json) -> str:
    for e in b["entry"]:
        if e["resource"]["resourceType"] == "PractitionerRole":
            e["resource"]["practitioner"] = {"reference": "Practitioner/not-in-bundle"}
    return at(b, "Communication")


def _encounter_without_episode(b: Json) -> str:
    res(b, "Encounter").pop("episodeOfCare")
    return at(b, "Communication") + ".encounter"


def _sender_elsewhere(b: Json) -> str:
    header = res(b, "MessageHeader")
    header["sender"] = copy.deepcopy(header["destination"][0]["receiver"])
    k = ext_index(res(b, "Communication")["extension"], "medcom-core-sender-extension")
    return at(b, "Communication") + f".extension[{k}]"


def _recipient_elsewhere(b: Json) -> str:
    header = res(b, "MessageHeader")
    header["destination"][0]["receiver"] = copy.deepcopy(header["sender"])
    return at(b, "Communication") + ".recipient[0]"


def _roles_without_practitioner(b: Json) -> str:
    for e in b["entry"]:
        if e["resource"]["resourceType"] == "PractitionerRole":
            e["resource"].pop("practitioner")
    return "Bundle.entry"


def _encounter_unreferenced(b: Json) -> str:
    res(b, "Communication").pop("encounter")
    return at(b, "Communication") + ".encounter"


def _encounter_not_in_bundle(b: Json) -> str:
    res(b, "Communication")["encounter"] = {"reference": "Encounter/not-in-bundle"}
    return at(b, "Communication") + ".encounter"


def _nok_without_outcome(b: Json) -> str:
    res(b, "MessageHeader")["response"]["code"] = "fatal-error"
    return at(b, "MessageHeader") + ".response.code"


def _ack_header_broken(b: Json) -> str:
    res(b, "MessageHeader")["response"].pop("code")
    return at(b, "MessageHeader")


def _ack_answers_another(b: Json) -> str:
    res(b, "MessageHeader")["response"]["identifier"] = "0c1b2d3e-0000-4000-8000-000000000000"
    return at(b, "MessageHeader") + ".response.identifier"


INVARIANT_CASES: list[tuple[str, str, Mutation]] = [
    ("cpr", GFD, _cpr),
    ("x-ecpr", CPRS, _x_ecpr),
    ("d-ecpr", CPRS, _d_ecpr),
    ("min-digits-sor", GFD, lambda b: _org_identifier(b, "urn:oid:1.2.208.176.1.1", "1234")),
    ("gln-length", GFD, lambda b: _org_identifier(b, "https://www.gs1.org/gln", "579000")),
    ("gln-modulus-10", GFD, _gln_check),
    ("dk-core-organization-mandatory-identifier", GFD, _no_sor),
    ("marital-status-unknown-usage", GFD, _marital),
    ("medcom-uuidv4", GFD, _thread_id),
    ("medcom-uuidv4", NEW, _segment_id),
    ("uuidv5", K7, _lpr3),
    ("medcom-core-contact", NEW, _phone),
    ("medcom-carecommunication-definition-url", NEW, _definition),
    ("medcom-messaging-2", NEW, _no_provenance),
    ("medcom-messaging-2", ACK_OK, _no_provenance),
    ("cc-1", NEW, _header_claim),
    ("cc-2", NEW, _two_patients),
    ("cc-3", NEW, _provenance_claim),
    ("cc-4", NEW, _no_practitioner_names),
    ("cc-5", GFD, _priority_without_referral),
    ("cc-6", K7, _other_without_topic),
    ("cc-7", NEW, _role_code_and_text),
    ("cc-8", NEW, _authors_unnamed),
    ("cc-9", K7, _encounter_without_episode),
    ("cc-11", GFD, _sender_elsewhere),
    ("cc-12", GFD, _recipient_elsewhere),
    ("cc-13", NEW, _roles_without_practitioner),
    ("cc-15", GFD, _encounter_unreferenced),
    ("cc-15", NEW, _encounter_not_in_bundle),
    ("medcom-acknowledgement-1", ACK_OK, _nok_without_outcome),
    ("medcom-acknowledgement-2", ACK_OK, _ack_header_broken),
    ("medcom.ack-response-identifier", ACK_OK, _ack_answers_another),
]
# Published, but vacuous as written (entry.ofType(MessageHeader) is always empty): never fail.
VACUOUS = {"medcom-messaging-1", "medcom-messaging-3"}


@pytest.mark.parametrize(("code", "example", "mutate"), INVARIANT_CASES,
                         ids=[f"{c[0]}-{c[2].__name__.strip('_')}" for c in INVARIANT_CASES])
def test_invariant_fails(code: str, example: str, mutate: Mutation) -> None:
    bundle = load(example)
    assert not [i for i in validate_message(bundle) if i.code == code]
    path = mutate(bundle)
    issues = validate_message(bundle)
    assert (code, path) in {(i.code, i.path) for i in issues}, found(issues)
    severity = {inv.severity for p in registry().profiles.values() for inv in p.invariants
                if inv.id == code}
    assert {("warning" if i.warning else "error") for i in issues if i.code == code} == severity


def test_every_invariant_has_a_failing_case() -> None:
    official("fhir")
    declared = {inv.id for p in registry().profiles.values() for inv in p.invariants}
    assert declared == {case[0] for case in INVARIANT_CASES} | VACUOUS
    assert set(REGISTERED) == declared


def test_vacuous_invariants_never_fail() -> None:
    bundle = load(ACK_OK)
    bundle["entry"] = bundle["entry"][1:]  # no MessageHeader at all
    for inv_id in VACUOUS:
        for fn in REGISTERED[inv_id]:
            assert list(fn(None, bundle, "Bundle", None)) == []  # type: ignore[arg-type]


# -- required elements, generated ------------------------------------------------------------

DATATYPES = frozenset({"Extension", "Identifier", "ContactPoint"})


def _with_response(b: Json) -> Json:
    """A response on a non-acknowledgement header (allowed 0..1): to remove its parts."""
    res(b, "MessageHeader")["response"] = {
        "identifier": "42cb9200-f421-4d08-8391-7d51a2503cb4", "code": "ok"}
    return b


def _with_cc(b: Json) -> Json:
    """A cc receiver (Messaging allows them; CareCommunication does not)."""
    _add_cc(b)
    return b


def _with_lpr3(b: Json) -> Json:
    res(b, "Encounter")["episodeOfCare"].append({"identifier": {
        "system": "https://www.esundhed.dk/Registre/Landspatientregisteret",
        "value": "urn:uuid:fc60e762-b13b-5773-865e-67f3907bdcc7"}})
    return b


ENRICHED: list[tuple[str, Callable[[Json], Json]]] = [
    (NEW, _with_response), (EMPTY, _with_response), (EMPTY, _with_cc), (K7, _with_lpr3),
]


@pytest.mark.parametrize(("example", "grow"), ENRICHED, ids=[g.__name__ for _, g in ENRICHED])
def test_enriched_examples_stay_valid(example: str, grow: Callable[[Json], Json]) -> None:
    issues = validate_message(grow(load(example)))
    assert not [i for i in issues if not i.warning], found(issues)


Step = tuple[str, Any]  # ("child", Node) or ("slice", Slice)


def _required(profile: Profile) -> list[list[Step]]:
    cases: list[list[Step]] = []

    def walk(node: Node, chain: list[Step]) -> None:
        for child in node.children:
            if child.max == 0:
                continue
            here = [*chain, ("child", child)]
            if child.min >= 1:
                cases.append(here)
            walk(child, here)
            for piece in child.slicing.slices if child.slicing else []:
                if piece.max != 0:
                    if piece.min >= 1:
                        cases.append([*here, ("slice", piece)])
                    walk(piece.node, [*here, ("slice", piece)])

    walk(profile.root, [])
    return cases


def _claims(resource: Json, url: str) -> bool:
    """Does ``resource`` claim ``url`` or a profile derived from it?"""
    profiles = registry().profiles
    return any(url in profiles[c].lineage for c in resource.get("meta", {}).get("profile", [])
               if c in profiles)


def _claimed(bundle: Json, url: str) -> list[tuple[Json, str]]:
    """(resource, path) of each instance that conforms to ``url`` by claim (Bundle included)."""
    out = [(bundle, "Bundle")] if _claims(bundle, url) else []
    for i, e in enumerate(bundle["entry"]):
        if _claims(e["resource"], url):
            rtype = e["resource"]["resourceType"]
            out.append((e["resource"], f"Bundle.entry[{i}].resource({rtype})"))
    return out


def _parents(resource: Json, path: str, chain: list[Step]) -> list[tuple[Json, str]]:
    """The objects holding the last step's element, with their paths."""
    current: list[tuple[Any, str, str | None]] = [(resource, path, None)]
    for kind, x in chain[:-1]:
        if kind == "child":
            current = [item for v, p, _ in current if isinstance(v, dict)
                       for item in gather(v, x, p)]
        else:
            current = [(v, p, t) for v, p, t in current if x.matches(v, t)]
    if chain[-1][0] == "slice":  # the sliced element's holders are one step up
        return _parents(resource, path, chain[:-1])
    return [(v, p) for v, p, _ in current if isinstance(v, dict)]


def _remove(holder: Json, chain: list[Step]) -> None:
    kind, x = chain[-1]
    if kind == "child":
        node: Node = x
        for key in [k for k in holder if k in (node.name, f"_{node.name}") or (
                node.choice and k.startswith(node.name) and k[len(node.name):][:1].isupper())]:
            del holder[key]
        return
    piece: Slice = x
    sliced: Node = chain[-2][1]
    for key, value in list(holder.items()):
        if sliced.choice and key.startswith(sliced.name) and key != sliced.name:
            if piece.matches(value, type_of_suffix(key[len(sliced.name):])):
                del holder[key]
        elif key == sliced.name:
            kept = [v for v in (value if isinstance(value, list) else [value])
                    if not piece.matches(v, None)]
            if kept:
                holder[key] = kept
            else:
                del holder[key]


def _enclosing_slices(chain: list[Step]) -> list[tuple[Node, Slice]]:
    return [(chain[j - 1][1], chain[j][1]) for j in range(1, len(chain) - 1)
            if chain[j][0] == "slice"]


def _expected(chain: list[Step], holder_path: str) -> tuple[str, str]:
    kind, x = chain[-1]
    if kind == "child":
        return "fhir.cardinality", f"{holder_path}.{x.label}"
    return "fhir.slice", f"{holder_path}.{chain[-2][1].label}:{x.name}"


def _required_cases() -> list[tuple[str, str, int]]:
    """(profile file, element id, index in the profile's list) for every required element."""
    if not OFFICIAL.exists():
        return [("<reference data absent>", "", 0)]
    out = []
    for profile in sorted(registry().profiles.values(), key=lambda p: p.file):
        if profile.type in DATATYPES:  # checked inside the resource profiles that use them
            continue
        for k, chain in enumerate(_required(profile)):
            out.append((profile.file, chain[-1][1].node.id if chain[-1][0] == "slice"
                        else chain[-1][1].id, k))
    return out


@pytest.mark.parametrize(("file", "element", "k"), _required_cases(),
                         ids=[f"{c[0]}:{c[1]}" for c in _required_cases()])
def test_required_element_missing(file: str, element: str, k: int) -> None:
    official("fhir")
    profile = registry().by_file[file]
    chain = _required(profile)[k]
    instances = [(name, load(name)) for name in EXAMPLES]
    instances += [(f"{name} + {grow.__name__}", grow(load(name))) for name, grow in ENRICHED]
    for name, bundle in instances:
        for resource, path in _claimed(bundle, profile.url):
            holders = _parents(resource, path, chain)
            if not holders:
                continue
            holder, holder_path = holders[-1]
            _remove(holder, chain)
            issues = validate_message(bundle)
            if _expected(chain, holder_path) in {(i.code, i.path) for i in issues}:
                return
            # The element discriminates its slice (Patient.identifier:cpr.system): without it
            # the item leaves the slice. That is an error only if the slice is required or the
            # slicing closed; an optional slice of open slicing may lose the item.
            enclosing = _enclosing_slices(chain)
            assert enclosing, f"{name}: removed {element}; got:\n{found(issues)}"
            strict = [(sliced, piece) for sliced, piece in enclosing
                      if piece.min >= 1 or (sliced.slicing and sliced.slicing.closed)]
            assert not strict or any(
                i.code == "fhir.slice" and f".{sliced.label}" in (i.path or "")
                for i in issues for sliced, _ in strict
            ), f"{name}: removed {element}; got:\n{found(issues)}"
            return
    if not any(_claimed(b, profile.url) for _, b in instances):
        pytest.skip(f"no example claims {profile.url}; its rules are checked through the "
                    "profiles derived from it")
    pytest.skip(f"no example carries the element holding {element}")


# -- other rule kinds --------------------------------------------------------------------------

OTHER_CASES: list[tuple[str, str, str, Mutation]] = [
    ("status-pattern", "fhir.fixed-value", NEW,
     lambda b: (res(b, "Communication").update(status="completed"),
                at(b, "Communication") + ".status")[1]),
    ("event-pattern", "fhir.fixed-value", NEW,
     lambda b: (res(b, "MessageHeader")["eventCoding"].update(system="urn:x"),
                at(b, "MessageHeader") + ".eventCoding.system")[1]),
    ("bundle-type", "fhir.fixed-value", NEW,
     lambda b: (b.update(type="collection"), "Bundle.type")[1]),
    ("gln-system-fixed", "fhir.fixed-value", NEW,
     lambda b: (res(b, "Patient")["identifier"][0].update(use="official"),
                at(b, "Patient") + ".identifier[0].use")[1]),
    ("category-binding", "fhir.binding", NEW,
     lambda b: (res(b, "Communication")["category"][0]["coding"][0].update(code="gossip"),
                at(b, "Communication") + ".category[0]")[1]),
    ("activity-binding", "fhir.binding", NEW,
     lambda b: (res(b, "Provenance")["activity"]["coding"][0].update(code="retract-message"),
                at(b, "Provenance") + ".activity")[1]),
    ("response-code-binding", "fhir.binding", ACK_OK,
     lambda b: (res(b, "MessageHeader")["response"].update(code="AA"),
                at(b, "MessageHeader") + ".response.code")[1]),
    ("issue-details-binding", "fhir.binding", ACK_FATAL,
     lambda b: (res(b, "OperationOutcome")["issue"][0]["details"]["coding"][0].update(
         code="message-development-error"),
                at(b, "OperationOutcome") + ".issue[0].details.coding[0]")[1]),
    ("encounter-class-binding", "fhir.binding", K7,
     lambda b: (res(b, "Encounter")["class"].update(code="XYZ"),
                at(b, "Encounter") + ".class")[1]),
    ("unresolved-subject", "fhir.reference", NEW,
     lambda b: (res(b, "Communication")["subject"].update(reference="Patient/elsewhere"),
                at(b, "Communication") + ".subject.reference")[1]),
    ("subject-wrong-type", "fhir.reference", NEW,
     lambda b: (res(b, "Communication")["subject"].update(
         reference=res(b, "MessageHeader")["sender"]["reference"]),
                at(b, "Communication") + ".subject.reference")[1]),
    ("identifier-only-sender", "fhir.reference", NEW,
     lambda b: (res(b, "MessageHeader").update(
         sender={"identifier": {"system": "urn:oid:1.2.208.176.1.1", "value": "1"}}),
                at(b, "MessageHeader") + ".sender")[1]),
    ("occurred-type", "fhir.slice", NEW,
     lambda b: (res(b, "Provenance").update(
         occurredPeriod={"start": res(b, "Provenance").pop("occurredDateTime")}),
                at(b, "Provenance") + ".occurred[x]:occurredDateTime")[1]),
    ("timestamp-without-zone", "fhir.datatype", NEW,
     lambda b: (b.update(timestamp="2024-06-01T13:55:00"), "Bundle.timestamp")[1]),
    ("cc-receiver", "fhir.slice", NEW,
     lambda b: at(_with_cc(b), "MessageHeader") + ".destination:cc"),
    ("entity-role-closed", "fhir.slice", NEW,
     lambda b: (res(b, "Provenance")["entity"][0].update(role="quotation"),
                at(b, "Provenance") + ".entity[0]")[1]),
    ("two-communications", "fhir.entry-count", NEW,
     lambda b: (b["entry"].append(copy.deepcopy(b["entry"][2])), "Bundle.entry")[1]),
    ("header-not-first", "fhir.message-header", NEW,
     lambda b: (b["entry"].append(b["entry"].pop(0)), "Bundle.entry[0]")[1]),
    ("duplicate-fullurl", "fhir.duplicate-fullurl", NEW,
     lambda b: (b["entry"][-1].update(fullUrl=b["entry"][1]["fullUrl"]),
                f"Bundle.entry[{len(b['entry']) - 1}].fullUrl")[1]),
    ("claims-other-type", "fhir.profile", NEW,
     lambda b: (res(b, "Patient")["meta"].update(profile=[
         "http://medcomfhir.dk/ig/core/StructureDefinition/medcom-core-practitioner"]),
                at(b, "Patient") + ".meta.profile[0]")[1]),
]


def _add_cc(b: Json) -> None:
    cc = copy.deepcopy(res(b, "MessageHeader")["destination"][0])
    cc["extension"][0]["valueCoding"]["code"] = "cc"
    res(b, "MessageHeader")["destination"].append(cc)


@pytest.mark.parametrize(("name", "code", "example", "mutate"), OTHER_CASES,
                         ids=[c[0] for c in OTHER_CASES])
def test_rule_fails(name: str, code: str, example: str, mutate: Mutation) -> None:
    bundle = load(example)
    path = mutate(bundle)
    issues = validate_message(bundle)
    if path:
        assert (code, path) in {(i.code, i.path) for i in issues}, found(issues)
    else:
        assert code in {i.code for i in issues}, found(issues)


def test_warnings_do_not_invalidate() -> None:
    bundle = load(NEW)
    bundle["entry"].append({"fullUrl": "urn:uuid:0b7e3c1a-0000-4000-8000-000000000001",
                            "resource": {"resourceType": "Binary", "id": "x",
                                         "meta": {"profile": ["http://example.org/p"]}}})
    issues = validate_message(bundle)
    assert {(i.code, i.warning) for i in issues} == {("fhir.entry-type", True),
                                                     ("fhir.unknown-profile", True)}

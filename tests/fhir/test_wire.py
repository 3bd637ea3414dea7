"""FHIR JSON and XML on the wire: MedCom's twins agree, everything round-trips, hostile input
gets a typed error."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from medcom_adapter.errors import (
    InvalidValue,
    MalformedMessage,
    MessageTooLarge,
    RemoteError,
    UnknownMessage,
    UnsafeMessage,
)
from medcom_adapter.fhir import wire
from medcom_adapter.fhir.wire import definitions
from tests.conftest import OFFICIAL, official

FHIR = OFFICIAL / "fhir"

# Every official Bundle example, as a path relative to FHIR (parametrised ids stay readable
# and the tests still reach the files through official(), which skips when they are absent).
EXAMPLES = sorted(
    str(p.relative_to(FHIR))
    for pattern in ("*/Bundle-*.json", "*/Bundle-*.xml", "legacy-v4/*/*.json", "legacy-v4/*/*.xml")
    for p in FHIR.glob(pattern)
)
TWINS = [e[: -len(".xml")] for e in EXAMPLES if e.endswith(".xml") and e[:-4] + ".json" in EXAMPLES]
XML_ONLY = [e for e in EXAMPLES if e.endswith(".xml") and e[: -len(".xml")] not in TWINS]

# Where an official XML example and its JSON twin may differ on purpose, with the reason.
# None do: all 13 pairs give identical objects (values, types and decimal digits).
KNOWN_TWIN_DIFFERENCES: dict[str, str] = {}

SAMPLE = "carecommunication-5.0.2/Bundle-k7bfbc0c-553d-11ed-bdc3-0242ac120002"  # ~20 KB


def example(relative: str) -> bytes:
    return official("fhir", *relative.split("/")).read_bytes()


def same(a: Any, b: Any, path: str = "$") -> str | None:
    """Where ``a`` and ``b`` first differ, minding types (1 vs Decimal) and decimal digits."""
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} {a!r:.60} vs {type(b).__name__} {b!r:.60}"
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return f"{path}: keys differ: {sorted(a.keys() ^ b.keys())}"
        for key in a:
            found = same(a[key], b[key], f"{path}.{key}")
            if found:
                return found
    elif isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} items"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            found = same(x, y, f"{path}[{index}]")
            if found:
                return found
    elif path.endswith(".div") and isinstance(a, str):
        # narrative XHTML is compared as XML: "x>y" and "x&gt;y" are the same text
        if _xhtml(a) != _xhtml(b):
            return f"{path}: {a!r:.60} vs {b!r:.60}"
    elif a != b or str(a) != str(b):
        return f"{path}: {a!r:.60} vs {b!r:.60}"
    return None


def _xhtml(div: str) -> bytes:
    try:
        return etree.tostring(etree.fromstring(div.encode()), method="c14n")
    except (etree.XMLSyntaxError, etree.C14NError):
        return div.encode()  # JSON reading does not parse the div; compare as written


def c14n(data: bytes) -> bytes:
    """XML compared without the whitespace between elements."""
    parser = etree.XMLParser(remove_blank_text=True)
    return etree.tostring(etree.fromstring(data, parser), method="c14n")


def patient(body: str) -> bytes:
    return f'<Patient xmlns="http://hl7.org/fhir">{body}</Patient>'.encode()


# --------------------------------------------------------------------------------------------
# MedCom's examples


def test_examples_present() -> None:
    official("fhir", "carecommunication-5.0.2")
    assert len(TWINS) >= 13
    assert len(XML_ONLY) >= 4


@pytest.mark.parametrize("twin", TWINS)
def test_xml_twin_reads_as_its_json(twin: str) -> None:
    from_xml = wire.load_xml(example(twin + ".xml"))
    from_json = wire.load_json(example(twin + ".json"))
    difference = same(from_xml, from_json)
    if twin in KNOWN_TWIN_DIFFERENCES:
        assert difference, f"no longer differs ({KNOWN_TWIN_DIFFERENCES[twin]}): drop the entry"
        pytest.xfail(KNOWN_TWIN_DIFFERENCES[twin])
    assert difference is None
    assert from_xml == from_json


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_round_trips_through_both_forms(name: str) -> None:
    data = example(name)
    resource, form = wire.load(data)
    assert form == name.rsplit(".", 1)[1]
    assert resource["resourceType"] == "Bundle"
    assert same(wire.load_xml(wire.dump_xml(resource)), resource) is None
    assert same(wire.load_json(wire.dump_json(resource)), resource) is None


@pytest.mark.parametrize("name", [e for e in EXAMPLES if e.endswith(".json")])
def test_json_written_back_is_the_original(name: str) -> None:
    data = example(name)
    written = wire.dump_json(wire.load_json(data))
    # decimals compared as their text: they must keep every digit
    assert json.loads(written, parse_float=str) == json.loads(data, parse_float=str)
    assert b"\n" not in written


@pytest.mark.parametrize("name", [e for e in EXAMPLES if e.endswith(".xml")])
def test_xml_written_back_is_the_original(name: str) -> None:
    """Same elements, attributes, narrative and order as MedCom's file (bar indentation)."""
    data = example(name)
    assert c14n(wire.dump_xml(wire.load_xml(data))) == c14n(data)


@pytest.mark.parametrize("name", XML_ONLY)
def test_xml_only_examples_load(name: str) -> None:
    bundle = wire.load_xml(example(name))
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "message"
    assert bundle["entry"][0]["resource"]["resourceType"] == "MessageHeader"


# --------------------------------------------------------------------------------------------
# The element definitions (fhir.resources R4B) against R4, as MedCom's profiles state it


_PRIMITIVES = {
    "base64Binary", "boolean", "canonical", "code", "date", "dateTime", "decimal", "id",
    "instant", "integer", "markdown", "oid", "positiveInt", "string", "time", "unsignedInt",
    "uri", "url", "uuid", "xhtml",
}  # fmt: skip


def test_definitions_agree_with_the_r4_snapshots_of_medcoms_profiles() -> None:
    """Every element MedCom's R4 profiles expand: present, same cardinality, same type."""
    official("fhir", "core-3.0.1")
    checked = 0
    problems: list[str] = []
    for path in sorted(FHIR.glob("*/StructureDefinition-*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        if definition.get("kind") != "resource" or definition.get("fhirVersion") != "4.0.1":
            continue
        root = definitions.resource_type(definition["type"])
        assert root is not None, definition["type"]
        types: dict[str, Any] = {definition["type"]: root}
        for element in definition["snapshot"]["element"]:
            parent, _, name = element["path"].rpartition(".")
            info = types.get(parent)
            if info is None:
                continue  # under an element our walk does not follow (a choice, a slice)
            codes = [t["code"] for t in element.get("type", [])]
            if name.endswith("[x]"):
                for code in codes:
                    choice = name[:-3] + code[0].upper() + code[1:]
                    if choice not in info.elements:
                        problems.append(f"{element['path']}: no {choice}")
                continue
            spec = info.elements.get(name)
            if spec is None:
                problems.append(f"{element['path']}: missing")
                continue
            checked += 1
            if spec.many != (element["base"]["max"] == "*"):
                problems.append(f"{element['path']}: repeats {spec.many} in R4B")
            code = codes[0] if len(codes) == 1 else ""
            if code in _PRIMITIVES and spec.primitive != code:
                problems.append(f"{element['path']}: {code} in R4, {spec.primitive} in R4B")
            elif code == "Resource" and spec.kind != definitions.RESOURCE:
                problems.append(f"{element['path']}: not a resource in R4B")
            elif code and code not in _PRIMITIVES and code != "Resource" and "/" not in code:
                if spec.kind != definitions.COMPLEX:
                    problems.append(f"{element['path']}: {code} in R4, not complex in R4B")
                    continue
                model = spec.model.__name__
                if code not in ("BackboneElement", "Element") and model != code:
                    problems.append(f"{element['path']}: {code} in R4, {model} in R4B")
                types[element["path"]] = spec.type
    assert problems == []
    assert checked > 700


def test_r4_adjustments_of_the_r4b_definitions() -> None:
    extension = definitions.extension_type()
    assert extension.elements["valueMeta"].model.__name__ == "Meta"  # R4 allows it, R4B lacks
    assert "valueCodeableReference" not in extension.elements  # R4B types R4 does not have
    assert "valueRatioRange" not in extension.elements
    assert list(extension.attributes) == ["id", "url"]


# --------------------------------------------------------------------------------------------
# The XML <-> JSON rules


def test_primitive_id_and_extensions_go_to_the_companion() -> None:
    data = patient(
        '<birthDate id="b1" value="1970-03-30">'
        '<extension url="http://x/e"><valueDateTime value="1970-03-30T12:00:00+01:00"/>'
        "</extension></birthDate>"
    )
    resource = wire.load_xml(data)
    assert resource == {
        "resourceType": "Patient",
        "birthDate": "1970-03-30",
        "_birthDate": {
            "id": "b1",
            "extension": [{"url": "http://x/e", "valueDateTime": "1970-03-30T12:00:00+01:00"}],
        },
    }
    assert wire.load_xml(wire.dump_xml(resource)) == resource


def test_repeating_primitives_align_with_nulls() -> None:
    data = patient(
        '<name><given value="Anna"/><given id="g2"><extension url="http://x/e">'
        '<valueString value="v"/></extension></given><given value="Bo"/></name>'
    )
    resource = wire.load_xml(data)
    assert resource["name"] == [
        {
            "given": ["Anna", None, "Bo"],
            "_given": [
                None,
                {"id": "g2", "extension": [{"url": "http://x/e", "valueString": "v"}]},
                None,
            ],
        }
    ]
    assert list(resource["name"][0]) == ["given", "_given"]
    assert wire.load_xml(wire.dump_xml(resource)) == resource
    assert wire.load_json(wire.dump_json(resource)) == resource


def test_repeating_primitive_with_only_extensions_has_no_value_array() -> None:
    resource = wire.load_xml(patient('<name><given id="g"/></name>'))
    assert resource["name"] == [{"_given": [{"id": "g"}]}]
    assert wire.load_xml(wire.dump_xml(resource)) == resource


@pytest.mark.parametrize(
    ("element", "text", "value"),
    [
        ("active", "true", True),
        ("active", "false", False),
        ("multipleBirthInteger", "-3", -3),
        ("multipleBirthInteger", "0", 0),
        ("multipleBirthBoolean", "true", True),
    ],
)
def test_primitive_types(element: str, text: str, value: object) -> None:
    resource = wire.load_xml(patient(f'<{element} value="{text}"/>'))
    assert resource[element] == value
    assert type(resource[element]) is type(value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.50", Decimal("1.50")),
        ("0.0000001", Decimal("0.0000001")),
        ("-0.0", Decimal("-0.0")),
        ("100", 100),  # what json.loads gives for 100, too
        ("1.5E-3", Decimal("0.0015")),
    ],
)
def test_decimals_keep_their_digits(text: str, value: Decimal | int) -> None:
    xml = (
        '<Observation xmlns="http://hl7.org/fhir"><status value="final"/>'
        '<code><text value="x"/></code>'
        f'<valueQuantity><value value="{text}"/><unit value="mg"/></valueQuantity></Observation>'
    ).encode()
    resource = wire.load_xml(xml)
    got = resource["valueQuantity"]["value"]
    assert same(got, value) is None or got.as_tuple() == value.as_tuple()  # type: ignore[union-attr]
    as_json = wire.dump_json(resource)
    assert json.loads(as_json, parse_float=Decimal) == resource
    again = wire.load_json(as_json)
    assert same(wire.load_xml(wire.dump_xml(again)), again) is None
    if "E" not in text:
        assert f'"value":{text},'.encode() in as_json
        assert f'<value value="{text}"/>'.encode() in wire.dump_xml(again)


def test_json_decimals_are_written_exactly() -> None:
    data = b'{"resourceType":"Observation","valueQuantity":{"value":0.10000000000000000001}}'
    resource = wire.load_json(data)
    assert resource["valueQuantity"]["value"] == Decimal("0.10000000000000000001")
    assert wire.dump_json(resource) == data
    assert b'value="0.10000000000000000001"' in wire.dump_xml(resource)


def test_positive_int_may_have_a_plus_in_xml() -> None:
    xml = (
        b'<Communication xmlns="http://hl7.org/fhir"><status value="unknown"/><payload>'
        b'<contentAttachment><size value="12"/></contentAttachment></payload></Communication>'
    )
    assert wire.load_xml(xml)["payload"][0]["contentAttachment"]["size"] == 12


def test_contained_resources_and_extension_urls() -> None:
    xml = patient(
        '<contained><Organization><id value="o1"/><name value="Herlev"/></Organization>'
        '</contained><extension url="http://x/e"><valueReference><reference value="#o1"/>'
        "</valueReference></extension>"
    )
    resource = wire.load_xml(xml)
    assert resource == {
        "resourceType": "Patient",
        "contained": [{"resourceType": "Organization", "id": "o1", "name": "Herlev"}],
        "extension": [{"url": "http://x/e", "valueReference": {"reference": "#o1"}}],
    }
    assert c14n(wire.dump_xml(resource)) == c14n(xml)


def test_element_ids_are_attributes_and_resource_ids_elements() -> None:
    resource = wire.load_xml(patient('<id value="p1"/><name id="n1"><family value="F"/></name>'))
    expected = {"resourceType": "Patient", "id": "p1", "name": [{"id": "n1", "family": "F"}]}
    assert resource == expected
    written = wire.dump_xml(resource)
    assert b'<id value="p1"/>' in written
    assert b'<name id="n1">' in written


def test_comments_schema_location_and_whitespace_carry_nothing() -> None:
    xml = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- a -->\n'
        b'<Patient xmlns="http://hl7.org/fhir" '
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        b'xsi:schemaLocation="http://hl7.org/fhir ../patient.xsd">\n  <!-- b -->\n'
        b'  <active value="true"><!-- c --></active>\n</Patient>\n'
    )
    assert wire.load_xml(xml) == {"resourceType": "Patient", "active": True}


def test_elements_out_of_order_are_accepted_and_put_in_order() -> None:
    resource = wire.load_xml(patient('<gender value="male"/><active value="true"/><id value="x"/>'))
    assert list(resource) == ["resourceType", "id", "active", "gender"]
    assert wire.dump_xml(resource).endswith(
        b'<id value="x"/><active value="true"/><gender value="male"/></Patient>'
    )


def test_narrative_is_the_xhtml_string_fhir_json_holds() -> None:
    div = '<div xmlns="http://www.w3.org/1999/xhtml"><p>a &amp; b &gt; c "q" <br/>æ</p></div>'
    xml = patient(f'<text><status value="generated"/>{div}</text>')
    resource = wire.load_xml(xml)
    assert resource["text"] == {"status": "generated", "div": div}
    assert wire.load_xml(wire.dump_xml(resource)) == resource


def test_narrative_declared_with_a_prefix_becomes_default_namespace() -> None:
    xml = (
        b'<Patient xmlns="http://hl7.org/fhir" xmlns:h="http://www.w3.org/1999/xhtml">'
        b'<text><status value="generated"/><h:div><h:p>x</h:p><!--c--></h:div></text></Patient>'
    )
    div = wire.load_xml(xml)["text"]["div"]
    assert div == '<div xmlns="http://www.w3.org/1999/xhtml"><p>x</p><!--c--></div>'


def test_load_sniffs_the_form() -> None:
    assert wire.load(b'\xef\xbb\xbf \n {"resourceType":"Patient"}') == (
        {"resourceType": "Patient"},
        "json",
    )
    xml = b'\n<Patient xmlns="http://hl7.org/fhir"><active value="true"/></Patient>'
    assert wire.load(xml) == (
        {"resourceType": "Patient", "active": True},
        "xml",
    )


def test_dump_json_is_compact_utf8() -> None:
    resource = {"resourceType": "Patient", "name": [{"family": "Ærø"}], "active": True}
    assert wire.dump_json(resource) == (
        '{"resourceType":"Patient","name":[{"family":"Ærø"}],"active":true}'.encode()
    )


def test_dump_xml_escapes_attribute_text() -> None:
    resource = {"resourceType": "Patient", "name": [{"text": 'a&b <c> "d"\n\te\r'}]}
    written = wire.dump_xml(resource)
    assert b'value="a&amp;b &lt;c&gt; &quot;d&quot;&#10;&#9;e&#13;"' in written
    assert written.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Patient')
    assert wire.load_xml(written) == resource


# --------------------------------------------------------------------------------------------
# Hostile and broken input: always a typed error saying where


def test_broken_json_says_line_and_column() -> None:
    with pytest.raises(MalformedMessage) as caught:
        wire.load_json(b'{\n  "resourceType": "Patient",\n  "id": x\n}')
    assert caught.value.location is not None
    assert caught.value.location.line == 3
    assert "column 9" in caught.value.message


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b'{"resourceType": "Patient",\n "name": [{"family": "a",\n "family": "b"}]}', 2),
        (b'{"resourceType": "Patient", "resourceType": "Patient"}', 1),
    ],
)
def test_duplicate_keys_are_refused(data: bytes, line: int) -> None:
    with pytest.raises(MalformedMessage, match="duplicate key") as caught:
        wire.load_json(data)
    assert caught.value.location is not None
    assert caught.value.location.line == line


def nested_arrays(levels: int) -> bytes:
    # the object itself is one level
    return b'{"resourceType":"Basic","x":' + b"[" * (levels - 1) + b"]" * (levels - 1) + b"}"


def test_nesting_depth_is_bounded() -> None:
    assert wire.load_json(nested_arrays(wire.MAX_DEPTH))["resourceType"] == "Basic"
    for data in (
        nested_arrays(wire.MAX_DEPTH + 1),
        b'{"resourceType":"Basic","x":' + b'{"a":' * 5000 + b"1" + b"}" * 5001,
        b'{"resourceType":"Basic","x":' + b"[" * 100_000,
        b"[" * 100_000 + b"]" * 100_000,
    ):
        with pytest.raises(MalformedMessage, match="nested"):
            wire.load_json(data)


def test_deep_xml_is_bounded() -> None:
    deep = patient('<extension url="u">' * 200 + "</extension>" * 200)
    with pytest.raises(MalformedMessage, match="nested"):
        wire.load_xml(deep)


@pytest.mark.parametrize("data", [b"[]", b'"Patient"', b"1", b"null", b"true"])
def test_json_that_is_not_an_object_is_refused(data: bytes) -> None:
    with pytest.raises(MalformedMessage, match="must be an object"):
        wire.load_json(data)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b'{"id": "x"}', "no resourceType"),
        (b'{"resourceType": 1}', "no resourceType"),
        (b'{"resourceType": "Patient", "x": NaN}', "NaN"),
        (b'{"resourceType": "Patient", "x": -Infinity}', "Infinity"),
        (b'{"resourceType": "Patient", "x": ' + b"9" * 5000 + b"}", "too many digits"),
        (b'{"resourceType": "Patient", "id": "\xe6"}', "not UTF-8"),
        ('{"resourceType": "Patient"}'.encode("utf-16"), "not UTF-8"),
        (b'{"resourceType": "Patient", "id": "a\\u0007"}', "U\\+0007"),
        (b'{"resourceType": "Patient", "id": "\\udc00"}', "U\\+DC00"),
        (b'{"resourceType": "Patient", "id": "\\uFFFE"}', "U\\+FFFE"),
        (b"   ", "empty"),
        (b"", "empty"),
        (b'{"resourceType": "Patient"} x', "Extra data"),
    ],
)
def test_bad_json_is_malformed(data: bytes, match: str) -> None:
    with pytest.raises(MalformedMessage, match=match):
        wire.load_json(data)


def test_escapes_of_fine_characters_are_fine() -> None:
    data = b'{"resourceType": "Patient", "id": "\\u00e6\\ud83d\\ude00\\t\\\\u0001"}'
    assert wire.load_json(data)["id"] == "æ\U0001f600\t\\u0001"


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE Patient [<!ENTITY e "x">]>'
        b'<Patient xmlns="http://hl7.org/fhir"><id value="&e;"/></Patient>',
        b'<?xml version="1.0"?><!DOCTYPE Patient [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<Patient xmlns="http://hl7.org/fhir"><id value="&e;"/></Patient>',
        b'<!DOCTYPE Patient SYSTEM "http://example.org/x.dtd">'
        b'<Patient xmlns="http://hl7.org/fhir"/>',
    ],
)
def test_doctype_and_entities_are_unsafe(data: bytes) -> None:
    with pytest.raises(UnsafeMessage):
        wire.load_xml(data)
    with pytest.raises(UnsafeMessage):
        wire.load(data)


@pytest.mark.parametrize(
    ("body", "match", "path"),
    [
        ('<name><family value="F"/><nickname value="N"/></name>', "no element nickname",
         "Patient.name.nickname"),
        ('<nickname value="N"/>', "no element nickname", "Patient.nickname"),
        ('<active xmlns="http://hl7.org/fhir/other" value="true"/>', "no element active",
         "Patient.active"),
        ('<active value="true" extra="1"/>', "no attribute extra", "Patient.active"),
        ('<name url="x"><family value="F"/></name>', "no attribute url", "Patient.name"),
        ("<birthDate/>", "no value attribute", "Patient.birthDate"),
        ('<birthDate value=""/>', "empty", "Patient.birthDate"),
        ('<active value="yes"/>', "not a FHIR boolean", "Patient.active"),
        ('<multipleBirthInteger value="007"/>', "not a FHIR integer",
         "Patient.multipleBirthInteger"),
        ('<multipleBirthInteger value="1.0"/>', "not a FHIR integer",
         "Patient.multipleBirthInteger"),
        ('<active value="true"/><active value="false"/>', "does not repeat", "Patient.active[1]"),
        ('<active value="true"/>text', "text after", "Patient.active"),
        ('<name>x<family value="F"/></name>', "text in", "Patient.name"),
        ("<name/>", "empty", "Patient.name"),
        ('<text><status value="generated"/><div><p/></div></text>', "no element div",
         "Patient.text.div"),
        ('<contained><Organization><name value="a"/></Organization><Patient/></contained>',
         "exactly one", "Patient.contained"),
        ('<contained><Nonsense/></contained>', "not a FHIR R4 resource", "Patient.contained"),
        ('<birthDate value="1970"><family value="x"/></birthDate>', "no element family",
         "Patient.birthDate.family"),
    ],
)  # fmt: skip
def test_invalid_xml_names_the_element(body: str, match: str, path: str) -> None:
    with pytest.raises(MalformedMessage, match=match) as caught:
        wire.load_xml(patient(body))
    assert caught.value.location is not None
    assert caught.value.location.path == path
    assert caught.value.location.line == 1


@pytest.mark.parametrize(
    "data",
    [
        b'<Patient xmlns="http://hl7.org/fhir/R5"><active value="true"/></Patient>',
        b'<Patient><active value="true"/></Patient>',
        b'<Emessage xmlns="http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2007/02/01/"/>',
    ],
)
def test_wrong_namespace_is_not_fhir(data: bytes) -> None:
    with pytest.raises(UnknownMessage, match="namespace"):
        wire.load_xml(data)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b'<Nonsense xmlns="http://hl7.org/fhir"/>', "not a FHIR R4 resource"),
        (b'<DomainResource xmlns="http://hl7.org/fhir"/>', "not a FHIR R4 resource"),
        (b'<Coding xmlns="http://hl7.org/fhir"/>', "not a FHIR R4 resource"),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><Patient xmlns="http://hl7.org/fhir"/>',
         "UTF-8"),
        (b'<Patient xmlns="http://hl7.org/fhir"><active value="true"/>', "not well-formed"),
        (b"<", "not well-formed"),
        (b"", "empty"),
    ],
)  # fmt: skip
def test_other_bad_xml_is_malformed(data: bytes, match: str) -> None:
    with pytest.raises(MalformedMessage, match=match):
        wire.load_xml(data)


def test_size_limit() -> None:
    for data in (b'{"resourceType": "Patient"}', patient('<active value="true"/>')):
        with pytest.raises(MessageTooLarge):
            wire.load(data, max_bytes=10)
    with pytest.raises(MessageTooLarge):
        wire.load_json(b'{"resourceType": "Patient"}', max_bytes=10)
    with pytest.raises(MessageTooLarge):
        wire.load_xml(patient(""), max_bytes=10)


@pytest.mark.parametrize("data", [b"hello", b"\x00\x01", b"   ", b"\xef\xbb\xbf"])
def test_load_refuses_what_is_neither(data: bytes) -> None:
    with pytest.raises(MalformedMessage):
        wire.load(data)


# --------------------------------------------------------------------------------------------
# Writing what cannot be written


@pytest.mark.parametrize(
    ("resource", "match", "path"),
    [
        ({"resourceType": "Patient", "nickname": "x"}, "no element nickname", "Patient.nickname"),
        ({"resourceType": "Nonsense"}, "not a FHIR R4 resource", "Nonsense"),
        ({"id": "x"}, "resourceType is missing", "None"),
        ({"resourceType": "Patient", "active": "yes"}, "not a FHIR boolean", "Patient.active"),
        ({"resourceType": "Patient", "active": 1}, "not a FHIR boolean", "Patient.active"),
        ({"resourceType": "Patient", "multipleBirthInteger": True}, "not a FHIR integer",
         "Patient.multipleBirthInteger"),
        ({"resourceType": "Patient", "birthDate": ""}, "empty", "Patient.birthDate"),
        ({"resourceType": "Patient", "name": {"family": "F"}}, "repeats", "Patient.name"),
        ({"resourceType": "Patient", "name": [{"family": ["F"]}]}, "does not repeat",
         "Patient.name[0].family"),
        ({"resourceType": "Patient", "name": [{}]}, "non-empty object", "Patient.name[0]"),
        ({"resourceType": "Patient", "name": [{"given": ["a"], "_given": [None, None]}]},
         "differ in length", "Patient.name[0].given"),
        ({"resourceType": "Patient", "name": [{"given": [None]}]}, "neither a value",
         "Patient.name[0].given[0]"),
        ({"resourceType": "Patient", "_meta": {}}, "no element _meta", "Patient._meta"),
        ({"resourceType": "Patient", "name": [{"text": "a\x01"}]}, "U\\+0001",
         "Patient.name[0].text"),
        ({"resourceType": "Patient", "text": {"status": "generated", "div": "<div>x"}},
         "not well-formed", "Patient.text.div"),
        ({"resourceType": "Patient", "text": {"status": "generated", "div": "<p>x</p>"}},
         "XHTML div", "Patient.text.div"),
        ({"resourceType": "Patient", "contained": [{"resourceType": "Coding"}]},
         "not a FHIR R4 resource", "Patient.contained[0]"),
    ],
)  # fmt: skip
def test_dump_xml_refuses_what_xml_cannot_carry(
    resource: dict[str, Any], match: str, path: str
) -> None:
    with pytest.raises(InvalidValue, match=match) as caught:
        wire.dump_xml(resource)
    assert caught.value.location is not None
    assert caught.value.location.path == path


@pytest.mark.parametrize(
    "resource",
    [
        {"resourceType": "Patient", "x": {1, 2}},
        {"resourceType": "Patient", "x": Decimal("NaN")},
        {"resourceType": "Patient", "x": float("inf")},
        {"resourceType": "Patient", "x": "\ud800"},
        {"resourceType": "Patient", "x": ["\x00" + "1" + "\x00", Decimal(1)]},
    ],
)
def test_dump_json_refuses_what_json_cannot_carry(resource: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue):
        wire.dump_json(resource)


def test_dump_refuses_deep_and_cyclic_objects() -> None:
    deep: dict[str, Any] = {"url": "u"}
    for _ in range(5000):
        deep = {"url": "u", "extension": [deep]}
    resource = {"resourceType": "Patient", "extension": [deep]}
    with pytest.raises(InvalidValue, match="nested"):
        wire.dump_xml(resource)
    with pytest.raises(InvalidValue):
        wire.dump_json(resource)
    cyclic: dict[str, Any] = {"resourceType": "Patient"}
    cyclic["x"] = cyclic
    with pytest.raises(InvalidValue):
        wire.dump_json(cyclic)


# --------------------------------------------------------------------------------------------
# Whatever arrives: a typed error or a resource that writes back the same


FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _survives(data: bytes) -> None:
    try:
        resource, form = wire.load(data)
    except RemoteError:
        return
    # accepted: it writes back, and XML that was accepted reads back the same
    again = wire.load_json(wire.dump_json(resource))
    assert same(again, resource) is None
    if form == "xml":
        assert same(wire.load_xml(wire.dump_xml(resource)), resource) is None
    else:
        # JSON is not checked against the definitions; XML writing is
        with contextlib.suppress(InvalidValue):
            assert same(wire.load_xml(wire.dump_xml(resource)), resource) is None


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_get_a_typed_error(data: bytes) -> None:
    _survives(data)
    for prefix in (b"{", b"<", b'<Patient xmlns="http://hl7.org/fhir">'):
        _survives(prefix + data)


@FUZZ
@given(form=st.sampled_from(["json", "xml"]), cut=st.floats(0, 1), data=st.data())
def test_truncated_and_mangled_examples_get_a_typed_error(
    form: str, cut: float, data: st.DataObject
) -> None:
    original = example(f"{SAMPLE}.{form}")
    _survives(original[: int(len(original) * cut)])
    at = data.draw(st.integers(0, len(original) - 1))
    byte = data.draw(st.integers(0, 255))
    _survives(original[:at] + bytes([byte]) + original[at + 1 :])
    chunk = data.draw(st.integers(1, 200))
    _survives(original[:at] + original[at + chunk :])


@FUZZ
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["resourceType", "id", "name", "_id", "extension"]),
                      children, max_size=3),
    max_leaves=12,
))  # fmt: skip
def test_writing_arbitrary_objects_gives_bytes_or_invalid_value(value: Any) -> None:
    resource = {"resourceType": "Patient", "name": value}
    for dump in (wire.dump_json, wire.dump_xml):
        with contextlib.suppress(InvalidValue):
            dump(resource)


def test_paths_of_the_examples_are_unchanged() -> None:
    """The tests above reach the examples through official(): keep the layout they expect."""
    official("fhir")
    assert Path(FHIR / f"{SAMPLE}.json").exists()
    assert Path(FHIR / f"{SAMPLE}.xml").exists()

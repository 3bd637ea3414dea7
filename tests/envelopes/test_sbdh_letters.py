"""OIOXML and EDIFACT in an ehmiSBDH: every registry payload we speak builds, reads back,
and validates against MedCom's 2.0.1 SBDH schemas; versions without a registry code and
defective envelopes are refused, naming why."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from medcom_adapter import catalogue, detect
from medcom_adapter.channels.ehmi import _reader_of
from medcom_adapter.edifact import interchange
from medcom_adapter.edifact import receipting as edifact_receipting
from medcom_adapter.envelopes import letter_payload, registry, sbdh
from medcom_adapter.envelopes.sbdh import ScopeType
from medcom_adapter.errors import (
    InboundInvalid,
    InconsistentMessage,
    InvalidValue,
    NotInEhmiRegistry,
    RefuseCode,
)
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.oioxml import emessage
from medcom_adapter.oioxml import receipting as oioxml_receipting
from tests import samples
from tests.conftest import FIXTURES, official
from tests.envelopes import sbdh_schemas
from tests.envelopes.messages import T0, ack_bytes, cc_bytes, next_id

NOW = datetime(2026, 11, 22, 12, 0)
UNIT_SOR, BUP_SOR = "953741000016009", "6630361000016005"
_CATALOGUE = FIXTURES / "catalogue"


def _file(name: str) -> bytes:
    return (_CATALOGUE / name).read_bytes()


def _oioxml(letter: object, version: str) -> bytes:
    return emessage.build(Emessage(Envelope("ENV42", samples.WHEN), (letter,)),  # type: ignore[arg-type]
                          version)


def _oioxml_receipt(negative: bool) -> bytes:
    referral = _oioxml(samples.full_referral(), "XH0131R")
    if negative:
        referral = referral.replace(b"<VersionCode>XH0131R", b"<VersionCode>XH0139R")
    return oioxml_receipting.answer(referral, now=NOW).build()


def _edifact_receipt() -> bytes:
    answer = edifact_receipting.answer(_file("edifact/DIS91-D9134L-every-optional-element.edi"),
                                       now=NOW)
    assert answer.receipt is not None, answer.reason
    return answer.build()


# (what, the file, its registry code's tail)
PAYLOADS: dict[str, tuple[Callable[[], bytes], str]] = {
    "XREF01": (lambda: _file("oioxml/XREF01-XH0131R-every-optional-element.xml"),
               "oioxml:schema:xsd:medref:xref01:xh0131r"),
    "XBIN01": (lambda: _file("oioxml/XBIN01-XB0131X-pdf.xml"),
               "oioxml:schema:xsd:medbin:xbin01:xb0131x"),
    "XBIN02": (lambda: _oioxml(samples.binary_letter(), "XB0210X"),
               "oioxml:schema:xsd:medbin:xbin02:xb0210x"),
    "XDIS91": (lambda: _file("oioxml/XDIS91-XD9134L-every-optional-element.xml"),
               "oioxml:schema:xsd:meddis:xdis91:xd9134l"),
    "XCTL03": (lambda: _oioxml_receipt(negative=False),
               "oioxml:schema:xsd:contrl:xctl03:xc0330q"),
    "XCTL02": (lambda: _oioxml_receipt(negative=True),
               "oioxml:schema:xsd:contrl:xctl02:xc0230q"),
    "DIS91": (lambda: _file("edifact/DIS91-D9134L-every-optional-element.edi"),
              "edifact:meddis:dis91:d9134l"),
    "BIN01": (lambda: _file("edifact/BIN01-B0131X-pdf.edi"), "edifact:medbin:bin01:b0131x"),
    "CTL03": (_edifact_receipt, "edifact:contrl:ctl03:c0330q"),
}


def _own_sor(letter: object, party: str) -> str | None:
    """The SOR code a letter names a party by (a letter's own code wins over the caller's)."""
    found = getattr(letter, party, None)
    if found is None or found.identifier_code.value != "sorkode":
        return None
    return str(found.identifier)


def _wrapped(data: bytes) -> sbdh.Sbdh:
    return letter_payload.for_letter(data, created=T0, instance_id=next_id(),
                                     sender_sor=UNIT_SOR, receiver_sor=BUP_SOR)


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_each_payload_builds_and_reads_back(name: str) -> None:
    make, code = PAYLOADS[name]
    data = make()
    document = _wrapped(data)
    again = sbdh.parse(sbdh.build(document))
    assert again == document and again.content == data  # carried byte for byte
    assert again.scope(ScopeType.DOCUMENT_ID) == "urn:dk:healthcare:medcom:messaging:" + code
    assert again.scope(ScopeType.PROCESS_ID) == "urn:ehmi:sdn-emergence"
    kind_code, version = code.rsplit(":", 2)[-2:]
    assert (again.standard, again.type_version) == (kind_code, version)
    assert again.statistical_information == f"MCM:{kind_code}"
    edifact = code.startswith("edifact")
    assert (again.type, again.mime_type) == (("UNB", "text/edi") if edifact
                                             else ("Emessage", "text/xml"))
    message = (interchange.parse(data).message if edifact
               else emessage.parse(data).message)
    letter = message.letters[0]
    letter_id = getattr(letter, "identifier", None) or letter.letter.identifier  # type: ignore[union-attr]
    assert again.message_id == letter_id
    assert again.message_envelope_id == message.envelope.identifier
    assert (again.sender_sor, again.receiver_sor) == (_own_sor(letter, "sender") or UNIT_SOR,
                                                      _own_sor(letter, "receiver") or BUP_SOR)
    receipt = name.startswith(("XCTL", "CTL"))
    assert (again.patient is None) is receipt
    request = again.receipt_request
    assert request is not None and request.requesting_instance_id == document.instance_id


def test_a_letters_own_sor_codes_are_its_scopes() -> None:
    data = _file("oioxml/XREF01-XH0131R-every-optional-element.xml")
    referral = emessage.parse(data).message.letters[0]
    document = letter_payload.for_letter(data, created=T0, instance_id=next_id(),
                                         receiver_sor=BUP_SOR)
    assert document.sender_sor == referral.sender.identifier  # type: ignore[union-attr]
    assert document.receiver_sor == BUP_SOR  # the letter names BUP by its department code
    assert document.patient == str(referral.patient.id)  # type: ignore[union-attr]
    assert str(referral.patient.id) not in repr(document)  # type: ignore[union-attr]


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_each_validates_against_the_2_0_1_schema_set(name: str) -> None:
    root = etree.fromstring(sbdh.build(_wrapped(PAYLOADS[name][0]())))
    header, content = root[0], root[1]
    assert sbdh_schemas.errors(sbdh_schemas.header_2_0_1(), header) == []
    # BinaryContent: the BinaryContentType the guide publishes and PEPPOL's envelope 1.2
    assert sbdh_schemas.errors(sbdh_schemas.binary_content_page(), content) == []
    assert sbdh_schemas.errors(sbdh_schemas.peppol_edn(), content) == []


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_the_2024_edn_file_still_lists_only_fhir_media_types(name: str) -> None:
    # the known gap docs/ehmi.md states: the guide's mimeType outcome space (text/xml,
    # text/edi, ...) is wider than the enumeration in the EDN file of 2024-12-03; when
    # MedCom widens it this test fails and the gap note goes
    content = etree.fromstring(sbdh.build(_wrapped(PAYLOADS[name][0]())))[1]
    [error] = sbdh_schemas.errors(sbdh_schemas.edn_2024(), content)
    assert "mimeType" in error and "enumeration" in error


@pytest.mark.parametrize("make", [cc_bytes, ack_bytes], ids=["carecommunication", "ack"])
def test_fhir_envelopes_validate_against_both_schema_sets(make: Callable[[], bytes]) -> None:
    root = etree.fromstring(sbdh.build(sbdh.for_fhir(make(), created=T0,
                                                     instance_id=next_id())))
    assert sbdh_schemas.errors(sbdh_schemas.header_2_0_1(), root[0]) == []
    assert sbdh_schemas.errors(sbdh_schemas.edn_2024(), root[1]) == []
    assert sbdh_schemas.errors(sbdh_schemas.pilot_edn(), root[1]) == []


def _registry_codes() -> set[str]:
    fsh = official("ehmi", "dk-ehmi-terminology", "input", "fsh",
                   "eerMedComMessageValueSets.fsh").read_text(encoding="utf-8")
    system = fsh.split("CodeSystem: EhmiMessageDefinitionUri", 1)[1].split("ValueSet:", 1)[0]
    return set(re.findall(r"^\* #(\S+)", system, re.MULTILINE))


def test_our_registry_table_is_medcoms_registry() -> None:
    codes = _registry_codes()
    assert {e.code for e in registry.ENTRIES} <= codes
    # every version we speak that the registry lists is in our table, and no other
    for row in catalogue.rows():
        if row.syntax is catalogue.Syntax.FHIR:
            continue
        root = registry.OIOXML_ROOT if row.syntax is catalogue.Syntax.OIOXML \
            else registry.EDIFACT_ROOT
        in_registry = any(c.startswith(root + ":") and
                          c.endswith(f":{row.type_code.lower()}:{row.version.lower()}")
                          for c in codes)
        assert registry.listed(row.syntax.value, row.version) is in_registry, row
        assert (catalogue.Envelope.EHMI_SBDH in row.envelopes) is in_registry, row


@pytest.mark.parametrize(("name", "version"), [
    ("oioxml/XREF01-XH0130R-minimal.xml", "XH0130R"),
    ("oioxml/XBIN02-XB0230X-pdf.xml", "XB0230X"),
    ("edifact/REF01-H0130R-minimal.edi", "H0130R"),
    ("edifact/BIN01-B0130X-pdf.edi", "B0130X"),
])
def test_a_version_the_registry_does_not_list_is_refused(name: str, version: str) -> None:
    with pytest.raises(NotInEhmiRegistry) as caught:
        _wrapped(_file(name))
    assert caught.value.code == "local.ehmi-unregistered" and version in caught.value.message


def test_a_party_without_a_sor_code_is_refused_naming_the_scope() -> None:
    data = _file("oioxml/XREF01-XH0131R-every-optional-element.xml")
    with pytest.raises(InvalidValue, match="RECEIVERID"):
        letter_payload.for_letter(data, created=T0, instance_id=next_id())


def test_a_receipt_with_a_wrong_location_number_is_not_enveloped() -> None:
    # MedCom's receipt examples use 5790000120400, whose GS1 check digit is wrong
    with pytest.raises(InvalidValue, match="check digit"):
        _wrapped(_file("oioxml/XCTL03-XC0330Q.xml"))


def _built(name: str = "XREF01") -> bytes:
    return sbdh.build(_wrapped(PAYLOADS[name][0]()))


@pytest.mark.parametrize(("old", "new", "named"), [
    (b'mimeType="text/xml"', b'mimeType="text/plain"', "mimeType"),
    (b'encoding="ISO-8859-1"', b'encoding="CP1252"', "encoding"),
    (b"<Type>PROCESSID</Type>", b"<Type>PROCESS</Type>", "Scope[2]/Type"),
    (b"<HeaderVersion>1.0", b"<HeaderVersion>2.0", "HeaderVersion"),
])
def test_a_defective_envelope_is_refused_naming_the_defect(old: bytes, new: bytes,
                                                            named: str) -> None:
    data = _built()
    assert old in data
    with pytest.raises(InboundInvalid) as caught:
        sbdh.parse(data.replace(old, new, 1))
    assert named in str(caught.value)
    assert caught.value.receipt_reason is RefuseCode.SYNTAX_ERROR


def test_a_payload_that_is_not_base64_is_refused() -> None:
    data = re.sub(rb"(<bc:BinaryContent[^>]*>)", rb"\1%%", _built(), count=1)
    with pytest.raises(InconsistentMessage, match="BinaryContent is not valid base64"):
        sbdh.parse(data)


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_the_channel_hands_what_it_opens_to_the_payloads_own_reader(name: str) -> None:
    content = sbdh.parse(_built(name)).content
    expected = (catalogue.Envelope.INTERCHANGE if PAYLOADS[name][1].startswith("edifact")
                else catalogue.Envelope.EMESSAGE)
    assert _reader_of(content) is expected


def test_medcoms_samples_carrying_an_xref01_go_to_the_oioxml_reader() -> None:
    # the pilot samples label their XREF01 XH0130R as homecareobservation FHIR: the payload
    # decides, so the letter is read (and receipted) as what it is
    for path in sorted(official("envelopes", "sbdh", "samples").glob("*.xml")):
        document = sbdh.parse(path.read_bytes())
        if b"<Emessage" in document.content[:400]:
            assert _reader_of(document.content) is catalogue.Envelope.EMESSAGE
            assert emessage.parse(document.content).versions[0].code == "XH0130R"
        else:
            assert _reader_of(document.content) is catalogue.Envelope.EHMI_SBDH


def test_fixture_paths_are_ours() -> None:
    assert Path(_CATALOGUE).is_dir()


# MedCom's 2.0.1 samples, and the namespace each puts BinaryContent in
_IG_SAMPLES = {
    "a sbdh ack example.xml/x.xml": sbdh.NAMESPACE,
    "ehmisbdh_fullsample_sbdhack.xml": sbdh.NAMESPACE,
    "ehmisbdh_fullsample_ack.xml": sbdh.CONTENT_NAMESPACE,
    "ehmiSBDH_9a6ff822-08de-5a6f-9670-9fa4b9d2f0dc_examples/"
    "ehmiSBDH_9a6ff822-08de-5a6f-9670-9fa4b9d2f0dc_ReceiptAcknowledgement_full.xml":
        sbdh.NAMESPACE,
}


@pytest.mark.parametrize("name", list(_IG_SAMPLES))
def test_medcoms_2_0_1_samples_are_read(name: str) -> None:
    # BinaryContent in the SBDH namespace, as the 2.0.1 schema declares it, and comments
    # between header and content are read
    path = official(*sbdh_schemas.IG, "pagecontent", "ehmiSBDH", *name.split("/"))
    data = path.read_bytes()
    document = sbdh.parse(data)
    assert document.sender_gln and document.receiver_gln and document.instance_id
    assert document.content.lstrip().startswith(b"<")
    [content] = [c for c in etree.fromstring(data) if isinstance(c.tag, str)
                 and etree.QName(c).localname == "BinaryContent"]
    assert etree.QName(content).namespace == _IG_SAMPLES[name]


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_validate_opens_the_envelope_and_checks_the_letter_inside(name: str) -> None:
    report = detect.check(_built(name))
    assert report.valid and report.kind == catalogue.Envelope.EHMI_SBDH.value
    assert report.carried is not None and report.carried.valid
    assert report.carried.kind == name

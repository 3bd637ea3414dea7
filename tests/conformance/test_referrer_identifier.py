"""A Referrer's Identifier and IdentifierCode, each optional on its own in MedCom's schema.

HospitalReferral.xsd (2017/05/01) declares both minOccurs="0", independently. That the two
go together is our own rule: held when we build, a warning when we read.
"""

from __future__ import annotations

import pytest
from lxml import etree

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.edifact import interchange
from medcom_adapter.errors import InvalidValue, OutboundInvalid
from medcom_adapter.journal.interface import Direction, Query, Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.model.codes import IdentifierCode
from medcom_adapter.model.letters import Referral
from medcom_adapter.model.parties import Referrer
from medcom_adapter.node import wire
from medcom_adapter.oioxml import emessage
from medcom_adapter.transport.memory import MemoryTransport
from medcom_adapter.workers.hooks import CollectingHook
from tests.conftest import FIXTURES, official

SOURCE = FIXTURES / "catalogue" / "oioxml" / "XREF01-XH0131R-every-optional-element.xml"
DIRECTORY = Directory.load(FIXTURES / "network" / "receivers.json")
PARTS = {"Identifier": b"<Identifier>953741000016009</Identifier>",
         "IdentifierCode": b"<IdentifierCode>sorkode</IdentifierCode>"}
WHOLE = b"<Referrer>" + PARTS["Identifier"] + PARTS["IdentifierCode"] + b"<PersonName>"
HALVES = list(PARTS)


def without(element: str) -> bytes:
    """The XREF01 whose Sender/Referrer lacks ``element``."""
    data = SOURCE.read_bytes()
    assert WHOLE in data
    return data.replace(WHOLE, WHOLE.replace(PARTS[element], b""))


def referrer(data: bytes) -> Referrer:
    letter = emessage.parse(data).message.letters[0]
    assert isinstance(letter, Referral)
    return letter.referrer


@pytest.mark.parametrize("dropped", HALVES)
def test_medcoms_schema_accepts_either_half_alone(dropped: str) -> None:
    schema = official("oioxml", "xsd", "2017", "05", "01", "EMessage.xsd")
    assert etree.XMLSchema(etree.parse(str(schema))).validate(etree.fromstring(without(dropped)))


@pytest.mark.parametrize("dropped", HALVES)
def test_the_inbox_delivers_it_with_a_positive_receipt(dropped: str) -> None:
    mailbox = MemoryTransport()
    mailbox.provider.deposit("XREF01_referrer.xml", without(dropped))
    hook = CollectingHook()
    node = wire(MemoryJournal(), DIRECTORY, mailbox, hook=hook)
    run = node.inbox.run_once()
    assert (run.delivered, run.refused, run.quarantined) == (1, 0, 0)
    (letter,) = node.journal.find(Query(direction=Direction.INBOUND))
    assert letter.status is Status.DELIVERED and len(hook.deliveries) == 1
    (receipt,) = node.journal.find(Query(direction=Direction.OUTBOUND))
    assert receipt.message.kind == "XCTL03"  # positive, never XCTL02


@pytest.mark.parametrize("dropped", HALVES)
def test_reading_warns_and_keeps_the_half_that_is_there(dropped: str) -> None:
    data = without(dropped)
    result = emessage.check(data)
    assert result.valid
    (warning,) = result.issues
    assert warning.warning and warning.code == "medcom.referrer-identifier"
    found = referrer(data)
    if dropped == "Identifier":
        assert (found.identifier, found.identifier_code) == (None, IdentifierCode.SOR)
        assert warning.path == "Emessage/HospitalReferral/Sender/Referrer"
        assert warning.message.endswith("the identifier is missing")
    else:
        assert (found.identifier, found.identifier_code) == ("953741000016009", None)
        assert warning.path == "Emessage/HospitalReferral/Sender/Referrer/Identifier"
        assert warning.message.endswith("the identifier code is missing")


@pytest.mark.parametrize("dropped", HALVES)
def test_we_do_not_build_one_half_alone(dropped: str) -> None:
    document = emessage.parse(without(dropped))
    with pytest.raises(OutboundInvalid) as caught:
        emessage.build(document.message, document.versions)
    assert [i.code for i in caught.value.issues] == ["medcom.referrer-identifier"]
    # passed on as it came, it keeps its half
    again = emessage.build(document.message, document.versions, allow_warnings=True)
    assert referrer(again) == referrer(without(dropped))
    with pytest.raises(InvalidValue):
        Referrer("Sara Testsen", identifier="953741000016009")
    with pytest.raises(InvalidValue):
        Referrer("Sara Testsen", identifier_code=IdentifierCode.SOR)


def test_edifact_ref01_reads_a_referrer_qualifier_without_its_identifier() -> None:
    # EDIFACT's party id composite needs its id: a qualifier alone says nothing and is read
    data = (FIXTURES / "catalogue" / "edifact" / "REF01-H0130R-every-optional-element.edi"
            ).read_bytes()
    whole = b"NAD+BV+953741000016009:SOR:SST++"
    assert whole in data
    qualifier_only = data.replace(whole, b"NAD+BV+:SOR:SST++")
    result = interchange.check(qualifier_only)
    assert result.valid and result.issues == ()
    letter = interchange.parse(qualifier_only).message.letters[0]
    assert isinstance(letter, Referral)
    assert (letter.referrer.identifier, letter.referrer.identifier_code) == (None, None)

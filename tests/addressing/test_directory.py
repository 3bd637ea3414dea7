"""The receivers directory and DNHF routing: refused before sending, typed errors."""

from __future__ import annotations

import dataclasses

import pytest

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.addressing.dnhf import DnhfTransport, route_referral
from medcom_adapter.errors import InvalidConfiguration, ReceiverDoesNotAccept, UnknownReceiver
from medcom_adapter.model.identifiers import LocationNumber
from medcom_adapter.model.letters import Referral
from medcom_adapter.transport.interface import Parcel
from medcom_adapter.transport.memory import MemoryTransport
from tests import samples
from tests.conftest import FIXTURES

DIRECTORY = Directory.load(FIXTURES / "network" / "receivers.json")
DNHF, BUP, BUP_XBIN01, GP, DENTAL = (
    "5790000200009", "5790000987658", "5790000555550", "5790000121526", "5790000777778")


def test_lookup_by_ean_sor_identifier_and_region() -> None:
    assert DIRECTORY.by_ean(GP).sor == "265161000016000"
    assert DIRECTORY.by_identifier("sygehusafdelingsnummer", "6630361").ean == BUP
    assert DIRECTORY.bup_for("Region Prøve").ean == BUP_XBIN01
    with pytest.raises(UnknownReceiver):
        DIRECTORY.by_ean("5790000444441")
    with pytest.raises(UnknownReceiver):
        DIRECTORY.bup_for("Region Ukendt")


def test_a_receiver_refuses_types_and_versions_it_is_not_registered_for() -> None:
    with pytest.raises(ReceiverDoesNotAccept, match="does not accept XREF01"):
        DIRECTORY.by_ean(DENTAL).check("XREF01", "XH0131R")
    with pytest.raises(ReceiverDoesNotAccept):
        DIRECTORY.by_ean(BUP_XBIN01).check("XREF01", "XH0130R")
    DIRECTORY.by_ean(GP).check("CareCommunication", "5.0")
    DIRECTORY.by_ean(DENTAL).check("XCTL03", "XC0330Q")  # receipts always go


@pytest.mark.parametrize("broken", [
    {"receivers": [{"sor": "1", "ean": GP, "name": "x"}]},
    {"receivers": [{"sor": "265161000016000", "ean": "5790000121527", "name": "x"}]},
    {"receivers": [{"sor": "265161000016000", "ean": GP, "name": "x", "colour": "red"}]},
    {"receivers": [], "dnhf": {"ean": DNHF, "bup": {"R": "265161000016000"}}},
    {"receivers": [{"sor": "265161000016000", "ean": GP, "name": "x", "attachments": "PDF"}]},
    [],
])
def test_a_broken_directory_is_refused_with_where(broken: object) -> None:
    with pytest.raises(InvalidConfiguration):
        Directory.from_json(broken)


def referral(receiver_ean: str = BUP, identifier: str = "6630361") -> Referral:
    ref = samples.full_referral()
    return dataclasses.replace(ref, receiver=dataclasses.replace(
        samples.BUP, ean=LocationNumber(receiver_ean), identifier=identifier))


def test_a_referral_for_bup_is_addressed_to_dnhf_with_the_department_kept() -> None:
    addressed, route = route_referral(DIRECTORY, referral())
    assert str(addressed.receiver.ean) == DNHF
    assert addressed.receiver.identifier == "6630361"
    assert route.department.ean == BUP and route.binary_version.code == "XB0230X"


def test_attachments_travel_as_xbin01_where_the_department_is_configured_for_it() -> None:
    _, route = route_referral(DIRECTORY, referral(BUP_XBIN01, "7770123"))
    assert route.binary_version.code == "XB0131X"


def test_a_referral_to_a_receiver_that_does_not_take_xref01_is_refused() -> None:
    with pytest.raises(ReceiverDoesNotAccept, match="Tandpleje"):
        route_referral(DIRECTORY, referral(DENTAL, "7770999"))


def test_the_dnhf_transport_refuses_referral_material_sent_around_dnhf() -> None:
    inner = MemoryTransport()
    transport = DnhfTransport(inner, DIRECTORY)
    with pytest.raises(ReceiverDoesNotAccept, match="DNHF"):
        transport.send(Parcel(b"<x/>", "XREF01", "E1", "5790000123452", BUP, "1"))
    with pytest.raises(ReceiverDoesNotAccept):
        transport.send(Parcel(b"<x/>", "XBIN02", "E2", "5790000123452", GP, "2"))
    transport.send(Parcel(b"<x/>", "XREF01", "E3", "5790000123452", DNHF, "3"))
    transport.send(Parcel(b"<x/>", "XDIS91", "E4", "5790000123452", GP, "4"))
    assert [p.envelope_id for p in inner.sent] == ["E3", "E4"]

"""The sandbox network: routing by EAN, XCTL01 for unknown receivers, DNHF, counterparts,
and deterministic faults."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import pytest

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.addressing.dnhf import route_referral
from medcom_adapter.compose.referral import Attachment, build_referral
from medcom_adapter.errors import MedComError, RefuseCode
from medcom_adapter.model.codes import AcknowledgementCode
from medcom_adapter.model.identifiers import LocationNumber
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.receipts import Receipt, ReceiptKind
from medcom_adapter.oioxml.emessage import build, parse
from medcom_adapter.sandbox.counterparts import Department, GpSystem
from medcom_adapter.sandbox.faults import Fault, FaultPlan
from medcom_adapter.sandbox.network import SANDBOX_VANS_EAN, Network
from medcom_adapter.sandbox.standard import standard_network
from medcom_adapter.transport.memory import MemoryTransport
from tests import samples
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 22, 12, 0)
PPR = "5790000123452"
DIRECTORY = Directory.load(FIXTURES / "network" / "receivers.json")


def receipts(box: MemoryTransport, *, readable_only: bool = False) -> list[Receipt]:
    out = []
    for item in box.receive():
        try:
            letter = parse(item.data).message.letters[0]
        except MedComError:
            if readable_only:
                continue
            raise
        assert isinstance(letter, Receipt)
        out.append(letter)
    return out


def network(faults: FaultPlan | None = None) -> tuple[Network, MemoryTransport]:
    box = MemoryTransport()
    return standard_network(DIRECTORY, {PPR: box.provider}, faults=faults,
                            clock=lambda: NOW), box


def publish(box: MemoryTransport, data: bytes, key: str) -> None:
    from medcom_adapter.sandbox.addressing import read_address
    from medcom_adapter.transport.interface import Parcel

    a = read_address(data)
    assert a is not None and a.envelope_id and a.sender and a.receiver
    box.send(Parcel(data, a.kind, a.envelope_id, a.sender, a.receiver, key))


def referral_via_dnhf() -> list[bytes]:
    addressed, route = route_referral(DIRECTORY, samples.full_referral())
    package = build_referral(addressed, (Attachment("Henvisningsskema", samples.PDF),),
                             binary_version=route.binary_version)
    return [f.data for f in package.files]


def test_a_referral_via_dnhf_reaches_bup_and_its_receipts_come_back() -> None:
    net, box = network()
    files = referral_via_dnhf()
    for i, data in enumerate(files):
        publish(box, data, str(i))
    net.run()
    got = receipts(box)
    assert [r.kind for r in got] == [ReceiptKind.POSITIVE] * 2
    assert {r.original_envelope_id for r in got} == {parse(d).message.envelope.identifier
                                                      for d in files}
    assert all(r.sender_ean == "5790000200009" for r in got)  # relayed as DNHF
    department = net._counterparts["5790000987658"]
    assert isinstance(department, Department) and len(department.accepted) == 2


def test_a_file_dnhf_forwards_unchanged_is_routed_on_the_facts_read_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from medcom_adapter.sandbox import addressing, counterparts
    from medcom_adapter.sandbox import network as network_module

    reads: list[bytes] = []

    def counted(data: bytes) -> Any:
        reads.append(data)
        return addressing.read_address(data)

    for module in (network_module, counterparts):
        monkeypatch.setattr(module, "read_address", counted)
    net, box = network()
    files = referral_via_dnhf()
    for i, data in enumerate(files):
        publish(box, data, str(i))
    net.run()
    assert [r.kind for r in receipts(box)] == [ReceiptKind.POSITIVE] * 2
    assert [reads.count(data) for data in files] == [1, 1]  # to DNHF, then on to BUP
    assert [hop.fate for hop in net.trace if hop.kind in ("XREF01", "XBIN02")] == [
        "delivered"] * 4


def test_an_unknown_receiver_is_answered_with_a_negative_vans_receipt() -> None:
    net, box = network()
    ref = dataclasses.replace(samples.full_referral(), receiver=dataclasses.replace(
        samples.BUP, ean=LocationNumber("5790000444441")))
    data = build(Emessage(Envelope("ENVX", samples.WHEN), (ref,)), "XH0131R")
    publish(box, data, "1")
    net.run()
    (receipt,) = receipts(box)
    assert receipt.kind is ReceiptKind.NEGATIVE_VANS
    assert receipt.original_envelope_id == "ENVX" and receipt.sender_ean == SANDBOX_VANS_EAN
    assert receipt.refusal is not None
    assert receipt.refusal.code is RefuseCode.UNKNOWN_LOCATION_NUMBER


def test_dnhf_refuses_a_referral_for_a_department_it_does_not_know() -> None:
    net, box = network()
    ref = dataclasses.replace(samples.full_referral(), receiver=dataclasses.replace(
        samples.BUP, ean=LocationNumber("5790000200009"), identifier="1234567"))
    publish(box, build(Emessage(Envelope("ENVY", samples.WHEN), (ref,)), "XH0131R"), "1")
    net.run()
    (receipt,) = receipts(box)
    assert receipt.kind is ReceiptKind.NEGATIVE
    assert receipt.refusal is not None and receipt.refusal.code is RefuseCode.RECEIVER_ID_PROBLEM


def test_the_gp_receipts_a_km_and_replies_once() -> None:
    net, box = network()
    km = dataclasses.replace(samples.clinical_email(), receiver=dataclasses.replace(
        samples.clinical_email().receiver, ean=LocationNumber("5790000121526")))
    data = build(Emessage(Envelope("ENVK", samples.WHEN), (km,)), "XD9134L")
    publish(box, data, "1")
    publish(box, data, "2")  # sent twice: receipted twice, replied to once
    net.run()
    kinds = sorted(type(parse(r.data).message.letters[0]).__name__ for r in box.receive())
    assert kinds == ["ClinicalEmail", "Receipt", "Receipt"]
    gp = net._counterparts["5790000121526"]
    assert isinstance(gp, GpSystem) and gp.replies_sent == 1


def test_an_invalid_letter_gets_a_negative_receipt_from_the_counterpart() -> None:
    net, box = network()
    km = samples.clinical_email()
    km = dataclasses.replace(km, receiver=dataclasses.replace(
        km.receiver, ean=LocationNumber("5790000121526")))
    envelope = Envelope("ENVB", samples.WHEN, AcknowledgementCode.PLUS_POSITIVE)
    data = build(Emessage(envelope, (km,)), "XD9134L")
    broken = data.replace(b"<VersionCode>XD9134L</VersionCode>",
                          b"<VersionCode>XD9134L</VersionCode><Bogus/>")
    publish(box, broken, "1")
    net.run()
    (receipt,) = receipts(box)
    assert receipt.kind is ReceiptKind.NEGATIVE


def run_with(plan: FaultPlan) -> tuple[list[tuple[Fault, str]], list[str]]:
    net, box = network(plan)
    for i, data in enumerate(referral_via_dnhf()):
        publish(box, data, str(i))
    net.run()
    got = receipts(box, readable_only=plan.corrupt > 0)
    return net.faults.injected, sorted(r.original_envelope_id for r in got)


@pytest.mark.parametrize("fault", list(Fault))
def test_each_fault_is_injected_and_the_same_seed_repeats_it(fault: Fault) -> None:
    certain: dict[str, Any] = {fault.value: 1.0}
    plan = FaultPlan(seed=3, **certain, kinds=frozenset({"XCTL03"}), limit=1)
    injected, _ = run_with(plan)
    assert injected == [(fault, "XCTL03")]
    mixed = FaultPlan(seed=11, drop=0.2, duplicate=0.2, delay=0.2, reorder=0.2, corrupt=0.2)
    assert run_with(mixed)[0] == run_with(mixed)[0]


def test_dropped_and_duplicated_receipts() -> None:
    _, dropped = run_with(FaultPlan(drop=1.0, kinds=frozenset({"XCTL03"}), limit=1))
    assert len(dropped) == 1
    _, doubled = run_with(FaultPlan(duplicate=1.0, kinds=frozenset({"XCTL03"}), limit=1))
    assert len(doubled) == 3 and len(set(doubled)) == 2


def test_fault_plans_parse_from_the_command_line_form() -> None:
    plan = FaultPlan.parse("seed=7,drop=0.1,kinds=XCTL03+XDIS91,limit=2")
    assert plan.seed == 7 and plan.drop == 0.1 and plan.kinds == {"XCTL03", "XDIS91"}
    with pytest.raises(Exception, match="unknown fault setting"):
        FaultPlan.parse("explode=1")


def test_two_simulated_systems_writing_to_each_other_exchange_receipts_not_a_loop() -> None:
    """The unit's own location number played by a simulated GP (as when a unit's EAN is also
    in the directory): a KM from it to the GP is receipted, never answered with a letter, so
    the two cannot answer each other forever."""
    box = MemoryTransport()
    net = standard_network(DIRECTORY, {"5790000999998": box.provider}, clock=lambda: NOW)
    twin = GpSystem(PPR)  # the KM's sender, played by a simulated GP
    net.add(twin)
    km = dataclasses.replace(samples.clinical_email(), receiver=dataclasses.replace(
        samples.clinical_email().receiver, ean=LocationNumber("5790000121526")))
    data = build(Emessage(Envelope("ENVK", samples.WHEN), (km,)), "XD9134L")
    publish(box, data, "1")
    net.run(max_steps=50)
    assert net.idle
    gp = net._counterparts["5790000121526"]
    assert isinstance(gp, GpSystem) and gp.receipts_sent == 1
    assert twin.accepted == [] and twin.replies_sent == 0  # it got the receipt, no letter
    assert list(box.receive()) == []

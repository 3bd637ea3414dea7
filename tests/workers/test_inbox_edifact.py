"""The inbox takes EDIFACT interchanges as it takes OIOXML: a DIS91 is delivered once and
answered with the CONTRL receipt it asked for (CTL03, sent as an interchange), the same
interchange again is a duplicate answered again and never delivered twice, a CONTRL receipt
is taken as an answer and never answered, and an invalid one gets a negative CTL02."""

from __future__ import annotations

from pathlib import Path

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.certify.deliveries import ids_of, renew
from medcom_adapter.detect import check
from medcom_adapter.journal.interface import Direction, Query
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.node import wire
from medcom_adapter.transport.vans_mailbox import VansMailbox
from medcom_adapter.workers.hooks import CollectingHook
from tests.catalogue import ROOT
from tests.conftest import FIXTURES

DIRECTORY = Directory.load(FIXTURES / "network" / "receivers.json")


def _interchange(name: str) -> bytes:
    (data,) = renew([(ROOT / name).read_bytes()])
    return data


def test_a_dis91_is_delivered_once_and_receipted_per_delivery(tmp_path: Path) -> None:
    box = VansMailbox(tmp_path)
    hook = CollectingHook()
    node = wire(MemoryJournal(), DIRECTORY, box, hook=hook)
    dis91 = _interchange("edifact/DIS91-D9134L-every-optional-element.edi")
    box.provider.deposit("DIS91_1.edi", dis91)
    assert node.inbox.run_once().delivered == 1
    box.provider.deposit("DIS91_2.edi", dis91)
    taken = node.inbox.run_once()
    assert (taken.delivered, taken.duplicates) == (0, 1)
    assert len(hook.deliveries) == 1
    assert node.outbox.run_once().sent == 2
    sent = [data for _, data in box.provider.collect()]
    assert len(sent) == 2
    reference = ids_of(dis91)[0]  # UNB's interchange reference
    for data in sent:  # CONTRL CTL03 interchanges naming the DIS91's interchange
        report = check(data)
        assert (report.kind, report.version, report.valid) == ("CTL03", "C0330Q", True)
        assert f"+{reference}+".encode() in data
    (received,) = node.journal.find(Query(direction=Direction.INBOUND))
    assert (received.message.kind, received.message.version) == ("XDIS91", "D9134L")


def test_a_contrl_receipt_is_never_answered(tmp_path: Path) -> None:
    box = VansMailbox(tmp_path)
    node = wire(MemoryJournal(), DIRECTORY, box, hook=CollectingHook())
    box.provider.deposit("CTL03.edi", _interchange("edifact/CTL03-C0330Q-positive.edi"))
    taken = node.inbox.run_once()  # it names nothing we sent: refused, as an XCTL03 is
    assert (taken.delivered, taken.receipts, taken.refused) == (0, 0, 1)
    assert node.outbox.run_once().sent == 0
    assert box.provider.collect() == []


def test_an_invalid_interchange_gets_a_negative_ctl02(tmp_path: Path) -> None:
    box = VansMailbox(tmp_path)
    hook = CollectingHook()
    node = wire(MemoryJournal(), DIRECTORY, box, hook=hook)
    box.provider.deposit("bad.edi", _interchange("invalid/DIS91-letter-status-unknown.edi"))
    assert node.inbox.run_once().refused == 1
    assert node.outbox.run_once().sent == 1
    ((_, answer),) = box.provider.collect()
    assert (check(answer).kind, check(answer).valid) == ("CTL02", True)
    assert hook.deliveries == {}

"""Channels: a receiver names how it is reached, the outbox sends on that channel, the
inbox opens what arrives as its channel says; older directory files mean what they did."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.catalogue import Envelope
from medcom_adapter.channels import Carried, Channels, Opened, VansChannel
from medcom_adapter.envelopes import vans
from medcom_adapter.errors import InvalidConfiguration
from medcom_adapter.fhir import wire as fhir_wire
from medcom_adapter.journal.interface import Direction, NewMessage, Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.transport.interface import Parcel, Transport
from medcom_adapter.transport.memory import MemoryTransport
from medcom_adapter.workers.hooks import CollectingHook
from medcom_adapter.workers.inbox import Inbox
from medcom_adapter.workers.outbox import Outbox
from medcom_adapter.workers.submit import queue_km
from medcom_adapter.workers.submit_fhir import queue_care_communication
from tests.conftest import FIXTURES

RAW = json.loads((FIXTURES / "network" / "receivers.json").read_text(encoding="utf-8"))
GP_SOR = "265161000016000"
REQUESTS = FIXTURES / "requests"


def _directory(**gp: Any) -> Directory:
    raw = json.loads(json.dumps(RAW))
    for receiver in raw["receivers"]:
        if receiver["sor"] == GP_SOR:
            receiver.update(gp)
    return Directory.from_json(raw)


class Bare:
    """A channel that carries FHIR Bundles as they are on a transport of its own: the shape
    of an EHMI channel, without the ehmiSBDH."""

    name = "bare"
    envelopes = frozenset({Envelope.EHMI_SBDH})

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    @property
    def transport(self) -> Transport:
        return self._transport

    def wrap(self, message: NewMessage, *, key: str, sent: datetime) -> Parcel:
        return Parcel(message.data, message.kind, message.envelope_id,
                      message.sender_ean or "", message.receiver_ean or "", key=key)

    def send(self, parcel: Parcel) -> None:
        self._transport.send(parcel)

    def record(self, parcel: Parcel, *, sent: bool,
               answering: Callable[[], NewMessage | None] = lambda: None) -> None:
        pass

    def open(self, data: bytes, *, clock: Callable[[], datetime]) -> Opened | None:
        if not data.startswith(b"{"):
            return None
        return Carried(data, Envelope.EHMI_SBDH, sender="5790000121526",
                       receiver="5790000123452")


def test_a_directory_without_channels_reaches_everyone_on_vans() -> None:
    directory = Directory.from_json(RAW)
    assert {r.channels for r in directory.receivers} == {("vans",)}


def test_a_receiver_names_its_channels_in_order() -> None:
    assert _directory(channels=["bare", "vans"]).by_sor(GP_SOR).channels == ("bare", "vans")
    for bad in ([], "vans", [1], [""]):
        with pytest.raises(InvalidConfiguration, match="channels"):
            _directory(channels=bad)


def test_a_channel_the_node_does_not_have_is_refused_when_wired() -> None:
    with pytest.raises(InvalidConfiguration, match="bare"):
        Channels([VansChannel(MemoryTransport())], _directory(channels=["bare"]))


def test_each_message_leaves_on_the_first_of_its_receivers_channels_that_carries_it() -> None:
    directory = _directory(channels=["bare", "vans"])
    journal = MemoryJournal()
    km = json.loads((REQUESTS / "km-gp.json").read_text(encoding="utf-8"))
    km["attachments"] = []
    letter = queue_km(journal, directory, km, files=REQUESTS).ids
    care = queue_care_communication(journal, directory, km, files=REQUESTS).ids
    mailbox, other = MemoryTransport(), MemoryTransport()
    channels = Channels([VansChannel(mailbox), Bare(other)], directory)
    outbox = Outbox(journal, None, directory, channels=channels)
    assert outbox.run_once().sent == len(letter) + len(care)
    on_vans = [data for _, data in mailbox.provider.collect()]
    on_bare = [data for _, data in other.provider.collect()]
    # an XDIS91 XD9134L has an EHMI registry code, so its catalogue row travels in an
    # ehmiSBDH too: both leave on the receiver's first channel
    assert on_vans == [] and len(on_bare) == len(letter) + len(care)
    km_file, bundle = on_bare  # each as journaled, not in a VANSEnvelope
    assert b"<Emessage" in km_file[:200]
    assert bundle == journal.get(care[0]).message.data
    assert fhir_wire.load(bundle)[0]["resourceType"] == "Bundle"
    # a version without a registry code (XBIN02 XB0230X) falls through to VANS
    attachment = NewMessage(Direction.OUTBOUND, "XBIN02", "XB0230X", b"<Emessage/>", "E", "L",
                            receiver_ean=journal.get(letter[0]).message.receiver_ean)
    assert channels.for_message(attachment).name == "vans"


def test_without_the_other_channel_fhir_goes_in_a_vans_envelope() -> None:
    directory = _directory()
    journal = MemoryJournal()
    km = json.loads((REQUESTS / "km-gp.json").read_text(encoding="utf-8"))
    km["attachments"] = []
    (care,) = queue_care_communication(journal, directory, km, files=REQUESTS).ids
    mailbox = MemoryTransport()
    assert Outbox(journal, mailbox, directory).run_once().sent == 1
    ((_, data),) = mailbox.provider.collect()
    assert vans.parse(data).message is not None
    assert journal.get(care).status is Status.SENT


def test_the_inbox_opens_what_arrives_on_each_channel() -> None:
    """A CareCommunication arriving bare on the other channel is read, journaled, delivered
    and acknowledged like one in a VANSEnvelope."""
    directory = _directory(channels=["bare", "vans"])
    gp = MemoryJournal()
    km = json.loads((REQUESTS / "km-gp.json").read_text(encoding="utf-8"))
    km["attachments"] = []
    km["sender"], km["receiver"] = km["receiver"], km["sender"]
    (care,) = queue_care_communication(gp, directory, km, files=REQUESTS).ids
    mailbox, other = MemoryTransport(), MemoryTransport()
    other.provider.deposit("care.json", gp.get(care).message.data)
    journal, hook = MemoryJournal(), CollectingHook()
    channels = Channels([VansChannel(mailbox), Bare(other)], directory)
    inbox = Inbox(journal, None, hook, channels=channels,
                  clock=lambda: datetime.now(UTC))
    assert inbox.run_once().delivered == 1
    assert [d.kind for d in hook.deliveries.values()] == ["CareCommunication"]
    outbox = Outbox(journal, None, directory, channels=channels)
    assert outbox.run_once().sent == 1  # the Acknowledgement, back on the same channel
    ((_, ack),) = other.provider.collect()
    assert fhir_wire.load(ack)[0]["id"]
    assert mailbox.provider.collect() == []


def test_a_letter_that_spells_the_vans_namespace_is_not_taken_for_an_envelope() -> None:
    """The VANS channel knows an envelope by its root element, not by text in a letter."""
    import dataclasses

    from medcom_adapter.model.message import Emessage
    from medcom_adapter.model.message import Envelope as EmessageEnvelope
    from medcom_adapter.oioxml import emessage
    from tests import samples

    base = samples.minimal_referral()
    referral = dataclasses.replace(base, patient=dataclasses.replace(
        base.patient, surname=vans.NAMESPACE))
    data = emessage.build(Emessage(EmessageEnvelope("ENV0001", samples.WHEN), (referral,)),
                          "XH0131R")
    assert vans.NAMESPACE.encode() in data[:4096]
    opened = VansChannel(MemoryTransport()).open(data, clock=lambda: datetime.now(UTC))
    assert opened == Carried(data, Envelope.EMESSAGE)


def test_channels_are_built_in_node_wire_only() -> None:
    """The CLI, the service and the sandbox get their channels from ``node.wire``; the
    workers fall back to VANS over a bare transport only when given no channels."""
    import ast

    import medcom_adapter

    package = Path(medcom_adapter.__file__).parent
    allowed = {"node.py", "channels/__init__.py"}  # the wiring, and Channels.vans
    found = []
    for path in sorted(package.rglob("*.py")):
        if path.relative_to(package).as_posix() in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            called = node.func
            name = called.id if isinstance(called, ast.Name) else (
                called.attr if isinstance(called, ast.Attribute) else None)
            if name in {"Channels", "VansChannel", "EhmiChannel", "channels_of"}:
                found.append(f"{path.relative_to(package)}:{node.lineno}: {name}")
    assert found == []


def test_a_letter_that_spells_the_sbdh_namespace_is_not_taken_for_an_ehmi_envelope() -> None:
    """The EHMI channel too knows its envelope by the root element."""
    import dataclasses

    from medcom_adapter.channels.ehmi import EhmiChannel
    from medcom_adapter.envelopes import sbdh
    from medcom_adapter.model.message import Emessage
    from medcom_adapter.model.message import Envelope as EmessageEnvelope
    from medcom_adapter.oioxml import emessage
    from tests import samples

    base = samples.minimal_referral()
    referral = dataclasses.replace(base, patient=dataclasses.replace(
        base.patient, surname=sbdh.NAMESPACE))
    data = emessage.build(Emessage(EmessageEnvelope("ENV0001", samples.WHEN), (referral,)),
                          "XH0131R")
    assert sbdh.NAMESPACE.encode() in data[:4096]
    assert EhmiChannel(MemoryTransport()).open(data, clock=lambda: datetime.now(UTC)) is None

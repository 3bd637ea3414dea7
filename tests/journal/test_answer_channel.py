"""A received message is journaled with the channel it arrived on, and the answer it is owed
leaves on that channel, also when its sender is not in the directory (where the node's
first channel would otherwise take it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.channels import Channel, Channels, VansChannel
from medcom_adapter.channels.ehmi import EhmiChannel
from medcom_adapter.envelopes import fhir_payload, sbdh, vans
from medcom_adapter.errors import UnknownReceiver
from medcom_adapter.fhir.carecommunication import to_bundle
from medcom_adapter.fhir.threads import new_message
from medcom_adapter.fhir.wire import dump_json
from medcom_adapter.journal import export
from medcom_adapter.journal.interface import Direction, Journal, Query, Status
from medcom_adapter.kinds import Kind
from medcom_adapter.model.carecommunication import Author, Category, Party
from medcom_adapter.sandbox.demo import EHMI_GP, EHMI_GP_SOR, RECEIVERS, UNIT_EAN, UNIT_SOR
from medcom_adapter.transport.memory import MemoryTransport
from medcom_adapter.workers.hooks import CollectingHook
from medcom_adapter.workers.inbox import Inbox
from medcom_adapter.workers.outbox import Outbox
from tests.envelopes.messages import CHILD, next_id

STRANGER = Party(EHMI_GP_SOR, EHMI_GP, "Lægehuset Ukendt")  # in no directory of ours


def letter_from_a_stranger() -> bytes:
    return dump_json(to_bundle(new_message(
        sender=STRANGER, receiver=Party(UNIT_SOR, UNIT_EAN, "PPR"), patient=CHILD,
        category=Category.REGARDING_REFERRAL, text="Tak for henvisningen.",
        author=Author("Lægesen", ("Lone",), role_text="Læge", organisation=STRANGER),
        phone="+4587654321", now=datetime.now(UTC), new_id=next_id)))


@pytest.mark.parametrize("arrival", ["vans", "ehmi"])
def test_an_answer_to_a_sender_missing_from_the_directory_leaves_the_way_it_came(
        journal: Journal, arrival: str) -> None:
    directory = Directory.load(RECEIVERS)
    with pytest.raises(UnknownReceiver):
        directory.by_ean(EHMI_GP)
    on = {"vans": MemoryTransport(), "ehmi": MemoryTransport()}
    channel: dict[str, Channel] = {"vans": VansChannel(on["vans"]),
                                   "ehmi": EhmiChannel(on["ehmi"])}
    other = "ehmi" if arrival == "vans" else "vans"
    # the node's first channel is the other one: an unrouted answer would take it
    channels = Channels([channel[other], channel[arrival]], directory)
    bundle = letter_from_a_stranger()
    now = datetime.now(UTC)
    envelope = vans.build(fhir_payload.wrap(bundle, sent=now)) if arrival == "vans" else \
        sbdh.build(sbdh.for_fhir(bundle, created=now, instance_id=next_id()))
    on[arrival].provider.deposit("letter.xml", envelope)

    hook = CollectingHook()
    assert Inbox(journal, None, hook, channels=channels, directory=directory,
                 lease_seconds=60).run_once().delivered == 1
    # EHMI: the envelope receipt and the Acknowledgement; VANS: the Acknowledgement
    answers = 2 if arrival == "ehmi" else 1
    assert Outbox(journal, None, directory, channels=channels).run_once().sent == answers

    [received] = journal.find(Query(direction=Direction.INBOUND))
    assert received.message.channel == arrival and export.channel(received) == arrival
    assert export.describe(received, reveal=False)["channel"] == arrival
    sent = [journal.get(a) for a in received.answered_by]
    assert len(sent) == answers
    assert all(s.status is Status.SENT and export.channel(s) == arrival for s in sent)
    [ack] = [s for s in sent if s.message.kind == Kind.ACKNOWLEDGEMENT.value]
    assert ack.message.receiver_ean == EHMI_GP
    published = on[arrival].provider.collect()
    assert on[other].provider.collect() == []  # nothing left on the node's first channel
    assert len(published) == answers
    assert len([d for _, d in published if ack.message.message_id.encode() in d]) == 1
    verify = getattr(journal, "verify", None)
    assert verify is None or verify().intact  # the channel is in the chain, links hold

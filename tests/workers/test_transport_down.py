"""A transport that cannot be read (an EHMI access point down) defers itself only: what
the node's other transports hold is still taken in, in the same round."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.channels import Channels, VansChannel
from medcom_adapter.channels.ehmi import EhmiChannel
from medcom_adapter.envelopes import fhir_payload, vans
from medcom_adapter.errors import EhmiUnavailable
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.sandbox.demo import RECEIVERS
from medcom_adapter.transport.interface import Parcel, Received
from medcom_adapter.transport.memory import MemoryTransport
from medcom_adapter.workers.hooks import CollectingHook
from medcom_adapter.workers.inbox import Inbox
from tests.journal.test_answer_channel import letter_from_a_stranger


class Down:
    """An access point that does not answer."""

    def send(self, parcel: Parcel) -> None:
        raise EhmiUnavailable("the access point: no answer in time")

    def receive(self) -> Iterator[Received]:
        raise EhmiUnavailable("the access point: no answer in time")

    def settle(self, received: Received) -> None:
        raise AssertionError("nothing was received")

    def pending(self, received: Received) -> bool:
        raise AssertionError("nothing was received")


def test_an_access_point_down_does_not_stop_the_vans_mailbox_being_read() -> None:
    mailbox = MemoryTransport()
    directory = Directory.load(RECEIVERS)
    channels = Channels([EhmiChannel(Down()), VansChannel(mailbox)], directory)
    mailbox.provider.deposit("letter.xml", vans.build(fhir_payload.wrap(
        letter_from_a_stranger(), sent=datetime.now(UTC))))
    hook = CollectingHook()
    run = Inbox(MemoryJournal(), None, hook, channels=channels, directory=directory,
                lease_seconds=60).run_once()
    assert (run.delivered, run.deferred) == (1, 1)
    assert len(hook.deliveries) == 1

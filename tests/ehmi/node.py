"""A node with the EHMI channel over a transport in memory, on the memory journal, for the
EDS and envelope tests: its reports are read back from the journal's queue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from medcom_adapter.channels import Channels
from medcom_adapter.channels.ehmi import EhmiChannel
from medcom_adapter.ehmi.eds import Reporter
from medcom_adapter.envelopes import sbdh
from medcom_adapter.fhir import versions as fhir_versions
from medcom_adapter.journal.interface import Direction, NewMessage, Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.kinds import Kind
from medcom_adapter.model.carecommunication import CareCommunication
from medcom_adapter.transport.memory import MemoryTransport
from medcom_adapter.workers.hooks import CollectingHook
from medcom_adapter.workers.inbox import Inbox
from medcom_adapter.workers.outbox import Outbox
from tests.envelopes.messages import CHILD, GP, PPR, cc_bytes
from tests.journal.conftest import Clock

ME = Reporter("medcom-adapter-test-eua")
Json = dict[str, Any]


@dataclass
class Node:
    journal: MemoryJournal
    transport: MemoryTransport
    inbox: Inbox
    outbox: Outbox

    def pump(self) -> None:
        self.inbox.run_once()
        self.outbox.run_once()

    def reports(self) -> list[Json]:
        """Every report queued, in order (claimed here: nothing delivers them)."""
        claimed = self.journal.eds.claim("test", 1000, lease_seconds=3600)
        return [json.loads(r.event) for r in claimed]


def make_node(clock: Any = None, reporter: Reporter = ME) -> Node:
    clock = clock or Clock()
    journal = MemoryJournal(clock=clock)
    transport = MemoryTransport()
    channels = Channels([EhmiChannel(transport, eds=journal.eds, reporter=reporter,
                                     clock=clock)])
    return Node(journal, transport, Inbox(journal, None, CollectingHook(), channels=channels,
                                          clock=clock),
                Outbox(journal, None, channels=channels, clock=clock))


def outbound_letter(node: Node, letter: CareCommunication, data: bytes | None = None) -> int:
    kind = Kind.CARE_COMMUNICATION
    return node.journal.append(NewMessage(
        Direction.OUTBOUND, kind.value, fhir_versions.current(kind).version,
        data or cc_bytes(letter), letter.bundle_id, letter.message_id,
        sender_ean=PPR.gln, receiver_ean=GP.gln, sender_sor=PPR.sor, receiver_sor=GP.sor,
        patient=CHILD.id), Status.QUEUED)


def sent_envelope(node: Node) -> sbdh.Sbdh:
    [parcel] = [p for p in node.transport.sent if p.kind == Kind.CARE_COMMUNICATION.value]
    return sbdh.parse(parcel.data)


def invalid(data: bytes) -> bytes:
    """A letter that still names its parties and ids but breaks MedCom's profile (the
    MessageHeader's focus is required)."""
    bundle = json.loads(data)
    del bundle["entry"][0]["resource"]["focus"]
    return json.dumps(bundle).encode()

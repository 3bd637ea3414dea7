"""The sandbox VANS network: routes files between mailboxes and counterparts by EAN.

One :meth:`Network.step` collects every file published in every attached mailbox, reads
where it is going (as a VANS provider does) and delivers it, through the fault plan, to the
receiver's mailbox or counterpart; a counterpart's answers travel the same way in the same
step. A file for a location number nobody is attached as is answered with a negative VANS
receipt to its sender: XCTL01 (``ukendt_lokationsnummer``) for an Emessage, ``NegativeVans``
for a VANSEnvelope. Everything is deterministic for a given seed and traffic, and ``trace``
records every hop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from medcom_adapter import catalogue
from medcom_adapter.envelopes.vans import VansReceiptKind
from medcom_adapter.errors import RefuseCode
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.receipts import ReceiptKind
from medcom_adapter.sandbox.addressing import Address, read_address
from medcom_adapter.sandbox.counterparts import Counterpart, Outgoing, receipt_file
from medcom_adapter.sandbox.faults import FaultPlan, Faults
from medcom_adapter.sandbox.fhir import vans_receipt_file
from medcom_adapter.transport.interface import ProviderSide

SANDBOX_VANS_EAN = "5790000333332"  # the sandbox provider's own (invented) location number

# a file in transit: its bytes, where its sender sent it (else where it is addressed), and
# its routing facts when already read from these very bytes
_Carried = tuple[bytes, "str | None", "Address | None"]


@dataclass(frozen=True, slots=True)
class Hop:
    step: int
    kind: str
    envelope_id: str | None
    sender: str | None
    receiver: str | None
    fate: str  # delivered, held, dropped, unknown-receiver, unroutable


class Network:
    def __init__(
        self, *, faults: FaultPlan | None = None, vans_ean: str = SANDBOX_VANS_EAN,
        clock: Callable[[], datetime] = datetime.now, ids: IdSource | None = None,
    ) -> None:
        self.vans_ean = vans_ean
        self.faults = Faults(faults)
        self.clock = clock
        self.ids = ids or IdSource()
        self.trace: list[Hop] = []
        self.failures: list[str] = []  # a counterpart that raised, and what (a sandbox bug)
        self._mailboxes: dict[str, ProviderSide] = {}
        self._counterparts: dict[str, Counterpart] = {}
        self._held: list[tuple[int, str, bytes]] = []  # (due step, destination, data)
        self._injected: list[tuple[bytes, str | None]] = []
        self._step = 0

    def attach(self, ean: str, provider: ProviderSide) -> None:
        """Connect a mailbox (the adapter's, or anyone's) as location number ``ean``."""
        self._mailboxes[ean] = provider

    def add(self, counterpart: Counterpart) -> None:
        self._counterparts[counterpart.ean] = counterpart

    def reaches(self, ean: str) -> bool:
        return ean in self._mailboxes or ean in self._counterparts

    def inject(self, data: bytes, to: str | None = None) -> None:
        """Carry ``data`` at the next step as if a counterpart had sent it (to ``to``, else
        where it is addressed): how the certification kit plays a vendor's counterparty."""
        self._injected.append((data, to))

    @property
    def idle(self) -> bool:
        return not self._held and not self._injected

    def step(self) -> int:
        """Move everything that can move now; returns how many files were delivered."""
        self._step += 1
        queue: deque[_Carried] = deque()
        due = [h for h in self._held if h[0] <= self._step]
        self._held = [h for h in self._held if h[0] > self._step]
        moved = 0
        queue.extend((data, to, None) for data, to in self._injected)
        self._injected = []
        for _, destination, data in due:
            moved += self._deliver(destination, data, queue)
        for ean in sorted(self._mailboxes):
            for _, data in self._mailboxes[ean].collect():
                queue.append((data, None, None))
        while queue:
            data, to, known = queue.popleft()
            moved += self._route(data, to, queue, known)
        return moved

    def run(self, max_steps: int = 100) -> int:
        """Step until nothing moves and nothing is held back; returns the steps taken."""
        for n in range(1, max_steps + 1):
            if not self.step() and self.idle:
                return n
        return max_steps

    def _route(self, data: bytes, to: str | None, queue: deque[_Carried],
               known: Address | None = None) -> int:
        address = known or read_address(data)
        if address is None and to is not None and self.reaches(to):
            # not XML (an EDIFACT interchange): carried where its sender sent it
            self.trace.append(Hop(self._step, "?", None, None, to, "delivered"))
            return self._deliver(to, data, queue, "interchange.edi")
        if address is None or (to or address.receiver) is None:
            self.trace.append(Hop(self._step, "?", None, None, None, "unroutable"))
            return 0
        destination = to or address.receiver
        assert destination is not None
        hop = (self._step, address.kind, address.envelope_id, address.sender, destination)
        if not self.reaches(destination):
            self.trace.append(Hop(*hop, "unknown-receiver"))
            if not address.is_receipt and address.sender and self.reaches(address.sender):
                text = f"Modtageren {destination} er ukendt på VANS-netværket"
                answer = vans_receipt_file(
                    VansReceiptKind.NEGATIVE_VANS, address, sender=self.vans_ean,
                    now=self.clock(), text=text) if address.vans else receipt_file(
                    ReceiptKind.NEGATIVE_VANS, address, sender=self.vans_ean, now=self.clock(),
                    ids=self.ids, code=RefuseCode.UNKNOWN_LOCATION_NUMBER, text=text)
                queue.append((answer, None, None))
            return 0
        copies = self.faults.apply(address.kind, data)
        if not copies:
            self.trace.append(Hop(*hop, "dropped"))
        moved = 0
        for copy in copies:
            if copy.after_steps:
                self._held.append((self._step + copy.after_steps, destination, copy.data))
                self.trace.append(Hop(*hop, "held"))
            else:
                self.trace.append(Hop(*hop, "delivered"))
                # the routing facts go along, unless a fault changed the bytes
                moved += self._deliver(destination, copy.data, queue,
                                       f"{address.kind}_{address.envelope_id}.xml",
                                       address if copy.data is data else None)
        return moved

    def _deliver(
        self, destination: str, data: bytes, queue: deque[_Carried],
        name: str | None = None, address: Address | None = None,
    ) -> int:
        if destination in self._mailboxes:
            if name is None:
                address = read_address(data)
                name = f"{address.kind}_{address.envelope_id}.xml" if address else "file.xml"
            self._mailboxes[destination].deposit(name, data)
            return 1
        counterpart = self._counterparts[destination]
        try:
            answers: list[Outgoing] = counterpart.handle(data, self.clock(), address)
        except Exception as exc:  # one file a counterpart cannot take stops no traffic
            self.failures.append(f"{destination}: {type(exc).__name__}: {exc}")
            return 0
        source = address or read_address(data)
        if (source is not None and source.sender in self._counterparts
                and source.sender not in self._mailboxes):
            # written by another simulated system: the receipt or acknowledgement it is
            # owed, never a reply (two simulated systems would answer each other forever)
            answers = [a for a in answers if _owed(a.data)]
        # bytes a counterpart passes on unchanged (DNHF forwarding) keep their routing facts
        queue.extend((a.data, a.to, source if a.data is data else None) for a in answers)
        return 1


def _owed(data: bytes) -> bool:
    """Whether a counterpart's file is an answer owed (receipt, acknowledgement)."""
    address = read_address(data)
    return address is not None and address.kind in catalogue.ANSWERS

"""The kit's line to a vendor's system through the sandbox VANS network.

The vendor's system is a mailbox on the network at its own location number; every other
directory entry is the sandbox's counterpart (DNHF forwarding referrals to the BUP
department, the department, GP systems), as ``medcom-adapter sandbox`` runs them. The kit
puts its deliveries on the network addressed to the vendor, sees everything the vendor's
system sends (the tap on its mailbox) and lets it travel on, so the sandbox's counterparts
receive the vendor's letters and answer them as MedCom's rules say: the kit judges, the
counterparts answer. Only where a scenario scripts the answers (MedCom's Acknowledgement
receive cases) is what the vendor sends held back and answered by the kit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.sandbox.faults import FaultPlan
from medcom_adapter.sandbox.network import Hop, Network
from medcom_adapter.sandbox.standard import standard_network
from medcom_adapter.transport.interface import Parcel, ProviderSide, Received

# the catalogue's messages are addressed to this GP (Lægehuset Eksempel); on the sandbox a
# vendor's system plays it, and answers to what it sends come back to it
VENDOR_EAN = "5790000121526"


class _Tap:
    """The vendor's mailbox as the network sees it: what it sends is seen by the kit."""

    def __init__(self, provider: ProviderSide) -> None:
        self.provider = provider
        self.seen: list[bytes] = []
        self.hold = False  # the kit answers: keep what the vendor sends off the network

    def collect(self) -> list[tuple[str, bytes]]:
        taken = self.provider.collect()
        self.seen.extend(data for _, data in taken)
        return [] if self.hold else taken

    def deposit(self, name: str, data: bytes) -> None:
        self.provider.deposit(name, data)


class SandboxLine:
    """A transport for the scenario runner: ``send`` puts a file on the network for the
    vendor, ``receive`` steps the network and returns what the vendor's system sent."""

    def __init__(
        self, vendor: ProviderSide, directory: Directory, *, ean: str = VENDOR_EAN,
        faults: FaultPlan | None = None, clock: Callable[[], datetime] = datetime.now,
        where: str = "",
    ) -> None:
        if ean not in {r.ean for r in directory.receivers}:
            raise ValueError(f"location number {ean} is not in the directory")
        self.ean = ean
        self._tap = _Tap(vendor)
        # counterparts do not reply in kind: a GP's letter the kit never asked for would
        # be taken for the vendor's case
        self.network: Network = standard_network(
            directory, {ean: self._tap}, faults=faults, clock=clock, gp_replies=False)
        self.in_dir = where or f"the sandbox network's mailbox {ean}"

    @property
    def trace(self) -> list[Hop]:
        return self.network.trace

    def kit_answers(self, yes: bool) -> None:
        """Whether the kit answers what the vendor sends next (held off the network)."""
        self._tap.hold = yes

    def send(self, parcel: Parcel) -> None:
        self.network.inject(parcel.data, to=self.ean)

    def receive(self) -> Iterator[Received]:
        self.network.step()
        seen, self._tap.seen = self._tap.seen, []
        for n, data in enumerate(seen):
            yield Received(data, f"sandbox-{n}", None)

    def settle(self, received: Received) -> None:
        """Nothing to settle: the network took the file when it collected it."""


def folder_line(mailbox: Path, directory: Directory, *, ean: str = VENDOR_EAN,
                faults: FaultPlan | None = None) -> SandboxLine:
    """The line to a vendor's system whose VANS mailbox folder is ``mailbox`` (it writes
    ``out``, reads ``in``, as with ``medcom-adapter sandbox``)."""
    from medcom_adapter.transport.vans_mailbox import VansMailbox

    box = VansMailbox(mailbox)
    return SandboxLine(box.provider, directory, ean=ean, faults=faults,
                       where=f"{box.out_dir} (the sandbox network, as {ean})")

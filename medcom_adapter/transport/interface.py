"""The one small interface every transport offers.

A transport moves whole files (an OIOXML Emessage, a VANSEnvelope) between location numbers;
it never reads or changes their content. Sending is idempotent per ``Parcel.key``: handing
the same parcel over again after a crash publishes it at most once. A received file stays
with the transport until :meth:`Transport.settle` is called after the journal commit, so a
crash before that commit means the file is simply received again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Parcel:
    """One file to send, and the facts a file name may be made of (never person data).

    ``key`` identifies this send (the journal id of the outbound entry): a parcel handed over
    twice with the same key is published once.
    """

    data: bytes
    kind: str  # XREF01, XBIN02, XCTL03, VANSEnvelope, ...
    envelope_id: str
    sender: str  # location number (EAN)
    receiver: str
    key: str

    @property
    def extension(self) -> str:
        return "json" if self.data[:1] == b"{" else "xml"


@dataclass(frozen=True, slots=True)
class Received:
    """A file that arrived; ``handle`` is the transport's own token for settling it."""

    data: bytes
    name: str
    handle: object


class Transport(Protocol):
    def send(self, parcel: Parcel) -> None:
        """Publish the file, durably; the same ``parcel.key`` is published at most once."""
        ...

    def receive(self) -> Iterator[Received]:
        """Files that have arrived and are not yet settled, oldest first."""
        ...

    def settle(self, received: Received) -> None:
        """The journal has committed ``received``: archive it so it is not received again."""
        ...

    def pending(self, received: Received) -> bool:
        """Whether ``received`` is still unsettled (another reader may have settled it
        since it was read)."""
        ...


class ProviderSide(Protocol):
    """The network's end of a mailbox: what the VANS provider (or the sandbox) does."""

    def collect(self) -> list[tuple[str, bytes]]:
        """Take the files published for sending (name, bytes), oldest first."""
        ...

    def deposit(self, name: str, data: bytes) -> None:
        """Put a file into the inbox, atomically and under a name of its own."""
        ...

"""An in-process transport for tests and the in-process sandbox: nothing touches the disk."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from medcom_adapter.transport.interface import Parcel, Received


class MemoryTransport:
    """A mailbox in memory. ``provider`` is the network's side of it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._published: set[str] = set()
        self._out: list[tuple[str, bytes]] = []
        self._in: dict[str, bytes] = {}
        self._sequence = 0
        self.sent: list[Parcel] = []  # every parcel published, in order
        self.archive: list[Received] = []

    def send(self, parcel: Parcel) -> None:
        with self._lock:
            if parcel.key in self._published:
                return
            self._published.add(parcel.key)
            self.sent.append(parcel)
            self._out.append((f"{parcel.kind}_{parcel.envelope_id}.{parcel.extension}",
                              parcel.data))

    def receive(self) -> Iterator[Received]:
        with self._lock:
            pending = list(self._in.items())
        for name, data in pending:
            yield Received(data, name, name)

    def settle(self, received: Received) -> None:
        with self._lock:
            if self._in.pop(str(received.handle), None) is not None:
                self.archive.append(received)

    def pending(self, received: Received) -> bool:
        with self._lock:
            return str(received.handle) in self._in

    @property
    def provider(self) -> MemoryProvider:
        return MemoryProvider(self)

    # the provider side, used by MemoryProvider
    def _collect(self) -> list[tuple[str, bytes]]:
        with self._lock:
            taken, self._out = self._out, []
        return taken

    def _deposit(self, name: str, data: bytes) -> None:
        with self._lock:
            self._sequence += 1
            self._in[f"{self._sequence:08d}-{name}"] = data


class MemoryProvider:
    def __init__(self, mailbox: MemoryTransport) -> None:
        self._mailbox = mailbox

    def collect(self) -> list[tuple[str, bytes]]:
        return self._mailbox._collect()

    def deposit(self, name: str, data: bytes) -> None:
        self._mailbox._deposit(name, data)

"""Outbound bytes a node has built and validated itself, by SHA-256; and, until its outbox
sends them, the bytes themselves.

Building validates each message once, as it builds it (``emessage.build``: schema and our
own rules; the FHIR profile check in ``submit_fhir``), and says so by returning a
:class:`~medcom_adapter.conformance.built.Built`: the only thing :meth:`Checked.remember`
takes. The outbox validates every message again before sending,
except bytes its node's :class:`Checked` remembers, so one node does not validate the same
bytes twice. It is an object the node owns (``node.wire`` makes one and gives it to the
outbox and the inbox; whoever queues for that node passes it on), never module state: a
message queued by another process, another node, or before a restart is not remembered
and is validated again. Nothing received is ever taken from here: inbound messages are
always validated.

What is queued for the node is also *held* (:meth:`Checked.hold`) until its outbox takes it
(:meth:`Checked.take`), so the outbox sends the very bytes it built instead of reading them
back from the journal, opening and putting them together again (about 1 ms for a 273 KB
XBIN, as much as the durable write itself). The journal stays the record: the outbox claims
and reads each entry's row as before and takes from here only bytes with the digest the
journal chained for it (equal SHA-256: the same bytes, whoever appended them); anything not
held (queued elsewhere, before a restart, or let go) is read from the journal. Held bytes
are let go once taken, beyond ``hold_bytes`` (oldest first) and after ``hold_seconds``, so
a node whose outbox does not run keeps no letter in memory for long. Only messages up to
``hold_largest`` are held: a Built keeps the decoded objects it placed alive (the journal
stores them without decoding the base64 again), so holding an XBIN holds its PDF too, and
for a large one the memory counts more than the millisecond; it is read back instead.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from medcom_adapter.conformance.built import Built

HOLD_BYTES = 64 * 1024 * 1024  # about 200 referrals with a 200 KB form each
HOLD_SECONDS = 60.0  # an outbox in the same process runs every second or so
HOLD_LARGEST = 1024 * 1024  # a referral form's XBIN is a few hundred KB


class Checked:
    """Digests of bytes validated when built, forgotten once asked for (or the oldest
    first, beyond ``limit``: about 10 MB at 100 000); and built bytes held for the outbox."""

    def __init__(self, limit: int = 100_000, *, hold_bytes: int = HOLD_BYTES,
                 hold_largest: int = HOLD_LARGEST, hold_seconds: float = HOLD_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._lock = threading.Lock()  # the service queues on its threads, the loop sends
        self._digests: OrderedDict[str, None] = OrderedDict()
        self._hold_bytes, self._hold_seconds, self._clock = hold_bytes, hold_seconds, clock
        self._hold_largest = min(hold_largest, hold_bytes)
        self._held: OrderedDict[str, tuple[Built, float]] = OrderedDict()  # oldest first
        self._holding = 0  # bytes held

    def remember(self, data: Built) -> None:
        """``data`` was built and validated by this node: only a Built says so (plain
        bytes are refused, whoever says they were checked)."""
        if not isinstance(data, Built):
            raise TypeError("only a Built (bytes validated as they were built) is remembered")
        with self._lock:
            self._digests[data.digest] = None
            if len(self._digests) > self._limit:
                self._digests.popitem(last=False)

    def validated(self, digest: str) -> bool:
        """Whether the bytes with this SHA-256 (hex) were remembered, and forgets them."""
        with self._lock:
            return self._digests.pop(digest, 0) is None

    # -- bytes held for the outbox -------------------------------------------------------
    def hold(self, data: Built) -> None:
        """Keep ``data`` (about to be queued for this node) for its outbox to take."""
        if not isinstance(data, Built):
            raise TypeError("only a Built (bytes this node built) is held for its outbox")
        if len(data) > self._hold_largest:
            return
        with self._lock:
            self._let_go(self._held.pop(data.digest, None))
            self._held[data.digest] = (data, self._clock())
            self._holding += len(data)
            self._expire()

    def release(self, data: Built) -> None:
        """Let ``data`` go unsent (its queueing failed)."""
        with self._lock:
            self._let_go(self._held.pop(data.digest, None))

    def take(self, digest: str) -> Built | None:
        """The held bytes with this SHA-256 (hex), let go as they are taken; None if none."""
        with self._lock:
            self._expire()
            held = self._held.pop(digest, None)
            self._let_go(held)
            return None if held is None else held[0]

    def holding(self) -> bool:
        """Whether any bytes are held (the outbox looks here first only then)."""
        with self._lock:
            self._expire()
            return bool(self._held)

    def _let_go(self, held: tuple[Built, float] | None) -> None:
        if held is not None:
            self._holding -= len(held[0])

    def _expire(self) -> None:
        oldest = self._clock() - self._hold_seconds
        while self._held:
            _, at = next(iter(self._held.values()))
            if at > oldest and self._holding <= self._hold_bytes:
                return
            self._let_go(self._held.popitem(last=False)[1])

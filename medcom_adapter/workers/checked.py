"""Outbound bytes a node has built and validated itself, by SHA-256; and, until its outbox
takes them, the bytes themselves.

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

What is queued for the node through ``Prepared.queue`` (referrals, KMs, CareCommunications)
is also *held* (:meth:`Checked.hold`) until its outbox takes it (:meth:`Checked.take`), so
the outbox sends the very bytes it built instead of reading them back from the journal,
opening and putting them together again (about 1 ms for a 273 KB XBIN, as much as the
durable write itself). The journal stays the record: bytes are held by the journal id they
were queued as, and the outbox, which claims and reads each entry's row as before, takes
them only for that id and only if the row's chained digest is theirs; anything else (queued
elsewhere or before a restart, a receipt the inbox queued, a resend, bytes let go) is read
from the journal and checked against that digest. Held bytes are let go once taken and after
``hold_seconds`` (the node's worker loop lets them go every round, whether its outbox runs
or not); beyond ``hold_bytes`` (counting the decoded objects they keep alive) the newest are
not held. The outbox sends the oldest first, so what is held is what it needs next: letting
the oldest go to hold the newest would, behind a backlog longer than the budget, let every
message go before its turn and leave the outbox reading each one back. Only messages up
to ``hold_largest`` are held: a Built keeps the decoded objects it placed alive (the
journal stores them without decoding the base64 again), so holding an XBIN holds its PDF
too, and for a large one the memory counts more than the millisecond.

A held message goes out even if its stored copy was damaged after it was written (the row's
digest and id still match): the bytes are those built and validated here, and the damage is
found by the next read of the entry or ``verify``, as for any message already sent.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from medcom_adapter.conformance.built import Built

HOLD_BYTES = 64 * 1024 * 1024  # about 130 referrals with a 200 KB form (XBIN and its PDF)
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
        self._held: OrderedDict[int, tuple[Built, int, float]] = OrderedDict()  # by journal id
        self._holding = 0  # bytes held, with the objects they placed

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
    def hold(self, id: int, data: Built) -> None:
        """Keep ``data``, just queued for this node as journal entry ``id``, for its outbox."""
        if not isinstance(data, Built):
            raise TypeError("only a Built (bytes this node built) is held for its outbox")
        size = _size(data)
        if size > self._hold_largest:
            return
        with self._lock:
            self._let_go(self._held.pop(id, None))
            self._expire()
            if self._holding + size > self._hold_bytes:
                return  # full: what is held goes out before this (see above)
            self._held[id] = (data, size, self._clock())
            self._holding += size

    def take(self, id: int, digest: str) -> Built | None:
        """The bytes held for journal entry ``id`` if the journal chained them for it (their
        SHA-256, hex, is ``digest``); None otherwise. Let go either way: bytes held for an
        id whose entry says other bytes (an undone transaction's, its id taken again, or a
        row changed outside the journal) are never right for it."""
        with self._lock:
            self._expire()
            held = self._held.pop(id, None)
            self._let_go(held)
            return held[0] if held is not None and held[0].digest == digest else None

    def holding(self) -> bool:
        """Whether any bytes are held (the outbox looks here first only then)."""
        with self._lock:
            self._expire()
            return bool(self._held)

    def expire(self) -> None:
        """Let go what was held too long; the node's worker loop calls it every round, so
        nothing stays beyond ``hold_seconds`` and a round, whether its outbox runs or not."""
        with self._lock:
            self._expire()

    def _let_go(self, held: tuple[Built, int, float] | None) -> None:
        if held is not None:
            self._holding -= held[1]

    def _expire(self) -> None:
        oldest = self._clock() - self._hold_seconds
        while self._held:
            _, _, at = next(iter(self._held.values()))
            if at > oldest:
                return
            self._let_go(self._held.popitem(last=False)[1])


def _size(data: Built) -> int:
    """What holding ``data`` keeps in memory: its bytes and the decoded objects it placed."""
    return len(data) + sum(len(p.data) for p in data.placed)

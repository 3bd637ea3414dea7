"""Outbound bytes a node has built and validated itself, by SHA-256.

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
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from medcom_adapter.conformance.built import Built


class Checked:
    """Digests of bytes validated when built, forgotten once asked for (or the oldest
    first, beyond ``limit``: about 10 MB at 100 000)."""

    def __init__(self, limit: int = 100_000) -> None:
        self._limit = limit
        self._lock = threading.Lock()  # the service queues on its threads, the loop sends
        self._digests: OrderedDict[str, None] = OrderedDict()

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

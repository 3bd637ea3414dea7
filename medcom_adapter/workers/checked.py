"""Outbound bytes a node has built and validated itself, by SHA-256.

Submitting validates each built message once, on its bytes (``submit._checked``: schema
and MedCom rules; the FHIR profile check in ``submit_fhir``), and the inbox validates each
receipt it builds as it builds it. The outbox validates every message again before sending,
except bytes its node's :class:`Checked` remembers, so one node does not validate the same
bytes twice. It is an object the node owns (``node.wire`` makes one and gives it to the
outbox and the inbox; whoever queues for that node passes it on), never module state: a
message queued by another process, another node, or before a restart is not remembered
and is validated again. Nothing received is ever taken from here: inbound messages are
always validated.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict


class Checked:
    """Digests of bytes validated when built, forgotten once asked for (or the oldest
    first, beyond ``limit``: about 10 MB at 100 000)."""

    def __init__(self, limit: int = 100_000) -> None:
        self._limit = limit
        self._lock = threading.Lock()  # the service queues on its threads, the loop sends
        self._digests: OrderedDict[str, None] = OrderedDict()

    def remember(self, data: bytes) -> None:
        """``data`` was built and validated by this node."""
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            self._digests[digest] = None
            if len(self._digests) > self._limit:
                self._digests.popitem(last=False)

    def validated(self, digest: str) -> bool:
        """Whether the bytes with this SHA-256 (hex) were remembered, and forgets them."""
        with self._lock:
            return self._digests.pop(digest, 0) is None

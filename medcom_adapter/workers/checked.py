"""Outbound bytes this process has built and validated itself, by SHA-256.

Building a message validates it (``emessage.build``, the FHIR profile check in
``submit_fhir``); the outbox validates every message again before sending, except bytes
remembered here, so one process does not validate the same bytes twice. A message queued by
another process, or before a restart, is not remembered and is validated again. Nothing
received is ever taken from here: inbound messages are always validated.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

_LIMIT = 100_000  # digests kept (about 10 MB); the oldest are forgotten first
_lock = threading.Lock()
_digests: OrderedDict[str, None] = OrderedDict()


def remember(data: bytes) -> None:
    """``data`` was built and validated in this process."""
    digest = hashlib.sha256(data).hexdigest()
    with _lock:
        _digests[digest] = None
        if len(_digests) > _LIMIT:
            _digests.popitem(last=False)


def validated(digest: str) -> bool:
    """Whether the bytes with this SHA-256 (hex) were remembered, and forgets them."""
    with _lock:
        return _digests.pop(digest, 0) is None

"""One-time launch URLs: a signed, expiring reference to a context held server side.

A token is ``<reference>.<expiry>.<signature>``: the reference is random and names an entry
in this store, never the patient; the HMAC-SHA256 signature makes forging or altering a
token detectable before the store is looked at. Redeeming removes the entry, so a second
use fails as ``used``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from datetime import datetime

from medcom_adapter.errors import LaunchRefused
from medcom_adapter.service.context import LaunchContext


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class LaunchTokens:
    def __init__(self, secret: bytes, ttl_seconds: float, clock: Callable[[], datetime]) -> None:
        self._secret = secret
        self._ttl = ttl_seconds
        self._clock = clock
        self._pending: dict[str, tuple[float, LaunchContext]] = {}
        self._lock = threading.Lock()

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, context: LaunchContext) -> tuple[str, datetime]:
        """A new token for ``context`` and when it expires."""
        now = self._clock().timestamp()
        expires = int(now + self._ttl)
        reference = secrets.token_urlsafe(18)
        payload = f"{reference}.{expires}"
        with self._lock:
            self._forget_expired(now)
            self._pending[reference] = (expires, context)
        when = datetime.fromtimestamp(expires, self._clock().tzinfo)
        return f"{payload}.{self._sign(payload)}", when

    def redeem(self, token: str) -> LaunchContext:
        parts = token.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            raise LaunchRefused("invalid", "launch token is malformed")
        payload = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._sign(payload), parts[2]):
            raise LaunchRefused("invalid", "launch token signature does not match")
        now = self._clock().timestamp()
        with self._lock:
            entry = self._pending.pop(parts[0], None)
            self._forget_expired(now)
        if int(parts[1]) <= now:
            raise LaunchRefused("expired", "launch token has expired")
        if entry is None:
            raise LaunchRefused("used", "launch token was already used")
        return entry[1]

    def _forget_expired(self, now: float) -> None:
        for ref in [r for r, (exp, _) in self._pending.items() if exp <= now]:
            del self._pending[ref]

"""One-time launch URLs: a signed, expiring reference to a context held in the shared store.

A token is ``<reference>.<expiry>.<signature>``: the reference is random and names an entry
in the journal's shared store (filed under its hash, the context encrypted), never the
patient; the HMAC-SHA256 signature makes forging or altering a token detectable before the
store is looked at. Redeeming removes the entry, so a second use fails as ``used``, in this
process or any other on the same journal.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime

from medcom_adapter.errors import LaunchRefused
from medcom_adapter.journal.shared import SharedState
from medcom_adapter.service.context import LaunchContext


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class LaunchTokens:
    def __init__(self, store: SharedState, secret: bytes, ttl_seconds: float,
                 clock: Callable[[], datetime]) -> None:
        self._store = store
        self._secret = secret
        self._ttl = ttl_seconds
        self._clock = clock

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest())

    def issue(self, context: LaunchContext) -> tuple[str, datetime]:
        """A new token for ``context`` and when it expires (StoreFull when too many wait)."""
        now = self._clock()
        expires = int(now.timestamp() + self._ttl)
        when = datetime.fromtimestamp(expires, now.tzinfo)
        reference = secrets.token_urlsafe(18)
        self._store.put_launch(reference, context.to_json(), when, now)
        payload = f"{reference}.{expires}"
        return f"{payload}.{self._sign(payload)}", when

    def redeem(self, token: str) -> LaunchContext:
        parts = token.split(".")
        if len(parts) != 3 or not parts[1].isdigit() or len(parts[1]) > 12:
            raise LaunchRefused("invalid", "launch token is malformed")
        payload = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._sign(payload), parts[2]):
            raise LaunchRefused("invalid", "launch token signature does not match")
        entry = self._store.take_launch(parts[0])
        if int(parts[1]) <= self._clock().timestamp():
            raise LaunchRefused("expired", "launch token has expired")
        if entry is None:
            raise LaunchRefused("used", "launch token was already used")
        return LaunchContext.from_json(entry[0])


def redact(path: str) -> str:
    """A request path fit for a log line: a launch token's secret parts cut off."""
    if path.startswith("/launch/"):
        return "/launch/" + path[len("/launch/"):].split(".")[0][:6] + "..."
    return path


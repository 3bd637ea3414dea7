"""API keys per case system: hashed in the journal's shared store, scoped to units, revocable.

A key reads ``mca_<id>_<secret>``: the id finds the entry, the secret (32 random bytes) is
compared by hash in constant time. A 256-bit random secret needs no slow password hash.
Every check reads the store, so a key revoked or added by ``medcom-adapter api-key`` counts
on the next request in every ``serve`` process on that journal.

A key belongs to one case system and names the units (SOR, and EAN where known) it may act
for; every read, search, export, inbound poll, webhook and launch is confined to them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from medcom_adapter.journal.shared import KeyRecord, SharedState, Unit
from medcom_adapter.workers.signing import check_webhook_url

# journal: a launch may open the unit's whole journal (search by any child), not only the
# launched child's messages.
SCOPES = ("launch", "send", "read", "export", "inbound", "journal")
DEFAULT_SCOPES = ("launch", "send", "read", "export", "inbound")

ApiKey = KeyRecord


def _now() -> datetime:
    return datetime.now(UTC)


class ApiKeys:
    def __init__(self, store: SharedState, clock: Callable[[], datetime] = _now) -> None:
        self._store = store
        self._clock = clock

    def add(self, name: str, units: Sequence[Unit], scopes: Sequence[str] = DEFAULT_SCOPES
            ) -> tuple[KeyRecord, str]:
        """A new key for ``name`` acting for ``units``; the plaintext is returned once and
        never stored."""
        unknown = set(scopes) - set(SCOPES)
        if unknown:
            raise ValueError(f"unknown scope(s): {', '.join(sorted(unknown))}")
        if not units:
            raise ValueError("a key acts for at least one unit (--unit SOR[:EAN])")
        if not name or any(c.isspace() for c in name) or len(name) > 100:
            raise ValueError("a case system's name is one word of at most 100 characters")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        key = KeyRecord(key_id, name, _digest(secret), tuple(dict.fromkeys(scopes)),
                        tuple(dict.fromkeys(units)), self._clock())
        self._store.add_key(key)
        return key, f"mca_{key_id}_{secret}"

    def revoke(self, key_id: str) -> None:
        if not self._store.revoke_key(key_id, self._clock()):
            raise KeyError(key_id)

    def set_webhook(self, key_id: str, url: str | None) -> str | None:
        """Push received correspondence to ``url`` (None: stop); returns the new signing
        secret, shown once to give to the case system."""
        if url is not None:
            check_webhook_url(url)  # https, or http to this machine only
        secret = WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32) if url else None
        if not self._store.set_webhook(key_id, url, secret):
            raise KeyError(key_id)
        return secret

    def webhooks(self) -> tuple[KeyRecord, ...]:
        """Live keys that take received correspondence by webhook."""
        return tuple(k for k in self._store.all_keys() if not k.revoked and "inbound" in k.scopes
                     and k.webhook_url and k.webhook_secret)

    def check(self, presented: str, scope: str) -> KeyRecord | None:
        """The key if ``presented`` is a live key holding ``scope``; None otherwise."""
        key = self.find(presented)
        return key if key is not None and scope in key.scopes else None

    def find(self, presented: str) -> KeyRecord | None:
        """The live key ``presented`` names, whatever its scopes (to tell 401 from 403)."""
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != "mca" or len(parts[1]) != 12:
            return None
        key = self._store.key(parts[1])
        if key is None or key.revoked or not hmac.compare_digest(key.digest, _digest(parts[2])):
            return None
        return key

    def live(self, key_id: str) -> KeyRecord | None:
        """The key by id while it is not revoked (sessions launched by it end with it)."""
        key = self._store.key(key_id)
        return None if key is None or key.revoked else key

    def all(self) -> tuple[KeyRecord, ...]:
        return tuple(self._store.all_keys())


WEBHOOK_SECRET_PREFIX = "whsec_"


def signing_key(secret: str) -> bytes:
    """The HMAC key of a webhook secret: the secret as printed, its UTF-8 bytes, so a case
    system uses it as it is given. Secrets from before the ``whsec_`` form (64 hex digits)
    keep meaning the 32 bytes they spell, so configured case systems go on verifying."""
    if not secret.startswith(WEBHOOK_SECRET_PREFIX) and len(secret) == 64:
        try:
            return bytes.fromhex(secret)
        except ValueError:
            pass
    return secret.encode("utf-8")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()

"""API keys per case system: stored as SHA-256 hashes, scoped, revocable.

A key reads ``mca_<id>_<secret>``: the id finds the entry, the secret (32 random bytes) is
compared by hash in constant time. A 256-bit random secret needs no slow password hash.
The store can be saved to and loaded from a JSON file (``medcom-adapter serve keys ...``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass, replace
from pathlib import Path

SCOPES = ("launch", "send", "read", "export", "inbound")


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str  # the case system, e.g. "sbsys-eksempel-kommune"
    scopes: tuple[str, ...]
    digest: str
    revoked: bool = False
    # where received correspondence is pushed, and the secret it is signed with (kept in the
    # key file: signing needs it; the case system holds the same secret to verify)
    webhook_url: str | None = None
    webhook_secret: str | None = None  # see signing_key

    @property
    def webhook_key(self) -> bytes | None:
        return signing_key(self.webhook_secret) if self.webhook_secret else None


class ApiKeys:
    def __init__(self, keys: tuple[ApiKey, ...] = ()) -> None:
        self._keys = {k.id: k for k in keys}

    def add(self, name: str, scopes: tuple[str, ...] = SCOPES) -> tuple[ApiKey, str]:
        """A new key for ``name``; the plaintext is returned once and never stored."""
        unknown = set(scopes) - set(SCOPES)
        if unknown:
            raise ValueError(f"unknown scope(s): {', '.join(sorted(unknown))}")
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        key = ApiKey(key_id, name, tuple(scopes), _digest(secret))
        self._keys[key_id] = key
        return key, f"mca_{key_id}_{secret}"

    def revoke(self, key_id: str) -> None:
        self._keys[key_id] = replace(self._keys[key_id], revoked=True)

    def set_webhook(self, key_id: str, url: str | None) -> str | None:
        """Push received correspondence to ``url`` (None: stop); returns the new signing
        secret, shown once to give to the case system."""
        if url is not None and not url.startswith(("https://", "http://")):
            raise ValueError(f"webhook {url!r} is not an http(s) URL")
        secret = WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32) if url else None
        self._keys[key_id] = replace(self._keys[key_id], webhook_url=url, webhook_secret=secret)
        return secret

    def webhooks(self) -> tuple[ApiKey, ...]:
        """Live keys that take received correspondence by webhook."""
        return tuple(k for k in self._keys.values() if not k.revoked and "inbound" in k.scopes
                     and k.webhook_url and k.webhook_secret)

    def check(self, presented: str, scope: str) -> ApiKey | None:
        """The key if ``presented`` is a live key holding ``scope``; None otherwise."""
        key = self.find(presented)
        return key if key is not None and scope in key.scopes else None

    def find(self, presented: str) -> ApiKey | None:
        """The live key ``presented`` names, whatever its scopes (to tell 401 from 403)."""
        parts = presented.split("_", 2)
        key = self._keys.get(parts[1]) if len(parts) == 3 and parts[0] == "mca" else None
        if key is None or key.revoked or not hmac.compare_digest(key.digest, _digest(parts[2])):
            return None
        return key

    def all(self) -> tuple[ApiKey, ...]:
        return tuple(self._keys.values())

    def save(self, path: Path) -> None:
        data = {"keys": [{**asdict(k), "scopes": list(k.scopes)} for k in self._keys.values()]}
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")
        path.chmod(0o600)

    @classmethod
    def load(cls, path: Path) -> ApiKeys:
        if not path.exists():
            return cls()
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(tuple(ApiKey(**{**k, "scopes": tuple(k["scopes"])}) for k in raw["keys"]))


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

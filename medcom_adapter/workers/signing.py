"""Signed deliveries to a case system: the header, how it is made, how it is checked.

The header ``X-MedCom-Signature: t=<unix time>,v1=<hex>`` carries an HMAC-SHA256 over
``"<t>." + body`` with a secret shared with the case system. The service's webhooks (one
per API key) and ``run``/``poll --webhook`` sign alike, so a case system checks both the
same way. :func:`verify` is the receiver's check: whatever the header holds it answers True
or False, never raises.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re

HEADER = "X-MedCom-Signature"
_TIMESTAMP = re.compile(r"[0-9]{1,10}")  # unix seconds until the year 2286


def sign(body: bytes, secret: bytes, timestamp: int) -> str:
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(body: bytes, header: str, secret: bytes, *, now: float,
           tolerance_seconds: float = 300) -> bool:
    """Whether ``header`` signs ``body`` under ``secret`` within ``tolerance_seconds``."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
    except ValueError:
        return False
    t = fields.get("t", "")
    if not _TIMESTAMP.fullmatch(t):
        return False
    timestamp = int(t)
    if abs(now - timestamp) > tolerance_seconds:
        return False
    presented = f"t={timestamp},v1={fields.get('v1', '')}"
    # bytes: compare_digest refuses str holding other than ASCII
    return hmac.compare_digest(sign(body, secret, timestamp).encode("ascii"),
                               presented.encode("utf-8", "replace"))


def check_webhook_url(url: str) -> str:
    """``url`` if a child's letters may be posted to it: https, or plain http to this machine
    only (loopback); ValueError saying why otherwise."""
    import httpx

    if any(c.isspace() for c in url):
        raise ValueError(f"webhook {url!r} holds white space")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValueError(f"webhook {url!r} is not a valid URL ({exc})") from None
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise ValueError(f"webhook {url!r} is not an http(s) URL with a host")
    if parsed.scheme == "http" and not _loopback(parsed.host):
        raise ValueError(f"webhook {url!r}: the body carries a child's letter and CPR number; "
                         "use https (plain http only to this machine, e.g. http://127.0.0.1)")
    return url


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

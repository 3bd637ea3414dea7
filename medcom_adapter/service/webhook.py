"""Inbound correspondence pushed to a case system's webhook, signed so it can trust it.

The body is the same JSON object the polling endpoint (``GET /api/inbound``) returns for a
message. The header ``X-MedCom-Signature: t=<unix time>,v1=<hex>`` carries an HMAC-SHA256
over ``"<t>." + body`` with the secret shared with that case system; the receiver checks it
with :func:`verify` (or the same three lines in its own language) and refuses old
timestamps, so a captured delivery cannot be replayed later. The inbox worker calls
:func:`deliver` after journaling a message; a failed delivery is retried by the worker,
and polling remains available as the fallback.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx

from medcom_adapter.journal.interface import StoredMessage

HEADER = "X-MedCom-Signature"


def payload(m: StoredMessage) -> bytes:
    return json.dumps({
        "id": m.id, "kind": m.message.kind, "version": m.message.version,
        "patient_cpr": str(m.message.patient) if m.message.patient else None,
        "episode_id": m.message.episode_id, "sender_sor": m.message.sender_sor,
        "data_base64": base64.b64encode(m.message.data).decode("ascii"),
    }, ensure_ascii=False).encode("utf-8")


def sign(body: bytes, secret: bytes, timestamp: int) -> str:
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(body: bytes, header: str, secret: bytes, *, now: float,
           tolerance_seconds: float = 300) -> bool:
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    presented = f"t={timestamp},v1={fields.get('v1', '')}"
    return hmac.compare_digest(sign(body, secret, timestamp), presented)


def deliver(client: httpx.Client, url: str, secret: bytes, m: StoredMessage, *,
            now: float) -> bool:
    """POST the message to ``url``; True when the case system answered 2xx."""
    body = payload(m)
    try:
        response = client.post(url, content=body, headers={
            "content-type": "application/json", HEADER: sign(body, secret, int(now))})
    except httpx.HTTPError:
        return False
    return response.is_success

"""Inbound correspondence pushed to a case system's webhook, signed so it can trust it.

The body is the same JSON object the polling endpoint (``GET /api/inbound``) returns for a
message. The header ``X-MedCom-Signature: t=<unix time>,v1=<hex>`` carries an HMAC-SHA256
over ``"<t>." + body`` with the secret shared with that case system (its UTF-8 bytes as
printed, ``whsec_...``: :func:`.apikeys.signing_key`); the receiver checks it
with :func:`verify` (or the same three lines in its own language) and refuses old
timestamps, so a captured delivery cannot be replayed later. ``Idempotency-Key`` names the
delivery: the same message may come twice (a retry), never as two deliveries.

:class:`CaseSystemWebhooks` is the inbox worker's delivery hook in ``serve``: every
received KM goes to each API key with the ``inbound`` scope and a webhook
(``medcom-adapter api-key webhook KEY_ID URL``). Anything but a 2xx fails the delivery,
the inbox keeps the message and tries again next round; polling remains the fallback.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable

import httpx

from medcom_adapter.errors import TransportFailure
from medcom_adapter.journal import actors
from medcom_adapter.journal.interface import Journal, StoredMessage, belongs
from medcom_adapter.service.apikeys import ApiKeys, signing_key
from medcom_adapter.service.forms import KM_KINDS
from medcom_adapter.workers.hooks import Delivery
from medcom_adapter.workers.signing import HEADER, sign, verify

__all__ = ["HEADER", "CaseSystemWebhooks", "deliver", "payload", "sign", "verify"]
log = logging.getLogger(__name__)


def payload(m: StoredMessage) -> bytes:
    return json.dumps({
        "id": m.id, "kind": m.message.kind, "version": m.message.version,
        "patient_cpr": str(m.message.patient) if m.message.patient else None,
        "episode_id": m.message.episode_id, "sender_sor": m.message.sender_sor,
        "data_base64": base64.b64encode(m.message.data).decode("ascii"),
    }, ensure_ascii=False).encode("utf-8")


def deliver(client: httpx.Client, url: str, secret: bytes, m: StoredMessage, *,
            now: float, idempotency_key: str | None = None) -> bool:
    """POST the message to ``url``; True when the case system answered 2xx."""
    body = payload(m)
    headers = {"content-type": "application/json", HEADER: sign(body, secret, int(now))}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    try:
        response = client.post(url, content=body, headers=headers)
    except (httpx.HTTPError, httpx.InvalidURL):  # a URL stored before it was checked
        return False
    return response.is_success


class CaseSystemWebhooks:
    """The inbox's hook: each received KM, signed, to every case system with a webhook."""

    def __init__(self, keys: ApiKeys, journal: Journal, *, client: httpx.Client | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._keys = keys
        self._journal = journal
        self._client = client or httpx.Client(timeout=10.0)
        self._clock = clock

    def __call__(self, delivery: Delivery) -> None:
        """Push to every live key with a webhook that acts for the unit it was sent to."""
        targets = self._keys.webhooks() if delivery.kind in KM_KINDS else ()
        if not targets:
            return  # nothing to push; case systems poll GET /api/inbound
        stored = self._journal.get(delivery.journal_id, actor=actors.worker("webhook"))
        for key in (k for k in targets if belongs(stored.message, k.units)):
            assert key.webhook_url is not None and key.webhook_secret is not None
            delivered = deliver(self._client, key.webhook_url, signing_key(key.webhook_secret),
                                stored,
                                now=self._clock(), idempotency_key=delivery.delivery_id)
            log.log(logging.INFO if delivered else logging.WARNING,
                    "webhook of %s %s", key.name, "took it" if delivered else "refused it",
                    extra={"fields": {"journal_id": delivery.journal_id, "case_system": key.name,
                                      "delivery_id": delivery.delivery_id,
                                      "envelope_id": stored.message.envelope_id}})
            if not delivered:
                raise TransportFailure(f"the webhook of {key.name} did not take delivery"
                                       f" {delivery.delivery_id}")

"""Where received messages go: the case system's hook.

A hook is any callable taking a :class:`Delivery`. It may be called more than once for the
same delivery if the process dies between delivering and journaling that it delivered, so
it must treat ``delivery_id`` as an idempotency key (the built-in hooks do). Options:

- a Python entry point, ``package.module:function`` (:func:`python_hook`);
- a webhook (:class:`Webhook`): an HTTP POST of JSON with the message base64-encoded, the
  delivery id in the ``Idempotency-Key`` header and signed as the service's webhooks are
  (``X-MedCom-Signature``, :mod:`.signing`) with the secret in ``MEDCOM_WEBHOOK_SECRET`` or
  the file ``MEDCOM_WEBHOOK_SECRET_FILE`` names; https only (http to this machine only);
  anything but a 2xx is a failed delivery and is tried again on the next poll;
- a folder (:class:`FolderHook`), one file per delivery, written atomically.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from medcom_adapter.errors import InvalidConfiguration, TransportFailure
from medcom_adapter.private_files import write_private
from medcom_adapter.workers.signing import HEADER, check_webhook_url, sign


@dataclass(frozen=True, slots=True)
class Delivery:
    delivery_id: str  # stable for one received message: "<sender EAN>:<message id>"
    journal_id: int
    kind: str
    version: str
    sender: str | None
    receiver: str | None
    envelope_id: str
    message_id: str
    data: bytes
    message: Any = None  # the parsed model, when there is one

    def as_json(self) -> dict[str, object]:
        return {"delivery_id": self.delivery_id, "journal_id": self.journal_id,
                "kind": self.kind, "version": self.version, "sender": self.sender,
                "receiver": self.receiver, "envelope_id": self.envelope_id,
                "message_id": self.message_id,
                "data": base64.b64encode(self.data).decode("ascii")}


class Hook(Protocol):
    def __call__(self, delivery: Delivery) -> None: ...


def python_hook(spec: str) -> Callable[[Delivery], None]:
    """The function named ``package.module:function``."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise InvalidConfiguration(f"hook {spec!r}: expected package.module:function")
    try:
        function = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise InvalidConfiguration(f"hook {spec!r}: {exc}") from exc
    if not callable(function):
        raise InvalidConfiguration(f"hook {spec!r} is not callable")
    return function  # type: ignore[no-any-return]


SECRET_ENV = "MEDCOM_WEBHOOK_SECRET"
SECRET_FILE_ENV = "MEDCOM_WEBHOOK_SECRET_FILE"


def webhook_secret(environ: Mapping[str, str] = os.environ) -> bytes:
    """The secret ``--webhook`` signs with: the file ``MEDCOM_WEBHOOK_SECRET_FILE`` names, or
    ``MEDCOM_WEBHOOK_SECRET``; its UTF-8 bytes as written (surrounding white space dropped)."""
    path = environ.get(SECRET_FILE_ENV)
    try:
        text = Path(path).read_text(encoding="utf-8") if path else environ.get(SECRET_ENV, "")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidConfiguration(f"{SECRET_FILE_ENV}: cannot read {path}: "
                                   f"{type(exc).__name__}") from None
    secret = text.strip().encode("utf-8")
    if len(secret) < 16:
        raise InvalidConfiguration(
            f"a webhook signs each letter: set {SECRET_FILE_ENV} (a file holding the secret "
            f"shared with the case system) or {SECRET_ENV}, at least 16 characters")
    return secret


class Webhook:
    def __init__(self, url: str, *, secret: bytes, timeout: float = 10.0, client: Any = None,
                 clock: Callable[[], float] = time.time) -> None:
        import httpx

        try:
            self.url = check_webhook_url(url)
        except ValueError as exc:
            raise InvalidConfiguration(str(exc)) from None
        if not secret:
            raise InvalidConfiguration("a webhook needs the secret it signs with")
        self._secret = secret
        self._clock = clock
        self._client = client or httpx.Client(timeout=timeout)

    def __call__(self, delivery: Delivery) -> None:
        import httpx

        body = json.dumps(delivery.as_json()).encode("utf-8")
        headers = {"content-type": "application/json", "Idempotency-Key": delivery.delivery_id,
                   HEADER: sign(body, self._secret, int(self._clock()))}
        try:
            response = self._client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise TransportFailure(f"webhook {self.url}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise TransportFailure(f"webhook {self.url} answered {response.status_code}")


class FolderHook:
    """Writes each delivery to ``folder/<journal id>_<kind>.<ext>`` (no CPR in the name),
    readable by its owner only; rewriting the same delivery is harmless."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def __call__(self, delivery: Delivery) -> None:
        ext = "json" if delivery.data[:1] == b"{" else "xml"
        target = self.folder / f"{delivery.journal_id:08d}_{delivery.kind}.{ext}"
        # a temporary name of its own: two workers delivering the same letter never share one
        write_private(target, delivery.data, replace=True)


class CollectingHook:
    """Keeps deliveries in memory, once per delivery id (tests, the demo)."""

    def __init__(self) -> None:
        self.deliveries: dict[str, Delivery] = {}
        self.calls = 0

    def __call__(self, delivery: Delivery) -> None:
        self.calls += 1
        self.deliveries.setdefault(delivery.delivery_id, delivery)

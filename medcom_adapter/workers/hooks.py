"""Where received messages go: the case system's hook.

A hook is any callable taking a :class:`Delivery`. It may be called more than once for the
same delivery if the process dies between delivering and journaling that it delivered, so
it must treat ``delivery_id`` as an idempotency key (the built-in hooks do). Options:

- a Python entry point, ``package.module:function`` (:func:`python_hook`);
- a webhook (:class:`Webhook`): an HTTP POST of JSON with the message base64-encoded and the
  delivery id in the ``Idempotency-Key`` header; anything but a 2xx is a failed delivery and
  is tried again on the next poll;
- a folder (:class:`FolderHook`), one file per delivery, written atomically.
"""

from __future__ import annotations

import base64
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from medcom_adapter.errors import InvalidConfiguration, TransportFailure
from medcom_adapter.private_files import write_private


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


class Webhook:
    def __init__(self, url: str, *, timeout: float = 10.0, client: Any = None) -> None:
        import httpx

        if not url.startswith(("https://", "http://")):
            raise InvalidConfiguration(f"webhook {url!r} is not an http(s) URL")
        self.url = url
        self._client = client or httpx.Client(timeout=timeout)

    def __call__(self, delivery: Delivery) -> None:
        import httpx

        try:
            response = self._client.post(self.url, json=delivery.as_json(),
                                         headers={"Idempotency-Key": delivery.delivery_id})
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

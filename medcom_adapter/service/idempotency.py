"""``Idempotency-Key`` on the API's sends: a repeat gets the first answer, nothing is sent twice.

A case system that lost the answer to ``POST /api/referrals`` or ``/api/km`` (a timeout, a
restart) posts again with the same key. Keys belong to the API key that sent them; the
journal keeps, per key, the digest of the request (its path and its body as parsed, so
the order of JSON fields does not matter) and the answer, written in the same transaction
as the messages it queued. So across every ``serve`` process on one journal:

- the same key with the same request answers what the first answered (``201``, the same
  journal ids) and queues nothing (``Idempotent-Replayed: true`` says so);
- the same key with another request is refused (422 ``api.idempotency-mismatch``);
- two requests racing with one key queue once: the second waits for the first's commit,
  finds the key taken and rolls its own messages back.

A send that was refused (4xx, 5xx) is not remembered: it queued nothing, so posting it
again (corrected) under the same key is a first send.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from medcom_adapter.journal.interface import Journal
from medcom_adapter.journal.shared import Remembered
from medcom_adapter.service.problems import ApiProblem

HEADER = "Idempotency-Key"
PATTERN = r"^[\x21-\x7e]{1,255}$"  # visible ASCII, as the header's draft standard allows
REPLAYED = "Idempotent-Replayed"
Out = TypeVar("Out", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Once:
    """One send under an idempotency key: whose key, the key's digest, the request's."""

    scope: str  # the API key's id
    key: str
    request: str


class _Taken(Exception):
    def __init__(self, earlier: Remembered) -> None:
        self.earlier = earlier


def once(value: str | None, *, key_id: str, path: str, body: BaseModel) -> Once | None:
    """The send's idempotency, when the request carries the header."""
    if value is None:
        return None
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False)
    return Once(key_id, _digest(value), _digest(f"{path}\n{canonical}"))


def replay(journal: Journal, send: Once) -> JSONResponse | None:
    """The first answer under the key, for a repeat of its request; None for a first send;
    ``api.idempotency-mismatch`` for another request."""
    earlier = journal.shared.remembered(send.scope, send.key)
    if earlier is None:
        return None
    return answer(earlier, send)


def answer(earlier: Remembered, send: Once) -> JSONResponse:
    if earlier.request != send.request:
        raise ApiProblem("api.idempotency-mismatch", detail=(
            f"this {HEADER} was used with another request; a new request needs a new key"))
    return JSONResponse(json.loads(earlier.response), status_code=earlier.status,
                        headers={REPLAYED: "true"})


def queue_once(journal: Journal, send: Once, queue: Callable[[], Sequence[int]],
               respond: Callable[[Sequence[int]], Out], *, status: int,
               now: datetime) -> Out | JSONResponse:
    """Queue and remember the answer in one commit; if another send holds the key by then,
    roll this one's messages back and answer as the earlier send did."""
    try:
        with journal.atomic():
            out = respond(queue())
            earlier = journal.shared.remember(
                send.scope, send.key, Remembered(send.request, status, out.model_dump_json()),
                now)
            if earlier is not None:
                raise _Taken(earlier)  # nothing of this send is committed
    except _Taken as taken:
        return answer(taken.earlier, send)
    return out


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()

"""A message's statuses and the one table of the transitions between them.

The journal keeps a status per message and enforces this table: a change of status names
the status it leaves (compare-and-set), and a change the table does not list is refused. So
two processes acting on the same message cannot overwrite each other: an outbox round that
marks its batch ``sent`` never turns an ``acknowledged`` message back, and a resend decided
twice at once happens once.

::

    outbound   draft -> queued -> sent -> acknowledged | rejected | timed_out | failed
               queued -> acknowledged | rejected  (the answer came before the mark ``sent``)
               queued -> failed                   (it cannot be sent at all)
               sent | timed_out | rejected | failed -> resent   (a new attempt replaces it)
               timed_out | failed -> acknowledged | rejected    (a late answer still counts)
    inbound    received -> delivered | duplicate | refused

``acknowledged``, ``resent``, ``delivered``, ``duplicate`` and ``refused`` are final: nothing
leaves them. ``rejected`` and ``failed`` are left only for ``resent``, a person's decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Status(StrEnum):
    """A message's state. Outbound: draft -> queued -> sent -> acknowledged | rejected |
    timed_out -> resent ... ; failed when it cannot be sent at all. Inbound: received ->
    delivered | duplicate | refused (answered with a negative receipt / fatal-error ack)."""

    DRAFT = "draft"
    QUEUED = "queued"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    REJECTED = "rejected"
    TIMED_OUT = "timed_out"
    RESENT = "resent"
    FAILED = "failed"
    RECEIVED = "received"
    DELIVERED = "delivered"
    DUPLICATE = "duplicate"
    REFUSED = "refused"


_S = Status
TRANSITIONS: Mapping[Status, frozenset[Status]] = MappingProxyType({
    _S.DRAFT: frozenset({_S.QUEUED, _S.FAILED}),
    _S.QUEUED: frozenset({_S.SENT, _S.FAILED, _S.ACKNOWLEDGED, _S.REJECTED}),
    _S.SENT: frozenset({_S.ACKNOWLEDGED, _S.REJECTED, _S.TIMED_OUT, _S.RESENT, _S.FAILED}),
    _S.TIMED_OUT: frozenset({_S.ACKNOWLEDGED, _S.REJECTED, _S.RESENT, _S.FAILED}),
    _S.REJECTED: frozenset({_S.RESENT}),
    _S.FAILED: frozenset({_S.ACKNOWLEDGED, _S.REJECTED, _S.RESENT}),
    _S.RECEIVED: frozenset({_S.DELIVERED, _S.DUPLICATE, _S.REFUSED}),
    _S.ACKNOWLEDGED: frozenset(), _S.RESENT: frozenset(), _S.DELIVERED: frozenset(),
    _S.DUPLICATE: frozenset(), _S.REFUSED: frozenset(),
})


def allowed(leaving: Status, entering: Status) -> bool:
    return entering in TRANSITIONS[leaving]


def sources(entering: Status) -> frozenset[Status]:
    """The statuses a message may be in for a change to ``entering``."""
    return frozenset(s for s, targets in TRANSITIONS.items() if entering in targets)


def final(status: Status) -> bool:
    return not TRANSITIONS[status]

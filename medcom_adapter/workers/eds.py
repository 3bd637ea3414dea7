"""EDS delivery-status reports: queued in the journal with what they report, delivered by
any worker, each exactly once.

``queue_report`` builds the AuditEvent (``ehmi.eds``) for an ehmiSBDH and an event and
queues it under the key ``<envelope id>:<event>``; call it inside the ``journal.atomic()``
that records the event, so the two commit together. ``deliver`` is one round: claim due
reports, and for each one whose earlier attempt has no known outcome (its worker died
mid-call) ask EDS first whether it already holds it; count the attempt, register it,
settle the row. Failures EDS may recover from wait with back-off; a report EDS refuses is
marked failed with the reason (no patient data) for ``journal show``. Whatever goes wrong
with one report is that report's: it waits its back-off and the round goes on with the rest.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from medcom_adapter.ehmi import eds
from medcom_adapter.ehmi.eds import Reporter, Subtype
from medcom_adapter.ehmi_client.eds import EdsClient
from medcom_adapter.envelopes.sbdh import Sbdh
from medcom_adapter.errors import (
    EhmiRefused,
    EhmiUnavailable,
    InvalidValue,
    JournalError,
    ResourceFault,
)
from medcom_adapter.journal.eds_queue import EdsQueue

log = logging.getLogger(__name__)
_SENDER_SIDE = frozenset({Subtype.CREATED, Subtype.CREATED_AND_SENT, Subtype.SENT})
BACKOFF_FIRST, BACKOFF_MOST = 5.0, 900.0  # seconds: 5, 10, 20 ... at most 15 minutes


def context_of(document: Sbdh, subtype: Subtype) -> str:
    """The organisational context reporting ``subtype`` is done for: the sender's unit for
    sending events, the receiver's for receiving ones."""
    sender = subtype in _SENDER_SIDE
    sor = document.sender_sor if sender else document.receiver_sor
    gln = document.sender_gln if sender else document.receiver_gln
    if not sor or not gln:
        raise InvalidValue("an EDS report needs the reporting unit's SOR id and location "
                           "number in the ehmiSBDH")
    return f"SOR:{sor} GLN:{gln}"


def queue_report(queue: EdsQueue, document: Sbdh, subtype: Subtype, *, reporter: Reporter,
                 recorded: datetime, message: str | None, success: bool = True,
                 original: eds.Original | None = None) -> bool:
    """Queue the report of ``subtype`` for ``document``; False when it is already queued."""
    event = eds.report(document, subtype=subtype, recorded=recorded, reporter=reporter,
                       id=str(uuid.uuid4()), success=success, original=original)
    return queue.enqueue(f"{document.instance_id}:{subtype.value}",
                         json.dumps(event, separators=(",", ":")).encode(),
                         subtype=subtype.value, context=context_of(document, subtype),
                         message=message)


@dataclass(frozen=True, slots=True)
class EdsRun:
    delivered: int = 0
    found: int = 0  # delivered by an attempt whose worker died before it could say so
    retried: int = 0
    failed: int = 0
    lost: int = 0  # taken over by another worker meanwhile


def backoff(attempts: int) -> float:
    return min(BACKOFF_FIRST * 2.0 ** max(attempts - 1, 0), BACKOFF_MOST)


def deliver(queue: EdsQueue, client: EdsClient, *, owner: str, lease_seconds: float,
            limit: int = 50) -> EdsRun:
    delivered = found = retried = failed = lost = 0
    for report in queue.claim(owner, limit, lease_seconds=lease_seconds):
        try:
            if report.attempts:  # an attempt of unknown outcome: EDS may hold it already
                where = client.find(report.event, report.context)
                if where is not None:
                    if queue.delivered(report.id, owner, where or None):
                        found += 1
                    else:
                        lost += 1
                    continue
            if not queue.attempt(report.id, owner):
                lost += 1
                continue
            where = client.register(report.event, report.context)
        except EhmiRefused as exc:
            failed += queue.give_up(report.id, owner, exc.message)
            continue
        except EhmiUnavailable as exc:
            retried += queue.retry(report.id, owner, f"[{exc.code}] {exc.message}",
                                   backoff(report.attempts + 1))
            continue
        except (JournalError, ResourceFault):
            raise  # the journal itself: no report of this round can be settled
        except Exception as exc:  # one report's fault never stalls the rest
            # its type only: the message may repeat the report's patient data
            log.error("EDS report %s: unexpected %s; it waits and is tried again",
                      report.id, type(exc).__name__)
            retried += queue.retry(report.id, owner, f"[unexpected] {type(exc).__name__}",
                                   backoff(report.attempts + 1))
            continue
        if queue.delivered(report.id, owner, where):
            delivered += 1
        else:
            lost += 1
    return EdsRun(delivered, found, retried, failed, lost)

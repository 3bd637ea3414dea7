"""How long a worker holds what it claimed: an outbound message or a received file.

A worker that dies keeps its claims until the lease runs out; then another worker (or the
same one restarted) takes them over. Shorter leases take over sooner after a crash; a lease
shorter than one round of work only costs repeated work, never a second send or delivery
(publishing is keyed, statuses are compare-and-set, a file's decision is kept). Set with
``--lease SECONDS`` or ``MEDCOM_OUTBOX_LEASE``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from medcom_adapter.errors import InvalidConfiguration

LEASE_ENV = "MEDCOM_OUTBOX_LEASE"
DEFAULT_LEASE = 60.0


def lease_seconds(value: str | float | None = None,
                  env: Mapping[str, str] | None = None) -> float:
    """``value``, else ``MEDCOM_OUTBOX_LEASE`` from ``env``, else 60 seconds; checked."""
    if value is None and env is not None:
        value = env.get(LEASE_ENV) or None
    if value is None:
        return DEFAULT_LEASE
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidConfiguration(f"a lease is a positive number of seconds, not {value!r} "
                                   f"(--lease or {LEASE_ENV})")
    return seconds

"""Reading a period's figures from the journal, for one unit or the whole journal.

The read is audited under the caller's actor like any other: it decrypts messages to
count them, even though what leaves is only aggregates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.errors import UnknownReceiver
from medcom_adapter.journal.interface import Direction, Journal, Query
from medcom_adapter.journal.shared import Unit
from medcom_adapter.stats.figures import DANISH_TIME, Figures, compute

_ALL = 10_000_000


def figures(journal: Journal, directory: Directory, *, since: date, until: date, actor: str,
            unit_ean: str | None = None, unit_sor: str | None = None,
            units: tuple[Unit, ...] | None = None) -> Figures:
    """The period's figures; with ``unit_ean``/``unit_sor``, the unit's traffic and
    henvisninger only; with ``units``, only the traffic in that scope (as the journal's
    queries scope it). Answers up to 30 days after the period count towards answer times."""
    start = datetime.combine(since, time(), DANISH_TIME).astimezone(UTC)
    end = datetime.combine(until + timedelta(days=31), time(), DANISH_TIME).astimezone(UTC)
    # counts need the messages' headers and histories only: no body is read or decrypted
    found = journal.find(Query(since=start, until=end, limit=_ALL, bodies=False,
                               attachments=False, units=units), actor=actor)
    if unit_ean is not None:
        found = [m for m in found if unit_ean == (
            m.message.sender_ean if m.message.direction is Direction.OUTBOUND
            else m.message.receiver_ean)]
    henvisninger = journal.henvisninger(actor=actor, since=since, until=until)
    if unit_sor is not None:
        henvisninger = [r for r in henvisninger if r.record.unit.value == unit_sor]

    def named(ean: str | None, sor: str | None) -> tuple[str, str | None]:
        for find, key in ((directory.by_sor, sor), (directory.by_ean, ean)):
            try:
                receiver = find(key or "")
            except UnknownReceiver:
                continue
            return receiver.label, receiver.region
        return (f"Lokationsnummer {ean}" if ean else "Ukendt modtager"), None

    return compute(found, henvisninger, since=since, until=until, named=named)

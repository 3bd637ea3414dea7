"""Times on the pages: always Danish local time (Europe/Copenhagen), as Danes write it.

The journal stores UTC; a page that showed it would put two clocks on one screen (the
history in UTC, a letter's own text in Danish time). Every time a person reads goes
through :func:`danish`, so summer and winter time are right and nothing says "UTC".
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

DANISH_TIME = ZoneInfo("Europe/Copenhagen")


def local(at: datetime) -> datetime:
    """``at`` in Danish time; a naive value is taken as UTC (the journal's)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(DANISH_TIME)


def danish(at: datetime | None, *, seconds: bool = False) -> str:
    """``05.12.2026 kl. 00.04`` (the Danish way: dots in the time too)."""
    if at is None:
        return ""
    return local(at).strftime("%d.%m.%Y kl. %H.%M" + (".%S" if seconds else ""))


def danish_date(at: datetime | None) -> str:
    return local(at).strftime("%d.%m.%Y") if at is not None else ""

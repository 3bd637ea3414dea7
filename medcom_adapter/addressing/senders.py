"""Who sent a received message, as the receivers directory knows it: its SOR id.

A letter names its sender by location number (EAN) and a local identifier (SOR code,
ydernummer, sygehusafdelingsnummer, ...). The SOR id is the letter's own when it names the
sender by SOR; otherwise the directory's unit with that identifier; otherwise the one unit
with that location number (none when several units share it: a guess is worse than
nothing to a case system that files by it).
"""

from __future__ import annotations

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.errors import UnknownReceiver
from medcom_adapter.model.codes import IdentifierCode


def sender_sor(directory: Directory | None, *, ean: str | None,
               identifier: str | None = None, code: str | None = None) -> str | None:
    if identifier and code == IdentifierCode.SOR.value:
        return identifier
    if directory is None:
        return None
    if identifier and code:
        try:
            return directory.by_identifier(code, identifier).sor
        except UnknownReceiver:
            pass
    units = [r.sor for r in directory.receivers if ean and r.ean == ean]
    return units[0] if len(units) == 1 else None

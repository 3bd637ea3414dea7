"""Received files in the mailbox's quarantine, as the pages show them to the unit they are for.

A file whose handling failed (the journal was away, a bug) is moved aside by the transport
and tried again with back-off; until then it is in no journal and no mailbox row. A unit
sees the files addressed to it: the receiver is read from the file itself (its letter, or
the envelope around it), and, for a session opened for one child, the file must be about
that child. A file that names no receiver the pages can tell is the operator's only
(``medcom-adapter`` logs and the quarantine folder). The pages show when, what kind, the
tries and the next one, and the code with its Danish explanation: never the file's name,
its text or the exception's text, which may carry anything the file did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from medcom_adapter import detect
from medcom_adapter.journal.shared import Unit
from medcom_adapter.model.carecommunication import CareCommunication
from medcom_adapter.model.parties import PersonId
from medcom_adapter.model.receipts import Receipt
from medcom_adapter.oioxml.emessage import Document

if TYPE_CHECKING:
    from medcom_adapter.transport.vans_mailbox import QuarantineNote

UNREADABLE = "transport.unreadable"


class QuarantineFolder(Protocol):
    def quarantine_notes(self) -> list[QuarantineNote]: ...


@dataclass(frozen=True, slots=True)
class QuarantinedFile:
    put_aside: datetime
    kind: str | None
    tries: int
    retry_at: datetime | None
    code: str


@dataclass(frozen=True, slots=True)
class _About:
    names: frozenset[str]  # the receiver's location number and SOR id, as the file gives them
    patient: PersonId | None
    kind: str | None


def files_for(folder: QuarantineFolder, units: tuple[Unit, ...],
              patient: PersonId | None = None) -> list[QuarantinedFile]:
    """The quarantined files addressed to one of ``units`` (about ``patient``, when given)."""
    wanted = {u.sor for u in units} | {u.ean for u in units if u.ean}
    shown = []
    for note in folder.quarantine_notes():
        about = _about(note.path)
        if not about.names & wanted or (patient is not None and about.patient != patient):
            continue
        shown.append(QuarantinedFile(
            datetime.fromtimestamp(note.put_aside, UTC), about.kind, note.tries,
            datetime.fromtimestamp(note.retry_at, UTC) if note.retry_at is not None else None,
            code(note.reason)))
    return shown


def code(reason: str) -> str:
    """The stable part of a note's reason: the exception's name, or that it was unreadable."""
    if reason.startswith("cannot read it"):
        return UNREADABLE
    name = reason.partition(":")[0].strip()
    return name if name.isidentifier() else "ukendt"


def _about(path: Path) -> _About:
    try:
        stat = path.stat()
    except OSError:
        return _About(frozenset(), None, None)
    return _read(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)  # a file is read once while it waits, not on every page
def _read(path: Path, mtime_ns: int, size: int) -> _About:
    try:
        parsed = detect.parse(path.read_bytes())
    except Exception:  # whatever failed here, the file is then the operator's only
        return _About(frozenset(), None, None)
    from medcom_adapter.edifact.interchange import EdifactDocument  # read only if one came

    names: set[str] = set()
    if isinstance(parsed, detect.Enveloped):
        receiver = parsed.envelope.receiver
        names.add(receiver if isinstance(receiver, str) else receiver.id)
        parsed = parsed.message
    if isinstance(parsed, Document | EdifactDocument):
        letter = parsed.message.letters[0]
        kind = parsed.versions[0].type_code if parsed.versions else None
        if isinstance(letter, Receipt):
            return _About(frozenset(names | {letter.receiver_ean}), None, kind)
        names |= {str(letter.receiver.ean), letter.receiver.identifier}
        patient = getattr(letter, "patient", None)
        return _About(frozenset(names), patient.id if patient is not None else None, kind)
    if isinstance(parsed, CareCommunication):
        names |= {parsed.receiver.sor, parsed.receiver.gln}
        return _About(frozenset(names), parsed.patient.id, "CareCommunication")
    return _About(frozenset(names), None, None)

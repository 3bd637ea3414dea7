"""Henvisninger recorded without a message, and corrections of any henvisning, over SQL.

Rows are append-only: a correction or withdrawal is a new row naming the one it
supersedes, and a record is superseded at most once (a correction of a correction names the
newest). The patient is sealed bound to the row's record id; the rows are chained like the
messages (``link = SHA-256(previous link || entry)``) with the newest link in
``henvisninger_head``, so a changed, removed or cut-off row is seen by ``verify``.
Henvisninger that travelled with a message are read from its classification; the union of
both is what the data standard's export holds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from datetime import date
from uuid import UUID

from medcom_adapter.errors import JournalError
from medcom_adapter.journal import chain
from medcom_adapter.journal.clock import Clock
from medcom_adapter.journal.crypto import Keyring
from medcom_adapter.journal.db import Db, Row
from medcom_adapter.journal.rows import moment, where
from medcom_adapter.model.classification import Classification, Henvisning
from medcom_adapter.model.henvisninger import (
    Carrier,
    HenvisningRecord,
    RecordedHenvisning,
    check_supersedes,
    current,
    from_classification,
)
from medcom_adapter.model.identifiers import SorId
from medcom_adapter.model.parties import person_id

COLUMNS = ("seq", "id", "course_id", "referred_on", "class", "unit", "person", "person_index",
           "key_id", "message", "supersedes", "withdrawn", "recorded_at", "recorded_by", "link")
_CHAINED = ("id", "course_id", "referred_on", "class", "unit", "person_index", "message",
            "supersedes", "withdrawn", "recorded_at", "recorded_by")


def entry_link(previous: str, row: dict[str, object], key: bytes | None) -> str:
    """The record's link after ``previous``: keyed with the journal's chain key (HMAC), so
    a chain recomputed without the key does not verify."""
    canonical = json.dumps({k: row[k] for k in _CHAINED}, sort_keys=True, separators=(",", ":"))
    data = previous.encode() + canonical.encode()
    if key is None:  # a journal not keyed yet: linked again when it is (journal.relink)
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def relink(db: Db, key: bytes) -> None:
    """Link every record again under ``key``, in the caller's write transaction."""
    previous = chain.GENESIS
    count = 0
    for r in db.rows(f"SELECT {', '.join(COLUMNS)} FROM henvisninger ORDER BY seq"):
        row = dict(zip(COLUMNS, r, strict=True))
        previous = entry_link(previous, row, key)
        db.run("UPDATE henvisninger SET link = ? WHERE seq = ?", (previous, row["seq"]))
        count += 1
    db.run("UPDATE henvisninger_head SET seq = ?, link = ? WHERE id = 1", (count, previous))


class HenvisningStore:
    """The henvisninger of one SQL journal (see the module docstring)."""

    def __init__(self, db: Db, keys: Keyring, clock: Clock) -> None:
        self.db, self.keys, self._clock = db, keys, clock

    def record(self, record: HenvisningRecord, *, actor: str, supersedes: str | None = None,
               withdrawn: bool = False) -> str:
        """Append one record inside the caller's write transaction; its new id."""
        carrier = (None if supersedes is None
                   else self._check_supersedes(supersedes, record))
        id = str(uuid.uuid4())
        person = str(record.patient)
        row: dict[str, object] = {
            "id": id, "course_id": str(record.course_id),
            "referred_on": record.referred_on.isoformat(), "class": record.henvisning.value,
            "unit": record.unit.value, "person_index": self.keys.index(person),
            "message": None if carrier is None else carrier.journal_id,
            "supersedes": supersedes, "withdrawn": int(withdrawn),
            "recorded_at": chain.timestamp(self._clock()), "recorded_by": actor}
        seq, previous = self.db.rows(
            "SELECT seq, link FROM henvisninger_head WHERE id = 1" + self.db.dialect.lock_rows)[0]
        row["link"] = link = entry_link(previous, row, self._key())
        row["person"] = self.keys.encrypt(person.encode(), _place(id))
        row["key_id"] = self.keys.current.id
        names = [c for c in COLUMNS if c != "seq"]
        self.db.run(f"INSERT INTO henvisninger ({', '.join(names)}) VALUES "
                    f"({', '.join('?' * len(names))})", [row[c] for c in names])
        self.db.run("UPDATE henvisninger_head SET seq = ?, link = ? WHERE id = 1",
                    (seq + 1, link))
        return id

    def _key(self) -> bytes | None:
        """The chain key the messages are linked with (journal_head), used here too."""
        from medcom_adapter.journal.relink import chain_key

        (key_id,) = self.db.rows("SELECT chain_key FROM journal_head WHERE id = 1")[0]
        return chain_key(self.keys, key_id)

    def _check_supersedes(self, supersedes: str, record: HenvisningRecord) -> Carrier | None:
        """The carrier the superseded record travelled with; refuses an unknown record, one
        already superseded (corrections form a line, never a fork), or one of another unit
        or course (``check_supersedes``)."""
        if self.db.rows("SELECT id FROM henvisninger WHERE supersedes = ?", (supersedes,)):
            raise JournalError(f"henvisning {supersedes} is already corrected or withdrawn: "
                               "correct its newest version")
        found = self.db.rows("SELECT message, withdrawn, unit, course_id, person_index, key_id "
                             "FROM henvisninger WHERE id = ?", (supersedes,))
        if found:
            message, withdrawn, unit, course, index, key_id = found[0]
            if withdrawn:
                raise JournalError(f"henvisning {supersedes} is a withdrawal")
            check_supersedes(supersedes, str(unit), str(course), record,
                             same_child=self._same_child(record, index, key_id))
            return None if message is None else self._carrier(int(message))
        parts = supersedes.split("-")
        if len(parts) >= 3 and parts[0] == "message" and parts[1].isdigit():
            journal_id, code = int(parts[1]), "-".join(parts[2:])
            classes = self.db.rows(
                "SELECT c.classes, c.unit, c.course_id, c.person_index, m.key_id FROM "
                "classifications c JOIN messages m ON m.id = c.message WHERE c.message = ?",
                (journal_id,))
            if classes and code in classes[0][0].split(","):
                _, unit, course, index, key_id = classes[0]
                check_supersedes(supersedes, str(unit), str(course), record,
                                 same_child=self._same_child(record, index, key_id))
                return self._carrier(journal_id)
        raise JournalError(f"no henvisning {supersedes} in the journal")

    def _same_child(self, record: HenvisningRecord, index: str | None,
                    key_id: str | None) -> bool:
        """Whether ``record``'s child is the one a stored person index names (keyed under
        the row's key); a purged row's index is gone, and no child is the same as none."""
        return index is not None and key_id is not None and hmac.compare_digest(
            str(index), self.keys.index(str(record.patient), key_id=str(key_id)))

    def _carrier(self, journal_id: int) -> Carrier:
        kind, envelope = self.db.rows(
            "SELECT kind, envelope_id FROM messages WHERE id = ?", (journal_id,))[0]
        return Carrier(journal_id, kind, envelope)

    def find(self, *, course_id: UUID | None = None, since: date | None = None,
             until: date | None = None, versions: bool = False) -> list[RecordedHenvisning]:
        """Recorded and message-borne henvisninger by date, in force only unless
        ``versions``. Supersession is judged over the whole table, so a correction that
        moves a date out of the period still hides the original."""
        found = [self._open(dict(zip(COLUMNS, r, strict=True))) for r in self.db.rows(
            f"SELECT {', '.join(COLUMNS)} FROM henvisninger ORDER BY seq")]
        found = self._message_borne() + found
        return select(found, course_id=course_id, since=since, until=until, versions=versions)

    def _message_borne(self) -> list[RecordedHenvisning]:
        found: list[RecordedHenvisning] = []
        for (message, course, referred_on, unit, classes, person, key_id, kind, envelope,
             stored_at, stored_by) in self.db.rows(
                "SELECT c.message, c.course_id, c.referred_on, c.unit, c.classes, c.person, "
                "m.key_id, m.kind, m.envelope_id, m.stored_at, m.stored_by FROM classifications "
                "c JOIN messages m ON m.id = c.message ORDER BY c.message"):
            patient = self.keys.decrypt(key_id, bytes(person),
                                        where("classifications", "person", message)).decode()
            c = Classification(UUID(course), date.fromisoformat(referred_on),
                               person_id(patient), SorId(unit),
                               tuple(Henvisning(h) for h in classes.split(",")))
            found += from_classification(c, Carrier(message, kind, envelope), moment(stored_at),
                                         stored_by)
        return found

    def _open(self, row: dict[str, object]) -> RecordedHenvisning:
        id = str(row["id"])
        sealed = row["person"]
        assert isinstance(sealed, bytes | memoryview)
        patient = self.keys.decrypt(str(row["key_id"]), bytes(sealed), _place(id)).decode()
        message = row["message"]
        return RecordedHenvisning(
            id, HenvisningRecord(UUID(str(row["course_id"])),
                                 date.fromisoformat(str(row["referred_on"])),
                                 Henvisning(str(row["class"])), person_id(patient),
                                 SorId(str(row["unit"]))),
            moment(str(row["recorded_at"])), str(row["recorded_by"]),
            None if message is None else self._carrier(int(str(message))),
            None if row["supersedes"] is None else str(row["supersedes"]),
            bool(row["withdrawn"]))

    def verify(self) -> list[str]:
        """Problems found: a broken link, rows cut off after the head, a seal that fails."""
        problems: list[str] = []
        previous = chain.GENESIS
        key = self._key()
        rows: list[Row] = self.db.rows(f"SELECT {', '.join(COLUMNS)} FROM henvisninger "
                                       "ORDER BY seq")
        for r in rows:
            row = dict(zip(COLUMNS, r, strict=True))
            if entry_link(previous, row, key) != row["link"]:
                return [f"henvisning {row['id']}: chain link does not follow from the record "
                        "before it (a record was changed or removed)"]
            try:
                sealed = row["person"]
                assert isinstance(sealed, bytes | memoryview)
                self.keys.decrypt(str(row["key_id"]), bytes(sealed), _place(str(row["id"])))
            except (JournalError, AssertionError):
                problems.append(f"henvisning {row['id']}: its sealed person id does not open")
            previous = str(row["link"])
        head_seq, head = self.db.rows("SELECT seq, link FROM henvisninger_head WHERE id = 1")[0]
        if head != previous or head_seq != len(rows):
            problems.append(f"henvisninger after record {len(rows)} are missing")
        return problems

    def rotate(self) -> int:
        """Re-seal rows under the current key (the chain covers the index, so the index keeps
        its key: lookups use every key's index)."""
        changed = 0
        for id, key_id, sealed in self.db.rows(
                "SELECT id, key_id, person FROM henvisninger WHERE key_id <> ?",
                (self.keys.current.id,)):
            place = _place(id)
            plain = self.keys.decrypt(key_id, bytes(sealed), place)
            self.db.run("UPDATE henvisninger SET key_id = ?, person = ? WHERE id = ?",
                        (self.keys.current.id, self.keys.encrypt(plain, place), id))
            changed += 1
        return changed


def _place(id: str) -> str:
    """Associated data binding a sealed person id to its record."""
    return f"henvisninger.person:{id}"


def select(found: Sequence[RecordedHenvisning], *, course_id: UUID | None, since: date | None,
           until: date | None, versions: bool) -> list[RecordedHenvisning]:
    """Filter every version of every henvisning (see ``HenvisningStore.find``), by date."""
    chosen = list(found) if versions else current(list(found))
    return sorted((r for r in chosen
                   if (course_id is None or r.record.course_id == course_id)
                   and (since is None or r.record.referred_on >= since)
                   and (until is None or r.record.referred_on <= until)),
                  key=lambda r: (r.record.referred_on, r.recorded_at))

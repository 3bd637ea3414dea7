"""The VANS provider client's mailbox: an out folder we write and an in folder we read.

Out: the file is written under a temporary dot-name of this process, fsynced, recorded in
``.sent/`` (a marker named by the parcel key, holding only that temporary name, so no copy
of the data stays behind) and renamed into the out folder, one publisher at a time (two
parcels may be given one name; a rename replaces its target); the provider only picks up
names without a leading dot. The record appears whole or not at all (hard-linked into place,
which fails when it exists), so of several processes sending one parcel at once exactly
one records it, and only the file its record names is ever renamed into the out folder. A
crash at any point leaves either no record (nothing was published: send again) or a record
(published, or published by finishing the rename), so a parcel is published at most once
per key.

In: files are read where they lie and settled only after the journal commit. The journal
keeps each received file's exact bytes, encrypted; the mailbox keeps no plaintext copy:
settling deletes the file, unless an archive is asked for (``archive_days``, or
``MEDCOM_MAILBOX_ARCHIVE_DAYS``), whose files are then deleted after that many days.
Folders are the owner's only (0700).

A file is read only once it is complete. The convention
for VANS clients (and what our own sandbox does): write under a temporary name, a leading
dot or one of the suffixes in :data:`WRITING` (``.tmp``, ``.part``, ...), and rename it
when it is whole; such names are never read. For clients that write in place, a file that
changed in the last ``quiet_seconds`` and does not yet end as its kind of file ends (XML:
the root element's end tag) is left for a later pass, as is one whose size or time changed
while it was read; a whole file is taken at once. A file that cannot be read or
handled is moved to the ``quarantine`` folder with its reason beside it
(``NAME.reason``), and moved back to be tried again after a back-off (1 minute, doubling,
at most an hour); never dropped.

File names come from a pattern per provider made of the parcel's kind, envelope id and
location numbers only, so no person data can reach a file name.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from medcom_adapter.errors import InvalidConfiguration, TransportFailure
from medcom_adapter.transport.interface import Parcel, Received

ARCHIVE_DAYS_ENV = "MEDCOM_MAILBOX_ARCHIVE_DAYS"
_FIELDS = frozenset({"kind", "envelope_id", "sender", "receiver", "ext"})
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")
_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
WRITING = (".tmp", ".part", ".partial", ".filepart", ".incoming", ".crdownload")
QUIET_SECONDS = 2.0  # a file written in place is read once unchanged this long
RETRY_FIRST, RETRY_MOST = 60.0, 3600.0  # quarantine back-off, seconds


@dataclass(frozen=True, slots=True)
class FileNaming:
    """How a provider wants outgoing files named, e.g. ``{kind}_{envelope_id}.{ext}``."""

    pattern: str = "{kind}_{envelope_id}.{ext}"

    def __post_init__(self) -> None:
        fields = {name for _, name, _, _ in string.Formatter().parse(self.pattern) if name}
        if unknown := fields - _FIELDS:
            raise InvalidConfiguration(
                f"file name pattern {self.pattern!r} uses {', '.join(sorted(unknown))};"
                f" allowed: {', '.join(sorted(_FIELDS))}")
        if "envelope_id" not in fields:
            raise InvalidConfiguration(
                f"file name pattern {self.pattern!r} must contain {{envelope_id}} to be unique")

    def name(self, parcel: Parcel) -> str:
        values = {"kind": parcel.kind, "envelope_id": parcel.envelope_id,
                  "sender": parcel.sender, "receiver": parcel.receiver, "ext": parcel.extension}
        name = self.pattern.format(**{k: _SAFE.sub("_", v) for k, v in values.items()})
        return name.lstrip(".") or "file"


@dataclass(frozen=True, slots=True)
class QuarantineNote:
    """A received file put aside because handling it failed: it is tried again from
    ``retry_at`` (seconds since the epoch), and stays until it is handled."""

    path: Path
    reason: str  # "ExceptionName: text", or "cannot read it: ..."
    tries: int
    put_aside: float
    retry_at: float | None


@dataclass(frozen=True, slots=True)
class Layout:
    """Folder names inside the mailbox root, as the provider's client sets them up."""

    out: str = "out"
    inbox: str = "in"
    archive: str = "archive"


# Folder layouts of known provider clients (names from their published configurations).
LAYOUTS = {
    "default": Layout(),
    "kmd": Layout(out="tilkmd", inbox="frakmd", archive="arkiv"),
}


class VansMailbox:
    """A transport over the provider client's folders under ``root``."""

    def __init__(
        self, root: Path, *, naming: FileNaming | None = None, layout: Layout | None = None,
        quiet_seconds: float = QUIET_SECONDS,
        archive_days: float | None = None,
    ) -> None:
        layout = layout or Layout()
        if archive_days is None and os.environ.get(ARCHIVE_DAYS_ENV):
            archive_days = float(os.environ[ARCHIVE_DAYS_ENV])
        self.archive_days = archive_days
        self.root = root
        self.naming = naming or FileNaming()
        self.quiet_seconds = quiet_seconds
        self.out_dir = root / layout.out
        self.in_dir = root / layout.inbox
        self.archive_dir = root / layout.archive
        self.quarantine_dir = root / "quarantine"
        self._sent_dir = root / ".sent"
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        folders = (self.out_dir, self.in_dir, self._sent_dir,
                   *((self.archive_dir,) if archive_days is not None else ()))
        for folder in folders:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.quarantine_dir.mkdir(mode=0o700, parents=True, exist_ok=True)

    # -- sending -----------------------------------------------------------------------
    def send(self, parcel: Parcel) -> None:
        if not _KEY.fullmatch(parcel.key):
            raise TransportFailure(f"parcel key {parcel.key!r} is not a safe file name")
        record = self._sent_dir / parcel.key
        try:
            if not record.exists():
                temp = self.out_dir / f".{parcel.key}.{os.getpid()}.tmp"
                _write_durably(temp, parcel.data)
                if not _record(record, temp.name):
                    temp.unlink()  # another process recorded this parcel first
            self._publish(record, parcel)
        except OSError as exc:
            raise TransportFailure(f"cannot write to the out folder {self.out_dir}: {exc}") from exc

    def _publish(self, record: Path, parcel: Parcel) -> None:
        """Rename the file the record names into the out folder, unless that is done."""
        # an empty record was written before records named their file
        temp = self.out_dir / (record.read_text(encoding="ascii") or f".{parcel.key}.tmp")
        if not temp.exists():
            return  # published
        # one publisher at a time: a rename replaces its target, so a name found free must
        # stay free until our rename takes it (another parcel may be given the same name)
        with _held(self._sent_dir / ".publishing"):
            target = _free_name(self.out_dir, self.naming.name(parcel), parcel.key)
            try:
                os.rename(temp, target)
            except FileNotFoundError:
                return  # another process finished the same rename
        _sync_dir(self.out_dir)

    # -- receiving ---------------------------------------------------------------------
    def receive(self) -> Iterator[Received]:
        self._retry_quarantined()
        for path in _files(self.in_dir):
            if path.name.endswith(WRITING):
                continue
            try:
                before = path.stat()
                data = path.read_bytes()
                after = path.stat()
            except FileNotFoundError:  # settled meanwhile by another reader
                continue
            except OSError as exc:
                self.quarantine(Received(b"", path.name, path), f"cannot read it: {exc}")
                continue
            if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) \
                    or len(data) != after.st_size:
                continue  # changed while read: next pass
            if time.time() - after.st_mtime < self.quiet_seconds and not whole(data):
                continue  # perhaps still being written in place: next pass
            yield Received(data, path.name, path)

    def pending(self, received: Received) -> bool:
        path = received.handle
        return isinstance(path, Path) and path.parent == self.in_dir and path.exists()

    def quarantine(self, received: Received, reason: str) -> None:
        """Move a file that failed to be read or handled aside, with why, to retry later."""
        path = received.handle
        if not isinstance(path, Path) or path.parent != self.in_dir:
            raise TransportFailure(f"{received.name} was not received from {self.in_dir}")
        target = _free_name(self.quarantine_dir, path.name, "again")
        note = self.quarantine_dir / f"{target.name}.reason"
        tries = _tries(self.quarantine_dir / f"{path.name}.reason") + 1
        delay = min(RETRY_FIRST * 2 ** (tries - 1), RETRY_MOST)
        _write_durably(note, json.dumps({"reason": reason[:2000], "tries": tries,
                                         "retry_at": time.time() + delay}).encode())
        try:
            os.rename(path, target)
        except FileNotFoundError:
            note.unlink()  # settled or quarantined by another reader meanwhile
            return
        _sync_dir(self.quarantine_dir)
        _sync_dir(self.in_dir)

    def quarantined(self) -> list[tuple[str, str]]:
        """Files in quarantine and why: (name, reason)."""
        return [(n.path.name, n.reason) for n in self.quarantine_notes()]

    def quarantine_notes(self) -> list[QuarantineNote]:
        """Files in quarantine, oldest first, each with why, its tries and its next try."""
        found = []
        for note in self.quarantine_dir.glob("*.reason"):
            path = self.quarantine_dir / note.name.removesuffix(".reason")
            try:
                put_aside = note.stat().st_mtime
            except FileNotFoundError:
                continue  # taken meanwhile
            if path.exists():
                read = _note(note)
                retry_at = read.get("retry_at")
                found.append(QuarantineNote(
                    path, str(read.get("reason", "")), _tries(note), put_aside,
                    float(retry_at) if isinstance(retry_at, float | int) else None))
        return sorted(found, key=lambda n: (n.put_aside, n.path.name))

    def _retry_quarantined(self) -> None:
        now = time.time()
        for note in self.quarantine_dir.glob("*.reason"):
            path = self.quarantine_dir / note.name.removesuffix(".reason")
            retry_at = _note(note).get("retry_at", now)
            if not path.exists() or (isinstance(retry_at, float | int) and retry_at > now):
                continue
            try:  # the note stays, counting the tries, until the file is taken
                os.rename(path, _free_name(self.in_dir, path.name, "retry"))
            except FileNotFoundError:
                continue

    def settle(self, received: Received) -> None:
        path = received.handle
        if not isinstance(path, Path) or path.parent != self.in_dir:
            raise TransportFailure(f"{received.name} was not received from {self.in_dir}")
        try:
            if self.archive_days is None:
                path.unlink()  # the journal holds it, encrypted
            else:
                os.rename(path, _free_name(self.archive_dir, path.name, "again"))
        except FileNotFoundError:
            return  # already settled
        (self.quarantine_dir / f"{path.name}.reason").unlink(missing_ok=True)  # taken at last
        if self.archive_days is not None:
            _sync_dir(self.archive_dir)
            self._expire(self.archive_days)
        _sync_dir(self.in_dir)

    def _expire(self, days: float) -> None:
        """Delete archived files older than ``days``."""
        before = time.time() - days * 86400
        with os.scandir(self.archive_dir) as scan:
            for entry in scan:
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < before:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)

    @property
    def provider(self) -> DirectoryProvider:
        return DirectoryProvider(self)


class DirectoryProvider:
    """The provider's side of a mailbox: takes from out, delivers into in."""

    def __init__(self, mailbox: VansMailbox) -> None:
        self._mailbox = mailbox

    def collect(self) -> list[tuple[str, bytes]]:
        taken = []
        for path in _files(self._mailbox.out_dir):
            try:
                data = path.read_bytes()
                path.unlink()
            except FileNotFoundError:
                continue
            taken.append((path.name, data))
        return taken

    def deposit(self, name: str, data: bytes) -> None:
        in_dir = self._mailbox.in_dir
        safe = _SAFE.sub("_", name).lstrip(".") or "file"
        temp = in_dir / f".{safe}.incoming"
        _write_durably(temp, data)
        os.rename(temp, _free_name(in_dir, safe, "copy"))
        _sync_dir(in_dir)


def _files(folder: Path) -> list[Path]:
    entries = []
    with os.scandir(folder) as scan:
        for entry in scan:
            # a link could make us read (and later move) a file outside the mailbox
            if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                continue
            try:
                entries.append((entry.stat().st_mtime_ns, entry.name))
            except FileNotFoundError:
                continue
    return [folder / name for _, name in sorted(entries)]


def _free_name(folder: Path, name: str, tag: str) -> Path:
    target = folder / name
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{stem}~{tag}{n}{dot}{ext}"
    return target


@contextlib.contextmanager
def _held(lock: Path) -> Iterator[None]:
    """Hold ``lock`` (a file) alone among processes and threads (each opens it anew); the
    system releases it when its holder dies."""
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # and with it the lock


def _write_durably(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _record(record: Path, content: str) -> bool:
    """Create ``record`` holding ``content``, whole, unless it exists: False then."""
    draft = record.with_name(f".{record.name}.{os.getpid()}")
    _write_durably(draft, content.encode("ascii"))
    try:
        os.link(draft, record)
    except FileExistsError:
        return False
    finally:
        draft.unlink()
    _sync_dir(record.parent)
    return True


_ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)")


def whole(data: bytes) -> bool:
    """Whether a file ends as its kind ends: XML with its root element's end tag (or an empty
    root), JSON with its closing brace, EDIFACT with its UNZ segment. Anything else counts
    as whole: the reader judges it."""
    text = data.strip()
    if text[:1] == b"{":
        return text.endswith(b"}")
    if text[:3] in (b"UNA", b"UNB"):
        return b"UNZ+" in text[-200:]
    if text[:1] != b"<":
        return bool(text)
    head = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", b"", text[:4096], flags=re.S)
    root = _ROOT_TAG.search(head)
    if root is None:
        return False
    tail = text[-512:]
    return re.search(b"</" + re.escape(root.group(1)) + rb"\s*>$", tail) is not None or (
        tail.endswith(b"/>") and head.count(b"<") == 1)


def _note(note: Path) -> dict[str, object]:
    try:
        found = json.loads(note.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _tries(note: Path) -> int:
    tries = _note(note).get("tries", 0)
    return tries if isinstance(tries, int) else 0


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

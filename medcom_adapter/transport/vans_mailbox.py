"""The VANS provider client's mailbox: an out folder we write and an in folder we read.

Out: the file is written under a temporary dot-name, fsynced, recorded in ``.sent/`` (an
empty marker named by the parcel key, so no copy of the data stays behind) and renamed into
the out folder; the provider only picks up names without a leading dot. A crash at any
point leaves either no record (nothing was published: send again) or a record (published,
or published by finishing the rename), so a parcel is published at most once per key.

In: files are read where they lie and settled only after the journal commit. The journal
keeps each received file's exact bytes, encrypted; the mailbox keeps no plaintext copy:
settling deletes the file, unless an archive is asked for (``archive_days``, or
``MEDCOM_MAILBOX_ARCHIVE_DAYS``), whose files are then deleted after that many days.
Folders are the owner's only (0700).

File names come from a pattern per provider made of the parcel's kind, envelope id and
location numbers only, so no person data can reach a file name.
"""

from __future__ import annotations

import contextlib
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
        archive_days: float | None = None,
    ) -> None:
        layout = layout or Layout()
        if archive_days is None and os.environ.get(ARCHIVE_DAYS_ENV):
            archive_days = float(os.environ[ARCHIVE_DAYS_ENV])
        self.archive_days = archive_days
        self.root = root
        self.naming = naming or FileNaming()
        self.out_dir = root / layout.out
        self.in_dir = root / layout.inbox
        self.archive_dir = root / layout.archive
        self._sent_dir = root / ".sent"
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        folders = (self.out_dir, self.in_dir, self._sent_dir,
                   *((self.archive_dir,) if archive_days is not None else ()))
        for folder in folders:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    # -- sending -----------------------------------------------------------------------
    def send(self, parcel: Parcel) -> None:
        if not _KEY.fullmatch(parcel.key):
            raise TransportFailure(f"parcel key {parcel.key!r} is not a safe file name")
        record = self._sent_dir / parcel.key
        temp = self.out_dir / f".{parcel.key}.tmp"
        try:
            if record.exists():
                if temp.exists():  # recorded but the rename was cut short: finish it
                    self._publish(temp, parcel)
                return
            _write_durably(temp, parcel.data)
            _write_durably(record, b"")
            _sync_dir(self._sent_dir)
            self._publish(temp, parcel)
        except OSError as exc:
            raise TransportFailure(f"cannot write to the out folder {self.out_dir}: {exc}") from exc

    def _publish(self, temp: Path, parcel: Parcel) -> None:
        target = _free_name(self.out_dir, self.naming.name(parcel), parcel.key)
        os.rename(temp, target)
        _sync_dir(self.out_dir)

    # -- receiving ---------------------------------------------------------------------
    def receive(self) -> Iterator[Received]:
        for path in _files(self.in_dir):
            try:
                data = path.read_bytes()
            except FileNotFoundError:  # settled meanwhile by another reader
                continue
            yield Received(data, path.name, path)

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


def _write_durably(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

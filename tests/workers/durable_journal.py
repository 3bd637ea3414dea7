"""A journal that survives SIGKILL, for the crash test: the in-memory journal plus an
fsynced operation log replayed on open. (The product's durable stores are tested by the
journal's own contract tests; this stand-in only has to be durable and honest.)"""

from __future__ import annotations

import os
import pickle
import struct
from collections.abc import Callable, Sequence
from pathlib import Path

from medcom_adapter.journal.interface import NewMessage, Status
from medcom_adapter.journal.memory import MemoryJournal

_LENGTH = struct.Struct(">I")


class DurableJournal(MemoryJournal):
    def __init__(self, path: Path, *, before_write: Callable[[], None] = lambda: None) -> None:
        super().__init__()
        self._before_write = before_write
        self._path = path
        self._replaying = True
        ops, complete = _read(path)
        if path.exists():
            os.truncate(path, complete)  # drop a record torn by a kill
        for op in ops:
            if op[0] == "append":
                super().append_many(op[1], op[2])
            else:
                super().set_status(op[1], op[2], reason=op[3])
        self._replaying = False
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def append_many(self, messages: Sequence[NewMessage], status: Status, *,
                    actor: str = "system") -> Sequence[int]:
        ids = super().append_many(messages, status, actor=actor)
        self._write(("append", tuple(messages), status))
        return ids

    def set_status(self, id: int, status: Status, *, reason: str | None = None) -> None:
        super().set_status(id, status, reason=reason)
        self._write(("status", id, status, reason))

    def _write(self, op: tuple[object, ...]) -> None:
        if self._replaying:
            return
        self._before_write()
        record = pickle.dumps(op)
        os.write(self._fd, _LENGTH.pack(len(record)) + record)
        os.fsync(self._fd)


def _read(path: Path) -> tuple[list[tuple], int]:  # type: ignore[type-arg]
    if not path.exists():
        return [], 0
    data, ops, at = path.read_bytes(), [], 0
    while at + _LENGTH.size <= len(data):
        (n,) = _LENGTH.unpack_from(data, at)
        if at + _LENGTH.size + n > len(data):
            break  # a write cut short by the kill: never committed
        ops.append(pickle.loads(data[at + _LENGTH.size: at + _LENGTH.size + n]))
        at += _LENGTH.size + n
    return ops, at

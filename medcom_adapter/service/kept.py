"""Files a worker has uploaded to a form that is not sent yet: kept, encrypted, per session.

An upload must survive a form error and "Ret" from the preview: the browser never sends a
file twice, so losing it makes the worker attach it again (or send without it). The page
shows a kept file as "Vedhæftet: navn, størrelse" with a button to remove it, and the form
carries only its random id. :class:`KeptFiles` is the interface; :class:`MemoryKeptFiles`
seals each file with AES-GCM under a key of this process, bound to the session and file
id, so a file id from another session opens nothing.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


@dataclass(frozen=True, slots=True)
class KeptFile:
    id: str
    name: str  # the file's name as uploaded, for the page
    title: str  # what the letter calls it (the name without its extension)
    content_type: str
    size: int


class KeptFiles(Protocol):
    def keep(self, session_id: str, name: str, title: str, content_type: str,
             data: bytes) -> KeptFile: ...

    def get(self, session_id: str, file_id: str) -> tuple[KeptFile, bytes] | None: ...

    def remove(self, session_id: str, file_id: str) -> None: ...

    def forget(self, session_id: str) -> None:
        """Every file of a session (sent, or the session ended)."""
        ...


class MemoryKeptFiles:
    """In this process's memory, sealed; at most ``per_session`` files per session."""

    def __init__(self, per_session: int = 12) -> None:
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))
        self._files: dict[str, dict[str, tuple[KeptFile, bytes]]] = {}
        self._per_session = per_session
        self._lock = threading.Lock()

    def keep(self, session_id: str, name: str, title: str, content_type: str,
             data: bytes) -> KeptFile:
        file = KeptFile(secrets.token_urlsafe(12), name[:120], title, content_type, len(data))
        nonce = secrets.token_bytes(12)
        sealed = nonce + self._aead.encrypt(nonce, data, f"{session_id}/{file.id}".encode())
        with self._lock:
            files = self._files.setdefault(session_id, {})
            while len(files) >= self._per_session:
                del files[next(iter(files))]  # the oldest goes
            files[file.id] = (file, sealed)
        return file

    def get(self, session_id: str, file_id: str) -> tuple[KeptFile, bytes] | None:
        with self._lock:
            found = self._files.get(session_id, {}).get(file_id)
        if found is None:
            return None
        file, sealed = found
        data = self._aead.decrypt(sealed[:12], sealed[12:], f"{session_id}/{file.id}".encode())
        return file, data

    def remove(self, session_id: str, file_id: str) -> None:
        with self._lock:
            self._files.get(session_id, {}).pop(file_id, None)

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._files.pop(session_id, None)

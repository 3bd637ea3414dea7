"""Encryption at rest for the journal: AES-256-GCM per value, keyed person-id index.

A keyring holds one or more named 256-bit keys; the last is current. Every encrypted value
is ``nonce || ciphertext+tag`` under the current key, with the row it belongs to as
associated data, so a value copied into another row or column fails to decrypt. Rows store
the id of their key, so keys rotate by re-encrypting rows (``rotate_key``).

Person ids are never stored in plaintext: lookups go through an HMAC-SHA256 of the id under
a subkey of the row's key (``index``). Keys come from ``MEDCOM_JOURNAL_KEY`` (one
``id:base64`` per line or separated by ``;``), from what ``MEDCOM_JOURNAL_KEY_COMMAND``
prints (for keys kept in a vault), or from a key file (``MEDCOM_JOURNAL_KEY_FILE``, default
``journal.key`` in the data directory). A key file is created (mode 0600) only for a journal
that holds nothing yet: see ``factory.open_journal``.
"""

from __future__ import annotations

import base64
import ctypes
import functools
import hashlib
import hmac
import os
import secrets
import shlex
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from medcom_adapter.errors import JournalCorrupt, JournalKeyError

KEY_ENV = "MEDCOM_JOURNAL_KEY"
KEY_FILE_ENV = "MEDCOM_JOURNAL_KEY_FILE"
KEY_COMMAND_ENV = "MEDCOM_JOURNAL_KEY_COMMAND"  # a command that prints the keys (a vault)
_NONCE = 12
_TAG = 16  # AES-GCM's authentication tag


@dataclass(frozen=True, slots=True)
class Key:
    id: str
    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) != 32:
            raise JournalKeyError(f"journal key {self.id!r} is not 256 bits")
        if not self.id or any(c in self.id for c in ":; \n"):
            raise JournalKeyError(f"journal key id {self.id!r} is empty or has : ; or space")

    def line(self) -> str:
        return f"{self.id}:{base64.b64encode(self.secret).decode()}"

    def index_key(self) -> bytes:
        """A subkey for the person index, so the index never reuses the encryption key."""
        return hmac.new(self.secret, b"medcom-journal person index", hashlib.sha256).digest()


def new_key() -> Key:
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return Key(f"{stamp}-{secrets.token_hex(4)}", secrets.token_bytes(32))


class Keyring:
    """The keys a journal may decrypt with; encrypts under the last one."""

    def __init__(self, keys: tuple[Key, ...]) -> None:
        if not keys:
            raise JournalKeyError("no journal key configured")
        self.keys = {k.id: k for k in keys}
        self.current = keys[-1]
        self._aead = {k.id: AESGCM(k.secret) for k in keys}
        self._index = {k.id: hmac.new(k.index_key(), digestmod=hashlib.sha256) for k in keys}

    def encrypt(self, plain: bytes, where: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return nonce + self._aead[self.current.id].encrypt(nonce, plain, where.encode())

    def seal(self, plain: bytes, where: str) -> bytearray:
        """As :meth:`encrypt`, built in one buffer: for a body, the nonce and ciphertext
        are not made apart and then joined (one copy of a large message fewer)."""
        nonce = secrets.token_bytes(_NONCE)
        sealed = bytearray(_NONCE + len(plain) + _TAG)
        sealed[:_NONCE] = nonce
        self._aead[self.current.id].encrypt_into(nonce, plain, where.encode(),
                                                 memoryview(sealed)[_NONCE:])
        return sealed

    def sealing(self, plain: bytes, where: str, place: str | None = None) -> Sealing:
        """As :meth:`seal`, done later a slice at a time (for an engine that writes a
        large value in place): the same bytes, never all of them at once. ``place``: where
        it is written, when that is not ``where``."""
        return Sealing(self.current.secret, plain, where, place)

    def decrypt(self, key_id: str, sealed: bytes | bytearray, where: str) -> bytes:
        try:
            aead = self._aead[key_id]
        except KeyError:
            raise JournalKeyError(f"{where} is encrypted under key {key_id!r}, "
                                  "which is not in the keyring") from None
        if len(sealed) < _NONCE + _TAG:  # the cipher would take a short nonce for a bug
            raise JournalCorrupt(f"{where} is too short to be sealed: changed outside the "
                                 "journal")
        try:
            view = memoryview(sealed)  # no copy of the ciphertext to split off its nonce
            return aead.decrypt(view[:_NONCE], view[_NONCE:], where.encode())
        except InvalidTag:
            raise JournalCorrupt(f"{where} fails authentication: changed outside the journal"
                                 ) from None

    def decrypt_reading(self, key_id: str, sealed: Readable, where: str) -> bytes:
        """As :meth:`decrypt`, reading ``sealed`` a slice at a time and decrypting each
        straight into the plaintext's one buffer (no copy of the whole ciphertext); the
        plaintext is handed out only once the tag has verified all of it."""
        size = len(sealed) - _NONCE - _TAG
        if key_id not in self.keys:
            self.decrypt(key_id, b"", where)  # JournalKeyError, naming the key
        if size < 0:
            raise JournalCorrupt(f"{where} is too short to be sealed: changed outside the "
                                 "journal")
        sealed.seek(0)
        nonce = sealed.read(_NONCE)
        sealed.seek(len(sealed) - _TAG)
        tag = sealed.read(_TAG)
        sealed.seek(_NONCE)
        decryptor = Cipher(algorithms.AES(self.keys[key_id].secret),
                           modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(where.encode())
        plain, into = _fresh(size)
        for at in range(0, size, Sealing.SLICE):
            piece = sealed.read(min(Sealing.SLICE, size - at))
            decryptor.update_into(piece, into[at:at + len(piece)])
        try:
            decryptor.finalize()
        except InvalidTag:
            raise JournalCorrupt(f"{where} fails authentication: changed outside the journal"
                                 ) from None
        return plain if isinstance(plain, bytes) else bytes(plain)

    def decrypt_pieces(self, key_id: str, size: int, pieces: Iterable[bytes], where: str
                       ) -> bytes:
        """As :meth:`decrypt_reading`, for a sealed value of ``size`` bytes that comes as
        its consecutive pieces, in order (an engine's slices of it, streamed): the nonce is
        taken from the start and the tag from the end as they pass, and the ciphertext
        between is decrypted straight into the plaintext's one buffer."""
        if key_id not in self.keys:
            self.decrypt(key_id, b"", where)  # JournalKeyError, naming the key
        if size < _NONCE + _TAG:
            raise JournalCorrupt(f"{where} is too short to be sealed: changed outside the "
                                 "journal")
        plain, into = _fresh(size - _NONCE - _TAG)
        ends, at = bytearray(), 0  # the nonce, then the tag; where the next piece starts
        decryptor: Any = None
        for piece in pieces:
            view, start = memoryview(piece), at
            at += len(view)
            if at > size:
                break
            if start < _NONCE:  # the nonce, or its end
                ends += view[:_NONCE - start]
                view, start = view[_NONCE - start:], min(at, _NONCE)
                if len(ends) == _NONCE:
                    decryptor = Cipher(algorithms.AES(self.keys[key_id].secret),
                                       modes.GCM(bytes(ends))).decryptor()
                    decryptor.authenticate_additional_data(where.encode())
                    ends.clear()
            body = max(0, min(len(view), size - _TAG - start))
            if body:
                decryptor.update_into(view[:body], into[start - _NONCE:start - _NONCE + body])
            ends += view[body:]  # the tag, or its start
        if at != size:
            raise JournalCorrupt(f"{where} is not the length it was stored with: changed "
                                 "outside the journal")
        try:
            decryptor.finalize_with_tag(bytes(ends))
        except InvalidTag:
            raise JournalCorrupt(f"{where} fails authentication: changed outside the journal"
                                 ) from None
        return plain if isinstance(plain, bytes) else bytes(plain)

    def index(self, value: str, key_id: str | None = None) -> str:
        """The keyed hash of a person id under the current key (or ``key_id``'s)."""
        mac = self._index[key_id or self.current.id].copy()
        mac.update(value.encode())
        return mac.hexdigest()

    def indexes(self, value: str) -> list[str]:
        """The index of ``value`` under every key (rows not yet rotated carry old ones)."""
        return [self.index(value, id) for id in self.keys]


class Sealing:
    """A value :meth:`Keyring.seal` would make, made slice by slice as it is written:
    ``nonce || ciphertext || tag``, AES-256-GCM with ``where`` as associated data, written
    at ``place`` (``table.column:row``; ``where`` unless told)."""

    __slots__ = ("_secret", "place", "plain", "where")
    SLICE = 1024 * 1024

    def __init__(self, secret: bytes, plain: bytes, where: str, place: str | None = None
                 ) -> None:
        self._secret, self.plain, self.where = secret, plain, where
        self.place = where if place is None else place

    def __len__(self) -> int:
        return _NONCE + len(self.plain) + _TAG

    def slices(self) -> Iterator[bytes]:
        nonce = secrets.token_bytes(_NONCE)
        encryptor = Cipher(algorithms.AES(self._secret), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(self.where.encode())
        yield nonce
        plain = memoryview(self.plain)
        for at in range(0, len(plain), self.SLICE):
            yield encryptor.update(plain[at:at + self.SLICE])
        yield encryptor.finalize() + encryptor.tag

    def sealed(self) -> bytes:
        """All of it at once (for an engine that takes the value whole)."""
        return b"".join(self.slices())


class Readable(Protocol):
    """A sealed value read in place (sqlite3.Blob): its size, a position, reads from it."""

    def __len__(self) -> int: ...

    def seek(self, offset: int, origin: int = 0, /) -> None: ...

    def read(self, length: int = -1, /) -> bytes: ...


def _fresh(size: int) -> tuple[bytes | bytearray, memoryview]:
    """A new buffer of ``size`` bytes and a writable view of it. In CPython it is a bytes
    object, made as C code makes one (``PyBytes_FromStringAndSize(NULL, size)``) and
    filled before anyone else sees it, so a large plaintext is not copied into bytes once
    more; elsewhere a bytearray, copied into bytes at the end."""
    if size > 1 and sys.implementation.name == "cpython":  # 0 and 1 are shared objects
        made = _new_bytes()(None, size)
        view = memoryview((ctypes.c_char * size).from_address(
            id(made) + bytes.__basicsize__ - 1)).cast("B")  # ob_sval, after the header
        return made, view
    found = bytearray(size)
    return found, memoryview(found)


@functools.cache
def _new_bytes() -> Any:
    made = ctypes.pythonapi.PyBytes_FromStringAndSize
    made.restype, made.argtypes = ctypes.py_object, (ctypes.c_void_p, ctypes.c_ssize_t)
    return made


def parse_keys(text: str, source: str) -> tuple[Key, ...]:
    keys = []
    for part in text.splitlines():
        part = part.strip()
        if not part or part.startswith("#"):
            continue
        id, sep, encoded = part.partition(":")
        try:
            secret = base64.b64decode(encoded, validate=True)
        except ValueError:
            secret = b""
        if not sep or not secret:
            raise JournalKeyError(f"{source}: a key is 'id:base64 of 32 bytes'")
        keys.append(Key(id.strip(), secret))
    return tuple(keys)


def key_file(data_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env[KEY_FILE_ENV]) if env.get(KEY_FILE_ENV) else data_dir / "journal.key"


def load_keyring(data_dir: Path, env: Mapping[str, str] | None = None, *,
                 create: bool = True) -> Keyring:
    """The configured keyring; a fresh key file is made when none is configured."""
    env = os.environ if env is None else env
    if env.get(KEY_ENV):
        return Keyring(parse_keys(env[KEY_ENV].replace(";", "\n"), KEY_ENV))
    if env.get(KEY_COMMAND_ENV):
        return Keyring(parse_keys(_run(env[KEY_COMMAND_ENV]).replace(";", "\n"),
                                  KEY_COMMAND_ENV))
    path = key_file(data_dir, env)
    if not path.exists():
        if not create:
            raise JournalKeyError(f"no journal key: set {KEY_ENV} or {KEY_FILE_ENV}")
        _first_keys(path, (new_key(),))
    return Keyring(parse_keys(path.read_text(encoding="ascii"), str(path)))


def _first_keys(path: Path, keys: tuple[Key, ...]) -> None:
    """Make the key file unless it exists: of processes starting together on a new data
    directory exactly one key is made, and every one of them reads it."""
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    write_keys(draft, keys)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another process made it first: its key is the journal's
    finally:
        draft.unlink()


def _run(command: str) -> str:
    """What ``command`` prints; its output is never quoted back (it is the key)."""
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, timeout=60,
                              check=False)
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise JournalKeyError(f"{KEY_COMMAND_ENV} could not be run: {type(exc).__name__}"
                              ) from None
    if done.returncode != 0:
        raise JournalKeyError(f"{KEY_COMMAND_ENV} failed (exit {done.returncode})")
    return done.stdout.decode("ascii", "replace")


def write_keys(path: Path, keys: tuple[Key, ...]) -> None:
    """Replace the key file atomically, readable by its owner only."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write("# medcom-adapter journal keys: id:base64; the last one is current\n")
        out.writelines(k.line() + "\n" for k in keys)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)

"""A sealed value decrypted from its pieces as an engine streams them, wherever they split.

The nonce and the tag may arrive split across pieces; a value cut, lengthened or changed
anywhere is refused, and the plaintext is handed out only when the tag has verified it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from medcom_adapter.errors import JournalCorrupt, JournalKeyError
from medcom_adapter.journal.crypto import Key, Keyring

KEYS = Keyring((Key("test-1", bytes(range(32))),))
PLAIN = random.Random(5).randbytes(100_003)
WHERE = "message_bodies.body:7"


def _split(value: bytes, sizes: list[int]) -> Iterator[bytes]:
    at, n = 0, 0
    while at < len(value):
        yield value[at:at + sizes[n % len(sizes)]]
        at += sizes[n % len(sizes)]
        n += 1


@pytest.mark.parametrize("sizes", [[1], [5, 7], [11, 3, 1 << 16], [12, 99_991, 20],
                                   [100_000, 20, 3], [1 << 20]],
                         ids=lambda s: "-".join(map(str, s)))
def test_a_value_in_pieces_decrypts_to_its_plaintext_wherever_they_split(
        sizes: list[int]) -> None:
    sealed = bytes(KEYS.seal(PLAIN, WHERE))
    got = KEYS.decrypt_pieces("test-1", len(sealed), _split(sealed, sizes), WHERE)
    assert got == PLAIN and type(got) is bytes


@pytest.mark.parametrize("at", [0, 11, 12, 50_000, -17, -16, -1])
def test_a_byte_changed_anywhere_is_refused(at: int) -> None:
    sealed = bytearray(KEYS.seal(PLAIN, WHERE))
    sealed[at] ^= 0x40
    with pytest.raises(JournalCorrupt, match="fails authentication"):
        KEYS.decrypt_pieces("test-1", len(sealed), _split(bytes(sealed), [4096]), WHERE)


def test_a_value_read_at_another_place_is_refused() -> None:
    sealed = bytes(KEYS.seal(PLAIN, WHERE))
    with pytest.raises(JournalCorrupt, match="fails authentication"):
        KEYS.decrypt_pieces("test-1", len(sealed), iter([sealed]), "message_bodies.body:8")


@pytest.mark.parametrize("change", ["cut", "longer"])
def test_a_value_not_its_stated_length_is_refused(change: str) -> None:
    sealed = bytes(KEYS.seal(PLAIN, WHERE))
    pieces = [sealed[:-1]] if change == "cut" else [sealed, b"x"]
    with pytest.raises(JournalCorrupt, match="not the length"):
        KEYS.decrypt_pieces("test-1", len(sealed), iter(pieces), WHERE)


@pytest.mark.parametrize("size", [0, 27])
def test_a_value_shorter_than_a_nonce_and_tag_is_refused(size: int) -> None:
    with pytest.raises(JournalCorrupt, match="too short"):
        KEYS.decrypt_pieces("test-1", size, iter([b"\0" * size]), WHERE)
    with pytest.raises(JournalCorrupt, match="too short"):
        KEYS.decrypt("test-1", b"\0" * size, WHERE)


def test_a_value_under_a_key_not_in_the_keyring_names_the_key() -> None:
    sealed = bytes(KEYS.seal(PLAIN, WHERE))
    with pytest.raises(JournalKeyError, match="test-9"):
        KEYS.decrypt_pieces("test-9", len(sealed), iter([sealed]), WHERE)

"""Digests and the hash chain that make tampering with a journal detectable.

Each message's entry links to the one before it: ``link = SHA-256(previous link || entry)``.
The entry covers the message's header fields and the SHA-256 digests of its body and
attachments, never a person id or plaintext content, so a purged message (body and person
erased) keeps its place in the chain. Person ids are protected by authenticated encryption
bound to their row instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from medcom_adapter.journal.interface import NewMessage, VerifyReport

GENESIS = "0" * 64


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Entry:
    """What the chain covers of one message (all of it survives a purge)."""

    id: int
    direction: str
    kind: str
    version: str
    envelope_id: str
    message_id: str
    sender_ean: str | None
    receiver_ean: str | None
    sender_sor: str | None
    receiver_sor: str | None
    episode_id: str | None
    answers: int | None
    stored_at: str  # journal timestamp text (see ``timestamp``)
    digest: str
    attachment_digests: tuple[str, ...]

    def canonical(self) -> bytes:
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields["attachment_digests"] = list(self.attachment_digests)
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def entry_for(id: int, message: NewMessage, stored_at: datetime) -> Entry:
    return Entry(
        id=id, direction=message.direction.value, kind=message.kind, version=message.version,
        envelope_id=message.envelope_id, message_id=message.message_id,
        sender_ean=message.sender_ean, receiver_ean=message.receiver_ean,
        sender_sor=message.sender_sor, receiver_sor=message.receiver_sor,
        episode_id=message.episode_id, answers=message.answers,
        stored_at=timestamp(stored_at), digest=digest(message.data),
        attachment_digests=tuple(digest(a.data) for a in message.attachments),
    )


def link(previous: str, entry: Entry) -> str:
    return hashlib.sha256(previous.encode() + entry.canonical()).hexdigest()


def timestamp(at: datetime) -> str:
    """Fixed-width UTC text: sorts as time sorts, identical in every engine."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def first_break(entries: Sequence[tuple[Entry, str]], previous: str = GENESIS) -> int | None:
    """The id of the first entry whose stored link does not follow from the ones before it."""
    for entry, stored in entries:
        expected = link(previous, entry)
        if expected != stored:
            return entry.id
        previous = stored
    return None


def report(entries: Sequence[tuple[Entry, str]], head: str,
           problems: Sequence[tuple[int, str]]) -> VerifyReport:
    """The verdict on a whole journal: its entries with their stored links, the head link
    recorded at the last append, and the per-message problems (id, text) already found."""
    found = list(problems)
    broken = first_break(entries)
    if broken is not None:
        found.append((broken, f"message {broken}: chain link does not follow from the entry "
                              "before it (an entry was changed or removed)"))
    elif (entries[-1][1] if entries else GENESIS) != head:
        after = entries[-1][0].id if entries else 0
        found.append((after + 1, f"entries after message {after} are missing"))
    found.sort()
    return VerifyReport(len(entries), found[0][0] if found else None,
                        tuple(text for _, text in found))

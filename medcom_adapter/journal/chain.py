"""Digests and the keyed chains that make tampering with a journal detectable.

Each message's entry links to the one before it: ``link = HMAC-SHA256(chain key, previous
link || entry)``. The chain key is derived from the journal key, which is kept apart from
the database, so nobody holding only the database can recompute a link: a row changed,
removed or cut off breaks the chain. The entry covers the message's header fields, the
SHA-256 digests of its body and attachments and a keyed digest of its §126a
classification, never a person id or plaintext content, so a purged message (body, person
and classification erased) keeps its place in the chain. The audit log is chained the same
way (:func:`audit_link`), and so is every status change (:func:`status_link`), in the
order the journal made them. Without a key (``key=None``) a link is the plain SHA-256 of the
same bytes, as journals before schema 5 were linked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from medcom_adapter.conformance import built
from medcom_adapter.journal.interface import Checkpoint, NewMessage, VerifyReport
from medcom_adapter.model.classification import Classification

GENESIS = "0" * 64


def chain_key(secret: bytes) -> bytes:
    """The chain key derived from a journal key: never the encryption key itself."""
    return hmac.new(secret, b"medcom-journal chain", hashlib.sha256).digest()


def digest(data: bytes) -> str:
    return built.digest(data)  # a Built's was computed once, as it was sealed


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
    classification: str | None = None  # keyed digest (see ``classification_digest``)
    channel: str | None = None  # what it arrived on or must leave on (schema 14)

    def canonical(self) -> bytes:
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields["attachment_digests"] = list(self.attachment_digests)
        if self.channel is None:  # entries from before schema 14 keep their links
            del fields["channel"]
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def classification_digest(key: bytes | None, c: Classification | None) -> str | None:
    """A keyed digest of a classification (it holds a person id: a plain hash of so few
    possible values could be reversed)."""
    if c is None:
        return None
    text = json.dumps([str(c.course_id), c.referred_on.isoformat(), str(c.patient),
                       c.unit.value, [h.value for h in c.classes]], separators=(",", ":"))
    return hmac.new(key or b"", text.encode(), hashlib.sha256).hexdigest()


def entry_for(id: int, message: NewMessage, stored_at: datetime,
              key: bytes | None = None) -> Entry:
    return Entry(
        id=id, direction=message.direction.value, kind=message.kind, version=message.version,
        envelope_id=message.envelope_id, message_id=message.message_id,
        sender_ean=message.sender_ean, receiver_ean=message.receiver_ean,
        sender_sor=message.sender_sor, receiver_sor=message.receiver_sor,
        episode_id=message.episode_id, answers=message.answers,
        stored_at=timestamp(stored_at), digest=digest(message.data),
        attachment_digests=tuple(digest(a.data) for a in message.attachments),
        classification=classification_digest(key, message.classification),
        channel=message.channel,
    )


def link(previous: str, entry: Entry, key: bytes | None = None) -> str:
    return _link(key, previous.encode() + entry.canonical())


def audit_link(key: bytes | None, previous: str, at: str, actor: str, action: str,
               message_ids: str, detail: str | None) -> str:
    """The link of one audit row: every column but its number, after the row before it."""
    fields = json.dumps([at, actor, action, message_ids, detail], separators=(",", ":"))
    return _link(key, previous.encode() + fields.encode())


def status_link(key: bytes | None, previous: str, message: int, status: str, at: str,
                reason: str | None) -> str:
    """The link of one status change (its reason in plain: the link reveals nothing of it),
    after the change the journal made before it, whichever message that was."""
    fields = json.dumps(["status", message, status, at, reason], separators=(",", ":"))
    return _link(key, previous.encode() + fields.encode())


def _link(key: bytes | None, data: bytes) -> str:
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def timestamp(at: datetime) -> str:
    """Fixed-width UTC text: sorts as time sorts, identical in every engine."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def first_break(entries: Sequence[tuple[Entry, str]], previous: str = GENESIS,
                key: bytes | None = None) -> int | None:
    """The id of the first entry whose stored link does not follow from the ones before it."""
    for entry, stored in entries:
        expected = link(previous, entry, key)
        if expected != stored:
            return entry.id
        previous = stored
    return None


def report(entries: Sequence[tuple[Entry, str]], head: str,
           problems: Sequence[tuple[int, str]], key: bytes | None = None,
           against: Checkpoint | None = None) -> VerifyReport:
    """The verdict on a whole journal: its entries with their stored links, the head link
    recorded at the last append, the per-message problems (id, text) already found, and
    the checkpoint kept elsewhere that the chain must still pass through."""
    found = list(problems)
    if against is not None:
        stored = dict((e.id, link) for e, link in entries)
        if against.messages and stored.get(against.messages) != against.message_link:
            found.append((against.messages, f"message {against.messages}: "
                          + ("missing, though the checkpoint names it"
                             if against.messages not in stored
                             else "its link differs from the checkpoint's (the journal was "
                                  "rewritten up to here)")))
    broken = first_break(entries, key=key)
    if broken is not None:
        found.append((broken, f"message {broken}: chain link does not follow from the entry "
                              "before it (an entry was changed or removed)"))
    elif (entries[-1][1] if entries else GENESIS) != head:
        after = entries[-1][0].id if entries else 0
        found.append((after + 1, f"entries after message {after} are missing"))
    found.sort()
    return VerifyReport(len(entries), found[0][0] if found else None,
                        tuple(text for _, text in found))


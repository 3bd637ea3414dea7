"""Messages to table rows and back, sealing content and person ids on the way in.

Associated data names the table, column and row of each ciphertext, so a ciphertext moved
to another row or column no longer decrypts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from medcom_adapter.errors import JournalCorrupt
from medcom_adapter.journal import bodies, chain, in_body
from medcom_adapter.journal.crypto import Keyring
from medcom_adapter.journal.db import Row
from medcom_adapter.journal.interface import (
    Attachment,
    Direction,
    NewMessage,
    Status,
    StatusChange,
    StoredMessage,
)
from medcom_adapter.model.classification import Classification, Henvisning
from medcom_adapter.model.identifiers import SorId
from medcom_adapter.model.parties import person_id

MESSAGE_COLUMNS = (
    "id", "direction", "kind", "version", "envelope_id", "message_id", "sender_ean",
    "receiver_ean", "sender_sor", "receiver_sor", "episode_id", "answers", "stored_at",
    "stored_by", "digest", "attachment_digests", "link", "key_id", "body", "person",
    "person_index", "status", "lease_until", "purged_at", "classification_digest", "channel",
)
ATTACHMENT_COLUMNS = (
    "message", "position", "object_id", "content_type", "title", "data", "in_body")
CLASSIFICATION_COLUMNS = (
    "message", "course_id", "referred_on", "unit", "classes", "person", "person_index")


# a body this large is sealed as it is written, where the engine can (SQLite), in a table of
# its own (see bodies): bound whole, the driver and SQLite would each copy it, and it would
# stay bound to a cached statement
IN_PLACE_FROM = 1024 * 1024


def kept_apart(message: NewMessage, in_place: bool) -> bool:
    return in_place and len(message.data) >= IN_PLACE_FROM


def insert(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def where(table: str, column: str, id: int, position: int | None = None) -> str:
    return f"{table}.{column}:{id}" + ("" if position is None else f":{position}")


def body_where(id: int, spans: Iterable[tuple[int, str | None]]) -> str:
    """What a message's sealed body is bound to: its row and, when objects were cut out of
    it, each one's position and place (``in_body``). Those places are plaintext and the
    body is rebuilt from them: a place moved, resized, marked or unmarked, or a row moved
    or dropped, then fails the body's authentication, found on every read without the key
    and not to be forged without it. A body nothing was cut from is bound as before."""
    cut = [f"{n}={span}" for n, span in sorted(spans, key=lambda s: s[0])
           if span is not None and span.endswith(in_body.CUT)]
    body = where("messages", "body", id)
    return f"{body}:{','.join(cut)}" if cut else body


def data_where(id: int, n: int, span: str | None) -> str:
    """What an attachment's sealed data is bound to: its row and, for an object cut out of
    its body or a reference marked bound, its place there (a place changed, or a marker
    added or removed, fails). An unmarked reference was written before places were bound."""
    data = where("attachments", "data", id, n)
    return data if span is None or not span.endswith((in_body.CUT, in_body.BOUND)) \
        else f"{data}:{span}"


def message_row(id: int, entry: chain.Entry, link: str, message: NewMessage, status: Status,
                actor: str, keys: Keyring, *, in_place: bool = False,
                stored: Form | None = None) -> Row:
    """``in_place``: a large body is sealed as the engine writes it (see Dialect);
    ``stored``: what ``stored_form`` keeps of the message (its body whole, unless told)."""
    person = None if message.patient is None else str(message.patient)
    body = where("messages", "body", id) if stored is None else body_where(
        id, enumerate(stored.spans))
    kept = message.data if stored is None else stored.body
    return (
        id, entry.direction, entry.kind, entry.version, entry.envelope_id, entry.message_id,
        entry.sender_ean, entry.receiver_ean, entry.sender_sor, entry.receiver_sor,
        entry.episode_id, entry.answers, entry.stored_at, actor, entry.digest,
        ",".join(entry.attachment_digests), link, keys.current.id,
        bodies.APART if kept_apart(message, in_place) else keys.seal(kept, body),
        None if person is None else keys.encrypt(person.encode(), where("messages", "person", id)),
        None if person is None else keys.index(person), status.value, None, None,
        entry.classification, entry.channel,
    )


def body_row(id: int, message: NewMessage, keys: Keyring, *, in_place: bool) -> Row | None:
    """The row of ``bodies.TABLE`` for a body kept apart, sealed as it is written."""
    if not kept_apart(message, in_place):
        return None
    return (id, keys.sealing(message.data, where("messages", "body", id), bodies.place(id)))


@dataclass(frozen=True, slots=True)
class Form:
    """What is sealed of a message: its body, and per attachment where its base64 lies in
    the body (``in_body``: None when the attachment is stored whole)."""

    body: bytes
    spans: tuple[str | None, ...]


def stored_form(message: NewMessage, *, in_place: bool) -> Form:
    """An attachment whose base64 the body holds is stored once: as a reference into the
    body (``start:end``) or, when our builder placed it there in a body sealed whole, cut
    out of the body and stored decoded (``start:end cut``: a quarter fewer bytes sealed,
    written and read; reading encodes it back, see ``in_body.rebuild``)."""
    cuts: list[str] = []
    spans: list[str | None] = []
    for a in message.attachments:
        span = None if kept_apart(message, in_place) else in_body.cuttable(message.data, a.data)
        if span is not None and span not in cuts:
            cuts.append(span)
            spans.append(span + in_body.CUT)
        else:  # a body kept apart is read a slice at a time: it stays whole
            spans.append(_reference(message.data, a.data) if span is None else None)
    return Form(in_body.cut(message.data, cuts) if cuts else message.data, tuple(spans))


def _reference(body: bytes, data: bytes) -> str | None:
    """Where ``data``'s base64 lies in ``body``, marked bound (see ``data_where``)."""
    span = in_body.locate(body, data)
    return None if span is None else span + in_body.BOUND


def attachment_rows(id: int, message: NewMessage, keys: Keyring,
                    stored: Form | None = None) -> list[Row]:
    """One row per attachment; one whose base64 the body holds is a reference into it, or
    cut out of it (see ``stored_form``)."""
    found = []
    for n, a in enumerate(message.attachments):
        span = _reference(message.data, a.data) if stored is None else stored.spans[n]
        whole = span is None or span.endswith(in_body.CUT)
        found.append((
            id, n, a.object_id, a.content_type,
            None if a.title is None
            else keys.encrypt(a.title.encode(), where("attachments", "title", id, n)),
            keys.seal(a.data if whole else b"", data_where(id, n, span)),
            span))
    return found


def history_row(id: int, status: Status, at: str, reason: str | None, keys: Keyring) -> Row:
    """A status change; its reason (a negative receipt's text may quote the message) sealed."""
    if reason is None:
        return (id, status.value, at, None, None)
    return (id, status.value, at, keys.current.id,
            keys.encrypt(reason.encode(), history_where(id, status.value, at)))


def history_where(id: int, status: str, at: str) -> str:
    return f"status_history.reason:{id}:{status}:{at}"


def open_history(id: int, row: Row, keys: Keyring) -> StatusChange:
    status, at, key_id, sealed = row
    reason = None if sealed is None else keys.decrypt(
        key_id, bytes(sealed), history_where(id, status, at)).decode()
    return StatusChange(Status(status), moment(at), reason)


def classification_row(id: int, c: Classification, keys: Keyring) -> Row:
    person = str(c.patient)
    return (id, str(c.course_id), c.referred_on.isoformat(), c.unit.value,
            ",".join(h.value for h in c.classes),
            keys.encrypt(person.encode(), where("classifications", "person", id)),
            keys.index(person))


def entry(row: dict[str, Any]) -> chain.Entry:
    """The chain entry as stored (what ``verify`` checks the links against)."""
    digests = row["attachment_digests"]
    return chain.Entry(
        id=row["id"], direction=row["direction"], kind=row["kind"], version=row["version"],
        envelope_id=row["envelope_id"], message_id=row["message_id"],
        sender_ean=row["sender_ean"], receiver_ean=row["receiver_ean"],
        sender_sor=row["sender_sor"], receiver_sor=row["receiver_sor"],
        episode_id=row["episode_id"], answers=row["answers"], stored_at=row["stored_at"],
        digest=row["digest"], attachment_digests=tuple(digests.split(",")) if digests else (),
        classification=row["classification_digest"], channel=row["channel"],
    )


def as_dict(row: Row, columns: Sequence[str] = MESSAGE_COLUMNS) -> dict[str, Any]:
    return dict(zip(columns, row, strict=True))


def _unbound(id: int) -> JournalCorrupt:
    return JournalCorrupt(f"the body of message {id}, or where one of its attachments lies in "
                          "it, fails authentication: changed outside the journal")


def open_attachment(row: Row, keys: Keyring, key_id: str, body: bytes) -> Attachment:
    """An attachment as stored; ``body`` is its message's (rebuilt), which may hold its
    bytes."""
    id, n, object_id, content_type, title, data, span = row
    try:
        sealed = keys.decrypt(key_id, bytes(data), data_where(id, n, span))
    except JournalCorrupt:  # named without the place: it is what may have changed
        raise _unbound(id) from None
    referred = span is not None and not span.endswith(in_body.CUT)
    return Attachment(
        object_id, content_type, in_body.extract(body, span) if referred else sealed,
        None if title is None
        else keys.decrypt(key_id, bytes(title), where("attachments", "title", id, n)).decode(),
    )


def open_classification(row: Row, keys: Keyring, key_id: str) -> Classification:
    id, course, referred_on, unit, classes, person, _ = row
    patient = keys.decrypt(key_id, bytes(person), where("classifications", "person", id))
    return Classification(UUID(course), date.fromisoformat(referred_on),
                          person_id(patient.decode()), SorId(unit),
                          tuple(Henvisning(c) for c in classes.split(",")))


def open_body(row: dict[str, Any], keys: Keyring, attachments: Sequence[Row],
              body: bytes | None = None) -> tuple[bytes, tuple[Attachment, ...]]:
    """The message's body as it was appended (an object cut out of it put back), and its
    attachments among ``attachments`` (rows of it; those cut out of the body, at least).
    ``body``: the stored body opened already (one kept apart, see bodies)."""
    id, key_id = row["id"], row["key_id"]
    try:
        if body is None:
            body = b"" if row["body"] is None else keys.decrypt(
                key_id, bytes(row["body"]), body_where(id, ((a[1], a[6]) for a in attachments)))
        cut = [(a, open_attachment(a, keys, key_id, b"")) for a in attachments
               if a[6] is not None and a[6].endswith(in_body.CUT)]
    except JournalCorrupt:  # named without the places: they are what may have changed
        raise _unbound(id) from None
    if cut:
        body = in_body.rebuild(body, [(a[6], opened.data) for a, opened in cut])
    opened = {a[1]: got for a, got in cut}
    return body, tuple(opened[a[1]] if a[1] in opened else open_attachment(a, keys, key_id, body)
                       for a in attachments)


def stored(row: dict[str, Any], keys: Keyring, *, attachments: Sequence[Row],
           history: Sequence[Row], answered_by: Sequence[int],
           classification: Row | None, body: bytes | None = None,
           with_attachments: bool = True) -> StoredMessage:
    """``body``: the body opened already (one kept apart, see bodies); ``attachments``:
    the message's attachment rows (those cut out of its body, at least), given back unless
    not ``with_attachments``."""
    id, key_id = row["id"], row["key_id"]
    body, opened = open_body(row, keys, attachments, body)
    person = None if row["person"] is None else keys.decrypt(
        key_id, bytes(row["person"]), where("messages", "person", id)).decode()
    message = NewMessage(
        direction=Direction(row["direction"]), kind=row["kind"], version=row["version"],
        data=body, envelope_id=row["envelope_id"], message_id=row["message_id"],
        sender_ean=row["sender_ean"], receiver_ean=row["receiver_ean"],
        sender_sor=row["sender_sor"], receiver_sor=row["receiver_sor"],
        patient=None if person is None else person_id(person),
        episode_id=row["episode_id"], answers=row["answers"],
        attachments=opened if with_attachments else (),
        classification=None if classification is None
        else open_classification(classification, keys, key_id),
        channel=row["channel"],
    )
    return StoredMessage(
        id, message, moment(row["stored_at"]), row["digest"],
        tuple(open_history(id, change, keys) for change in history),
        tuple(answered_by), None if row["purged_at"] is None else moment(row["purged_at"]),
    )


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)

"""An attachment whose base64 its message body holds (an XBIN's object) is stored once.

The body is sealed and written anyway; the attachment's row then keeps only where its text
lies, and reading decodes it from there. The chain still covers the decoded bytes: a body or
a reference changed outside the journal is found by ``verify``.
"""

from __future__ import annotations

import dataclasses
import json
import random

import pybase64
import pytest

from medcom_adapter.conformance.built import Built, Placed, seal
from medcom_adapter.errors import JournalCorrupt
from medcom_adapter.journal import in_body
from medcom_adapter.journal.interface import Attachment, NewMessage, Query, Status
from medcom_adapter.journal.sqlstore import SqlJournal
from tests.journal.samples import referral
from tests.samples import pdf_with

PDF = pdf_with(random.Random(7).randbytes(64 * 1024))  # a real PDF: requests read it too


def xbin(pdf: bytes = PDF, *, encoded: bytes | None = None) -> NewMessage:
    """An XBIN-like letter carrying ``pdf`` in 76-character lines, as our builder writes it."""
    text = pybase64.encodebytes(pdf) if encoded is None else encoded
    body = (b"<Emessage><BinaryObject><Object_Base64Encoded>" + text
            + b"</Object_Base64Encoded></BinaryObject></Emessage>")
    return dataclasses.replace(
        referral(1), kind="XBIN02", version="XB0230X", data=body, classification=None,
        attachments=(Attachment("OBJ-1", "application/pdf", pdf, "Henvisningsskema"),))


def _stored(journal: SqlJournal) -> list[tuple[int, str | None]]:
    return [(len(bytes(data)), span) for data, span in journal.db.rows(
        "SELECT data, in_body FROM attachments ORDER BY message, position")]


def test_an_xbins_object_is_stored_once_and_read_back_exactly(
        sql_journal: SqlJournal) -> None:
    id = sql_journal.append(xbin(), Status.QUEUED)
    ((sealed, span),) = _stored(sql_journal)
    assert span is not None and sealed < 64  # a sealed empty value, not the PDF again
    got = sql_journal.get(id)
    assert got.message.attachments[0].data == PDF
    assert got.message.data == xbin().data
    assert sql_journal.verify().intact


def test_an_attachment_the_body_does_not_hold_is_stored_whole(
        sql_journal: SqlJournal) -> None:
    other = b"%PDF-1.4\n" + random.Random(8).randbytes(4096)
    sql_journal.append(dataclasses.replace(xbin(), attachments=(
        Attachment("OBJ-1", "application/pdf", other),)), Status.QUEUED)
    wrapped_otherwise = pybase64.b64encode(PDF)  # one long line: found all the same
    sql_journal.append(xbin(encoded=wrapped_otherwise), Status.QUEUED)
    (first, first_span), (second, second_span) = _stored(sql_journal)
    assert first_span is None and first > len(other)
    assert second_span is not None and second < 64
    assert sql_journal.get(1).message.attachments[0].data == other
    assert sql_journal.get(2).message.attachments[0].data == PDF


def test_the_body_changing_after_the_reference_is_found_by_verify(
        sql_journal: SqlJournal) -> None:
    sql_journal.append_many([xbin(), xbin()], Status.QUEUED)
    span = _stored(sql_journal)[1][1]
    assert span is not None
    start, end = (int(n) for n in span.removesuffix(in_body.BOUND).split(":"))
    sql_journal.db.run("UPDATE attachments SET in_body = ? WHERE message = 2",
                       (f"{start + 4}:{end}{in_body.BOUND}",))  # would decode to other bytes
    report = sql_journal.verify()  # the place is bound into what is sealed (see
    assert report.first_broken == 2  # tests/journal/test_references_bound.py)
    assert "fails authentication" in report.problems[0]


def test_a_span_that_is_no_base64_is_corrupt() -> None:
    assert in_body.locate(b"<a>" + pybase64.b64encode(PDF[:500]) + b"</a>", PDF[:500]) is None
    with pytest.raises(JournalCorrupt, match="holds no base64"):
        in_body.extract(b"<a>QUJD</a>", "nonsense")
    assert in_body.locate(xbin().data, PDF[:-1]) is None  # same start, other bytes


def test_a_large_body_reads_back_exactly_wherever_it_is_sealed(
        sql_journal: SqlJournal) -> None:
    # SQLite seals a large body as it writes it in place (a slice at a time, into a
    # zeroblob); PostgreSQL takes it whole: either way it reads back and verifies
    pdf = b"%PDF-1.4\n" + random.Random(9).randbytes(3 * 1024 * 1024 + 5) + b"\n%%EOF\n"
    small, large = sql_journal.append_many([xbin(), xbin(pdf)], Status.QUEUED)
    assert sql_journal.get(large).message.data == xbin(pdf).data
    assert sql_journal.get(large).message.attachments[0].data == pdf
    assert sql_journal.get(small).message.data == xbin().data
    assert sql_journal.verify().intact
    (sealed,) = sql_journal.db.rows("SELECT body FROM messages WHERE id = ?", (large,))
    assert pdf[1000:2000] not in bytes(sealed[0])  # encrypted at rest like any other


def test_a_body_sealed_in_slices_is_what_sealing_it_whole_makes() -> None:
    from medcom_adapter.journal.crypto import Keyring, new_key

    keys = Keyring((new_key(),))
    plain = random.Random(3).randbytes(2 * 1024 * 1024 + 3)
    sealing = keys.sealing(plain, "messages.body:7")
    sealed = sealing.sealed()
    assert len(sealed) == len(sealing) == len(plain) + 28
    assert keys.decrypt(keys.current.id, sealed, "messages.body:7") == plain
    with pytest.raises(JournalCorrupt):  # bound to its row like any sealed value
        keys.decrypt(keys.current.id, sealed, "messages.body:8")


def _count_decoding(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How often ``locate`` decodes base64 to prove an attachment is in its body."""
    decoded = [0]
    real = in_body._decodes_to

    def counted(text: memoryview, data: bytes) -> bool:
        decoded[0] += 1
        return real(text, data)

    monkeypatch.setattr(in_body, "_decodes_to", counted)
    return decoded


def _built_referral() -> tuple[NewMessage, ...]:
    """A referral and its XBIN as submitting queues them: built, validated, each a Built."""
    from medcom_adapter.addressing.directory import Directory
    from medcom_adapter.workers.submit import prepare_referral
    from tests.conftest import FIXTURES

    request = json.loads((FIXTURES / "requests" / "referral-bup.json").read_text("utf-8"))
    name = request["attachments"][0]["file"]
    return prepare_referral(Directory.load(FIXTURES / "network" / "receivers.json"),
                            request, files={name: PDF}).entries


def test_an_object_our_builder_placed_is_located_without_decoding_and_stored_decoded(
        sql_journal: SqlJournal, monkeypatch: pytest.MonkeyPatch) -> None:
    decoded = _count_decoding(monkeypatch)
    referral_entry, xbin_entry = _built_referral()
    assert isinstance(xbin_entry.data, Built) and xbin_entry.attachments[0].data == PDF
    ids = sql_journal.append_many((referral_entry, xbin_entry), Status.QUEUED)
    assert decoded == [0]
    ((sealed, span),) = _stored(sql_journal)
    # the place the builder gave is the one decoding the plain bytes proves
    assert span == f"{in_body.locate(bytes(xbin_entry.data), PDF)}{in_body.CUT}"
    assert decoded == [1]
    # the object is sealed decoded, the body without its base64: the PDF's bytes once,
    # a quarter fewer than as base64 text
    start, end = (int(n) for n in span.removesuffix(in_body.CUT).split(":"))
    ((body,),) = sql_journal.db.rows("SELECT body FROM messages WHERE id = ?", (ids[1],))
    assert sealed == len(PDF) + 28
    assert len(bytes(body)) == len(xbin_entry.data) - (end - start) + 28
    got = sql_journal.get(ids[1])
    assert got.message.attachments[0].data == PDF and got.message.data == xbin_entry.data
    (queued,) = sql_journal.find(Query(id=ids[1], attachments=False))  # as the outbox reads
    assert queued.message.data == xbin_entry.data and queued.message.attachments == ()
    assert sql_journal.verify().intact


def test_a_body_rebuilt_from_a_changed_place_is_found_by_verify(
        sql_journal: SqlJournal) -> None:
    _, entry = _built_referral()
    sql_journal.append_many([entry, entry], Status.QUEUED)
    (span,) = sql_journal.db.rows("SELECT in_body FROM attachments WHERE message = 2")[0]
    start, end = (int(n) for n in span.removesuffix(in_body.CUT).split(":"))
    sql_journal.db.run("UPDATE attachments SET in_body = ? WHERE message = 2",
                       (f"{start + 1}:{end + 1}{in_body.CUT}",))  # the text put back 1 later
    report = sql_journal.verify()  # the place is bound into what is sealed (see
    assert report.first_broken == 2  # tests/journal/test_cut_places_bound.py)
    assert "fails authentication" in report.problems[0]
    sql_journal.db.run("UPDATE attachments SET in_body = ? WHERE message = 2",
                       (f"{start}:{end + 4}{in_body.CUT}",))  # no longer the text's size
    assert "fails authentication" in sql_journal.verify().problems[0]
    with pytest.raises(JournalCorrupt, match="message 2"):
        sql_journal.get(2)
    assert sql_journal.get(1).message.data == entry.data


def test_cutting_and_rebuilding_several_objects_gives_the_body_back() -> None:
    texts = [pybase64.encodebytes(bytes([n]) * (2000 + n)) for n in range(3)]
    body = b"<a>" + texts[0] + b"</a><b>" + texts[1] + b"</b>" + texts[2]
    spans, at = [], 0
    for text in texts:
        start = body.index(text, at)
        at = start + len(text)
        spans.append(f"{start}:{at}")
    kept = in_body.cut(body, [spans[2], spans[0], spans[1]])
    assert kept == b"<a></a><b></b>"
    objects = [(f"{span}{in_body.CUT}", bytes([n]) * (2000 + n)) for n, span in enumerate(spans)]
    assert in_body.rebuild(kept, objects[::-1]) == body


def test_a_built_body_proves_only_the_objects_it_placed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    decoded = _count_decoding(monkeypatch)
    _, entry = _built_referral()
    body = entry.data
    assert isinstance(body, Built) and len(body.placed) == 1
    other = bytearray(PDF)
    other[5000] ^= 1  # equal length, same first bytes: decoding must tell them apart
    assert in_body.locate(body, bytes(other)) is None and decoded == [1]
    assert in_body.locate(body, PDF) is not None and decoded == [1]  # placed: no decoding
    assert in_body.locate(body[:], PDF) is not None and decoded == [2]  # a copy: plain bytes


def test_a_placed_object_must_be_immutable_bytes_within_the_built_bytes() -> None:
    with pytest.raises(ValueError, match="placed object"):
        seal(b"<a>QUJD\n</a>", (), (Placed(3, 8, bytearray(b"ABC")),))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="placed object"):
        seal(b"<a>QUJD\n</a>", (), (Placed(3, 70, b"ABC"),))
    with pytest.raises(ValueError, match="placed object"):  # not the size of its lines
        seal(b"<a>QUJD\n</a>", (), (Placed(3, 7, b"ABC"),))
    made = seal(b"<a>QUJD\n</a>", (), (Placed(3, 8, b"ABC"),))
    assert made.placed == (Placed(3, 8, b"ABC"),)


def test_an_object_cut_out_of_its_body_survives_a_key_rotation(
        sql_journal: SqlJournal) -> None:
    from medcom_adapter.journal.crypto import Key, Keyring

    _, entry = _built_referral()
    id = sql_journal.append(entry, Status.QUEUED)
    old = sql_journal.keys
    new = Keyring((*old.keys.values(), Key("test-2", bytes(range(1, 33)))))
    rotated = SqlJournal(sql_journal.db, new)
    assert rotated.rotate_key() == 1
    only_new = SqlJournal(sql_journal.db, Keyring((new.current,)))
    got = only_new.get(id)
    assert got.message.data == entry.data and got.message.attachments[0].data == PDF
    assert only_new.verify().intact

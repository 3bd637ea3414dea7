"""Where an object cut out of its body lies (``attachments.in_body``) is plaintext, and the
body is rebuilt from it: it is bound into what is sealed, so a place changed without the key
fails every read of the message, and ``verify``, rather than giving back another body."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.errors import JournalCorrupt
from medcom_adapter.journal import in_body
from medcom_adapter.journal.crypto import Key, Keyring
from medcom_adapter.journal.interface import NewMessage, Query, Status
from medcom_adapter.journal.sqlstore import SqlJournal
from medcom_adapter.model.parties import PersonId
from medcom_adapter.transport.memory import MemoryTransport
from medcom_adapter.workers.checked import Checked
from medcom_adapter.workers.outbox import Outbox
from medcom_adapter.workers.submit import queue_referral
from tests.conftest import FIXTURES
from tests.journal.test_attachments_once import PDF, _built_referral, xbin


def _place(journal: SqlJournal, id: int) -> tuple[int, int]:
    (span,) = journal.db.rows("SELECT in_body FROM attachments WHERE message = ?", (id,))[0]
    start, end = (int(n) for n in span.removesuffix(in_body.CUT).split(":"))
    return start, end


def _set(journal: SqlJournal, id: int, span: str | None) -> None:
    journal.db.run("UPDATE attachments SET in_body = ? WHERE message = ?", (span, id))


def _every_read_refuses(journal: SqlJournal, id: int, patient: PersonId | None) -> None:
    """get and the export raise, naming the message (no CPR); find, with and without
    attachments (the outbox's read), leaves it out, never given back changed, and
    quarantines it (claims pass over it); verify reports it."""
    assert patient is not None
    reads: list[Callable[[], object]] = [
        lambda: journal.get(id), lambda: journal.export(patient, actor="cli:tester")]
    for read in reads:
        with pytest.raises(JournalCorrupt, match=f"message {id}\\b") as raised:
            read()
        assert str(patient) not in str(raised.value)
    for attachments in (True, False):
        assert journal.find(Query(id=id, attachments=attachments)) == []
    assert [message for message, _ in journal.quarantined()] == [id]
    assert id not in journal.claim(Status.QUEUED, 10)
    problems = [p for p in journal.verify().problems if p.startswith(f"message {id}:")]
    assert problems and all("fails authentication" in p and str(patient) not in p
                            for p in problems)


def _broken(journal: SqlJournal) -> set[int]:
    return {int(p.split(":")[0].removeprefix("message ")) for p in journal.verify().problems}


def _queued(journal: SqlJournal) -> tuple[NewMessage, NewMessage, list[int]]:
    referral, built = _built_referral()
    ids = journal.append_many((referral, built), Status.QUEUED)
    return referral, built, list(ids)


def test_moved_cut_text_is_never_read_and_would_not_be_sent(sql_journal: SqlJournal) -> None:
    """The reviewer's case: the text put back over its opening tag, no key used."""
    _, built, ids = _queued(sql_journal)
    start, end = _place(sql_journal, ids[1])
    opening = bytes(built.data).rfind(b"<", 0, start)  # <Object_Base64Encoded>
    _set(sql_journal, ids[1], f"{opening}:{opening + end - start}{in_body.CUT}")
    assert sql_journal.find(Query(id=ids[1], attachments=False)) == []  # the outbox's read
    _every_read_refuses(sql_journal, ids[1], built.patient)


@pytest.mark.parametrize("change", ["moved", "resized", "unmarked", "emptied"])
def test_any_change_to_a_cut_place_fails_every_read(sql_journal: SqlJournal,
                                                     change: str) -> None:
    referral, built, ids = _queued(sql_journal)
    start, end = _place(sql_journal, ids[1])
    _set(sql_journal, ids[1], {
        "moved": f"{start + 1}:{end + 1}{in_body.CUT}",
        "resized": f"{start}:{end + 4}{in_body.CUT}",
        "unmarked": f"{start}:{end}",  # read as a reference into a body that lacks the text
        "emptied": None,  # read as a whole attachment, the body left without its text
    }[change])
    _every_read_refuses(sql_journal, ids[1], built.patient)
    assert sql_journal.get(ids[0]).message.data == referral.data  # its neighbour unharmed


def test_a_cut_marker_added_to_a_reference_or_a_whole_attachment_fails(
        sql_journal: SqlJournal) -> None:
    """Rows in the earlier forms (a reference into a whole body; an attachment stored whole)
    read as before; marked as cut, they fail instead of being rebuilt from."""
    other = dataclasses.replace(xbin(), data=b"<Emessage/>")
    referred, whole = sql_journal.append_many((xbin(), other), Status.QUEUED)
    ((span,),) = sql_journal.db.rows("SELECT in_body FROM attachments WHERE message = ?",
                                     (referred,))
    assert not span.endswith(in_body.CUT)
    assert sql_journal.get(referred).message.attachments[0].data == PDF
    assert sql_journal.get(whole).message.attachments[0].data == PDF
    assert sql_journal.verify().intact
    _set(sql_journal, referred, f"{span}{in_body.CUT}")
    start = len(b"<Emessage>")
    _set(sql_journal, whole, f"{start}:{start}{in_body.CUT}")  # nothing to put back
    for id in (referred, whole):
        with pytest.raises(JournalCorrupt, match=f"message {id}"):
            sql_journal.get(id)
    assert _broken(sql_journal) == {referred, whole}


def test_cut_rows_swapped_between_messages_fail(sql_journal: SqlJournal) -> None:
    _, built = _built_referral()
    first, second = sql_journal.append_many((built, built), Status.QUEUED)
    swap_attachments(sql_journal, first, second)
    for id in (first, second):
        assert sql_journal.find(Query(id=id, attachments=False)) == []
        with pytest.raises(JournalCorrupt, match=f"message {id}"):
            sql_journal.get(id)
    assert _broken(sql_journal) == {first, second}


def test_a_rotated_key_seals_the_place_bound_as_before(sql_journal: SqlJournal) -> None:
    _, built, ids = _queued(sql_journal)
    new = Keyring((*sql_journal.keys.keys.values(), Key("test-2", bytes(range(1, 33)))))
    assert SqlJournal(sql_journal.db, new).rotate_key() == 2
    rotated = SqlJournal(sql_journal.db, Keyring((new.current,)))
    assert rotated.get(ids[1]).message.data == built.data and rotated.verify().intact
    start, end = _place(rotated, ids[1])
    _set(rotated, ids[1], f"{start + 1}:{end + 1}{in_body.CUT}")
    _every_read_refuses(rotated, ids[1], built.patient)


def test_the_outbox_sends_no_bytes_other_than_those_chained(
        sql_journal: SqlJournal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defence in depth: what this node validated as it built it is known by digest; bytes a
    read put together wrongly (here: a rebuild gone wrong) are not sent on its word."""
    directory = Directory.load(FIXTURES / "network" / "receivers.json")
    request = json.loads((FIXTURES / "requests" / "referral-bup.json").read_text("utf-8"))
    (tmp_path / request["attachments"][0]["file"]).write_bytes(PDF)
    checked = Checked(hold_bytes=0)  # nothing held: the outbox reads what it sends
    _, binary = queue_referral(sql_journal, directory, request, files=tmp_path,
                               checked=checked).ids
    real = in_body.rebuild

    def wrong(stored: bytes, objects: list[tuple[str, bytes]]) -> bytes:
        body = bytearray(real(stored, objects))
        body[body.index(b"<Object_Base64Encoded>") + 30] ^= 0x01  # still base64
        return bytes(body)

    monkeypatch.setattr(in_body, "rebuild", wrong)
    transport = MemoryTransport()
    run = Outbox(sql_journal, transport, directory, checked=checked).run_once()
    assert run.sent == 1 and run.failed == 1  # the referral went; its XBIN did not
    monkeypatch.setattr(in_body, "rebuild", real)
    failed = sql_journal.get(binary)
    assert failed.status is Status.FAILED
    assert "local.journal-corrupt" in (failed.history[-1].reason or "")


def swap_attachments(journal: SqlJournal, first: int, second: int) -> None:
    """Two messages' first attachment rows (sealed data and place) swapped, without a key."""
    a, b = (journal.db.rows("SELECT data, in_body FROM attachments WHERE message = ?",
                            (id,))[0] for id in (first, second))
    for id, (data, span) in ((first, b), (second, a)):
        journal.db.run("UPDATE attachments SET data = ?, in_body = ? WHERE message = ?",
                       (data, span, id))

"""A plain reference (``attachments.in_body`` = ``start:end``, into a body we did not build)
is plaintext too: written since, it is marked bound and its place is sealed with the
attachment's data, so moving it to give back other bytes of the message fails every read
that opens the attachment, and ``verify``. References written before read as they did."""

from __future__ import annotations

import dataclasses

import pytest

from medcom_adapter.errors import JournalCorrupt
from medcom_adapter.journal import in_body, rows
from medcom_adapter.journal.crypto import Key, Keyring
from medcom_adapter.journal.interface import Query, Status
from medcom_adapter.journal.sqlstore import SqlJournal
from tests.journal.test_attachments_once import PDF, xbin
from tests.journal.test_cut_places_bound import swap_attachments


def _span(journal: SqlJournal, id: int) -> str:
    ((span,),) = journal.db.rows("SELECT in_body FROM attachments WHERE message = ?", (id,))
    assert isinstance(span, str)
    return span


def _set(journal: SqlJournal, id: int, span: str | None) -> None:
    journal.db.run("UPDATE attachments SET in_body = ? WHERE message = ?", (span, id))


def _bounds(span: str) -> tuple[int, int]:
    start, end = (int(n) for n in span.removesuffix(in_body.BOUND).split(":"))
    return start, end


def _every_read_refuses(journal: SqlJournal, id: int) -> None:
    """get and the export raise naming the message (no CPR); find with attachments leaves it
    out; verify reports it failing authentication."""
    patient = xbin().patient
    assert patient is not None
    with pytest.raises(JournalCorrupt, match=f"message {id}\\b.*fails authentication") as got:
        journal.get(id)
    assert str(patient) not in str(got.value)
    assert journal.find(Query(id=id)) == []
    with pytest.raises(JournalCorrupt, match=f"message {id}\\b.*fails authentication") as got:
        journal.export(patient, actor="cli:tester")
    assert str(patient) not in str(got.value)
    problems = [p for p in journal.verify().problems if p.startswith(f"message {id}:")]
    assert problems and all("fails authentication" in p and str(patient) not in p
                            for p in problems)


def test_a_new_reference_is_marked_bound_and_reads_as_appended(sql_journal: SqlJournal) -> None:
    (id,) = sql_journal.append_many((xbin(),), Status.RECEIVED)
    assert _span(sql_journal, id).endswith(in_body.BOUND)
    assert sql_journal.get(id).message.attachments[0].data == PDF
    assert sql_journal.verify().intact


@pytest.mark.parametrize("change", ["moved", "resized", "unmarked", "emptied", "cut"])
def test_any_change_to_a_bound_reference_fails_every_read(sql_journal: SqlJournal,
                                                          change: str) -> None:
    neighbour, id = sql_journal.append_many((xbin(), xbin()), Status.RECEIVED)
    span = _span(sql_journal, id)
    start, end = _bounds(span)
    _set(sql_journal, id, {
        "moved": f"{start + 4}:{end}{in_body.BOUND}",  # other bytes of the same body
        "resized": f"{start}:{end - 4}{in_body.BOUND}",
        "unmarked": f"{start}:{end}",
        "emptied": None,
        "cut": f"{start}:{end}{in_body.CUT}",
    }[change])
    _every_read_refuses(sql_journal, id)
    assert sql_journal.get(neighbour).message.attachments[0].data == PDF


def test_bound_references_swapped_between_messages_fail(sql_journal: SqlJournal) -> None:
    other = dataclasses.replace(xbin(), data=b"<Emessage/>" + xbin().data)
    first, second = sql_journal.append_many((xbin(), other), Status.RECEIVED)
    swap_attachments(sql_journal, first, second)
    for id in (first, second):
        with pytest.raises(JournalCorrupt, match=f"message {id}\\b.*fails authentication"):
            sql_journal.get(id)
    assert {p.split(":")[0] for p in sql_journal.verify().problems} == {
        f"message {first}", f"message {second}"}


def test_an_earlier_reference_reads_as_before_and_cannot_be_marked(
        sql_journal: SqlJournal, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:  # written as before references were bound
        m.setattr(rows, "_reference", in_body.locate)
        old, kept = sql_journal.append_many((xbin(), xbin()), Status.RECEIVED)
    span = _span(sql_journal, old)
    assert not span.endswith((in_body.BOUND, in_body.CUT))
    new = Keyring((*sql_journal.keys.keys.values(), Key("test-2", bytes(range(1, 33)))))
    assert SqlJournal(sql_journal.db, new).rotate_key() == 2  # resealed as it was bound
    rotated = SqlJournal(sql_journal.db, Keyring((new.current,)))
    assert rotated.get(old).message.attachments[0].data == PDF and rotated.verify().intact
    _set(rotated, old, span + in_body.BOUND)
    _every_read_refuses(rotated, old)
    assert rotated.get(kept).message.attachments[0].data == PDF


def test_a_rotated_key_keeps_a_reference_bound(sql_journal: SqlJournal) -> None:
    (id,) = sql_journal.append_many((xbin(),), Status.RECEIVED)
    new = Keyring((*sql_journal.keys.keys.values(), Key("test-2", bytes(range(1, 33)))))
    assert SqlJournal(sql_journal.db, new).rotate_key() == 1
    rotated = SqlJournal(sql_journal.db, Keyring((new.current,)))
    assert rotated.get(id).message.attachments[0].data == PDF and rotated.verify().intact
    start, end = _bounds(_span(rotated, id))
    _set(rotated, id, f"{start + 4}:{end}{in_body.BOUND}")
    _every_read_refuses(rotated, id)

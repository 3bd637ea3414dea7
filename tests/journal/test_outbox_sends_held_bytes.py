"""The outbox sends the bytes its node built and holds, without reading them back, and only
for the entry the journal chained them for; what it does not hold it reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.journal import in_body
from medcom_adapter.journal.interface import Journal, Query, Status
from medcom_adapter.transport.memory import MemoryTransport
from medcom_adapter.workers.checked import Checked
from medcom_adapter.workers.outbox import Outbox
from medcom_adapter.workers.submit import queue_referral
from tests.conftest import FIXTURES
from tests.journal.test_attachments_once import PDF

DIRECTORY = Directory.load(FIXTURES / "network" / "receivers.json")


@pytest.fixture
def request_files(tmp_path: Path) -> tuple[dict[str, Any], Path]:
    request = json.loads((FIXTURES / "requests" / "referral-bup.json").read_text("utf-8"))
    (tmp_path / request["attachments"][0]["file"]).write_bytes(PDF)
    return request, tmp_path


def _sent(transport: MemoryTransport) -> list[bytes]:
    return [parcel.data for parcel in transport.sent]


def _rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts bodies put back together from what the journal stored."""
    real, calls = in_body.rebuild, []

    def counted(stored: bytes, objects: list[tuple[str, bytes]]) -> bytes:
        calls.append(1)
        return real(stored, objects)

    monkeypatch.setattr(in_body, "rebuild", counted)
    return calls


def test_held_bytes_are_sent_as_built_and_let_go(
        journal: Journal, request_files: tuple[dict[str, Any], Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    request, files = request_files
    checked = Checked()
    ids = queue_referral(journal, DIRECTORY, request, files=files, checked=checked).ids
    built = [journal.get(id).message.data for id in ids]
    rebuilds = _rebuilds(monkeypatch)
    transport = MemoryTransport()
    assert Outbox(journal, transport, DIRECTORY, checked=checked).run_once().sent == 2
    assert rebuilds == [] and not checked.holding()
    assert sorted(_sent(transport)) == sorted(built)  # each exactly once, byte for byte
    assert [journal.get(id).status for id in ids] == [Status.SENT, Status.SENT]


def test_bytes_not_held_are_read_from_the_journal(
        journal: Journal, request_files: tuple[dict[str, Any], Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    request, files = request_files
    ids = queue_referral(journal, DIRECTORY, request, files=files, checked=Checked()).ids
    built = [journal.get(id).message.data for id in ids]
    transport = MemoryTransport()
    # another node's outbox (another process, or after a restart) holds nothing
    assert Outbox(journal, transport, DIRECTORY, checked=Checked()).run_once().sent == 2
    assert sorted(_sent(transport)) == sorted(built)


def test_held_bytes_never_go_out_for_an_entry_they_were_not_chained_for(
        journal: Journal, engine: str, request_files: tuple[dict[str, Any], Path]) -> None:
    """Queued in a transaction that was then undone, the held referral is never sent: the
    entries queued after it (which may take its journal ids) go with their own bytes."""
    request, files = request_files
    checked = Checked()
    with pytest.raises(RuntimeError), journal.atomic():
        undone = queue_referral(journal, DIRECTORY, request, files=files, checked=checked)
        raise RuntimeError("the case system's request failed after queueing")
    assert checked.holding()
    kept = queue_referral(journal, DIRECTORY, request, files=files).ids  # not held here
    if engine != "postgresql":  # a sequence is not undone; SQLite's rowid is
        assert kept == undone.ids
    expected = sorted(journal.get(id).message.data for id in kept)
    transport = MemoryTransport()
    assert Outbox(journal, transport, DIRECTORY, checked=checked).run_once().sent == 2
    assert sorted(_sent(transport)) == expected


def test_a_failed_queueing_holds_nothing(
        journal: Journal, request_files: tuple[dict[str, Any], Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    request, files = request_files
    checked = Checked()

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr(journal, "append_many", refused)
    with pytest.raises(OSError):
        queue_referral(journal, DIRECTORY, request, files=files, checked=checked)
    assert not checked.holding()


def test_held_bytes_are_found_beyond_entries_others_hold(
        journal: Journal, request_files: tuple[dict[str, Any], Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Queued entries another process has leased (or the journal has quarantined) lie
    below what this outbox claims: its held bytes are still found and taken."""
    request, files = request_files
    for _ in range(3):  # six entries queued and leased elsewhere
        queue_referral(journal, DIRECTORY, request, files=files)
    assert len(journal.claim(Status.QUEUED, 6, lease_seconds=600)) == 6
    checked = Checked()
    ids = queue_referral(journal, DIRECTORY, request, files=files, checked=checked).ids
    rebuilds = _rebuilds(monkeypatch)
    transport = MemoryTransport()
    assert Outbox(journal, transport, DIRECTORY, checked=checked).run_once().sent == 2
    assert rebuilds == [] and not checked.holding()
    assert sorted(_sent(transport)) == sorted(journal.get(id).message.data for id in ids)


def test_what_is_not_held_is_read_without_its_attachments(
        journal: Journal, request_files: tuple[dict[str, Any], Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A claimed message read back comes without its attachments (the bytes carry them): a
    20 MB PDF is not opened a second time beside the XBIN that carries it."""
    request, files = request_files
    checked = Checked(hold_largest=10_000)  # the referral is held, its XBIN is not
    ids = queue_referral(journal, DIRECTORY, request, files=files, checked=checked).ids
    queries: list[Query] = []
    find, get = journal.find, journal.get

    def spied_find(query: Query, **kwargs: Any) -> Any:
        queries.append(query)
        return find(query, **kwargs)

    def spied_get(id: int, **kwargs: Any) -> Any:
        raise AssertionError(f"read with its attachments: {id}")

    monkeypatch.setattr(journal, "find", spied_find)
    monkeypatch.setattr(journal, "get", spied_get)
    transport = MemoryTransport()
    assert Outbox(journal, transport, DIRECTORY, checked=checked).run_once().sent == 2
    assert queries and not any(q.attachments for q in queries)
    monkeypatch.setattr(journal, "get", get)
    assert sorted(_sent(transport)) == sorted(journal.get(id).message.data for id in ids)


def test_a_digest_changed_outside_the_journal_is_refused_not_sent(
        engine: str, journal: Journal, request_files: tuple[dict[str, Any], Path]) -> None:
    """Two queued XBINs' digests swapped in the database, without the key: neither goes out
    (not with the other's receiver, not at all); bytes held for them are not taken."""
    if engine == "memory":
        pytest.skip("the memory journal stores no rows to change")
    request, files = request_files
    checked = Checked()
    first = queue_referral(journal, DIRECTORY, request, files=files, checked=checked).ids
    second = queue_referral(journal, DIRECTORY, request, files=files, checked=checked).ids
    db = journal.db  # type: ignore[attr-defined]
    (a,), (b,) = (db.rows("SELECT digest FROM messages WHERE id = ?", (ids[1],))
                  for ids in (first, second))
    for id, digest in ((first[1], b[0]), (second[1], a[0])):
        db.run("UPDATE messages SET digest = ? WHERE id = ?", (digest, id))
    transport = MemoryTransport()
    run = Outbox(journal, transport, DIRECTORY, checked=checked).run_once()
    assert (run.sent, run.failed) == (2, 2)
    assert {journal.find(Query(id=id, bodies=False))[0].status
            for id in (first[1], second[1])} == {Status.FAILED}
    assert all(parcel.kind != "XBIN02" for parcel in transport.sent)

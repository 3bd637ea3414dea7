"""Exactly once, case by case: a new journal on a used mailbox, a kill between 'delivered'
and the archive, a file being written in place, a file that fails to be handled."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.journal.interface import Direction, Query, Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.transport.interface import Received
from medcom_adapter.transport.vans_mailbox import VansMailbox
from medcom_adapter.workers.hooks import CollectingHook, Delivery
from medcom_adapter.workers.inbox import Inbox
from medcom_adapter.workers.outbox import Outbox
from medcom_adapter.workers.submit import queue_km
from tests.conftest import FIXTURES
from tests.journal.conftest import Clock
from tests.workers.campaign import gp_letters

DIRECTORY = Directory.load(FIXTURES / "network" / "receivers.json")


def _km() -> dict[str, object]:
    km: dict[str, object] = json.loads(
        (FIXTURES / "requests" / "km-gp.json").read_text(encoding="utf-8"))
    km["attachments"] = []
    return km


def test_a_new_journal_on_a_used_mailbox_still_sends(tmp_path: Path) -> None:
    box = VansMailbox(tmp_path)
    for _ in range(2):  # the second journal's entry #1 is not the first's
        journal = MemoryJournal()
        (id,) = queue_km(journal, DIRECTORY, _km(), files=FIXTURES / "requests").ids
        assert id == 1
        assert Outbox(journal, box, DIRECTORY).run_once().sent == 1
        assert len(box.provider.collect()) == 1


def test_killed_between_delivered_and_the_archive_the_letter_is_answered_once(
    tmp_path: Path,
) -> None:
    clock = Clock()
    journal = MemoryJournal(clock=clock)
    box = VansMailbox(tmp_path)
    box.provider.deposit("XDIS91_gp.xml", gp_letters(DIRECTORY, 1)[0])
    settle = box.settle

    def killed(received: Received) -> None:
        raise SystemExit("killed before the archive")

    box.settle = killed  # type: ignore[method-assign]
    hook = CollectingHook()
    with pytest.raises(SystemExit):
        Inbox(journal, box, hook).run_once()
    box.settle = settle  # type: ignore[method-assign]
    (letter,) = journal.find(Query(direction=Direction.INBOUND))
    assert letter.status is Status.DELIVERED and hook.calls == 1
    clock.advance(seconds=61)  # the claim's lease runs out: another worker takes it over
    run = Inbox(journal, box, hook).run_once()
    assert run.duplicates == 0 and run.delivered == 1  # resumed: settled, not decided again
    assert hook.calls == 1 and os.listdir(box.in_dir) == []
    answers = [journal.get(a) for a in journal.get(letter.id).answered_by]
    assert [a.message.kind for a in answers] == ["XCTL03"]
    assert len(journal.find(Query(direction=Direction.OUTBOUND))) == 1


def test_a_file_written_in_place_is_taken_only_when_whole(tmp_path: Path) -> None:
    box = VansMailbox(tmp_path)
    letter = gp_letters(DIRECTORY, 1)[0]
    (box.in_dir / "XDIS91_slow.xml").write_bytes(letter[:len(letter) // 2])
    (box.in_dir / "XDIS91_next.xml.part").write_bytes(letter)  # a temporary name
    assert list(box.receive()) == []  # fresh and not yet whole
    (box.in_dir / "XDIS91_slow.xml").write_bytes(letter)
    assert [r.name for r in box.receive()] == ["XDIS91_slow.xml"]
    broken = box.in_dir / "XDIS91_broken.xml"
    broken.write_bytes(letter[:100])
    past = time.time() - 60  # long unchanged: its reader judges it (a negative receipt)
    os.utime(broken, (past, past))
    assert sorted(r.name for r in box.receive()) == ["XDIS91_broken.xml", "XDIS91_slow.xml"]


def gp_id(letter: bytes) -> str:
    from medcom_adapter.model.correspondence import ClinicalEmail
    from medcom_adapter.oioxml import emessage

    read = emessage.parse(letter).message.letters[0]
    assert isinstance(read, ClinicalEmail)
    return read.letter.identifier


def test_a_file_that_fails_to_be_handled_is_quarantined_and_tried_again(
    tmp_path: Path,
) -> None:
    journal = MemoryJournal()
    box = VansMailbox(tmp_path)
    first, second = gp_letters(DIRECTORY, 2)
    box.provider.deposit("XDIS91_a.xml", first)
    box.provider.deposit("XDIS91_b.xml", second)
    delivered: list[str] = []
    failing = [True]
    bad = gp_id(first)

    def hook(delivery: Delivery) -> None:
        if failing[0] and delivery.message_id == bad:
            raise ValueError("the case system's hook has a bug")
        delivered.append(delivery.delivery_id)

    run = Inbox(journal, box, hook).run_once()
    assert (run.quarantined, run.delivered) == (1, 1)
    ((name, reason),) = box.quarantined()
    assert name == "XDIS91_a.xml" and "ValueError: the case system's hook has a bug" in reason
    assert list(box.receive()) == []  # not before its back-off
    note = box.quarantine_dir / f"{name}.reason"
    note.write_text(json.dumps({**json.loads(note.read_text()), "retry_at": 0}))
    failing[0] = False
    assert Inbox(journal, box, hook).run_once().delivered == 1
    assert len(delivered) == 2 and box.quarantined() == []
    letters = journal.find(Query(direction=Direction.INBOUND))
    assert {s.status for s in letters} == {Status.DELIVERED} and len(letters) == 2
    for letter in letters:
        assert [journal.get(a).message.kind for a in letter.answered_by] == ["XCTL03"]

"""Henvisninger without a message and corrections, on every engine (KL's §126a standard)."""

from __future__ import annotations

import dataclasses
from datetime import date
from uuid import UUID

import pytest

from medcom_adapter.errors import InvalidValue, JournalError, SupersedeRefused
from medcom_adapter.journal.interface import Journal, Status
from medcom_adapter.journal.sqlstore import SqlJournal
from medcom_adapter.model.classification import Henvisning
from medcom_adapter.model.henvisninger import HenvisningRecord, henvisning_class
from medcom_adapter.model.identifiers import SorId
from tests.journal.conftest import Opener
from tests.journal.samples import COURSE, CPR, OTHER_CPR, UNIT, referral

OTHER_COURSE = UUID("0d6f3b52-1c9e-4b7a-8f20-6a4e3c2d1b00")
OTHER_UNIT = SorId("123456000016001")


def civil(day: int = 10, *, course: UUID = COURSE) -> HenvisningRecord:
    return HenvisningRecord(course, date(2024, 3, day), Henvisning.CIVIL_SOCIETY, CPR, UNIT)


def test_a_course_lists_its_message_borne_and_recorded_henvisninger(journal: Journal) -> None:
    sent = journal.append(referral(1), Status.QUEUED)
    recorded = journal.record_henvisning(civil(), actor="cli:sagsbehandler")
    journal.record_henvisning(civil(course=OTHER_COURSE), actor="cli:sagsbehandler")
    found = journal.henvisninger(actor="cli:sagsbehandler", course_id=COURSE)
    assert [(r.record.henvisning, r.record.referred_on) for r in found] == [
        (Henvisning.CHILD_PSYCHIATRY, date(2024, 3, 1)),
        (Henvisning.CIVIL_SOCIETY, date(2024, 3, 10))]
    by_message, by_hand = found
    assert by_message.carrier is not None and by_message.carrier.journal_id == sent
    assert by_message.carrier.kind == "XREF01"
    assert by_hand.id == recorded and by_hand.carrier is None
    assert by_hand.record.patient == CPR and by_hand.recorded_by == "cli:sagsbehandler"


def test_a_correction_is_a_new_version_and_the_old_one_is_kept(journal: Journal) -> None:
    first = journal.record_henvisning(civil(10), actor="cli:a")
    fixed = journal.record_henvisning(
        HenvisningRecord(COURSE, date(2024, 3, 11), Henvisning.OTHER_HOME_MUNICIPALITY, CPR,
                         UNIT), actor="cli:b", supersedes=first)
    (now,) = journal.henvisninger(actor="cli:a", course_id=COURSE)
    assert now.id == fixed and now.supersedes == first
    assert now.record.henvisning is Henvisning.OTHER_HOME_MUNICIPALITY
    versions = journal.henvisninger(actor="cli:a", course_id=COURSE, versions=True)
    assert [v.id for v in versions] == [first, fixed]
    assert versions[0].record == civil(10)  # never overwritten


def test_corrections_form_a_line_never_a_fork(journal: Journal) -> None:
    first = journal.record_henvisning(civil(), actor="cli:a")
    journal.record_henvisning(civil(12), actor="cli:a", supersedes=first)
    with pytest.raises(JournalError, match="already corrected"):
        journal.record_henvisning(civil(13), actor="cli:a", supersedes=first)
    with pytest.raises(JournalError, match="no henvisning"):
        journal.record_henvisning(civil(13), actor="cli:a", supersedes="no-such-record")


def test_a_correction_moving_the_date_out_of_the_period_hides_the_original(
        journal: Journal) -> None:
    first = journal.record_henvisning(civil(10), actor="cli:a")
    moved = HenvisningRecord(COURSE, date(2024, 5, 2), Henvisning.CIVIL_SOCIETY, CPR, UNIT)
    journal.record_henvisning(moved, actor="cli:a", supersedes=first)
    assert journal.henvisninger(actor="cli:a", since=date(2024, 3, 1),
                                until=date(2024, 3, 31)) == []
    assert len(journal.henvisninger(actor="cli:a", since=date(2024, 5, 1),
                                    until=date(2024, 5, 31))) == 1


def test_withdrawing_removes_a_henvisning_from_force_and_keeps_the_record(
        journal: Journal) -> None:
    first = journal.record_henvisning(civil(), actor="cli:a")
    journal.record_henvisning(civil(), actor="cli:a", supersedes=first, withdrawn=True)
    assert journal.henvisninger(actor="cli:a", course_id=COURSE) == []
    versions = journal.henvisninger(actor="cli:a", versions=True)
    assert [v.withdrawn for v in versions] == [False, True]


def test_a_message_borne_henvisning_can_be_corrected_and_keeps_its_message(
        journal: Journal) -> None:
    sent = journal.append(referral(1), Status.QUEUED)
    (borne,) = journal.henvisninger(actor="cli:a")
    fixed = HenvisningRecord(COURSE, date(2024, 3, 2), Henvisning.CHILD_PSYCHIATRY, CPR, UNIT)
    journal.record_henvisning(fixed, actor="cli:a", supersedes=borne.id)
    (now,) = journal.henvisninger(actor="cli:a")
    assert now.record.referred_on == date(2024, 3, 2)
    assert now.carrier is not None and now.carrier.journal_id == sent


def test_a_correction_from_another_unit_or_course_is_refused(journal: Journal) -> None:
    """Another unit naming this unit's record (recorded, or sent with a message: its id is
    guessable) would hide it from this unit's export."""
    journal.append(referral(1), Status.QUEUED)
    (borne,) = journal.henvisninger(actor="cli:a")
    recorded = journal.record_henvisning(civil(), actor="cli:a")
    theirs = HenvisningRecord(COURSE, date(2024, 3, 12), Henvisning.OTHER, CPR, OTHER_UNIT)
    elsewhere = civil(12, course=OTHER_COURSE)
    for victim in (borne.id, recorded):
        for attack, where in ((theirs, f"unit {UNIT.value}"), (elsewhere, f"course {COURSE}")):
            for withdrawn in (False, True):
                with pytest.raises(SupersedeRefused, match=where) as refused:
                    journal.record_henvisning(attack, actor="cli:b", supersedes=victim,
                                              withdrawn=withdrawn)
                assert victim in refused.value.message
    found = journal.henvisninger(actor="cli:a", since=date(2024, 1, 1), until=date(2024, 12, 31))
    assert sorted(r.id for r in found) == sorted([borne.id, recorded])
    assert journal.henvisninger(actor="cli:a", versions=True) == found


def test_a_correction_naming_another_child_is_refused(journal: Journal) -> None:
    """In the same unit and course, a correction that names another child would move this
    child's henvisning to that child; refused, and the error names neither child."""
    journal.append(referral(1), Status.QUEUED)
    (borne,) = journal.henvisninger(actor="cli:a")
    recorded = journal.record_henvisning(civil(), actor="cli:a")
    other_child = dataclasses.replace(civil(12), patient=OTHER_CPR)
    for victim in (borne.id, recorded):
        with pytest.raises(SupersedeRefused, match="of another child") as refused:
            journal.record_henvisning(other_child, actor="cli:b", supersedes=victim)
        assert OTHER_CPR.value[:6] not in refused.value.message
        assert CPR.value[:6] not in refused.value.message
    corrected = journal.record_henvisning(civil(12), actor="cli:a", supersedes=recorded)
    assert corrected in {r.id for r in journal.henvisninger(actor="cli:a")}  # same child: fine


def test_reading_henvisninger_is_audited_without_person_ids(journal: Journal) -> None:
    journal.append(referral(1, patient=OTHER_CPR), Status.QUEUED)
    journal.henvisninger(actor="cli:fagsystem", since=date(2024, 1, 1), until=date(2024, 12, 31))
    entry = journal.audit_log()[-1]
    assert (entry.actor, entry.action, entry.message_ids) == ("cli:fagsystem", "henvisninger", (1,))
    assert OTHER_CPR.value not in (entry.detail or "")


def test_recorded_henvisninger_survive_reopening_and_key_rotation(
        open_store: Opener, engine: str) -> None:
    journal = open_store()
    id = journal.record_henvisning(civil(), actor="cli:a")
    journal.close()
    again = open_store()
    (found,) = again.henvisninger(actor="cli:a")
    assert found.id == id and found.record == civil()
    assert again.verify().intact


def test_class_names_are_read_as_code_or_danish_term() -> None:
    assert henvisning_class("civilsamfund") is Henvisning.CIVIL_SOCIETY
    assert henvisning_class("Børne- og ungdomspsykiatri") is Henvisning.CHILD_PSYCHIATRY
    with pytest.raises(InvalidValue, match="not one of"):
        henvisning_class("skolen")


# Tampering: rows in the database, changed without the program.

def test_verify_names_a_changed_henvisning(sql_journal: SqlJournal) -> None:
    id = sql_journal.record_henvisning(civil(), actor="cli:a")
    sql_journal.record_henvisning(civil(11), actor="cli:a")
    with sql_journal.db.transaction(write=True):
        sql_journal.db.run("UPDATE henvisninger SET class = 'andet' WHERE id = ?", (id,))
    report = sql_journal.verify()
    assert not report.intact
    assert any(f"henvisning {id}" in p for p in report.problems)


def test_verify_sees_the_newest_henvisning_cut_off(sql_journal: SqlJournal) -> None:
    sql_journal.record_henvisning(civil(), actor="cli:a")
    last = sql_journal.record_henvisning(civil(11), actor="cli:a")
    with sql_journal.db.transaction(write=True):
        sql_journal.db.run("DELETE FROM henvisninger WHERE id = ?", (last,))
    assert any("missing" in p for p in sql_journal.verify().problems)


def test_a_sealed_person_moved_to_another_record_does_not_open(sql_journal: SqlJournal) -> None:
    first = sql_journal.record_henvisning(civil(), actor="cli:a")
    other = HenvisningRecord(OTHER_COURSE, date(2024, 3, 1), Henvisning.OTHER, OTHER_CPR, UNIT)
    second = sql_journal.record_henvisning(other, actor="cli:a")
    with sql_journal.db.transaction(write=True):
        (sealed,) = sql_journal.db.rows("SELECT person FROM henvisninger WHERE id = ?",
                                        (first,))[0]
        sql_journal.db.run("UPDATE henvisninger SET person = ? WHERE id = ?", (sealed, second))
    assert any(f"henvisning {second}" in p for p in sql_journal.verify().problems)


def test_rotation_reseals_recorded_henvisninger(sql_journal: SqlJournal) -> None:
    from medcom_adapter.journal.crypto import Key, Keyring

    sql_journal.record_henvisning(civil(), actor="cli:a")
    new = Key("test-2", bytes(range(1, 33)))
    sql_journal.keys = Keyring((*sql_journal.keys.keys.values(), new))
    sql_journal._henvisninger.keys = sql_journal.keys
    sql_journal.rotate_key()
    assert sql_journal.db.rows("SELECT DISTINCT key_id FROM henvisninger") == [("test-2",)]
    (found,) = sql_journal.henvisninger(actor="cli:a")
    assert found.record == civil()


def test_a_chain_recomputed_without_the_key_does_not_verify(sql_journal: SqlJournal) -> None:
    """Rewriting a record's class and linking the records again with plain SHA-256 (all an
    attacker without the journal key can do) is seen by verify."""
    import hashlib
    import json

    from medcom_adapter.journal import henvisninger as store
    from medcom_adapter.journal.chain import GENESIS

    sql_journal.record_henvisning(civil(), actor="cli:a")
    sql_journal.record_henvisning(civil(11), actor="cli:a")
    assert sql_journal.verify().intact
    with sql_journal.db.transaction(write=True):
        sql_journal.db.run("UPDATE henvisninger SET class = 'andet'")
        previous = GENESIS
        for r in sql_journal.db.rows(f"SELECT {', '.join(store.COLUMNS)} FROM henvisninger "
                                     "ORDER BY seq"):
            row = dict(zip(store.COLUMNS, r, strict=True))
            fields = json.dumps({k: row[k] for k in store._CHAINED}, sort_keys=True,
                                separators=(",", ":"))
            previous = hashlib.sha256(previous.encode() + fields.encode()).hexdigest()
            sql_journal.db.run("UPDATE henvisninger SET link = ? WHERE seq = ?",
                               (previous, row["seq"]))
        sql_journal.db.run("UPDATE henvisninger_head SET link = ? WHERE id = 1", (previous,))
    assert any("chain link" in p for p in sql_journal.verify().problems)


def test_rotating_the_key_relinks_the_records(sql_journal: SqlJournal) -> None:
    sql_journal.record_henvisning(civil(), actor="cli:a")
    from medcom_adapter.journal.crypto import Key, Keyring

    sql_journal.keys = Keyring((*sql_journal.keys.keys.values(), Key("test-3", bytes(32))))
    sql_journal._henvisninger.keys = sql_journal.keys
    sql_journal.rotate_key()
    assert sql_journal.verify().intact

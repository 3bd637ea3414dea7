"""``medcom-adapter journal ...`` on a SQLite journal in a temporary data directory."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from medcom_adapter.cli import main
from medcom_adapter.journal.crypto import Key, load_keyring
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import Journal, Status
from medcom_adapter.journal.sqlstore import SqlJournal
from tests.journal.samples import BUILT_CPR, CPR, OTHER_CPR, PDF, built_referral, receipt, referral


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in ("MEDCOM_JOURNAL_URL", "MEDCOM_JOURNAL_KEY", "MEDCOM_JOURNAL_KEY_FILE",
                 "MEDCOM_JOURNAL_KEY_COMMAND", "MEDCOM_JOURNAL_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MEDCOM_DATA_DIR", str(tmp_path / "data"))
    yield tmp_path / "data"


@pytest.fixture
def filled(data: Path) -> dict[str, int]:
    journal: Journal = open_journal()
    sent = journal.append(referral(1), Status.SENT)
    answer = journal.append(receipt(sent), Status.RECEIVED)
    journal.set_status(sent, Status.ACKNOWLEDGED)
    other = journal.append(referral(2, patient=OTHER_CPR, classified=False), Status.QUEUED)
    built = journal.append(built_referral(), Status.SENT)
    journal.close()
    return {"sent": sent, "answer": answer, "other": other, "built": built}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["journal", "--actor", "tester", *args])
    return code, capsys.readouterr().out


def test_list_table_masks_cpr_unless_revealed(filled: dict[str, int],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "list")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 5 and "STATUS" in lines[0]
    assert "020190xxxx" in out and CPR.value not in out
    assert "acknowledged" in lines[1] and "boerne-ungdomspsykiatri" in lines[1]
    _, out = run(capsys, "list", "--reveal", "--patient", CPR.value)
    assert CPR.value in out and len(out.splitlines()) == 2


def test_list_columns_line_up_whatever_the_kind_and_envelope(
        filled: dict[str, int], capsys: pytest.CaptureFixture[str]) -> None:
    journal: Journal = open_journal()
    journal.append(dataclasses.replace(
        receipt(filled["sent"], n=901), kind="Acknowledgement", version="2.0",
        envelope_id="1c5778ff-da58-45b1-9b9f-2af7429237e1"), Status.RECEIVED)
    journal.close()
    _, out = run(capsys, "list")
    header, *rows = out.splitlines()
    assert any("Acknowledgement" in r for r in rows) and any("XREF01" in r for r in rows)
    for name in ("STATUS", "CHANNEL", "PATIENT", "ENVELOPE"):
        at = header.index(name)
        for row in rows:  # each cell starts under its heading, after a two-space gap
            assert row[at - 2:at] == "  " and row[at] != " ", (name, row)


def test_list_json_has_status_and_classification(filled: dict[str, int],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "list", "--format", "json", "--status", "queued")
    assert code == 0
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert record["id"] == filled["other"] and record["status"] == "queued"
    assert record["patient"] == "251248xxxx" and record["classification"] is None
    _, out = run(capsys, "list", "--format", "json", "--kind", "XREF01", "--from", "2000-01-01",
                 "--to", "2999-12-31", "--direction", "outbound")
    first = json.loads(out.splitlines()[0])
    assert first["classification"]["henvisning"] == [
        {"code": "boerne-ungdomspsykiatri", "display": "Børne- og ungdomspsykiatri"}]
    assert first["answered_by"] == [filled["answer"]]
    _, out = run(capsys, "list", "--format", "json", "--to", "2000-01-01")
    assert out == ""


def test_show_gives_history_attachments_and_receipts(filled: dict[str, int],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "show", str(filled["sent"]))
    assert code == 0
    assert "status acknowledged" in out and "Børne- og ungdomspsykiatri" in out
    assert f"{len(PDF)} bytes  Henvisningsskema" in out
    assert f"message {filled['answer']}: XCTL01" in out
    lines = out.splitlines()
    start = lines.index("Status history:")
    assert [line.split()[1] for line in lines[start + 1:start + 3]] == ["sent", "acknowledged"]
    assert CPR.value not in out
    assert main(["journal", "show", "999"]) == 1


def test_show_lists_the_messages_eds_reports_without_patient_data(
        filled: dict[str, int], capsys: pytest.CaptureFixture[str]) -> None:
    journal = open_journal()
    letter = journal.get(filled["sent"]).message.message_id
    for subtype in ("msg-created-and-sent", "msg-sent"):
        journal.eds.enqueue(f"env:{subtype}", b'{"patient": "0201909309"}', subtype=subtype,
                            context="SOR:1 GLN:2", message=letter)
    [first, _] = journal.eds.claim("w", 5, lease_seconds=60)
    journal.eds.delivered(first.id, "w", "eds-7")
    journal.close()
    _, out = run(capsys, "show", str(filled["sent"]))
    lines = out.splitlines()
    start = lines.index("EDS reports:")
    assert lines[start + 1].split()[:2] == ["msg-created-and-sent", "delivered"]
    assert lines[start + 1].endswith("as AuditEvent/eds-7")
    assert lines[start + 2].split()[:2] == ["msg-sent", "queued"]
    assert "0201909309" not in out
    _, out = run(capsys, "show", str(filled["other"]))
    assert "EDS reports" not in out


def test_verify_reports_intact_then_broken(filled: dict[str, int], data: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "verify") == (0, "intact: 4 entries, every digest and chain link holds\n")
    import sqlite3

    db = sqlite3.connect(data / "journal.sqlite3")
    db.execute("UPDATE messages SET kind = 'XREF02' WHERE id = ?", (filled["answer"],))
    db.commit()
    db.close()
    code, out = run(capsys, "verify")
    assert code == 1 and f"first break: message {filled['answer']}" in out


def test_a_checkpoint_kept_elsewhere_reveals_a_cut_off_tail(
        filled: dict[str, int], data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, line = run(capsys, "checkpoint")
    assert code == 0 and line.startswith("mcj2.4.")
    assert run(capsys, "verify", "--against", line.strip())[0] == 0
    import sqlite3

    db = sqlite3.connect(data / "journal.sqlite3")
    last = filled["built"]
    for table in ("attachments", "classifications", "status_history", "message_state"):
        db.execute(f"DELETE FROM {table} WHERE message = ?", (last,))
    db.execute("DELETE FROM messages WHERE id = ?", (last,))
    db.execute("UPDATE journal_head SET last_id = ?, link = (SELECT link FROM messages WHERE "
               "id = ?) WHERE id = 1", (last - 1, last - 1))
    db.commit()
    db.close()
    code, out = run(capsys, "verify", "--against", line.strip())
    assert code == 1 and f"message {last}: missing, though the checkpoint names it" in out
    assert run(capsys, "verify", "--against", "not-a-checkpoint")[0] == 2


def test_verify_names_a_status_change_removed_in_sql(
        filled: dict[str, int], data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    db = sqlite3.connect(data / "journal.sqlite3")
    (change,) = db.execute("SELECT id FROM status_history WHERE message = ? AND status = "
                           "'acknowledged'", (filled["sent"],)).fetchone()
    db.execute("DELETE FROM status_history WHERE id = ?", (change,))
    db.execute("UPDATE message_state SET status = 'sent' WHERE message = ?", (filled["sent"],))
    db.commit()
    db.close()
    code, out = run(capsys, "verify")
    assert code == 1
    assert out.splitlines()[0].startswith(
        f"BROKEN: first break: status change {change + 1} (message {filled['other']}): its "
        "link does not follow from the change before it")


def test_export_zip_holds_originals_attachments_renderings_manifest(
    filled: dict[str, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "child.zip"
    code, out = run(capsys, "export", "--patient", CPR.value, "--out", str(target))
    assert code == 0 and "1 messages" in out
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        (entry,) = manifest["messages"]
        assert archive.read(entry["files"]["message"]) == referral(1).data
        assert archive.read(entry["attachments"][0]["file"]) == PDF
        assert entry["attachments"][0]["file"].endswith("-1.pdf")  # by position
        assert entry["attachments"][0]["title"] == "Henvisningsskema"
        assert archive.read(entry["files"]["rendering"]).startswith(b"XREF01")
    assert entry["patient"] == CPR.value and entry["status"] == "acknowledged"
    assert all(CPR.value not in name for name in names)
    run(capsys, "export", "--patient", BUILT_CPR.value, "--out", str(target), "--force")
    with zipfile.ZipFile(target) as archive:
        (entry,) = json.loads(archive.read("manifest.json"))["messages"]
        rendering = archive.read(entry["files"]["rendering"]).decode()
        assert archive.read(entry["files"]["message"]) == built_referral().data
    assert entry["files"]["message"].endswith(".xml")
    assert "XREF01 XH0131R  letter L0000002" in rendering and BUILT_CPR.value in rendering
    journal = open_journal()
    assert journal.audit_log()[-1].action == "export"
    assert journal.audit_log()[-1].actor == "cli:tester"
    journal.close()


def test_export_classifications_csv_and_json(filled: dict[str, int], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "export-classifications", "--from", "2024-01-01",
                    "--to", "2024-12-31")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    course = str(referral(1).classification.course_id)  # type: ignore[union-attr]
    first = filled["sent"]
    assert rows[0] == {"forloebs_id": course, "dato": "2024-03-01", "cpr": CPR.value,
                       "sor_id": "1234561000016000", "henvisning_kode": "boerne-ungdomspsykiatri",
                       "henvisning": "Børne- og ungdomspsykiatri", "besked_id": str(first),
                       "beskedtype": "XREF01", "forsendelses_id": "ENV00000001",
                       "registrering_id": f"message-{first}-boerne-ungdomspsykiatri"}
    assert [(r["cpr"], r["henvisning"]) for r in rows[1:]] == [  # one row per class
        (BUILT_CPR.value, "Børne- og ungdomspsykiatri"), (BUILT_CPR.value, "Andet")]
    target = tmp_path / "c.json"
    run(capsys, "export-classifications", "--from", "2024-01-01", "--to", "2024-12-31",
        "--format", "json", "--out", str(target))
    record, *built = json.loads(target.read_text(encoding="utf-8"))
    assert [h["henvisning_kode"] for h in built] == ["boerne-ungdomspsykiatri", "andet"]
    assert record["cpr"] == CPR.value and record["henvisning"].startswith("Børne")
    _, out = run(capsys, "export-classifications", "--from", "2025-01-01", "--to", "2025-12-31")
    assert out.splitlines() == ["forloebs_id,dato,cpr,sor_id,henvisning_kode,henvisning,"
                                "besked_id,beskedtype,forsendelses_id,registrering_id"]


def test_henvisning_recorded_by_hand_joins_the_export(
        filled: dict[str, int], capsys: pytest.CaptureFixture[str]) -> None:
    course = str(referral(1).classification.course_id)  # type: ignore[union-attr]
    code, out = run(capsys, "henvisning", "add", "--course", course, "--class", "Civilsamfund",
                    "--date", "2024-04-02", "--patient", CPR.value, "--unit", "1234561000016000")
    assert code == 0 and "Civilsamfund" in out
    record_id = out.split()[2].rstrip(":")
    _, out = run(capsys, "export-classifications", "--from", "2024-01-01", "--to", "2024-12-31")
    mine = [r for r in csv.DictReader(io.StringIO(out))
            if r["forloebs_id"] == course and r["cpr"] == CPR.value]
    assert [(r["henvisning_kode"], r["besked_id"] != "") for r in mine] == [
        ("boerne-ungdomspsykiatri", True), ("civilsamfund", False)]
    code, out = run(capsys, "henvisning", "correct", record_id, "--class", "andet-hjemkommune")
    assert code == 0 and f"correcting {record_id}" in out
    _, out = run(capsys, "henvisning", "list", "--course", course)
    assert "Andet tilbud i hjemkommune" in out and "Civilsamfund" not in out
    assert CPR.value not in out  # masked unless --reveal
    _, out = run(capsys, "henvisning", "list", "--course", course, "--versions")
    assert "Civilsamfund" in out
    code, _ = run(capsys, "verify")
    assert code == 0


def test_purge_dry_run_then_for_real_keeps_the_unanswered(
    filled: dict[str, int], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out = run(capsys, "purge", "--before", "2999-01-01", "--dry-run")
    assert code == 0 and out.startswith("would erase 2 messages")  # the XREF01 and its receipt
    assert f"kept: {filled['other']}" in out
    code, out = run(capsys, "purge", "--before", "2999-01-01")
    assert out.startswith("erased 2 messages")
    journal = open_journal()
    assert journal.get(filled["sent"]).purged_at is not None
    assert journal.get(filled["other"]).message.data == referral(2, patient=OTHER_CPR).data
    journal.close()
    assert run(capsys, "verify")[0] == 0
    assert main(["journal", "purge"]) == 1  # neither --before nor a retention period
    monkeypatch.setenv("MEDCOM_JOURNAL_RETENTION_DAYS", "3650")
    assert run(capsys, "purge", "--dry-run")[1].startswith("would erase 0 messages")


def test_rotate_key_with_a_key_file(filled: dict[str, int], data: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    before = load_keyring(data).current.id
    code, out = run(capsys, "rotate-key")
    assert code == 0 and "re-encrypted 4 messages" in out and before in out
    ring = load_keyring(data)
    assert list(ring.keys) == [ring.current.id] and ring.current.id != before
    assert run(capsys, "verify")[0] == 0
    _, out = run(capsys, "list", "--patient", CPR.value)
    assert len(out.splitlines()) == 2


def test_rotate_key_keeps_an_api_keys_webhook_secret(
        data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The API keys are in the journal too: after rotate-key drops the old key from the
    key file, a key with a webhook still loads, its secret intact."""
    from datetime import UTC, datetime

    from medcom_adapter.journal.shared import KeyRecord

    journal = open_journal()
    journal.shared.add_key(KeyRecord("k1", "sbsys", "digest", ("send",), (),
                                     datetime(2026, 1, 5, tzinfo=UTC), None,
                                     "https://case.example/hook", "hemmelighed"))
    journal.close()
    before = load_keyring(data).current.id
    code, out = run(capsys, "rotate-key")
    assert code == 0 and f"removed the old keys ({before})" in out
    assert list(load_keyring(data).keys) != [before]
    journal = open_journal()
    found = journal.shared.key("k1")
    journal.close()
    assert found is not None and found.webhook_secret == "hemmelighed"


def test_rotate_key_with_keys_in_the_environment(
    data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from medcom_adapter.journal.crypto import new_key

    first, second = new_key(), new_key()
    _one_message_then_a_new_key(monkeypatch, first, second)
    code, out = run(capsys, "rotate-key")
    assert code == 0 and f"re-encrypted 1 messages under key {second.id}" in out
    monkeypatch.setenv("MEDCOM_JOURNAL_KEY", second.line())
    assert run(capsys, "verify")[0] == 0


@pytest.mark.parametrize("source", ["MEDCOM_JOURNAL_KEY", "MEDCOM_JOURNAL_KEY_COMMAND"])
def test_rotate_key_never_writes_a_key_file_for_keys_it_does_not_keep(
    source: str, data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys from the environment or a vault: rotate-key cannot add one there, so with no
    new key it refuses and says how to rotate, writing no key file (a plaintext copy of
    the vault's keys) and reporting no rotation; with the new key added, it rotates."""
    from medcom_adapter.journal.crypto import new_key

    first, second = new_key(), new_key()

    def provide(*keys: Key) -> None:
        value = ";".join(k.line() for k in keys)
        if source == "MEDCOM_JOURNAL_KEY_COMMAND":
            vault = tmp_path / "vault.sh"
            vault.write_text(f"#!/bin/sh\necho '{value}'\n", encoding="ascii")
            vault.chmod(0o700)
            value = str(vault)
        monkeypatch.setenv(source, value)

    provide(first)
    journal = open_journal()
    journal.append(referral(1), Status.SENT)
    journal.close()
    code = main(["journal", "--actor", "tester", "rotate-key"])
    captured = capsys.readouterr()
    assert code != 0 and "re-encrypted" not in captured.out
    assert "nothing was rotated" in captured.err and first.id in captured.err
    assert source in captured.err and "run rotate-key again" in captured.err
    assert not (data / "journal.key").exists()
    assert _key_ids(open_journal()) == {first.id}
    provide(first, second)
    code, out = run(capsys, "rotate-key")
    assert code == 0 and f"re-encrypted 1 messages under key {second.id}" in out
    assert not (data / "journal.key").exists()
    provide(second)
    assert _key_ids(open_journal()) == {second.id}
    assert run(capsys, "verify")[0] == 0


def test_rotate_key_from_the_environment_rotates_what_any_table_keeps_under_an_old_key(
    data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a rotation, a henvisning recorded by a process still holding the old key as
    its current one: the chains and messages are under the new key, the henvisning is not,
    so rotate-key rotates it instead of saying nothing is left to rotate."""
    from datetime import date
    from uuid import uuid4

    from medcom_adapter.journal.crypto import new_key
    from medcom_adapter.model.classification import Henvisning
    from medcom_adapter.model.henvisninger import HenvisningRecord
    from medcom_adapter.model.identifiers import SorId

    first, second = new_key(), new_key()
    _one_message_then_a_new_key(monkeypatch, first, second)
    assert run(capsys, "rotate-key")[0] == 0
    monkeypatch.setenv("MEDCOM_JOURNAL_KEY", f"{second.line()};{first.line()}")  # old current
    journal = open_journal()
    journal.record_henvisning(HenvisningRecord(
        uuid4(), date(2026, 1, 5), Henvisning.CIVIL_SOCIETY, CPR, SorId("953741000016009")),
        actor="system")
    journal.close()
    monkeypatch.setenv("MEDCOM_JOURNAL_KEY", f"{first.line()};{second.line()}")
    code, out = run(capsys, "rotate-key")
    assert code == 0, out
    journal = open_journal()
    assert isinstance(journal, SqlJournal) and journal.keys_in_use() == {second.id}
    journal.close()


def _one_message_then_a_new_key(monkeypatch: pytest.MonkeyPatch, first: Key,
                                second: Key) -> None:
    """A journal holding one message under ``first`` (from the environment), then the
    environment giving ``second`` after it, as current."""
    monkeypatch.setenv("MEDCOM_JOURNAL_KEY", first.line())
    journal = open_journal()
    journal.append(referral(1), Status.SENT)
    journal.close()
    monkeypatch.setenv("MEDCOM_JOURNAL_KEY", f"{first.line()};{second.line()}")


def _key_ids(journal: Journal) -> set[str]:
    assert isinstance(journal, SqlJournal)
    try:
        return {k for (k,) in journal.db.rows("SELECT DISTINCT key_id FROM messages")}
    finally:
        journal.close()


def test_the_workers_actor_name_is_refused(filled: dict[str, int],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["journal", "--actor", "system", "show", str(filled["sent"])])
    assert code != 0
    assert "reserved" in capsys.readouterr().err
    journal = open_journal()
    assert journal.audit_log() == []
    journal.close()


@pytest.mark.parametrize("actor", ["api-key:3f9a0c21be77", "api:sbsys", "worker:webhook",
                                   "Sara Testsen"])
def test_an_actor_posing_as_another_kind_is_refused(filled: dict[str, int], actor: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["journal", "--actor", actor, "show", str(filled["sent"])])
    assert code != 0
    assert "not a valid cli actor" in capsys.readouterr().err
    journal = open_journal()
    assert journal.audit_log() == []
    journal.close()


def test_a_damaged_row_is_named_and_the_others_are_still_listed(
    data: Path, filled: dict[str, int], capsys: pytest.CaptureFixture[str],
) -> None:
    import sqlite3

    with sqlite3.connect(data / "journal.sqlite3") as db:
        (sealed,) = db.execute("SELECT body FROM messages WHERE id = ?",
                               (filled["other"],)).fetchone()
        db.execute("UPDATE messages SET body = ? WHERE id = ?",
                   (bytes(sealed[:-1]) + bytes([sealed[-1] ^ 1]), filled["other"]))
    code = main(["journal", "--actor", "tester", "list"])
    out, err = capsys.readouterr()
    assert code == 1  # something is wrong, and it says what
    assert f"journal entry {filled['other']} is quarantined" in err
    listed = [int(line.split()[0]) for line in out.splitlines()[1:]]
    assert listed == [filled["sent"], filled["answer"], filled["built"]]
    code, out = run(capsys, "verify")
    assert code == 1 and f"quarantined (left out of reads and sends): {filled['other']}" in out

"""A journal key is never silently replaced: a missing or wrong key stops the adapter before
it writes anything; a new key is made for an empty journal only; a vault command works."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from medcom_adapter.cli import main
from medcom_adapter.errors import JournalKeyError
from medcom_adapter.journal.crypto import Key, write_keys
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import Query, Status
from tests.journal.samples import referral


def _snapshot(data: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(data.iterdir()) if p.is_file()}


def _filled(data: Path) -> None:
    journal = open_journal(None, env={"MEDCOM_DATA_DIR": str(data)})
    journal.append(referral(1), Status.SENT)
    journal.close()


def test_a_missing_key_file_with_existing_rows_is_refused_and_nothing_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    _filled(data)
    (data / "journal.key").unlink()  # lost, or kept elsewhere and not restored
    before = _snapshot(data)
    with pytest.raises(JournalKeyError, match=r"journal\.key\) is missing: refusing to start"):
        open_journal(None, env={"MEDCOM_DATA_DIR": str(data)})
    for name in ("MEDCOM_JOURNAL_URL", "MEDCOM_JOURNAL_KEY", "MEDCOM_JOURNAL_KEY_FILE",
                 "MEDCOM_JOURNAL_KEY_COMMAND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MEDCOM_DATA_DIR", str(data))
    assert main(["journal", "--actor", "ops", "list"]) != 0
    assert "refusing to start" in capsys.readouterr().err
    assert _snapshot(data) == before  # no new key file, no row, no WAL growth
    assert not (data / "journal.key").exists()


def test_a_wrong_key_is_refused_and_nothing_written(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _filled(data)
    write_keys(data / "journal.key", (Key("imposter", bytes(32)),))
    before = _snapshot(data)
    with pytest.raises(JournalKeyError, match="not configured"):
        open_journal(None, env={"MEDCOM_DATA_DIR": str(data)})
    assert _snapshot(data) == before


def test_a_new_key_is_made_for_an_empty_journal_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    journal = open_journal(None, env={"MEDCOM_DATA_DIR": str(data)})
    assert journal.find(Query()) == []
    journal.close()
    assert (data / "journal.key").stat().st_mode & 0o777 == 0o600


def test_keys_from_a_vault_command(tmp_path: Path) -> None:
    key = Key("vault-1", bytes(range(32)))
    printer = tmp_path / "print-key.py"
    printer.write_text(f"print({key.line()!r})\n")
    env = {"MEDCOM_DATA_DIR": str(tmp_path / "data"),
           "MEDCOM_JOURNAL_KEY_COMMAND": f"{sys.executable} {printer}"}
    journal = open_journal(None, env=env)
    journal.append(referral(1), Status.SENT)
    journal.close()
    assert not (tmp_path / "data" / "journal.key").exists()
    again = open_journal(None, env=env)
    assert again.get(1).message == referral(1)
    again.close()
    failing = {**env, "MEDCOM_JOURNAL_KEY_COMMAND": f"{sys.executable} -c 'exit(3)'"}
    with pytest.raises(JournalKeyError, match=r"failed \(exit 3\)"):
        open_journal(None, env=failing)


def test_a_missing_key_file_is_refused_for_a_journal_without_messages_too(
        tmp_path: Path) -> None:
    # henvisninger recorded by hand and an API key: no message, no audit row, still sealed
    from datetime import date
    from uuid import uuid4

    from medcom_adapter.journal.shared import Unit
    from medcom_adapter.model.classification import Henvisning
    from medcom_adapter.model.henvisninger import HenvisningRecord
    from medcom_adapter.model.identifiers import Cpr, SorId
    from medcom_adapter.service.apikeys import ApiKeys

    data = tmp_path / "data"
    journal = open_journal(None, env={"MEDCOM_DATA_DIR": str(data)})
    journal.record_henvisning(HenvisningRecord(
        uuid4(), date(2026, 1, 5), next(iter(Henvisning)), Cpr("2512489996"),
        SorId("953741000016009")), actor="system")
    ApiKeys(journal.shared).add("sbsys", (Unit("953741000016009", None),))
    journal.close()
    (data / "journal.key").unlink()
    before = _snapshot(data)
    with pytest.raises(JournalKeyError, match=r"journal\.key\) is missing: refusing to start"):
        open_journal(None, env={"MEDCOM_DATA_DIR": str(data)})
    assert _snapshot(data) == before and not (data / "journal.key").exists()


def test_a_journal_opened_once_keeps_its_key_even_when_it_holds_nothing(
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    open_journal(None, env={"MEDCOM_DATA_DIR": str(data)}).close()
    (data / "journal.key").unlink()
    with pytest.raises(JournalKeyError, match="refusing to start"):
        open_journal(None, env={"MEDCOM_DATA_DIR": str(data)})
    assert not (data / "journal.key").exists()

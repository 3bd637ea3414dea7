"""Exports of a child's data and delivered letters are files only their owner reads, written
whole or not at all, never over a file already there unless asked (``--force``)."""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from medcom_adapter import private_files
from medcom_adapter.cli import main
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import Status
from medcom_adapter.workers.hooks import Delivery, FolderHook
from tests.journal.samples import CPR, referral

CLASSIFICATIONS = ("export-classifications", "--from", "2024-01-01", "--to", "2024-12-31")


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    before = os.umask(0o022)  # the usual umask: files readable by every local user
    yield
    os.umask(before)


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("MEDCOM_JOURNAL_URL", "MEDCOM_JOURNAL_KEY", "MEDCOM_JOURNAL_KEY_FILE",
                 "MEDCOM_JOURNAL_KEY_COMMAND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MEDCOM_DATA_DIR", str(tmp_path / "data"))
    journal = open_journal()
    journal.append(referral(1), Status.SENT)
    journal.close()
    return tmp_path / "data"


def _journal(*args: str) -> int:
    return main(["journal", "--actor", "tester", *args])


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _audited() -> int:
    journal = open_journal()
    try:
        return len(journal.audit_log())
    finally:
        journal.close()


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_an_export_is_readable_by_its_owner_only(data: Path, tmp_path: Path) -> None:
    zip_file, csv_file = tmp_path / "case-17.zip", tmp_path / "k.csv"
    assert _journal("export", "--patient", CPR.value, "--out", str(zip_file)) == 0
    assert _journal(*CLASSIFICATIONS, "--out", str(csv_file)) == 0
    assert _mode(zip_file) == 0o600 and _mode(csv_file) == 0o600
    assert CPR.value in csv_file.read_text(encoding="utf-8")  # why it must be private
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("command", ["export", "export-classifications"])
def test_an_existing_file_is_kept_unless_forced(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str,
) -> None:
    target = tmp_path / "existing"
    target.write_bytes(b"someone else's file\n")
    args = (("export", "--patient", CPR.value) if command == "export" else CLASSIFICATIONS)
    audited = _audited()
    assert _journal(*args, "--out", str(target)) == 2
    assert "--force" in capsys.readouterr().err
    assert target.read_bytes() == b"someone else's file\n"
    assert _audited() == audited  # refused before the journal was read
    assert _journal(*args, "--out", str(target), "--force") == 0
    assert target.read_bytes() != b"someone else's file\n" and _mode(target) == 0o600
    assert _leftovers(tmp_path) == []


def test_a_link_in_the_way_is_not_followed(data: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_bytes(b"kept\n")
    (tmp_path / "k.csv").symlink_to(elsewhere)
    assert _journal(*CLASSIFICATIONS, "--out", str(tmp_path / "k.csv")) == 2
    assert elsewhere.read_bytes() == b"kept\n"


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "case.zip"
    assert _journal("export", "--patient", CPR.value, "--out", str(target)) == 0
    before = target.read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    assert _journal("export", "--patient", CPR.value, "--out", str(target), "--force") == 2
    assert target.read_bytes() == before and zipfile.is_zipfile(target)
    assert _leftovers(tmp_path) == []


def test_a_file_appearing_while_the_export_is_written_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "case.zip"
    real = os.fsync

    def meanwhile(fd: int) -> None:
        real(fd)
        if not target.exists():
            target.write_bytes(b"written meanwhile\n")

    monkeypatch.setattr(os, "fsync", meanwhile)
    with pytest.raises(FileExistsError):
        private_files.write_private(target, b"export\n")
    assert target.read_bytes() == b"written meanwhile\n"
    assert _leftovers(tmp_path) == []


def test_an_export_named_by_the_cpr_is_refused(data: Path, tmp_path: Path) -> None:
    for name in (f"{CPR.value}.zip", f"barn-{CPR.value[:6]}-{CPR.value[6:]}.zip"):
        assert _journal("export", "--patient", CPR.value, "--out", str(tmp_path / name)) == 2
        assert not (tmp_path / name).exists()


def test_the_folder_hook_writes_letters_its_owner_only_reads(tmp_path: Path) -> None:
    hook = FolderHook(tmp_path / "in")
    delivery = Delivery("5790000000000:M1", 7, "XDIS91", "XD9134L", "5790000000000",
                        "5790001234567", "ENV1", "M1", b"<Emessage/>")
    hook(delivery)
    hook(delivery)  # delivered again after a crash: the same one file
    (written,) = (tmp_path / "in").iterdir()
    assert written.name == "00000007_XDIS91.xml" and written.read_bytes() == b"<Emessage/>"
    assert _mode(written) == 0o600 and _mode(tmp_path / "in") == 0o700

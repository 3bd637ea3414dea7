"""deploy/backup and deploy/restore, as an operator runs them: the key stays out of a backup
unless it is sent somewhere else; a restore that does not verify leaves nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import Status
from tests.conftest import ROOT
from tests.journal.samples import referral

BIN = Path(sys.executable).parent
UNSET = ("MEDCOM_JOURNAL_URL", "MEDCOM_JOURNAL_KEY", "MEDCOM_JOURNAL_KEY_FILE",
         "MEDCOM_JOURNAL_KEY_COMMAND", "MEDCOM_BACKUP_SCHEMA")


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env.update(MEDCOM_DATA_DIR=str(data), MEDCOM_PYTHON=sys.executable,
               MEDCOM_ADAPTER=str(BIN / "medcom-adapter"),
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    return env


def _fill(env: dict[str, str], numbers: range = range(1, 3)) -> None:
    journal = open_journal(env=env)
    try:
        for n in numbers:
            journal.append(referral(n), Status.QUEUED)
    finally:
        journal.close()


def _run(script: str, *args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "deploy" / script), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_backup_holds_no_key_by_default(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    _fill(env)
    done = _run("backup", tmp_path / "backup", env=env)
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in (tmp_path / "backup").rglob("*") if p.is_file())
    assert files == ["SHA256SUMS", "journal.sqlite3"]
    assert "journal.key" not in (tmp_path / "backup" / "SHA256SUMS").read_text()
    assert "key" in done.stderr  # the operator is told to keep the key themselves


def test_the_key_goes_only_where_it_is_sent_outside_the_backup(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    _fill(env)
    done = _run("backup", "--key-to", tmp_path / "safe", tmp_path / "backup", env=env)
    assert done.returncode == 0, done.stderr
    key = (tmp_path / "data" / "journal.key").read_bytes()
    assert (tmp_path / "safe" / "journal.key").read_bytes() == key
    assert (tmp_path / "safe" / "journal.key").stat().st_mode & 0o077 == 0
    assert not any(p.name == "journal.key" for p in (tmp_path / "backup").rglob("*"))


def test_a_key_destination_inside_the_backup_is_refused(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    _fill(env)
    for inside in (tmp_path / "backup", tmp_path / "backup" / "keys",
                   tmp_path / "backup" / ".." / "backup" / "k"):
        done = _run("backup", "--key-to", inside, tmp_path / "backup", env=env)
        assert done.returncode == 2, done.stderr
        assert "inside the backup" in done.stderr
        assert not (tmp_path / "backup").exists()  # refused before anything is written


def _listing(env: dict[str, str]) -> str:
    done = subprocess.run([str(BIN / "medcom-adapter"), "journal", "--actor", "operator", "list"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_backup_comes_back_with_the_key_kept_apart(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    _fill(env)
    before = _listing(env)
    assert _run("backup", "--key-to", tmp_path / "safe", tmp_path / "backup",
                env=env).returncode == 0
    (tmp_path / "data").rename(tmp_path / "lost")
    done = _run("restore", "--key", tmp_path / "safe" / "journal.key", tmp_path / "backup",
                env=env)
    assert done.returncode == 0, done.stderr
    assert _listing(env) == before
    assert (tmp_path / "data" / "journal.key").read_bytes() == (
        tmp_path / "lost" / "journal.key").read_bytes()

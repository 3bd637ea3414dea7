"""deploy/backup and deploy/restore, as an operator runs them: the key stays out of a backup
unless it is sent somewhere else; a restore that does not verify leaves nothing behind."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from medcom_adapter.journal.crypto import new_key, write_keys
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
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == [
        "journal.key", "journal.sqlite3"]  # no staging file left beside them
    assert (tmp_path / "data" / "journal.key").read_bytes() == (
        tmp_path / "lost" / "journal.key").read_bytes()


def _backup(tmp_path: Path, env: dict[str, str]) -> tuple[Path, Path]:
    done = _run("backup", "--key-to", tmp_path / "safe", tmp_path / "backup", env=env)
    assert done.returncode == 0, done.stderr
    return tmp_path / "backup", tmp_path / "safe" / "journal.key"


def _another_key(tmp_path: Path) -> Path:
    path = tmp_path / "another.key"
    write_keys(path, (new_key(),))
    return path


def test_a_backup_that_does_not_verify_leaves_nothing_behind(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    _fill(env)
    backup, key = _backup(tmp_path, env)
    with sqlite3.connect(backup / "journal.sqlite3") as db:  # a row changed, checksums redone
        db.execute("UPDATE messages SET receiver_sor = '9999999999999999' WHERE id = 1")
    db.close()
    sums = subprocess.run(["sha256sum", "journal.sqlite3"], cwd=backup, capture_output=True,
                          text=True, check=True).stdout
    (backup / "SHA256SUMS").write_text(sums)
    (tmp_path / "data").rename(tmp_path / "lost")
    done = _run("restore", "--key", key, backup, env=env)
    assert done.returncode == 1, done.stderr
    assert "nothing restored" in done.stderr
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == []


def test_a_backup_restored_with_another_key_leaves_nothing_behind(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    _fill(env)
    backup, _ = _backup(tmp_path, env)
    (tmp_path / "data").rename(tmp_path / "lost")
    done = _run("restore", "--key", _another_key(tmp_path), backup, env=env)
    assert done.returncode == 1, done.stderr
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == []


def test_a_restore_without_any_key_is_refused(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    _fill(env)
    backup, _ = _backup(tmp_path, env)
    (tmp_path / "data").rename(tmp_path / "lost")
    done = _run("restore", backup, env=env)
    assert done.returncode == 2 and "--key" in done.stderr
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == []


@pytest.fixture
def schema_url() -> Iterator[tuple[str, str]]:
    """A fresh schema on the test server and a URL whose connections use it."""
    url = os.environ.get("MEDCOM_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("no PostgreSQL server configured: set MEDCOM_TEST_POSTGRES_URL")
    import psycopg

    schema = f"restore_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    joiner = "&" if "?" in url else "?"
    yield schema, f"{url}{joiner}options=-csearch_path%3D{schema}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _schema_exists(schema: str) -> bool:
    import psycopg

    with psycopg.connect(os.environ["MEDCOM_TEST_POSTGRES_URL"]) as db:
        return db.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
                          (schema,)).fetchone() is not None


def test_a_postgresql_dump_that_does_not_verify_is_dropped_again(
        tmp_path: Path, schema_url: tuple[str, str]) -> None:
    schema, url = schema_url
    env = {**_env(tmp_path / "data"), "MEDCOM_JOURNAL_URL": url, "MEDCOM_BACKUP_SCHEMA": schema}
    _fill(env)
    before = _listing(env)
    backup, key = _backup(tmp_path, env)
    import psycopg

    with psycopg.connect(os.environ["MEDCOM_TEST_POSTGRES_URL"], autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
    (tmp_path / "data").rename(tmp_path / "lost")
    done = _run("restore", "--key", _another_key(tmp_path), backup, env=env)
    assert done.returncode == 1, done.stderr
    assert not _schema_exists(schema)
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == []
    done = _run("restore", "--key", key, backup, env=env)  # the right key: all of it back
    assert done.returncode == 0, done.stderr
    assert _listing(env) == before


CRASH = """
import os
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import Status
from tests.journal.samples import referral
journal = open_journal()
for n in range(3, 30):
    journal.append(referral(n), Status.QUEUED)
os._exit(9)  # killed: its WAL stays beside the journal
"""


def test_a_restore_beside_a_lost_journals_wal_is_refused(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    _fill(env)
    before = _listing(env)
    backup, key = _backup(tmp_path, env)
    subprocess.run([sys.executable, "-c", CRASH], cwd=ROOT, env=env, check=False, timeout=120)
    data = tmp_path / "data"
    assert (data / "journal.sqlite3-wal").exists()
    (tmp_path / "lost").mkdir()
    for name in ("journal.sqlite3", "journal.key"):  # the damaged journal and key moved away
        (data / name).rename(tmp_path / "lost" / name)
    left = sorted(p.name for p in data.iterdir())
    done = _run("restore", "--key", key, backup, env=env)
    assert done.returncode == 2, done.stderr
    assert "journal.sqlite3-wal" in done.stderr and "replay" in done.stderr
    assert sorted(p.name for p in data.iterdir()) == left  # nothing restored beside it
    for name in left:
        (data / name).rename(tmp_path / "lost" / name)
    assert _run("restore", "--key", key, backup, env=env).returncode == 0
    assert _listing(env) == before  # the two messages of the backup, not the lost 29

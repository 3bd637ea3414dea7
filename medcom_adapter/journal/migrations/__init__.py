"""Versioned schema migrations, run when a journal opens.

Each migration is a module ``mNNN_*.py`` listed in ``MIGRATIONS``; its statements use
``{blob}``, ``{bigint}`` and ``{serial}`` for the engine's types, and may add statements for
one engine only. Applied versions are rows of ``schema_version``; opening a journal applies
the missing ones in order, each in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from medcom_adapter.errors import JournalCorrupt, JournalError
from medcom_adapter.journal.db import Db


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    title: str
    statements: tuple[str, ...]
    engine_statements: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _all() -> tuple[Migration, ...]:
    from medcom_adapter.journal.migrations import (
        m001_initial,
        m002_state,
        m003_henvisninger,
        m004_shared_state,
        m005_keyed_chain,
        m006_claims,
        m007_page_marks,
        m008_status_chain,
        m009_eds_reports,
        m010_idempotency,
        m011_eds_reports_by_letter,
        m012_attachments_in_body,
        m013_bodies_apart,
        m014_message_channel,
    )

    return (m001_initial.MIGRATION, m002_state.MIGRATION, m003_henvisninger.MIGRATION,
            m004_shared_state.MIGRATION, m005_keyed_chain.MIGRATION, m006_claims.MIGRATION,
            m007_page_marks.MIGRATION, m008_status_chain.MIGRATION, m009_eds_reports.MIGRATION,
            m010_idempotency.MIGRATION, m011_eds_reports_by_letter.MIGRATION,
            m012_attachments_in_body.MIGRATION, m013_bodies_apart.MIGRATION,
            m014_message_channel.MIGRATION)


MIGRATIONS = _all()


def _whole_record(db: Db, migrations: tuple[Migration, ...]) -> None:
    """Refuse a record missing a version below its newest: migrations apply in order, so
    only a deletion makes that gap, and applying the missing one again could bless what
    was changed meanwhile (its relink, for keyed chains)."""
    recorded = {v for (v,) in db.rows("SELECT version FROM schema_version")}
    missing = [m.version for m in migrations
               if recorded and m.version < max(recorded) and m.version not in recorded]
    if missing:
        raise JournalCorrupt(
            f"the journal's schema record lacks version{'s' if len(missing) > 1 else ''} "
            f"{', '.join(map(str, missing))} below its newest ({max(recorded)}): removed "
            "outside the journal, whose migrations only ever apply in order. Refusing to "
            "open it: restore the journal from a backup (docs/security.md)")


def migrate(db: Db, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[int]:
    """Apply what is missing; the versions applied now."""
    db.script("CREATE TABLE IF NOT EXISTS schema_version "
              "(version INTEGER PRIMARY KEY, title TEXT NOT NULL, applied_at TEXT NOT NULL)")
    _whole_record(db, migrations)
    applied = []
    for migration in migrations:
        with db.transaction(write=True):
            if db.dialect.take_turns:  # processes starting together
                db.rows(db.dialect.take_turns)
            if db.rows("SELECT 1 FROM schema_version WHERE version = ?", (migration.version,)):
                continue
            for statement in (*migration.statements,
                              *migration.engine_statements.get(db.dialect.name, ())):
                db.script(statement.format(**db.dialect.types()))
            db.run("INSERT INTO schema_version VALUES (?, ?, ?)", (
                migration.version, migration.title, datetime.now(UTC).isoformat()))
            applied.append(migration.version)
    newest = db.rows("SELECT MAX(version) FROM schema_version")[0][0]
    if newest is not None and newest > migrations[-1].version:
        raise JournalError(f"the journal's schema is version {newest}, newer than this "
                           f"program knows ({migrations[-1].version}): upgrade medcom-adapter")
    return applied

"""``journal rotate-key`` with the configured keys: a new key, every row re-encrypted.

With a key file, a new key is appended to it (becoming current), every row is re-encrypted
under it, and the old keys are removed once no row needs them. With ``MEDCOM_JOURNAL_KEY``
or ``MEDCOM_JOURNAL_KEY_COMMAND`` (a vault) the keys are the operator's to keep: the
operator adds the new key there (last is current) and this re-encrypts under it; no key
file is ever written beside them, and without a new key there is nothing to rotate to, so
it refuses. Stop other adapter processes first: one still holding the old keyring would
keep sealing under the old key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from medcom_adapter.errors import JournalKeyError
from medcom_adapter.journal.crypto import (
    KEY_COMMAND_ENV,
    KEY_ENV,
    key_file,
    load_keyring,
    new_key,
    write_keys,
)
from medcom_adapter.journal.factory import data_dir, open_journal
from medcom_adapter.journal.sqlstore import SqlJournal


def rotate_configured_key(url: str | None, env: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if env is None else env
    for source in (KEY_ENV, KEY_COMMAND_ENV):  # the order load_keyring reads them in
        if env.get(source):
            return _rotate_to_given_key(url, env, source)
    path = key_file(data_dir(env), env)
    old = load_keyring(data_dir(env), env, create=False)
    key = new_key()
    write_keys(path, (*old.keys.values(), key))
    journal = open_journal(url, env=env)
    try:
        changed = journal.rotate_key()
        journal.rotate_key()  # rows written meanwhile under the old key
        # every table's sealed rows, not only the messages, must be free of the old keys
        in_use = journal.keys_in_use() if isinstance(journal, SqlJournal) else set()
    finally:
        journal.close()
    lines = [f"new key {key.id} in {path}; re-encrypted {changed} messages under it"]
    if in_use <= {key.id}:
        write_keys(path, (key,))
        lines.append(f"removed the old keys ({', '.join(old.keys)}) from {path}")
    else:
        lines.append("old keys kept: rows were still being written under them")
    return lines


def _rotate_to_given_key(url: str | None, env: Mapping[str, str], source: str) -> list[str]:
    """Re-encrypt under the last key ``source`` gives; refused while the journal is already
    under it (the new key was not added there yet)."""
    current = load_keyring(data_dir(env), env, create=False).current.id
    journal = open_journal(url, env=env)
    try:
        if isinstance(journal, SqlJournal) and not _older_keys_in_use(journal, current):
            where = (f"at the end of {source} (after a ';')" if source == KEY_ENV else
                     f"in the vault, last in what {source} prints")
            raise JournalKeyError(
                f"the journal's keys come from {source}, which rotate-key never writes, and "
                f"every row is already under its current key {current}: nothing was "
                f"rotated. Add a new key (ID:base64 of 32 random bytes, e.g. from `openssl "
                f"rand -base64 32`) {where}, keeping the old key before it, and run "
                "rotate-key again")
        changed = journal.rotate_key()
    finally:
        journal.close()
    return [f"re-encrypted {changed} messages under key {current} (the last in {source})",
            f"older keys in {source} can be removed now"]


def _older_keys_in_use(journal: SqlJournal, current: str) -> bool:
    """Whether anything sealed or chained in the journal is under a key other than
    ``current`` (every table, as when an old key is dropped)."""
    return bool(journal.keys_in_use() - {current})

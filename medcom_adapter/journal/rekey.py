"""``journal rotate-key`` with the configured keys: a new key, every row re-encrypted.

With a key file, a new key is appended to it (becoming current), every row is re-encrypted
under it, and the old keys are removed once no row needs them. With ``MEDCOM_JOURNAL_KEY``
the operator adds the new key to the variable (last is current) and this re-encrypts under
it. Stop other adapter processes first: one still holding the old keyring would keep
sealing under the old key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from medcom_adapter.journal.crypto import (
    KEY_ENV,
    key_file,
    load_keyring,
    new_key,
    write_keys,
)
from medcom_adapter.journal.factory import data_dir, open_journal


def rotate_configured_key(url: str | None, env: Mapping[str, str] | None = None) -> list[str]:
    env = os.environ if env is None else env
    if env.get(KEY_ENV):
        journal = open_journal(url, env=env)
        try:
            changed = journal.rotate_key()
        finally:
            journal.close()
        current = load_keyring(data_dir(env), env).current.id
        return [f"re-encrypted {changed} messages under key {current} (the last in {KEY_ENV})",
                f"older keys in {KEY_ENV} can be removed now"]
    path = key_file(data_dir(env), env)
    old = load_keyring(data_dir(env), env, create=False)
    key = new_key()
    write_keys(path, (*old.keys.values(), key))
    journal = open_journal(url, env=env)
    try:
        changed = journal.rotate_key()
        leftover = journal.rotate_key()
    finally:
        journal.close()
    lines = [f"new key {key.id} in {path}; re-encrypted {changed} messages under it"]
    if leftover == 0:
        write_keys(path, (key,))
        lines.append(f"removed the old keys ({', '.join(old.keys)}) from {path}")
    else:
        lines.append("old keys kept: rows were still being written under them")
    return lines

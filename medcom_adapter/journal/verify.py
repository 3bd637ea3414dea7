"""``verify`` for stored rows: recompute every digest and link, decrypt every sealed value.

A flipped byte in a ciphertext fails its authentication tag; a changed digest or header
field breaks the chain at that entry; a removed row breaks it at the next one, and removed
last rows no longer lead to the link recorded in ``journal_head``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from medcom_adapter.errors import JournalError
from medcom_adapter.journal import chain, rows
from medcom_adapter.journal.crypto import Keyring
from medcom_adapter.journal.db import Row
from medcom_adapter.journal.interface import VerifyReport

Attachments = Callable[[Sequence[int]], dict[int, list[Row]]]


def verify_rows(stored: Iterable[dict[str, Any]], head: str, keys: Keyring,
                attachments: Attachments) -> VerifyReport:
    problems: list[tuple[int, str]] = []
    entries = []
    for batch in _batches(iter(stored), 1000):
        found = attachments([r["id"] for r in batch])
        for row in batch:
            entry = rows.entry(row)
            entries.append((entry, row["link"]))
            if row["purged_at"] is None:
                problems += [(row["id"], p) for p in _check(row, entry, found[row["id"]], keys)]
    return chain.report(entries, head, problems)


def _check(row: dict[str, Any], entry: chain.Entry, attachments: list[Row],
           keys: Keyring) -> Iterator[str]:
    id, key_id = row["id"], row["key_id"]
    try:
        body = keys.decrypt(key_id, bytes(row["body"]), rows.where("messages", "body", id))
        if chain.digest(body) != entry.digest:
            yield f"message {id}: body does not match its digest"
        if row["person"] is not None:
            keys.decrypt(key_id, bytes(row["person"]), rows.where("messages", "person", id))
        digests = tuple(chain.digest(rows.open_attachment(a, keys, key_id).data)
                        for a in attachments)
        if digests != entry.attachment_digests:
            yield f"message {id}: attachments do not match their digests"
    except JournalError as exc:
        yield f"message {id}: {exc}"
    except TypeError:  # a sealed column set to NULL
        yield f"message {id}: a sealed value is missing"


def _batches(items: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while batch := list(islice(items, size)):
        yield batch

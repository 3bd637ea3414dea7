"""Appends written after the chain heads a journal left, without reading them first.

An append reads ``journal_head`` rows 1 and 3 (the message chain's head and the status
chain's) with a lock, links the new entries after them and writes: four round trips on
PostgreSQL (BEGIN, the read, the writes, COMMIT). A journal that wrote those rows last
knows what they hold, unless another process wrote since; so where the engine chains writes
in one statement, it writes the next append in one statement that writes only if the rows
still hold what it left there, and tells whether they did. When they did not, nothing was
written and the append takes its turn as before. Whether to guess is learnt from the head
reads: after a read that found the rows as this journal had left them (no other process was
writing), it guesses again; after a wrong guess, it reads until that holds again.
"""

from __future__ import annotations

from collections.abc import Sequence

from medcom_adapter.journal import rows
from medcom_adapter.journal.db import Db, Row, marks
from medcom_adapter.journal.interface import NewMessage

MOST = 8  # messages an append writes on a guess, at most (one INSERT a row)
Heads = tuple[Row, Row]  # rows 1 and 3: last_id, link, chain_key (and what _heads counts)
Tables = Sequence[tuple[str, Sequence[str], Sequence[Row]]]


class HeadGuess:
    """What one journal object knows of the heads (a hint: the statement checks it)."""

    def __init__(self) -> None:
        self._left: Heads | None = None  # rows 1 and 3 as this journal last read or wrote
        self._alone = False  # whether its last read found them as it had left them

    def read(self, messages: Row, history: Row) -> None:
        """The heads as a locked read found them."""
        found = (tuple(messages[:3]), tuple(history[:3]))
        self._alone, self._left = self._left == found, found

    def wrote(self, left: Heads) -> None:
        self._left = left

    def wrote_history(self, head: tuple[int, str], key_id: object) -> None:
        """Row 3 as a status change left it."""
        if self._left is not None:
            self._left = (self._left[0], (*head, key_id))

    def missed(self) -> None:
        """A guess was wrong: another process writes too; read the heads again."""
        self._left, self._alone = None, False

    def heads(self, db: Db, messages: Sequence[NewMessage]) -> Heads | None:
        """The heads to append ``messages`` after on a guess, or None to read them: for a
        few messages, written as rows, that answer stored ones (ids are gapless and never
        removed, so any id below a message's own is stored)."""
        left = self._left  # once: threads sharing the journal may call missed() meanwhile
        if (not db.dialect.chains_writes or not self._alone or left is None
                or not 0 < len(messages) <= MOST):
            return None
        (last, link, key_id), (count, history_link, history_key) = left
        for n, message in enumerate(messages, start=last + 1):
            if (message.answers is not None and not 0 < message.answers < n) or (
                    rows.kept_apart(message, db.dialect.writes_in_place)):
                return None
        return (last, link, key_id, 0), (count, history_link, history_key, 0)


def write(db: Db, tables: Tables, heads: Heads, left: Heads, *, limit: int) -> bool:
    """The rows of ``tables`` and the heads ``left`` in one statement, written only if rows
    1 and 3 still hold ``heads``; whether they did. The rows are locked as a head read
    locks them (in order; after waiting for another's transaction, compared again), and
    every write reads ``ok``, empty unless both were as guessed: then nothing is written,
    and nothing waited on another's new rows. False, unsent, beyond ``limit`` parameters."""
    typed = {"message": db.dialect.bigint, "reason": db.dialect.blob}
    parts = ["g AS (SELECT id FROM journal_head WHERE (id = 1 AND last_id = ? AND link = ? "
             "AND chain_key IS NOT DISTINCT FROM ?) OR (id = 3 AND last_id = ? AND link = ? "
             f"AND chain_key IS NOT DISTINCT FROM ?) ORDER BY id{db.dialect.lock_rows})",
             "ok AS (SELECT COUNT(*) FROM g HAVING COUNT(*) = 2)",
             "h AS (UPDATE journal_head SET last_id = CASE id WHEN 1 THEN ? ELSE ? END, "
             "link = CASE id WHEN 1 THEN ? ELSE ? END WHERE id IN (1, 3) AND EXISTS "
             "(SELECT 1 FROM ok))"]
    params = [*heads[0][:3], *heads[1][:3], left[0][0], left[1][0], left[0][1], left[1][1]]
    for table, columns, found in tables:
        if table == "status_history":
            # numbered as inserted, so in order (a row a message, by id) in one INSERT; its
            # VALUES would type a column of NULLs as text, so they are typed as the table's
            shape = ", ".join(f"CAST(? AS {typed[c]})" if c in typed else "?" for c in columns)
            values = ", ".join([f"({shape})"] * len(found))
            parts.append(f"w{len(parts)} AS (INSERT INTO {table} ({', '.join(columns)}) "
                         f"SELECT * FROM (VALUES {values}) AS v WHERE EXISTS (SELECT 1 FROM ok) "
                         "ORDER BY 1)")
            params += [value for row in found for value in row]
            continue
        for row in found:  # a row each, its parameters typed by the column they go to
            parts.append(f"w{len(parts)} AS (INSERT INTO {table} ({', '.join(columns)}) "
                         f"SELECT {marks(len(columns))} FROM ok)")
            params += row
    if len(params) > limit:
        return False
    ((written,),) = db.rows(f"WITH {', '.join(parts)} SELECT COUNT(*) FROM ok", params)
    return bool(written)

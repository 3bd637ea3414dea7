"""Two sends under one idempotency key, each on its own journal connection (as two
``serve`` processes): one queues, the other answers as it did and leaves nothing behind."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from pydantic import BaseModel

from medcom_adapter.journal.interface import Journal, Query, Status
from medcom_adapter.journal.shared import Remembered
from medcom_adapter.journal.sqlstore import SqlJournal
from medcom_adapter.service import idempotency
from tests.journal.conftest import Opener
from tests.journal.samples import referral


class _Out(BaseModel):
    ids: list[int]


def test_two_journal_connections_racing_one_key_queue_once(open_store: Opener) -> None:
    """Two sends under one key, each on its own connection (as two processes): the second
    finds the key taken at its commit and rolls its message back."""
    first, second = open_store(), open_store()
    send = idempotency.Once("3f9a0c21be77", "k" * 64, "r" * 64)
    now = datetime(2024, 3, 1, tzinfo=UTC)
    started = threading.Event()
    answers: dict[str, object] = {}

    def queue(journal: Journal, name: str, wait: bool) -> None:
        def append() -> list[int]:
            ids = [journal.append(referral(), Status.QUEUED, actor="api-key:3f9a0c21be77")]
            if wait:
                started.wait(timeout=30)  # the other send is under way meanwhile
            return ids
        answers[name] = idempotency.queue_once(journal, send, append,
                                               lambda ids: _Out(ids=list(ids)),
                                               status=201, now=now)

    holder = threading.Thread(target=queue, args=(first, "first", True))
    holder.start()

    def other() -> None:
        started.set()
        queue(second, "second", False)
    racer = threading.Thread(target=other)
    racer.start()
    holder.join(timeout=60)
    racer.join(timeout=60)
    queued = first.find(Query(limit=10))
    assert len(queued) == 1
    outs = [a for a in answers.values() if isinstance(a, _Out)]
    replays = [a for a in answers.values() if not isinstance(a, _Out)]
    assert len(outs) == 1 and len(replays) == 1 and outs[0].ids == [queued[0].id]
    assert replays[0].body == outs[0].model_dump_json().encode()  # type: ignore[attr-defined]
    assert first.verify().intact


def test_a_purge_forgets_the_keys_of_sends_before_it(sql_journal: SqlJournal) -> None:
    old, new = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)
    for key, at in (("old", old), ("new", new)):
        assert sql_journal.shared.remember("3f9a0c21be77", key, Remembered("r", 201, "{}"),
                                           at) is None
    sql_journal.purge(datetime(2024, 3, 1, tzinfo=UTC), dry_run=True)
    assert sql_journal.shared.remembered("3f9a0c21be77", "old") is not None
    sql_journal.purge(datetime(2024, 3, 1, tzinfo=UTC))
    assert sql_journal.shared.remembered("3f9a0c21be77", "old") is None
    assert sql_journal.shared.remembered("3f9a0c21be77", "new") is not None

"""The end-to-end benchmark's served shape (creates on threads of their own, the workers in
the background as ``serve`` runs them) counts only work done: every referral ends with
exactly its two receipts, on a SQLite journal opened twice as ``serve`` opens it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from benchmarks.as_served import Served
from medcom_adapter.journal.factory import DATA_DIR_ENV, open_journal
from medcom_adapter.journal.interface import Direction, Query, Status
from tests.workers.test_end_to_end import DIRECTORY, PPR, REQUESTS, request


def test_every_referral_served_ends_with_exactly_its_two_receipts(tmp_path: Path) -> None:
    env = {DATA_DIR_ENV: str(tmp_path)}
    url = f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    served = Served(open_journal(url, env=env), open_journal(url, env=env), DIRECTORY,
                    request("referral-bup.json"), REQUESTS, unit_ean=PPR, creators=2)
    try:
        done = served.run(5)
        assert done.referrals == 5
        sent = served.journal.find(Query(direction=Direction.OUTBOUND, bodies=False))
        ids = sorted(s.id for s in sent)
        with pytest.raises(AssertionError, match="receipts beyond one"):
            served._answered(ids[1:])  # the first message's receipt answers none of these
        assert not served._answered([*ids, ids[-1] + 1000])  # a message without its receipt
    finally:
        served.close()

    journal = open_journal(url, env=env)
    try:
        sent = journal.find(Query(direction=Direction.OUTBOUND, bodies=False))
        # the warm-up's referral on each creating thread, then the round's
        assert Counter(s.message.kind for s in sent) == {"XREF01": 7, "XBIN02": 7}
        assert {s.status for s in sent} == {Status.ACKNOWLEDGED}
        receipts = journal.find(Query(direction=Direction.INBOUND, bodies=False))
        assert {s.message.kind for s in receipts} == {"XCTL03"}
        assert Counter(s.message.answers for s in receipts) == Counter(s.id for s in sent)
    finally:
        journal.close()

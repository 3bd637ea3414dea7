"""Receipts taken in together (one compare-and-set for all, one append, one decision) keep
what one by one kept: a status another process changed meanwhile stands, a claim taken over
undoes the whole block, and every receipt is journaled exactly once."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from medcom_adapter.journal.interface import Direction, FileClaim, Query, Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.sandbox.harness import Harness
from medcom_adapter.workers.submit import queue_referral
from tests.workers.test_end_to_end import DIRECTORY, PPR, REQUESTS, request


class _Raced(MemoryJournal):
    """Another process rejects the first message just before the receipts' compare-and-set,
    and takes one claim over just before they are decided (each once)."""

    def __init__(self) -> None:
        super().__init__()
        self.reject: int | None = None
        self.lose_claim = False
        self.steal = False  # another worker takes a claim over once it is claimed

    def set_statuses(self, changes: Sequence[tuple[int, Status, str | None]], *,
                     leaving: Status) -> Sequence[int]:
        if self.reject is not None and leaving is Status.SENT:
            self.set_status(self.reject, Status.REJECTED, leaving=Status.SENT,
                            reason="another worker's negative receipt")
            self.reject = None
        return super().set_statuses(changes, leaving=leaving)

    def claim_files(self, files: Sequence[tuple[str, str]], *, owner: str,
                    lease_seconds: float) -> Sequence[FileClaim | None]:
        claims = super().claim_files(files, owner=owner, lease_seconds=lease_seconds)
        if self.steal and len(files) > 1 and claims[0] is not None:
            self.steal = False
            stolen = claims[0].id
            self._set_file(stolen, dataclasses.replace(self._files[stolen], owner="other"))
        return claims

    def decide_files(self, decisions: Sequence[tuple[int, str, int | None]], *,
                     owner: str) -> Sequence[int]:
        if self.lose_claim and decisions:
            self.lose_claim = False
            return super().decide_files(decisions[1:], owner=owner)
        return super().decide_files(decisions, owner=owner)


def _referrals(journal: _Raced, n: int) -> tuple[Harness, list[int]]:
    h = Harness(journal, DIRECTORY, unit_ean=PPR)
    ids = [i for _ in range(n) for i in queue_referral(
        journal, DIRECTORY, request("referral-bup.json"), files=REQUESTS).ids]
    return h, ids


def _receipts(journal: _Raced) -> list[int]:
    return [s.message.answers or 0 for s in journal.find(Query(
        direction=Direction.INBOUND, kind="XCTL03", limit=1000, bodies=False))]


def test_a_status_changed_meanwhile_stands_and_its_receipt_is_journaled_once() -> None:
    journal = _Raced()
    h, ids = _referrals(journal, 3)
    journal.reject = ids[0]
    h.pump()
    assert journal.reject is None  # the race happened
    assert journal.get(ids[0]).status is Status.REJECTED  # not overwritten by the receipt
    assert [journal.get(id).status for id in ids[1:]] == [Status.ACKNOWLEDGED] * 5
    assert sorted(_receipts(journal)) == ids  # each receipt once, answering its message
    assert journal.verify().intact


def test_a_claim_taken_over_undoes_the_block_and_each_receipt_is_taken_in_once() -> None:
    journal = _Raced()
    h, ids = _referrals(journal, 3)
    journal.lose_claim = True
    h.pump()
    assert not journal.lose_claim  # the claim was lost
    assert [journal.get(id).status for id in ids] == [Status.ACKNOWLEDGED] * 6
    assert sorted(_receipts(journal)) == ids
    assert journal.verify().intact


def test_a_claim_another_worker_holds_is_left_to_it_and_the_rest_taken_in() -> None:
    journal = _Raced()
    h, ids = _referrals(journal, 3)
    h.outbox.run_once()
    h.network.step()
    journal.steal = True
    taken = h.inbox.run_once()
    assert not journal.steal  # a claim was taken over between claiming and deciding
    assert (taken.receipts, taken.elsewhere) == (5, 1)
    statuses = [journal.get(id).status for id in ids]
    assert (statuses.count(Status.SENT), statuses.count(Status.ACKNOWLEDGED)) == (1, 5)
    assert len(_receipts(journal)) == 5
    assert journal.verify().intact

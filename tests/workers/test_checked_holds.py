"""What a node holds for its outbox is taken only for the journal entry it was queued as and
only if that entry's digest is its own; it is let go once taken and after its time, and
beyond its byte budget (counting the PDF an XBIN keeps alive) the newest is not held, so
plaintext letters do not pile up in a process whose outbox does not run; and only bytes this node
built are held."""

from __future__ import annotations

import pybase64
import pytest

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.conformance.built import Built, Placed, seal
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.node import wire
from medcom_adapter.transport.memory import MemoryTransport
from medcom_adapter.workers.checked import Checked
from tests.conftest import FIXTURES


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def built(n: int, size: int = 100) -> Built:
    return seal(bytes([n]) * size, ())


def test_taken_once_for_its_entry_and_digest_then_gone() -> None:
    checked, data = Checked(), built(1)
    checked.hold(7, data)
    assert checked.take(8, data.digest) is None and checked.holding()
    assert checked.take(7, data.digest) is data
    assert checked.take(7, data.digest) is None and not checked.holding()


def test_bytes_are_never_taken_for_an_entry_that_chained_other_bytes() -> None:
    """An undone transaction's id taken again, or a digest changed outside the journal:
    what was held for the id is let go, not sent."""
    checked, data = Checked(), built(1)
    checked.hold(7, data)
    assert checked.take(7, built(2).digest) is None
    assert not checked.holding()


def test_beyond_the_byte_budget_the_newest_is_not_held() -> None:
    # the outbox sends the oldest first: what is held is what it needs next
    checked = Checked(hold_bytes=250)
    first, second, third = built(1), built(2), built(3)
    for id, data in enumerate((first, second, third)):
        checked.hold(id, data)
    assert checked.take(2, third.digest) is None  # no room: read back when its turn comes
    assert checked.take(0, first.digest) is first and checked.take(1, second.digest) is second
    checked.hold(3, third)  # room again once the oldest were taken
    assert checked.take(3, third.digest) is third


def test_behind_a_backlog_longer_than_the_budget_the_next_to_go_stay_held() -> None:
    # queued 30 ahead of the outbox, room for 10: each round one more is queued and the
    # oldest taken. Held are the next to go, so a third of the takes find their bytes
    # (letting the oldest go for the newest, none would: each is let go before its turn)
    checked, ahead, sent = Checked(hold_bytes=1000), 30, []
    queued = [built(n % 256) for n in range(90 + ahead)]
    for id in range(ahead):
        checked.hold(id, queued[id])
    for id in range(90):
        checked.hold(id + ahead, queued[id + ahead])
        sent.append(checked.take(id, queued[id].digest) is queued[id])
    assert sent[:10] == [True] * 10 and sum(sent) == 30


def test_the_budget_counts_the_objects_a_built_keeps_alive() -> None:
    pdf = b"%PDF" * 100
    text = pybase64.encodebytes(pdf)
    xbin = seal(b"<a>" + text + b"</a>", (), (Placed(3, 3 + len(text), pdf),))
    assert not _holds(Checked(hold_bytes=len(xbin) + len(pdf) - 1), xbin)  # with its PDF
    assert _holds(Checked(hold_bytes=len(xbin) + len(pdf)), xbin)


def test_bytes_larger_than_the_largest_held_are_not_held() -> None:
    checked = Checked(hold_largest=99)
    checked.hold(1, built(1))
    assert not checked.holding()
    checked.hold(2, built(2, size=99))
    assert checked.holding()
    assert not _holds(Checked(hold_bytes=50, hold_largest=1000), built(3))  # clamped


def _holds(checked: Checked, data: Built) -> bool:
    checked.hold(1, data)
    return checked.holding()


def test_held_bytes_are_let_go_after_their_time() -> None:
    clock = Clock()
    checked = Checked(hold_seconds=60.0, clock=clock)
    old = built(1)
    checked.hold(1, old)
    clock.now = 30.0
    young = built(2)
    checked.hold(2, young)
    clock.now = 61.0
    checked.expire()
    assert checked.take(1, old.digest) is None
    assert checked.take(2, young.digest) is young


def test_only_bytes_built_here_are_held() -> None:
    with pytest.raises(TypeError):
        Checked().hold(1, b"<Emessage/>")  # type: ignore[arg-type]


def test_each_worker_round_lets_old_bytes_go_even_when_a_step_fails(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A node whose inbox fails every round never reaches its outbox: what it held still
    goes after its time."""
    clock = Clock()
    checked = Checked(hold_seconds=60.0, clock=clock)
    node = wire(MemoryJournal(), Directory.load(FIXTURES / "network" / "receivers.json"),
                MemoryTransport(), checked=checked)
    held = built(1)
    checked.hold(1, held)
    clock.now = 61.0
    expired: list[bool] = []
    real = checked.expire

    def spied() -> None:
        real()
        expired.append(True)

    def broken() -> None:
        raise OSError("the mailbox folder is gone")

    monkeypatch.setattr(checked, "expire", spied)
    monkeypatch.setattr(node.inbox, "run_once", broken)
    with pytest.raises(OSError):
        node.round()
    assert expired == [True]
    assert checked.take(1, held.digest) is None

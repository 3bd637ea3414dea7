"""What a node holds for its outbox is let go once taken, beyond its byte budget (oldest
first) and after its time, so plaintext letters do not pile up in a process whose outbox
does not run; and only bytes this node built are held."""

from __future__ import annotations

import pytest

from medcom_adapter.conformance.built import Built, seal
from medcom_adapter.workers.checked import Checked


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def built(n: int, size: int = 100) -> Built:
    return seal(bytes([n]) * size, ())


def test_taken_once_by_digest_then_gone() -> None:
    checked, data = Checked(), built(1)
    checked.hold(data)
    assert checked.take("0" * 64) is None and checked.holding()
    assert checked.take(data.digest) is data
    assert checked.take(data.digest) is None and not checked.holding()


def test_the_oldest_go_first_beyond_the_byte_budget() -> None:
    checked = Checked(hold_bytes=250)
    first, second, third = built(1), built(2), built(3)
    for data in (first, second, third):
        checked.hold(data)
    assert checked.take(first.digest) is None  # let go to make room
    assert checked.take(third.digest) is third and checked.take(second.digest) is second


def test_bytes_larger_than_the_largest_held_are_not_held() -> None:
    checked = Checked(hold_largest=99)
    checked.hold(built(1))
    assert not checked.holding()
    checked.hold(built(2, size=99))
    assert checked.holding()


def test_held_bytes_are_let_go_after_their_time() -> None:
    clock = Clock()
    checked = Checked(hold_seconds=60.0, clock=clock)
    old = built(1)
    checked.hold(old)
    clock.now = 30.0
    young = built(2)
    checked.hold(young)
    clock.now = 61.0
    assert checked.take(old.digest) is None
    assert checked.take(young.digest) is young


def test_released_bytes_are_gone_and_the_budget_freed() -> None:
    checked = Checked(hold_bytes=200)
    first, second = built(1), built(2)
    checked.hold(first)
    checked.release(first)
    checked.hold(second)
    checked.hold(built(3))  # fits only because the released bytes no longer count
    assert checked.take(second.digest) is second


def test_only_bytes_built_here_are_held() -> None:
    with pytest.raises(TypeError):
        Checked().hold(b"<Emessage/>")  # type: ignore[arg-type]

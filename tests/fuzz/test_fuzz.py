"""Fuzzing: any input either reads or raises one of our documented errors, within bounds.

Seeds are our own built messages, the request examples in ``fixtures/`` and (when present)
MedCom's published examples; Hypothesis damages them. Each call is bounded in time by the
Hypothesis deadline. A longer coverage-guided run: ``make fuzz`` (see tests/fuzz/atheris_run.py).
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medcom_adapter.detect import check
from medcom_adapter.errors import MedComError
from tests.fuzz.mutate import damaged
from tests.fuzz.targets import TARGETS, Target

SHORT = settings(
    max_examples=150,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)


def _survives(target: Target, data: bytes) -> None:
    with contextlib.suppress(MedComError):  # documented: a typed error with a stable code
        target.run(data)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_seeds_that_check_valid_read_without_error(name: str) -> None:
    target = TARGETS[name]
    seeds = target.seeds()
    assert seeds, f"{name} has no seeds"
    for seed in seeds:
        if name.endswith("request") or check(seed).valid:
            target.run(seed)  # valid messages and requests: not even a typed error


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_damaged_input_reads_or_raises_a_documented_error(name: str) -> None:
    target = TARGETS[name]

    @SHORT
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        _survives(target, data.draw(damaged(target.seeds())))

    run()


@pytest.mark.parametrize("name", sorted(TARGETS))
@SHORT
@given(data=st.binary(max_size=512))
def test_arbitrary_bytes_read_or_raise_a_documented_error(name: str, data: bytes) -> None:
    _survives(TARGETS[name], data)

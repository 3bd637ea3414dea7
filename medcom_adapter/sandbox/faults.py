"""Deterministic fault injection: the same seed gives the same faults on the same traffic.

Each delivery the network makes is passed through :meth:`Faults.apply`, which returns the
copies to deliver and after how many network steps: none (dropped), two (duplicated), one
held back for some steps (delayed), one held back a single step so later files overtake it
(reordered), or one with a byte changed (corrupted). ``kinds`` limits faults to some message
kinds (e.g. only XCTL03) and ``limit`` caps how many faults are injected in all.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import StrEnum

from medcom_adapter.errors import InvalidConfiguration


class Fault(StrEnum):
    DROP = "drop"
    DUPLICATE = "duplicate"
    DELAY = "delay"
    REORDER = "reorder"
    CORRUPT = "corrupt"


@dataclass(frozen=True, slots=True)
class FaultPlan:
    seed: int = 0
    drop: float = 0.0
    duplicate: float = 0.0
    delay: float = 0.0
    reorder: float = 0.0
    corrupt: float = 0.0
    kinds: frozenset[str] = field(default_factory=frozenset)  # empty: every kind
    limit: int | None = None
    max_delay_steps: int = 3

    def __post_init__(self) -> None:
        rates = self.rates()
        if any(not 0.0 <= r <= 1.0 for r in rates.values()) or sum(rates.values()) > 1.0:
            raise InvalidConfiguration("fault rates are between 0 and 1 and sum to at most 1")

    def rates(self) -> dict[Fault, float]:
        return {Fault.DROP: self.drop, Fault.DUPLICATE: self.duplicate, Fault.DELAY: self.delay,
                Fault.REORDER: self.reorder, Fault.CORRUPT: self.corrupt}

    @classmethod
    def parse(cls, text: str) -> FaultPlan:
        """``seed=7,drop=0.1,duplicate=0.05,kinds=XCTL03+XDIS91,limit=3`` (CLI form)."""
        values: dict[str, object] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, _, value = part.partition("=")
            try:
                if key in ("seed", "limit", "max_delay_steps"):
                    values[key] = int(value)
                elif key == "kinds":
                    values[key] = frozenset(filter(None, value.split("+")))
                elif key in {f.value for f in Fault}:
                    values[key] = float(value)
                else:
                    raise InvalidConfiguration(f"unknown fault setting {key!r}")
            except ValueError as exc:
                raise InvalidConfiguration(f"fault setting {part!r}: {exc}") from exc
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Copy:
    data: bytes
    after_steps: int = 0


class Faults:
    def __init__(self, plan: FaultPlan | None = None) -> None:
        self.plan = plan or FaultPlan()
        self._random = random.Random(self.plan.seed)
        self.injected: list[tuple[Fault, str]] = []  # (fault, kind), in order

    def apply(self, kind: str, data: bytes) -> list[Copy]:
        plan = self.plan
        if plan.kinds and kind not in plan.kinds:
            return [Copy(data)]
        if plan.limit is not None and len(self.injected) >= plan.limit:
            return [Copy(data)]
        roll, edge = self._random.random(), 0.0
        for fault, rate in plan.rates().items():
            edge += rate
            if roll < edge:
                self.injected.append((fault, kind))
                return self._inject(fault, data)
        return [Copy(data)]

    def _inject(self, fault: Fault, data: bytes) -> list[Copy]:
        if fault is Fault.DROP:
            return []
        if fault is Fault.DUPLICATE:
            return [Copy(data), Copy(data, after_steps=1)]
        if fault is Fault.DELAY:
            return [Copy(data, after_steps=self._random.randint(1, self.plan.max_delay_steps))]
        if fault is Fault.REORDER:
            return [Copy(data, after_steps=1)]
        return [Copy(self._corrupted(data))]

    def _corrupted(self, data: bytes) -> bytes:
        if not data:
            return data
        at = self._random.randrange(len(data))
        return data[:at] + bytes([data[at] ^ 0x5A]) + data[at + 1:]

"""Who the pages may send to: a small receivers directory read from a JSON file.

A stand-in with the shape of the transport's receivers directory (SOR id, EAN, name, region,
accepted message types); ``load_receivers`` is the one place to swap when that lands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from medcom_adapter.errors import InvalidValue, Location
from medcom_adapter.model.classification import Henvisning
from medcom_adapter.model.identifiers import Gln, SorId

# Where a referral to a receiver of this kind refers the child on to (§126a classification).
DEFAULT_CLASS = {
    "bup": Henvisning.CHILD_PSYCHIATRY,
    "almen-praksis": Henvisning.GENERAL_PRACTITIONER,
}


@dataclass(frozen=True, slots=True)
class Receiver:
    sor: str
    ean: str
    name: str
    region: str
    kind: str  # "bup" (child and adolescent psychiatry) or "almen-praksis" (GP)
    accepts: tuple[str, ...]  # message kinds: XREF01, XBIN01, XDIS91, CareCommunication
    department: str | None = None
    form: str | None = None  # the region's referral form, attached as a PDF

    def __post_init__(self) -> None:
        SorId(self.sor)
        Gln(self.ean)

    @property
    def label(self) -> str:
        return ", ".join(p for p in (self.name, self.department) if p)

    @property
    def default_class(self) -> Henvisning:
        return DEFAULT_CLASS.get(self.kind, Henvisning.OTHER)


def load_receivers(path: Path) -> tuple[Receiver, ...]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for i, row in enumerate(raw["receivers"]):
        try:
            out.append(Receiver(**{**row, "accepts": tuple(row["accepts"])}))
        except (TypeError, KeyError) as exc:
            where = Location(f"{path.name}: receivers[{i}]")
            raise InvalidValue(str(exc), location=where) from None
    return tuple(out)


def find(receivers: tuple[Receiver, ...], sor: str) -> Receiver | None:
    return next((r for r in receivers if r.sor == sor), None)


def accepting(receivers: tuple[Receiver, ...], kind: str) -> tuple[Receiver, ...]:
    return tuple(r for r in receivers if kind in r.accepts)

"""Fuzz targets: every way untrusted bytes enter the adapter, and the seeds to start from.

A target takes bytes and may only end in one of two ways: it returns, or it raises a
``MedComError`` (the documented error tree). Anything else is a finding. Targets whose
contract is "never raises" (``check``, the receipt and acknowledgement answers) are wrapped
so that even a MedComError counts as a finding.

Used by the Hypothesis fuzz tests (``tests/fuzz/test_fuzz.py``) and the coverage-guided
runner (``python -m tests.fuzz.atheris_run``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from medcom_adapter import detect
from medcom_adapter.errors import MedComError
from tests.conftest import FIXTURES, OFFICIAL

NOW = datetime(2026, 11, 30, 10, 0)
MAX_BYTES = 4 * 1024 * 1024  # keeps single inputs small enough for a quick run


class NeverRaises(AssertionError):
    """A target documented as never raising raised a MedComError."""


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes], object]
    seeds: Callable[[], list[bytes]]


def _check(data: bytes) -> object:
    try:
        return detect.check(data, max_bytes=MAX_BYTES)
    except MedComError as exc:
        raise NeverRaises(f"check raised {exc.code}: {exc}") from exc


def _parse(data: bytes) -> object:
    return detect.parse(data, max_bytes=MAX_BYTES)


def _receipt(data: bytes) -> object:
    from medcom_adapter.oioxml.receipting import answer

    try:
        result = answer(data, now=NOW, max_bytes=MAX_BYTES)
        return result.build() if result.receipt is not None else None
    except MedComError as exc:
        raise NeverRaises(f"receipt answer raised {exc.code}: {exc}") from exc


def _answer(data: bytes) -> object:
    """The receipt in the input's own syntax: CONTRL for EDIFACT, XCTL for OIOXML."""
    try:
        result = detect.answer(data, now=NOW, max_bytes=MAX_BYTES)
        return result.build() if result.receipt is not None else None
    except MedComError as exc:
        raise NeverRaises(f"answer raised {exc.code}: {exc}") from exc


def _acknowledgement(data: bytes) -> object:
    from medcom_adapter.fhir import wire
    from medcom_adapter.fhir.acknowledging import answer
    from medcom_adapter.fhir.validate import validate_message

    try:
        bundle, _ = wire.load(data, max_bytes=MAX_BYTES)
    except MedComError as exc:
        return answer(None, (exc,), now=NOW.astimezone())
    try:
        return answer(bundle, tuple(validate_message(bundle)), now=NOW.astimezone())
    except MedComError as exc:
        raise NeverRaises(f"acknowledgement answer raised {exc.code}: {exc}") from exc


def _referral_request(data: bytes) -> object:
    from medcom_adapter.model.request import referral_request

    return referral_request(_json(data), now=NOW, letter_id="L1")


def _km_request(data: bytes) -> object:
    from medcom_adapter.model.km_request import km_request

    return km_request(_json(data), now=NOW, letter_id="L1")


def _json(data: bytes) -> object:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None  # not JSON: the request readers must refuse None with a typed error


def _files(folder: Path, *patterns: str) -> Iterator[Path]:
    if folder.exists():
        for pattern in patterns:
            yield from sorted(folder.glob(pattern))


@cache
def message_seeds() -> list[bytes]:
    """Our sample messages plus MedCom's examples when they are present (small ones)."""
    from tests.fuzz.samples import built_messages

    seeds = list(built_messages())
    for path in _files(OFFICIAL / "oioxml" / "examples", "*.xml", "*.edi"):
        seeds.append(path.read_bytes())
    for sub in ("carecommunication-5.0.2", "acknowledgement-2.0.3"):
        seeds += [p.read_bytes() for p in _files(OFFICIAL / "fhir" / sub, "Bundle-*")]
    return [s for s in seeds if len(s) <= 64 * 1024]


@cache
def fhir_seeds() -> list[bytes]:
    return [s for s in message_seeds() if s.lstrip()[:1] == b"{" or b"hl7.org/fhir" in s[:2048]]


def request_seeds(name: str) -> Callable[[], list[bytes]]:
    return cache(lambda: [(FIXTURES / "requests" / name).read_bytes()])


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("check", _check, message_seeds),
        Target("parse", _parse, message_seeds),
        Target("receipt", _receipt, message_seeds),
        Target("answer", _answer, message_seeds),
        Target("acknowledgement", _acknowledgement, fhir_seeds),
        Target("referral-request", _referral_request, request_seeds("referral-bup.json")),
        Target("km-request", _km_request, request_seeds("km-gp.json")),
    )
}

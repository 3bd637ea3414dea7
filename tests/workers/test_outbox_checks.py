"""The outbox validates what it sends, except bytes its node built and validated itself."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.journal.interface import Direction, NewMessage, Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.transport.memory import MemoryTransport
from medcom_adapter.workers import outbox as outbox_module
from medcom_adapter.workers.checked import Checked
from medcom_adapter.workers.outbox import Outbox
from medcom_adapter.workers.submit import queue_km, queue_referral
from tests.conftest import FIXTURES
from tests.samples import pdf_with

DIRECTORY = Directory.load(FIXTURES / "network" / "receivers.json")


def km() -> Any:
    raw = json.loads((FIXTURES / "requests" / "km-gp.json").read_text(encoding="utf-8"))
    raw["attachments"] = []
    return raw


def test_bytes_built_here_are_not_validated_again_but_bytes_from_elsewhere_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    journal, checked = MemoryJournal(), Checked()
    (id,) = queue_km(journal, DIRECTORY, km(), files=FIXTURES / "requests", checked=checked).ids
    data = journal.get(id).message.data
    checks: list[bytes] = []
    real = outbox_module.check  # type: ignore[attr-defined]

    def counted(data: bytes) -> object:
        checks.append(data)
        return real(data)

    monkeypatch.setattr(outbox_module, "check", counted)
    outbox = Outbox(journal, MemoryTransport(), DIRECTORY, checked=checked)
    assert outbox.run_once().sent == 1 and checks == []  # validated when it was built
    # the same bytes queued again (as another process would find them): validated again
    again = journal.append(journal.get(id).message, Status.QUEUED)
    assert outbox.run_once().sent == 1 and checks == [data]
    # bytes nobody here built are validated, and refused when invalid
    broken = data.replace(b"</Letter>", b"<Oops/></Letter>", 1)
    bad = journal.append(NewMessage(Direction.OUTBOUND, "XDIS91", "XD9134L", broken, "E1",
                                    "L1", receiver_ean="5790000121526"), Status.QUEUED)
    assert outbox.run_once().failed == 1
    assert journal.get(bad).status is Status.FAILED and journal.get(again).status is Status.SENT


def test_an_outbox_not_told_what_was_validated_validates_everything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What one node remembers is its own: nothing is shared through module state."""
    journal = MemoryJournal()
    queue_km(journal, DIRECTORY, km(), files=FIXTURES / "requests", checked=Checked())
    checks: list[bytes] = []
    real = outbox_module.check  # type: ignore[attr-defined]

    def counted(data: bytes) -> object:
        checks.append(data)
        return real(data)

    monkeypatch.setattr(outbox_module, "check", counted)
    assert Outbox(journal, MemoryTransport(), DIRECTORY).run_once().sent == 1
    assert len(checks) == 1


def test_each_byte_string_is_hashed_once_from_building_to_sending(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
) -> None:
    """The XBIN's digest is taken as it is built and used by the journal's chain and the
    node's Checked; the attachment's once, by the chain; the outbox hashes neither."""
    pdf = pdf_with(bytes(range(256)) * 200)
    (tmp_path / "henvisningsskema-bup.pdf").write_bytes(pdf)
    request = json.loads((FIXTURES / "requests" / "referral-bup.json").read_text("utf-8"))
    real = hashlib.sha256
    hashed: list[bytes] = []

    def counted(data: bytes = b"", **kwargs: Any) -> Any:
        if len(data) >= len(pdf):
            hashed.append(bytes(data))
        return real(data, **kwargs)

    monkeypatch.setattr(hashlib, "sha256", counted)
    journal, checked = MemoryJournal(), Checked()
    _, binary = queue_referral(journal, DIRECTORY, request, files=tmp_path,
                               checked=checked).ids
    outbox = Outbox(journal, MemoryTransport(), DIRECTORY, checked=checked)
    assert outbox.run_once().sent == 2
    xbin = journal.get(binary).message.data
    assert sorted(hashed, key=len) == [pdf, xbin]

"""A received file is read once: one received XDIS91 is schema-validated once, and its
receipt once (as it is built); the outbox sends that receipt without validating it again.
A received CareCommunication is validated against the profiles once."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.envelopes import fhir_payload, vans
from medcom_adapter.fhir import validate as fhir_validate
from medcom_adapter.journal.interface import Direction, Query
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.node import wire
from medcom_adapter.oioxml import schemas
from medcom_adapter.transport.memory import MemoryTransport
from medcom_adapter.transport.vans_mailbox import VansMailbox
from medcom_adapter.workers import inbox as inbox_module
from medcom_adapter.workers import read_oioxml, reading
from medcom_adapter.workers.hooks import CollectingHook
from medcom_adapter.workers.submit_fhir import queue_care_communication
from tests.conftest import FIXTURES
from tests.workers.campaign import gp_letters

DIRECTORY = Directory.load(FIXTURES / "network" / "receivers.json")
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _count_validations(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    seen: Counter[str] = Counter()
    real = schemas.validate

    def counted(tree: Any, folder: str) -> Any:
        seen[etree.QName(tree.getroot()[1]).localname] += 1  # the first letter's element
        return real(tree, folder)

    monkeypatch.setattr(schemas, "validate", counted)
    return seen


def test_one_received_xdis91_is_validated_once(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    box = VansMailbox(tmp_path)
    box.provider.deposit("XDIS91_gp.xml", gp_letters(DIRECTORY, 1)[0])
    seen = _count_validations(monkeypatch)
    node = wire(MemoryJournal(), DIRECTORY, box, hook=CollectingHook())
    assert node.inbox.run_once().delivered == 1
    assert seen == Counter({"ClinicalEmail": 1, "PositiveReceipt": 1})
    assert node.outbox.run_once().sent == 1  # the receipt leaves as it was validated
    assert seen == Counter({"ClinicalEmail": 1, "PositiveReceipt": 1})
    (receipt,) = node.journal.find(Query(direction=Direction.OUTBOUND))
    assert receipt.message.kind == "XCTL03"


def test_one_received_care_communication_is_validated_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    gp = MemoryJournal()
    km = json.loads((FIXTURES / "requests" / "km-gp.json").read_text(encoding="utf-8"))
    km["attachments"] = []
    km["sender"], km["receiver"] = km["receiver"], km["sender"]
    (id,) = queue_care_communication(gp, DIRECTORY, km, files=FIXTURES / "requests").ids
    bundle = gp.get(id).message.data
    mailbox = MemoryTransport()
    mailbox.provider.deposit("care.xml", vans.build(fhir_payload.wrap(bundle, sent=NOW)))
    seen: Counter[str] = Counter()
    real = fhir_validate._check_resources

    def counted(ctx: Any) -> None:
        seen[ctx.bundle["id"]] += 1
        real(ctx)

    monkeypatch.setattr(fhir_validate, "_check_resources", counted)
    node = wire(MemoryJournal(), DIRECTORY, mailbox, hook=CollectingHook())
    assert node.inbox.run_once().delivered == 1
    assert seen == Counter({json.loads(bundle)["id"]: 1})


def test_reading_is_a_step_of_its_own() -> None:
    """The readers know nothing of the inbox: it imports them, never the other way."""
    for module in (reading, read_oioxml):
        source = Path(str(module.__file__)).read_text(encoding="utf-8")
        assert "workers.inbox" not in source
    source = Path(str(inbox_module.__file__)).read_text(encoding="utf-8")
    assert "__enter__" not in source and "__exit__" not in source

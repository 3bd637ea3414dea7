"""The status page's reading of answers: receipts by kind, Acknowledgements by content."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from medcom_adapter.fhir.acknowledgement import to_bundle
from medcom_adapter.fhir.acknowledging import answer
from medcom_adapter.journal.interface import Direction, NewMessage, Status, StoredMessage
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.model.acknowledgement import ERROR_CODES, AckCode, OutcomeIssue
from medcom_adapter.model.carecommunication import Category, Coding
from medcom_adapter.service import labels
from medcom_adapter.service.answers import describe
from tests.service.conftest import GP_EAN
from tests.service.inbound import inbound_care_communication

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def stored(journal: MemoryJournal, kind: str, data: bytes) -> StoredMessage:
    return journal.get(journal.append(NewMessage(Direction.INBOUND, kind, "1", data, kind, kind,
                                                 sender_ean=GP_EAN), Status.DELIVERED))


def an_ack(**change: Any) -> StoredMessage:
    journal = MemoryJournal()
    cc_id, _ = inbound_care_communication(journal)
    ack = answer(json.loads(journal.get(cc_id).message.data), now=NOW).ack
    assert ack is not None
    return stored(journal, "Acknowledgement",
                  json.dumps(to_bundle(dataclasses.replace(ack, **change))).encode())


def test_an_ok_acknowledgement_is_accepted_without_reasons() -> None:
    view = describe(an_ack())
    assert (view.label, view.outcome, view.ok, view.reasons) == (
        "Kvittering", "Modtaget og læst af modtagerens system", True, ())


def test_an_error_acknowledgement_says_each_reason_in_danish_beside_the_technical_text() -> None:
    issues = (OutcomeIssue("error", "transient", Coding(ERROR_CODES,
                                                        "MSG_Mailbox_Out_Of_Operation"),
                           "mailbox closed for maintenance"),
              OutcomeIssue("error", "processing", None, "something else"))
    view = describe(an_ack(code=AckCode.TRANSIENT_ERROR, issues=issues))
    assert view.ok is False and view.outcome.startswith("Midlertidig fejl")
    assert [(r.danish, r.technical) for r in view.reasons] == [
        ("Modtagerens postkasse er midlertidigt ude af drift.", "mailbox closed for maintenance"),
        ("Meddelelsen overholder ikke MedComs regler.", "something else")]


def test_receipts_are_read_by_kind_and_an_unreadable_acknowledgement_says_so() -> None:
    journal = MemoryJournal()
    assert describe(stored(journal, "XCTL03", b"<x/>")).ok is True
    assert describe(stored(journal, "XCTL02", b"<x/>")).outcome == "Afvist af modtagerens system"
    broken = describe(stored(journal, "Acknowledgement", b"{}"))
    assert broken.ok is None and broken.outcome == "Kvitteringen kunne ikke læses"


def test_every_medcom_category_and_error_code_has_a_danish_label() -> None:
    assert set(labels.CATEGORY) == {c.value for c in Category}
    assert len(labels.CATEGORY) == 18 and all(labels.CATEGORY.values())
    assert len(labels.ACK_ERROR) == 9 and set(labels.ACK_OUTCOME) == {c.value for c in AckCode}

"""Quarantined journal rows on the pages: a message that cannot be opened is never sent or
delivered, so the unit is shown it, with the code and a Danish explanation, in its own
mailbox only (the child's only, for a session launched for one child)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from medcom_adapter.fhir.carecommunication import to_bundle
from medcom_adapter.fhir.threads import new_message
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import Direction, NewMessage, Query, Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.journal.sqlstore import SqlJournal
from medcom_adapter.model.carecommunication import Author, CarePatient, Category, Party
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.parties import person_id
from medcom_adapter.oioxml import emessage
from medcom_adapter.service import Settings, create_app, labels
from medcom_adapter.service.apikeys import SCOPES
from medcom_adapter.transport.vans_mailbox import VansMailbox
from tests import samples
from tests.service.conftest import CONTEXT, CPR, GP, GP_EAN, Clock, api_client, issue_key
from tests.service.test_danish_pages import assert_danish
from tests.service.test_tenancy import OTHER

SIBLING = "0707614285"  # another MedCom test person, known to the same unit
OURS = (CONTEXT["unit"]["sor"], CONTEXT["unit"]["ean"])
THEIRS = (OTHER.sor, "5790000123469")


@pytest.fixture
def sql(tmp_path: Path) -> Iterator[tuple[TestClient, SqlJournal, str]]:
    clock = Clock()
    journal = open_journal(None, env={"MEDCOM_DATA_DIR": str(tmp_path)}, clock=clock)
    assert isinstance(journal, SqlJournal)
    _, key = issue_key(journal, scopes=SCOPES)
    with api_client(create_app(journal, Settings(clock=clock))) as client:
        yield client, journal, key
    journal.close()


def _letter(direction: Direction, unit_sor: str, unit_ean: str, cpr: str) -> NewMessage:
    inbound = direction is Direction.INBOUND
    ours, theirs = (unit_sor, unit_ean), (GP, GP_EAN)
    (s_sor, s_ean), (r_sor, r_ean) = (theirs, ours) if inbound else (ours, theirs)
    return NewMessage(direction=direction, kind="CareCommunication", version="5.0",
                      data=b'{"resourceType": "Bundle"}', envelope_id=f"env-{cpr}",
                      message_id=f"msg-{cpr}", sender_ean=s_ean, receiver_ean=r_ean,
                      sender_sor=s_sor, receiver_sor=r_sor, patient=person_id(cpr))


def _damage(journal: SqlJournal, id: int) -> None:
    ((sealed,),) = journal.db.rows("SELECT body FROM messages WHERE id = ?", (id,))
    journal.db.run("UPDATE messages SET body = ? WHERE id = ?",
                   (bytes(sealed[:-1]) + bytes([sealed[-1] ^ 1]), id))


def _shown(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-label="Journalnr.">(\d+)<', html)]


def test_quarantined_rows_show_in_the_units_mailbox_with_their_reason(
        sql: tuple[TestClient, SqlJournal, str]) -> None:
    client, journal, key = sql
    child = journal.append(_letter(Direction.INBOUND, *OURS, CPR), Status.DELIVERED)
    sibling = journal.append(_letter(Direction.OUTBOUND, *OURS, SIBLING),
                             Status.SENT)
    fine = journal.append(_letter(Direction.INBOUND, *OURS, SIBLING),
                          Status.DELIVERED)
    theirs = journal.append(_letter(Direction.INBOUND, *THEIRS, CPR),
                            Status.DELIVERED)
    for id in (child, sibling, theirs):
        _damage(journal, id)
    assert [m.id for m in journal.find(Query())] == [fine]  # the read quarantines the rest
    assert [id for id, _ in journal.quarantined()] == [child, sibling, theirs]

    auth = {"Authorization": f"Bearer {key}"}
    url = client.post("/api/launch", json={**CONTEXT, "kind": "km", "journal": True},
                      headers=auth).json()["url"]
    assert client.get(url).status_code == 200
    unit_page = client.get("/postkasse")
    assert unit_page.status_code == 200
    assert _shown(unit_page.text) == [child, sibling]  # never the other unit's
    text = assert_danish(unit_page.text, "Meddelelser i karantæne", "2 i karantæne",
                         labels.QUARANTINE["local.journal-corrupt"],
                         "Fejlkode: local.journal-corrupt", "Sendt: ", "Modtaget: ")
    assert CPR not in unit_page.text and SIBLING not in unit_page.text
    assert CPR[:6] not in text.split("Meddelelser i karantæne")[1]  # no person in the rows
    child_page = client.get("/postkasse/barn")
    assert _shown(child_page.text) == [child]  # the launched child's only
    reads = [e for e in journal.audit_log() if e.action == "quarantined"]
    assert [e.message_ids for e in reads] == [(child, sibling), (child,)]
    assert {e.actor for e in reads} == {reads[0].actor} and reads[0].actor != "system"


def test_a_session_for_one_child_sees_only_that_childs_quarantined_rows(
        sql: tuple[TestClient, SqlJournal, str]) -> None:
    client, journal, key = sql
    sibling = journal.append(_letter(Direction.INBOUND, *OURS, SIBLING),
                             Status.DELIVERED)
    _damage(journal, sibling)
    journal.find(Query())
    url = client.post("/api/launch", json={**CONTEXT, "kind": "km"},
                      headers={"Authorization": f"Bearer {key}"}).json()["url"]
    client.get(url)
    for path in ("/postkasse", "/postkasse/barn"):  # without the unit's journal: the child's
        page = client.get(path)
        assert page.status_code == 200 and _shown(page.text) == []
        assert "karantæne" not in page.text


def test_no_quarantine_no_section(sql: tuple[TestClient, SqlJournal, str]) -> None:
    client, journal, key = sql
    journal.append(_letter(Direction.INBOUND, *OURS, CPR), Status.DELIVERED)
    url = client.post("/api/launch", json={**CONTEXT, "kind": "km", "journal": True},
                      headers={"Authorization": f"Bearer {key}"}).json()["url"]
    client.get(url)
    page = client.get("/postkasse")
    assert page.status_code == 200 and "karantæne" not in page.text


def _care_communication(cpr: str) -> bytes:
    """A GP's CareCommunication to the unit about ``cpr``, as its file arrives."""
    unit = Party(CONTEXT["unit"]["sor"], CONTEXT["unit"]["ean"], CONTEXT["unit"]["name"])
    cc = new_message(
        sender=Party(GP, GP_EAN, "Lægehuset Eksempel"), receiver=unit,
        patient=CarePatient(person_id(cpr), "Elmer", ("Bruno",)),
        category=Category.CARE_COORDINATION, topic="Spørgsmål", text="Hvordan går det?",
        author=Author("Læge", ("Lise",), role_text="Læge"), phone="98000000",
        now=datetime(2026, 11, 19, 14, 0, tzinfo=UTC))
    return json.dumps(to_bundle(cc)).encode("utf-8")


def _put_aside(mailbox: VansMailbox, name: str, data: bytes, reason: str) -> None:
    (mailbox.in_dir / name).write_bytes(data)
    (received,) = [r for r in mailbox.receive() if r.name == name]
    mailbox.quarantine(received, reason)


def test_received_files_put_aside_show_to_the_unit_they_are_for(tmp_path: Path) -> None:
    mailbox = VansMailbox(tmp_path / "mailbox", quiet_seconds=0)
    other = emessage.build(Emessage(Envelope("ENV0001", samples.WHEN),
                                    (samples.minimal_referral(),)), "XH0131R")  # to BUP
    _put_aside(mailbox, "child.json", _care_communication(CPR),
               f"OperationalError: database is locked for {CPR}")
    _put_aside(mailbox, "sibling.json", _care_communication(SIBLING), "TransportFailure: x")
    _put_aside(mailbox, "other.xml", other, "OperationalError: database is locked")
    _put_aside(mailbox, "garbage.bin", b"\x00\x01 not a message", "ValueError: what")
    assert len(mailbox.quarantine_notes()) == 4
    journal = MemoryJournal()
    _, key = issue_key(journal, scopes=SCOPES)
    with api_client(create_app(journal, Settings(), quarantine=mailbox)) as client:
        for journal_open, path, shown in ((True, "/postkasse", 2), (True, "/postkasse/barn", 1),
                                          (False, "/postkasse", 1)):
            url = client.post("/api/launch",
                              json={**CONTEXT, "kind": "km", "journal": journal_open},
                              headers={"Authorization": f"Bearer {key}"}).json()["url"]
            client.get(url)
            page = client.get(path)
            assert page.status_code == 200
            assert page.text.count('data-label="Forsøg">1<') == shown, (path, page.text)
            assert_danish(page.text, "Modtagne filer, der venter på behandling",
                          f"{shown} modtagne filer venter", labels.QUARANTINE_FILE_OTHER,
                          "Fejlkode: OperationalError")
            assert CPR not in page.text and SIBLING not in page.text
            assert "locked" not in page.text and ".json" not in page.text
            assert ("Fejlkode: TransportFailure" in page.text) is (shown == 2)

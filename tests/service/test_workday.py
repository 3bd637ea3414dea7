"""A PPR psychologist's day on the pages: kept uploads, custody holders and consent, a copy
to the GP, the mailbox, Danish time, delivery to the case system, print view and PDF."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import Direction, Query, Status
from medcom_adapter.model.letters import Referral
from medcom_adapter.oioxml.emessage import parse
from medcom_adapter.service import Settings, create_app
from medcom_adapter.service.web import size
from tests.service.conftest import BUP, CONTEXT, CPR, GP_EAN, PDF, Harness, csrf_of, issue_key
from tests.service.inbound import inbound_care_communication
from tests.service.test_pages import km_form, pdf_file, referral_form


def kept_ids(html: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="kept" value="([^"]+)">', html)


def test_an_upload_survives_a_form_error_and_ret_and_can_be_removed(harness: Harness) -> None:
    csrf = harness.open("referral")
    failed = harness.client.post("/henvisning", data=referral_form(csrf, reason=""),
                                 files=pdf_file(name="henvisningsskema.pdf"))
    assert failed.status_code == 422
    assert f"Vedhæftet: <strong>henvisningsskema.pdf</strong>, {size(len(PDF))}" in failed.text
    (kept,) = kept_ids(failed.text)
    # the worker fixes the reason without attaching the file again
    preview = harness.client.post("/henvisning", data=referral_form(csrf, kept=kept))
    assert preview.status_code == 200 and "Forhåndsvisning" in preview.text
    ret = harness.client.get(re.search(r'href="(/henvisning\?kladde=[^"]+)"',
                                       preview.text).group(1))  # type: ignore[union-attr]
    assert kept_ids(ret.text) == [kept] and "Angst og skolevægring" in ret.text
    again = harness.client.post("/henvisning", data=referral_form(csrf, kept=kept))
    sent = harness.client.post(str(again.url), data={"csrf": csrf})
    journal_id = int(str(sent.url).rsplit("/", 1)[1])
    (binary,) = [m for m in harness.journal.find(Query()) if m.message.kind == "XBIN02"]
    assert binary.id == journal_id + 1 and PDF in [a.data for a in binary.message.attachments]
    # a kept file is gone once sent, and a removed one never comes back
    assert harness.settings is not None
    csrf2 = harness.open("km")
    first = harness.client.post("/km", data=km_form(csrf2, text=""),
                                files={"attachments": ("notat.pdf", PDF, "application/pdf")})
    (note,) = kept_ids(first.text)
    removed = harness.client.post("/km", data=km_form(csrf2, text="", kept=note, fjern=note))
    assert removed.status_code == 200 and kept_ids(removed.text) == []
    assert "Vedhæftet" not in removed.text and 'id="text-fejl"' not in removed.text
    forged = harness.client.post("/km", data=km_form(csrf2, kept=note))
    assert "notat.pdf" not in forged.text  # a removed id attaches nothing


def test_a_kept_file_id_from_another_session_attaches_nothing(harness: Harness) -> None:
    csrf = harness.open("referral")
    failed = harness.client.post("/henvisning", data=referral_form(csrf, reason=""),
                                 files=pdf_file())
    (kept,) = kept_ids(failed.text)
    harness.client.cookies.clear()
    other = harness.open("referral")
    response = harness.client.post("/henvisning", data=referral_form(other, kept=kept))
    assert response.status_code == 422 and "Vedhæft regionens henvisningsskema" in response.text


def test_two_custody_holders_and_their_consent_travel_in_the_referral(harness: Harness) -> None:
    csrf = harness.open("referral")
    form = referral_form(csrf, custody2_relation="far", custody2_given_name="Hans Test",
                         custody2_surname="Elmer", custody2_consent="ja")
    preview = harness.client.post("/henvisning", data=form, files=pdf_file())
    assert "Forældremyndighed (fælles, begge samtykker):" in preview.text
    sent = harness.client.post(str(preview.url), data={"csrf": csrf})
    stored = harness.journal.get(int(str(sent.url).rsplit("/", 1)[1]))
    referral = parse(stored.message.data).message.letters[0]
    assert isinstance(referral, Referral)
    assert referral.relative is not None and referral.relative.surname == "Elmer"
    assert referral.relative.relation.value == "mor"  # XREF01 carries one relative
    assert referral.supplementary is not None
    assert referral.supplementary.to_plain().strip().splitlines() == [
        "Forældremyndighed (fælles, begge samtykker):",
        "Mor: Else Test Elmer - samtykker til henvisningen",
        "Far: Hans Test Elmer - samtykker til henvisningen"]


def test_a_holder_without_an_answer_on_consent_is_asked_for_it(harness: Harness) -> None:
    csrf = harness.open("referral")
    response = harness.client.post("/henvisning", files=pdf_file(), data=referral_form(
        csrf, custody1_consent="", custody2_surname="Elmer"))
    assert response.status_code == 422
    for field in ("custody1_consent", "custody2_relation", "custody2_consent"):
        assert f'id="{field}-fejl"' in response.text, field
    assert not harness.journal.find(Query())


def test_a_copy_to_the_gp_is_its_own_km_queued_and_linked_with_the_referral(
        harness: Harness) -> None:
    csrf = harness.open("referral")
    page = harness.client.get("/henvisning").text
    assert "Send kopi til barnets egen læge (Lægehuset Eksempel)" in page
    preview = harness.client.post("/henvisning", data=referral_form(csrf, copy_gp="ja"),
                                  files=pdf_file())
    assert "Kopi til egen læge</dt><dd>Ja, til Lægehuset Eksempel" in preview.text
    assert "Til orientering: Eksempel Kommune PPR har henvist Bruno Test Elmer" in preview.text
    sent = harness.client.post(str(preview.url), data={"csrf": csrf})
    referral_id = int(str(sent.url).rsplit("/", 1)[1])
    kinds = [(m.message.kind, m.message.receiver_ean) for m in harness.journal.find(Query())]
    assert [k for k, _ in kinds] == ["XREF01", "XBIN02", "CareCommunication"]
    assert kinds[2][1] == GP_EAN
    copy = harness.journal.find(Query(kind="CareCommunication"))[0]
    assert b"regarding-referral" in copy.message.data and copy.status is Status.QUEUED
    assert copy.message.episode_id == harness.journal.get(referral_id).message.episode_id
    assert f'<a href="/status/{copy.id}">Kopi af henvisning til BUP</a>' in sent.text


def test_times_are_danish_local_time_in_summer_and_winter(harness: Harness) -> None:
    harness.clock.now = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)  # summer: UTC+2
    inbound_id, _ = inbound_care_communication(harness.journal)
    harness.open("km")
    page = harness.client.get(f"/status/{inbound_id}").text
    assert "<dd>02.07.2026 kl. 00.30</dd>" in page and "01.07.2026" not in page
    harness.clock.now = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # winter: UTC+1
    later, _ = inbound_care_communication(harness.journal)
    harness.open("km")
    assert "<dd>01.01.2027 kl. 00.30</dd>" in harness.client.get(f"/status/{later}").text


def mailbox_rows(html: str) -> list[str]:
    return re.findall(r"<tr class=\"[^\"]*\">(.*?)</tr>", html, re.S)


def test_the_mailbox_puts_unread_refused_and_overdue_first_and_marks_answered(
        harness: Harness) -> None:
    csrf = harness.open("referral")
    for reason in ("Første henvisning", "Anden henvisning", "Tredje henvisning"):
        preview = harness.client.post("/henvisning", files=pdf_file(),
                                      data=referral_form(csrf, reason=reason))
        harness.client.post(str(preview.url), data={"csrf": csrf})
    first, second, third = (m.id for m in harness.journal.find(Query(kind="XREF01")))
    harness.journal.set_status(first, Status.SENT)
    harness.journal.set_status(second, Status.SENT)
    harness.journal.set_status(second, Status.REJECTED, reason="XCTL02: syntaksfejl")
    harness.journal.set_status(third, Status.SENT)
    harness.journal.set_status(third, Status.ACKNOWLEDGED)
    harness.clock.advance(25 * 3600)  # the first one's receipt is now overdue (24 hours)
    reply, _ = inbound_care_communication(harness.journal)
    csrf = harness.open("referral")
    page = harness.client.get("/postkasse").text
    assert "1 ulæste · 1 afviste · 1 med forsinket svar" in page
    rows = mailbox_rows(page)
    assert [re.search(r'href="/status/(\d+)"', r).group(1)  # type: ignore[union-attr]
            for r in rows] == [str(reply), str(second), str(first), str(third)]
    assert '<span class="badge">Ny</span>' in rows[0] and "Fra: Lægehuset Eksempel" in rows[0]
    assert "Spørgsmål om forløb" in rows[0] and "Bruno Test Elmer (250947-xxxx)" in rows[0]
    assert "Til: Eksempel Regionshospital" in rows[1]
    assert "Modtagerens system har afvist meddelelsen" in rows[1]
    assert "Svaret er forsinket" in rows[2]
    assert "Regionens system har modtaget henvisningen" in rows[3]
    # opening the reply makes it read; marking it answered is recorded too
    harness.client.get(f"/status/{reply}")
    assert '<span class="badge">Ny</span>' not in harness.client.get("/postkasse").text
    marked = harness.client.post(f"/status/{reply}/besvaret", data={
        "csrf": csrf, "besvaret": "ja", "tilbage": "/postkasse"})
    assert str(marked.url).endswith("/postkasse") and "· besvaret" in marked.text
    assert "Ja, markeret som besvaret" in harness.client.get(f"/status/{reply}").text


def test_a_second_unread_reply_stays_unread_for_the_whole_unit(harness: Harness) -> None:
    first, _ = inbound_care_communication(harness.journal)
    second, _ = inbound_care_communication(harness.journal)
    harness.open("km")
    harness.client.get(f"/status/{first}")
    harness.client.cookies.clear()
    harness.open("km")  # a colleague in the same unit
    rows = mailbox_rows(harness.client.get("/postkasse").text)
    assert f'/status/{second}"' in rows[0] and "badge" in rows[0]
    assert f'/status/{first}"' in rows[1] and "badge" not in rows[1]


def test_mailbox_search_by_name_receiver_and_date(harness: Harness) -> None:
    csrf = harness.open("referral")
    preview = harness.client.post("/henvisning", data=referral_form(csrf), files=pdf_file())
    harness.client.post(str(preview.url), data={"csrf": csrf})
    harness.clock.advance(3 * 86400)
    inbound_care_communication(harness.journal)
    search = {"csrf": harness.open("km"), "omfang": "enhed"}

    def found(**fields: str) -> list[str]:
        page = harness.client.post("/postkasse", data={**search, **fields})
        assert page.status_code == 200, page.text
        return re.findall(r'<td data-label="Emne">(?:<span class="badge">Ny</span> )?'
                          r'<a href="/status/\d+">([^<]+)</a>', page.text)

    referral = "Henvisning til børne- og ungdomspsykiatrien"
    assert found(soeg="bruno elmer") == ["Spørgsmål om forløb", referral]
    assert found(soeg="Regionshospital") == [referral]
    assert found(soeg="lægehuset") == ["Spørgsmål om forløb"]
    assert found(fra="2026-11-20", til="2026-11-20") == [referral]  # the day in Denmark
    assert found(fra="23.11.2026") == ["Spørgsmål om forløb"]
    assert found(soeg=CPR[:6] + "-" + CPR[6:]) == ["Spørgsmål om forløb", referral]
    assert found(soeg="Ingen med det navn") == []
    assert BUP  # the region's department the referral went to


def test_received_is_delivered_to_the_case_system_only_when_it_took_it(
        harness: Harness) -> None:
    inbound_id, _ = inbound_care_communication(harness.journal)  # journaled "delivered"
    harness.open("km")
    page = harness.client.get(f"/status/{inbound_id}").text
    assert '<p class="headline">Modtaget</p>' in page and "fagsystemet" not in page.split(
        "<h2>")[0]
    harness.journal.get(inbound_id, actor="worker:webhook")  # the webhook pushes it
    page = harness.client.get(f"/status/{inbound_id}").text
    assert '<p class="headline">Leveret til fagsystemet</p>' in page


def test_print_view_and_pdf_of_a_sent_referral_list_its_attachments(harness: Harness) -> None:
    csrf = harness.open("referral")
    preview = harness.client.post("/henvisning", data=referral_form(csrf), files=pdf_file())
    sent = harness.client.post(str(preview.url), data={"csrf": csrf})
    journal_id = int(str(sent.url).rsplit("/", 1)[1])
    view = harness.client.get(f"/udskriv/{journal_id}")
    assert view.status_code == 200 and 'href="/static/print.css"' in view.text
    for text in ("Henvisning til Eksempel Regionshospital", "Angst og skolevægring",
                 "Bruno Test Elmer (250947-xxxx)", "<h2>Bilag</h2>", f"(PDF, {len(PDF)} byte)",
                 "Udskrevet 20.11.2026 kl. 10.30"):
        assert text in view.text, text
    assert CPR not in view.text
    pdf = harness.client.get(f"/udskriv/{journal_id}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and b"%%EOF" in pdf.content[-64:]
    assert pdf.headers["content-disposition"] == (
        f'attachment; filename="meddelelse-{journal_id}.pdf"')
    assert CPR.encode() not in pdf.content
    inbound_id, _ = inbound_care_communication(harness.journal)
    received = harness.client.get(f"/udskriv/{inbound_id}").text
    assert "Korrespondancemeddelelse fra Lægehuset Eksempel" in received
    assert Direction.INBOUND.value not in received


def test_kept_files_and_marks_are_shared_by_every_service_process(tmp_path: Path) -> None:
    """Two ``serve`` processes on one journal: a file kept by one is sent by the other, and
    what one marks answered the other shows so."""
    env = {"MEDCOM_DATA_DIR": str(tmp_path)}
    journals = [open_journal(None, env=env) for _ in range(2)]
    secret = issue_key(journals[0], "sbsys-two")[1]
    first, second = (TestClient(create_app(j, Settings())) for j in journals)
    with first, second:
        url = first.post("/api/launch", json={**CONTEXT, "kind": "referral"},
                         headers={"Authorization": f"Bearer {secret}"}).json()["url"]
        csrf = csrf_of(first.get(url).text)
        failed = first.post("/henvisning", data=referral_form(csrf, reason=""),
                            files=pdf_file())
        (kept,) = kept_ids(failed.text)
        second.cookies.update(first.cookies)
        preview = second.post("/henvisning", data=referral_form(csrf, kept=kept))
        assert preview.status_code == 200 and "Forhåndsvisning" in preview.text
        sent = second.post(str(preview.url), data={"csrf": csrf})
        assert sent.status_code == 200
        reply, _ = inbound_care_communication(journals[0])
        first.post(f"/status/{reply}/besvaret", data={"csrf": csrf, "besvaret": "ja"})
        assert "Ja, markeret som besvaret" in second.get(f"/status/{reply}").text
    (binary,) = journals[1].find(Query(kind="XBIN02"))
    assert binary.message.attachments[0].data == PDF
    for journal in journals:
        journal.close()

"""The pages, driven as a browser without JavaScript would: forms, errors, preview, status."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

from medcom_adapter.errors import Issue
from medcom_adapter.fhir.acknowledgement import to_bundle as ack_bundle
from medcom_adapter.fhir.acknowledging import answer
from medcom_adapter.fhir.threads import NewAttachment
from medcom_adapter.journal.interface import Direction, NewMessage, Query, Status
from medcom_adapter.model.carecommunication import Category
from medcom_adapter.model.classification import Henvisning
from tests.service.conftest import (
    BUP,
    CONTEXT,
    CPR,
    DENTAL,
    DENTAL_EAN,
    GP,
    GP_EAN,
    PDF,
    Harness,
    csrf_of,
)
from tests.service.inbound import inbound_care_communication, inbound_xdis91


class Form(HTMLParser):
    """Inputs, their labels, and the page's language."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labels: set[str] = set()
        self.lang: str | None = None
        self.h1 = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "h1":
            self.h1 += 1
        if tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append(a)


def referral_form(csrf: str, **change: str | list[str]) -> dict[str, str | list[str]]:
    return {"csrf": csrf, "receiver": BUP, "reason": "Angst og skolevægring",
            "priority": "elektiv", "classes": [Henvisning.CHILD_PSYCHIATRY.value],
            "custody1_relation": "mor", "custody1_given_name": "Else Test",
            "custody1_surname": "Elmer", "custody1_consent": "ja", **change}


def pdf_file(data: bytes = PDF, name: str = "skema.pdf") -> dict[str, tuple[str, bytes, str]]:
    return {"form": (name, data, "application/pdf")}


def test_referral_form_is_prefilled_labelled_and_danish(harness: Harness) -> None:
    page = harness.client.get(harness.launch("referral"))
    html = page.text
    form = Form(html)
    assert form.lang == "da" and form.h1 == 1
    assert all(c.get("id") in form.labels for c in form.controls), "every control has a label"
    assert "Bruno Test Elmer (250947-xxxx)" in html and CPR not in html
    assert "Sara Testsen, Psykolog" in html
    # no receiver is chosen for the worker: a wrong region must be a choice, not a default
    assert not re.search(rf'<option value="{BUP}" selected>', html)
    assert '<option value="" selected>Vælg barnets region</option>' in html
    assert re.search(r'value="boerne-ungdomspsykiatri" checked', html)
    assert all(h.display in html for h in Henvisning)
    assert "<script" not in html


def test_validation_errors_appear_next_to_their_fields_in_danish(harness: Harness) -> None:
    csrf = harness.open("referral")
    response = harness.client.post("/henvisning", data=referral_form(
        csrf, reason="", classes=[], diagnosis_code="DF419"))
    assert response.status_code == 422
    html = response.text
    for field, text in (("reason", "Skriv årsagen til henvisningen."),
                        ("classes", "Vælg mindst én henvisningskategori."),
                        ("form", "Vedhæft regionens henvisningsskema som PDF"),
                        ("diagnosis_text", "Skriv diagnosens tekst")):
        assert re.search(rf'id="{field}-fejl">{re.escape(text)}', html), field
        assert f'href="#{field}"' in html
    assert re.search(r'id="reason" name="reason"[^>]*aria-describedby="reason-hjaelp '
                     r'reason-fejl" aria-invalid="true"', html)
    assert 'value="DF419"' in html  # what was typed is kept
    assert not harness.journal.find(Query())


def test_non_pdf_and_oversize_uploads_are_refused_by_content(harness: Harness) -> None:
    csrf = harness.open("referral")
    fake = harness.client.post("/henvisning", data=referral_form(csrf),
                               files=pdf_file(b"GIF89a" + bytes(50), "skema.pdf"))
    assert fake.status_code == 422 and "ikke en tilladt filtype" in fake.text
    big = b"%PDF-1.4\n" + bytes(harness.settings.max_upload_bytes) + b"%%EOF\n"
    large = harness.client.post("/henvisning", data=referral_form(csrf), files=pdf_file(big))
    assert large.status_code == 422 and "for stor" in large.text


def test_forms_without_the_csrf_token_are_refused(harness: Harness) -> None:
    harness.open("referral")
    response = harness.client.post("/henvisning", data=referral_form("forged"),
                                   files=pdf_file())
    assert response.status_code == 403 and "Genindlæs siden" in response.text
    assert not harness.journal.find(Query())


def test_referral_preview_send_and_status(harness: Harness) -> None:
    csrf = harness.open("referral")
    submitted = harness.client.post("/henvisning", data=referral_form(csrf), files=pdf_file(),
                                    follow_redirects=False)
    assert submitted.status_code == 303
    preview = harness.client.get(submitted.headers["location"])
    assert "Forhåndsvisning" in preview.text and "Angst og skolevægring" in preview.text
    assert "XREF01_" in preview.text and "XBIN02_" in preview.text  # under "Tekniske"
    assert "Børne- og ungdomspsykiatri" in preview.text
    # what will be sent, read back from the bytes, in Danish, the CPR masked
    for text in ("Det sendes", "<h3>Henvisning</h3>", "Årsag til henvisningen",
                 "Bruno Test Elmer (250947-xxxx)", "Eksempel Regionshospital, Børne- og "
                 "Ungdomspsykiatrien", "<h3>Henvisningsbilag</h3>", "Fil</dt>",
                 "Elektiv (planlagt)", "Vedhæftet</dt><dd>skema.pdf (",
                 "Mor: Else Test Elmer - samtykker til henvisningen"):
        assert text in preview.text, text
    assert CPR not in preview.text
    assert "Referral" not in preview.text and "Reason" not in preview.text
    assert not harness.journal.find(Query())  # nothing queued before Send
    sent = harness.client.post(submitted.headers["location"], data={"csrf": csrf},
                               follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/status/")
    journal_id = int(sent.headers["location"].rsplit("/", 1)[1])
    assert harness.journal.get(journal_id).status is Status.QUEUED
    status = harness.client.get(sent.headers["location"])
    assert '<p class="headline">Sendes</p>' in status.text
    harness.journal.set_status(journal_id, Status.SENT)
    status = harness.client.get(sent.headers["location"])
    # sent 20.11.2026 09:30 UTC = 10.30 Danish time; XCTL receipt due within 24 hours
    assert '<p class="headline">Afventer svar</p>' in status.text
    assert "skal kvittere senest 21.11.2026 kl. 10.30." in status.text
    harness.journal.set_status(journal_id, Status.ACKNOWLEDGED)
    status = harness.client.get(sent.headers["location"])
    assert ('<p class="headline">Regionens system har modtaget henvisningen</p>'
            in status.text)
    assert "godkendt" not in status.text
    assert status.text.count("<tr>") == 4  # header + three status changes
    assert "20.11.2026 kl. 10.30.00" in status.text and "UTC" not in status.text
    assert "XBIN02" in status.text.split("Tekniske oplysninger")[1]
    again = harness.client.post(submitted.headers["location"], data={"csrf": csrf})
    assert again.status_code == 404  # a draft is sent once
    assert [m.message.kind for m in harness.journal.find(Query())] == ["XREF01", "XBIN02"]


def test_rejection_reason_is_shown(harness: Harness) -> None:
    csrf = harness.open("referral")
    submitted = harness.client.post("/henvisning", data=referral_form(csrf), files=pdf_file())
    sent = harness.client.post(str(submitted.url), data={"csrf": csrf})
    journal_id = int(str(sent.url).rsplit("/", 1)[1])
    harness.journal.set_status(journal_id, Status.REJECTED,
                               reason="ukendt_lokationsnummer: modtageren findes ikke")
    page = harness.client.get(f"/status/{journal_id}")
    assert "Modtagerens system har afvist meddelelsen" in page.text
    assert "Modtagerens lokationsnummer er ukendt i netværket." in page.text
    assert "Det kan du gøre:</strong> Kontrollér modtageren" in page.text
    assert "ukendt_lokationsnummer" not in page.text


def km_form(csrf: str, **change: str) -> dict[str, str]:
    return {"csrf": csrf, "receiver": GP, "category": "carecoordination", "topic": "Status",
            "priority": "rutine", "text": "Forløbet er afsluttet.", "reply_to": "", **change}


def send_km(harness: Harness, csrf: str, form: dict[str, str],
            files: dict[str, tuple[str, bytes, str]] | None = None) -> tuple[str, int]:
    """Submit the KM form, check its preview, send; (preview page, journal id)."""
    preview = harness.client.post("/km", data=form, files=files)
    assert preview.status_code == 200, preview.text
    sent = harness.client.post(str(preview.url), data={"csrf": csrf})
    assert "I kø til afsendelse" in sent.text
    return preview.text, int(str(sent.url).rsplit("/", 1)[1])


def test_km_form_offers_medcoms_categories_in_danish_and_marks_fhir_receivers(
        harness: Harness) -> None:
    harness.open("km")
    page = harness.client.get("/km").text
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>',
                         page.split('id="category"')[1].split("</select>")[0])
    assert [code for code, _ in options[1:]] and {c for c, _ in options[1:]} == {
        c.value for c in Category}
    assert ("carecoordination", "Forløbskoordinering") in options
    assert ("psychiatry-social-disability", "Psykiatri, social, handicap") in options
    assert options[-1] == ("other", "Andet") and options[0] == ("", "Vælg kategori")
    # the child's GP (from the case system) is the one receiver chosen for the worker
    assert re.search(rf'<option value="{GP}" selected>[^<]*Region Eksempel, egen læge\)'
                     r'</option>', page)
    assert "FHIR" not in page
    assert re.search(rf'<option value="{DENTAL}"[^>]*>[^<]*Region Eksempel\)</option>', page)
    assert "category" in Form(page).labels


def test_km_to_a_fhir_receiver_previews_the_care_communication_in_danish(
        harness: Harness) -> None:
    csrf = harness.open("km")
    preview, journal_id = send_km(harness, csrf, km_form(csrf), files={
        "attachments": ("notat.pdf", PDF, "application/pdf")})
    assert "<h3>Korrespondancemeddelelse</h3>" in preview
    assert "<dt>Kategori</dt><dd class=\"text\">Forløbskoordinering</dd>" in preview
    assert "Ny meddelelse (ny tråd)" in preview and "Forløbet er afsluttet." in preview
    assert "250947-xxxx" in preview and CPR not in preview  # the CPR masked
    assert "notat (PDF," in preview and "notat.pdf (" in preview and ".json" in preview
    stored = harness.journal.get(journal_id)
    assert stored.message.kind == "CareCommunication" and stored.message.receiver_ean == GP_EAN
    assert [a.data for a in stored.message.attachments] == [PDF]


def test_km_to_a_receiver_without_fhir_goes_as_xdis91(harness: Harness) -> None:
    csrf = harness.open("km")
    preview, journal_id = send_km(harness, csrf, km_form(csrf, receiver=DENTAL, category=""),
                                  files={"attachments": ("notat.pdf", PDF, "application/pdf")})
    assert "<h3>Korrespondancemeddelelse</h3>" in preview
    assert "<dt>Kategori</dt>" not in preview and "XDIS91_" in preview
    assert harness.journal.get(journal_id).message.kind == "XDIS91"
    assert harness.journal.get(journal_id + 1).message.kind == "XBIN01"


def test_a_received_care_communication_is_shown_and_answered_in_its_thread(
        harness: Harness) -> None:
    earlier = NewAttachment("Udtalelse", "application/pdf", PDF)
    inbound_id, gp_message = inbound_care_communication(harness.journal, [earlier])
    csrf = harness.open("km")
    received = harness.client.get(f"/status/{inbound_id}").text
    assert "Kan I sende status på forløbet?" in received and "Forløbskoordinering" in received
    assert CPR not in received and f'href="/km?svar={inbound_id}"' in received
    form = harness.client.get(f"/km?svar={inbound_id}").text
    assert f'<option value="{inbound_id}" selected>' in form  # the GP's message is answered
    assert "5790000123452" not in form  # the unit does not write to itself
    preview, journal_id = send_km(harness, csrf, km_form(
        csrf, receiver="", category="", topic="", reply_to=str(inbound_id)),
        files={"attachments": ("notat.pdf", PDF, "application/pdf")})
    assert "Svar i tråden" in preview
    assert ("Tidligere tekst</dt><dd class=\"text\">Lise Læge (Læge), 19.11.2026 kl. 15.00:"
            in preview)
    assert "Udtalelse (PDF, gentaget fra tråden uden indhold)" in preview
    assert "Som i tråden" in preview
    stored = harness.journal.get(journal_id)
    assert stored.message.kind == "CareCommunication" and stored.message.receiver_ean == GP_EAN
    assert gp_message.thread_id.encode() in stored.message.data


def test_a_received_xdis91_is_answered_with_an_xdis91(harness: Harness) -> None:
    inbound_id = inbound_xdis91(harness.journal)
    csrf = harness.open("km")
    _, journal_id = send_km(harness, csrf, km_form(csrf, receiver="", category="",
                                                   reply_to=str(inbound_id)))
    stored = harness.journal.get(journal_id)
    assert stored.message.kind == "XDIS91" and stored.message.receiver_ean == DENTAL_EAN


def test_km_errors_are_danish(harness: Harness) -> None:
    csrf = harness.open("km")
    response = harness.client.post("/km", data={
        "csrf": csrf, "receiver": GP, "priority": "rutine",
        "text": " ", "topic": "x" * 80},
        files={"attachments": ("virus.pdf", b"MZ\x90\x00", "application/pdf")})
    assert response.status_code == 422
    assert 'id="text-fejl">Skriv meddelelsens tekst.' in response.text
    assert 'id="topic-fejl">Emnet må højst være 70 tegn.' in response.text
    assert 'id="category-fejl">Vælg en kategori' in response.text
    assert "ikke en tilladt filtype" in response.text
    other = harness.client.post("/km", data=km_form(csrf, category="other", topic=""))
    assert other.status_code == 422
    assert 'id="topic-fejl">Skriv et emne, når kategorien er »Andet«.' in other.text
    forged = harness.client.post("/km", data=km_form(csrf, category="gossip"))
    assert forged.status_code == 422
    assert 'id="category-fejl">Vælg en af MedComs kategorier.' in forged.text
    assert 'aria-invalid="true"' in forged.text
    assert not harness.journal.find(Query())


def acknowledge(harness: Harness, journal_id: int, problems: list[Issue]) -> None:
    """The GP's Acknowledgement of a sent CareCommunication, as the inbox journals it."""
    sent = harness.journal.get(journal_id)
    ack = answer(json.loads(sent.message.data), problems,
                 now=datetime(2026, 11, 20, 10, 0, tzinfo=UTC)).ack
    assert ack is not None
    harness.journal.append(NewMessage(
        Direction.INBOUND, "Acknowledgement", "2.0", json.dumps(ack_bundle(ack)).encode(),
        ack.bundle_id, ack.message_id, sender_ean=GP_EAN, receiver_ean=sent.message.sender_ean,
        answers=journal_id), Status.DELIVERED)
    harness.journal.set_status(journal_id, Status.ACKNOWLEDGED if not problems
                               else Status.REJECTED)


def test_status_shows_an_ok_acknowledgement(harness: Harness) -> None:
    csrf = harness.open("km")
    _, journal_id = send_km(harness, csrf, km_form(csrf))
    acknowledge(harness, journal_id, [])
    page = harness.client.get(f"/status/{journal_id}").text
    assert '<p class="headline">Modtagerens system har modtaget meddelelsen</p>' in page
    assert re.search(r'<tr class="answer answer-ok">.*?Kvittering.*?'
                     r"Modtaget og læst af modtagerens system", page, re.S)


def test_status_shows_a_fatal_error_acknowledgement_with_its_reason_in_danish(
        harness: Harness) -> None:
    csrf = harness.open("km")
    _, journal_id = send_km(harness, csrf, km_form(csrf))
    acknowledge(harness, journal_id, [
        Issue("fhir.binding", "code 'x' is not in the value set", "Communication.category"),
        Issue("cc-9", "encounter without episode of care", "Communication.encounter")])
    page = harness.client.get(f"/status/{journal_id}").text
    assert '<p class="headline">Modtagerens system har afvist meddelelsen</p>' in page
    assert ("<p>En værdi i meddelelsen er ikke blandt de tilladte. "
            "Meddelelsen overholder ikke MedComs regler.</p>") in page
    assert "Det kan du gøre:</strong> Ret meddelelsen" in page
    row = re.search(r'<tr class="answer answer-error">(.*?)</tr>', page, re.S)
    assert row and "Afvist af modtagerens system" in row.group(1)
    assert "En værdi i meddelelsen er ikke blandt de tilladte." in row.group(1)
    assert "Meddelelsen overholder ikke MedComs regler." in row.group(1)  # no MedCom code
    assert "value set" not in page and "fatal-error" not in page  # no technical text


def test_mailbox_search_by_cpr_or_episode_never_puts_the_cpr_in_a_url(harness: Harness) -> None:
    csrf = harness.open("referral", journal=True)
    harness.client.post("/henvisning", data=referral_form(csrf), files=pdf_file())
    listing = harness.client.get("/journal", follow_redirects=True)  # the old address
    assert listing.status_code == 200 and 'method="post" action="/postkasse"' in listing.text
    none_yet = harness.client.post("/postkasse", data={"csrf": csrf, "soeg": CPR})
    assert "Ingen meddelelser fundet." in none_yet.text  # the draft was never sent
    inbound_care_communication(harness.journal)
    found = harness.client.post("/postkasse", data={"csrf": csrf, "soeg": CPR})
    assert "Spørgsmål om forløb" in found.text and "Lægehuset Eksempel" in found.text
    assert CPR not in str(found.url) and CPR not in found.text
    by_episode = harness.client.post("/postkasse", data={
        "csrf": csrf, "soeg": "8f0c4a52-3d1e-4a8b-9c7e-2b5d6f1a0e93"})
    assert "Spørgsmål om forløb" in by_episode.text
    bad = harness.client.post("/postkasse", data={"csrf": csrf, "soeg": "3213001234"})
    assert bad.status_code == 422 and "CPR-nummeret er ugyldigt" in bad.text
    assert any(e.actor == f"page-session:{harness.key_id}:Sara%20Testsen" and e.action == "find"
               for e in harness.journal.audit_log())


def test_without_a_session_pages_say_so_in_danish(harness: Harness) -> None:
    response = harness.client.get("/henvisning")
    assert response.status_code == 401 and "Sessionen er udløbet" in response.text
    assert harness.client.get("/findes-ikke").text.count("Siden findes ikke.") == 1


def test_status_of_another_childs_message_is_not_shown(harness: Harness) -> None:
    inbound_id, _ = inbound_care_communication(harness.journal)
    harness.open("km")
    assert harness.client.get(f"/status/{inbound_id}").status_code == 200
    harness.client.cookies.clear()
    other = harness.client.post("/api/launch", headers=harness.auth(), json={
        "patient": {"cpr": "2512489996", "surname": "Berggren"},
        "unit": CONTEXT["unit"], "worker": {"name": "Anden Medarbejder"},
        "episode_id": "1f0c4a52-3d1e-4a8b-9c7e-2b5d6f1a0e93", "kind": "km"})
    assert other.status_code == 201, other.text
    harness.client.get(other.json()["url"])
    assert harness.client.get(f"/status/{inbound_id}").status_code == 404
    assert csrf_of(harness.client.get("/km").text)

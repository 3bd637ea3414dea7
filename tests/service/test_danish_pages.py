"""Every error a page can show is Danish, says what to do, and carries no schema, XML or
Python text: each error path is rendered here and its visible text checked word by word."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from medcom_adapter.errors import InvalidValue, Issue, Location, OutboundInvalid
from medcom_adapter.service import forms
from medcom_adapter.workers import submit_fhir
from tests.service.conftest import CONTEXT, PDF, Harness, csrf_of
from tests.service.test_pages import km_form, pdf_file, referral_form

# Words and marks that give away English, schema, XML or Python text on a page.
FOREIGN = re.compile(
    r"\b(Element|element|expected|Expected|Missing|missing|Traceback|Error|error|Exception|"
    r"None|True|False|null|schema|Schema|xml|XML|xsd|not|the|is|are|of|and|value|Value|"
    r"Internal|Server|Found|Method|Allowed|Unprocessable|detail|field|Field|required|"
    r"invalid|Invalid|type_error|value_error|ValueError|KeyError|TypeError|int_parsing|"
    r"Input|input should|loc|msg)\b|[{}<>]|\[\w+\]|'\w+':")


class Visible(HTMLParser):
    """The text a person sees (no tags, attributes, scripts or styles)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.lang: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def assert_danish(html: str, *expected: str) -> str:
    page = Visible(html)
    assert page.lang == "da", html[:200]
    foreign = FOREIGN.findall(page.text)
    assert not foreign, (foreign, page.text)
    for text in expected:
        assert text in page.text, (text, page.text)
    return page.text


def _launch(client: TestClient, harness: Harness, kind: str) -> str:
    response = client.post("/api/launch", json={**CONTEXT, "kind": kind},
                           headers=harness.auth())
    return csrf_of(client.get(response.json()["url"]).text)


def test_session_and_link_errors(harness: Harness) -> None:
    response = harness.client.get("/henvisning")
    assert response.status_code == 401
    assert_danish(response.text, "Sessionen er udløbet", "Åbn siden igen fra fagsystemet")
    url = harness.launch()
    base, token = url.rsplit("/", 1)
    assert_danish(harness.client.get(f"{base}/x{token}").text, "Linket er ugyldigt")
    harness.client.get(url)
    assert_danish(harness.client.get(url).text, "Linket er allerede brugt")
    expired = harness.launch()
    harness.clock.advance(harness.settings.launch_ttl_seconds + 1)
    assert_danish(harness.client.get(expired).text, "Linket er udløbet")
    harness.clock.advance(harness.settings.session_ttl_seconds + 1)
    assert_danish(harness.client.get("/postkasse").text, "Sessionen er udløbet")


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/findes-ikke", 404), ("GET", "/status/abc", 404), ("GET", "/status/0", 404),
    ("GET", "/status/99999999999999999999", 404), ("GET", "/status/4242", 404),
    ("GET", "/udskriv/4242", 404), ("GET", "/udskriv/4242/pdf", 404),
    ("GET", "/forhaandsvisning/ukendt", 404), ("POST", "/forhaandsvisning/ukendt", 404),
    ("DELETE", "/henvisning", 405), ("PUT", "/postkasse", 405),
])
def test_missing_pages_and_wrong_methods(harness: Harness, method: str, path: str,
                                         status: int) -> None:
    csrf = harness.open("km")
    response = harness.client.request(method, path, data={"csrf": csrf} if method == "POST"
                                      else None)
    assert response.status_code == status
    assert_danish(response.text)


def test_a_stale_form_is_refused_in_danish(harness: Harness) -> None:
    harness.open("referral")
    response = harness.client.post("/henvisning", data=referral_form("gammel"))
    assert response.status_code == 403
    assert_danish(response.text, "Genindlæs siden")


def test_every_referral_field_error(harness: Harness) -> None:
    csrf = harness.open("referral")
    response = harness.client.post("/henvisning", data={"csrf": csrf, "diagnosis_code": "DF4",
                                                        "custody2_surname": "Elmer"})
    assert response.status_code == 422
    assert_danish(response.text, "Vælg en modtager", "Skriv årsagen", "Vælg en prioritet",
                  "Skriv diagnosens tekst", "Vælg relationen til barnet", "Skriv efternavnet",
                  "Angiv, om der er givet samtykke", "Vælg mindst én henvisningskategori")


@pytest.mark.parametrize(("data", "expected"), [
    (b"", "filen er tom"),
    (b"GIF89a" + bytes(40), "ikke en tilladt filtype"),
    (b"%PDF-1.4\n" + bytes(100), "PDF-filen er ufuldstændig"),
    (b"%PDF-1.4\n" + bytes(70 * 1024) + b"%%EOF", "filen er for stor"),
])
def test_every_upload_error(harness: Harness, data: bytes, expected: str) -> None:
    csrf = harness.open("referral")
    response = harness.client.post("/henvisning", data=referral_form(csrf),
                                   files=pdf_file(data))
    assert response.status_code == 422
    assert_danish(response.text, expected)


def _raise(exc: Exception) -> Callable[..., Any]:
    def fail(*args: object, **kwargs: object) -> Any:
        raise exc
    return fail


SCHEMA_TEXT = ("Element 'TelephoneSubscriberIdentifier': This element is not expected. "
               "Expected is ( PostCodeIdentifier ).")


@pytest.mark.parametrize("exc", [
    OutboundInvalid([Issue("xsd", SCHEMA_TEXT, "/Emessage/HospitalReferral/Sender")]),
    OutboundInvalid([Issue("xsd", SCHEMA_TEXT, "/Emessage/HospitalReferral/ClinicalReason")]),
    InvalidValue("patient.cpr: not a valid CPR number", location=Location("patient.id")),
    InvalidValue("diagnosis code 'DF4' is not SKS", location=Location("diagnosis.code")),
])
def test_a_letter_the_core_cannot_build_is_explained_in_danish(
        harness: Harness, monkeypatch: pytest.MonkeyPatch, exc: Exception) -> None:
    csrf = harness.open("referral")  # the launch builds a trial letter: break it after
    monkeypatch.setattr(forms, "prepare_referral", _raise(exc))
    response = harness.client.post("/henvisning", data=referral_form(csrf), files=pdf_file())
    assert response.status_code == 422
    text = assert_danish(response.text)
    assert "Kontakt kommunens IT-support" in text or "Diagnosekoden er ugyldig" in text \
        or "Årsagen kan ikke sendes" in text


def test_every_km_error(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    csrf = harness.open("km")
    response = harness.client.post("/km", data={
        "csrf": csrf, "receiver": "", "priority": "x", "text": " ", "topic": "x" * 80,
        "reply_to": "4242", "category": "gossip"},
        files={"attachments": ("a.exe", b"MZ\x90\x00", "application/pdf")})
    assert response.status_code == 422
    assert_danish(response.text, "Den valgte tråd findes ikke", "Vælg en modtager",
                  "Skriv meddelelsens tekst", "Emnet må højst være 70 tegn",
                  "Vælg en prioritet", "ikke en tilladt filtype")
    monkeypatch.setattr(submit_fhir, "prepare_care_communication", _raise(
        OutboundInvalid([Issue("fhir", "Bundle.entry[3] SOR Identifiers are at minimum 11 "
                                       "digits long", "Bundle.entry[3]")])))
    response = harness.client.post("/km", data=km_form(csrf))
    assert response.status_code == 422
    assert_danish(response.text, "Meddelelsen kan ikke dannes")


def test_mailbox_search_errors(harness: Harness) -> None:
    csrf = harness.open("km")
    for data, expected in (({}, "Skriv et CPR-nummer, et navn"),
                           ({"soeg": "3213001234"}, "CPR-nummeret er ugyldigt"),
                           ({"fra": "32.13.2026"}, "Fra-datoen er ugyldig"),
                           ({"til": "i går"}, "Til-datoen er ugyldig")):
        response = harness.client.post("/postkasse", data={"csrf": csrf, **data})
        assert response.status_code == 422
        assert_danish(response.text, expected)


def test_only_received_messages_can_be_marked_answered(harness: Harness) -> None:
    csrf = harness.open("referral")
    sent = harness.client.post("/henvisning", data=referral_form(csrf), files=pdf_file())
    status = harness.client.post(str(sent.url), data={"csrf": csrf})
    journal_id = int(str(status.url).rsplit("/", 1)[1])
    response = harness.client.post(f"/status/{journal_id}/besvaret", data={"csrf": csrf})
    assert response.status_code == 404
    assert_danish(response.text, "Kun modtagne meddelelser")


def test_an_unexpected_failure_is_a_danish_page(harness: Harness,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    client = TestClient(harness.client.app, raise_server_exceptions=False)
    csrf = _launch(client, harness, "referral")
    monkeypatch.setattr(forms, "referral", _raise(RuntimeError("boom: NoneType has no attr")))
    response = client.post("/henvisning", data=referral_form(csrf), files=pdf_file())
    assert response.status_code == 500
    assert_danish(response.text, "Handlingen kunne ikke gennemføres", "IT-support")
    api = client.post("/api/referrals", json={**CONTEXT, "receiver_sor": "1", "reason": "x"},
                      headers=harness.auth())
    assert api.status_code == 500 and "boom" not in api.text


def test_the_pages_of_a_normal_day_are_danish_too(harness: Harness) -> None:
    """The forms and the mailbox themselves: no English left in labels or hints."""
    harness.open("referral")
    for path in ("/henvisning", "/km", "/postkasse", "/postkasse/barn"):
        response = harness.client.get(path)
        assert response.status_code == 200
        assert_danish(response.text)
    assert PDF  # the fixture form is there for the upload tests

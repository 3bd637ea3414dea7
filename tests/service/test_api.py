"""The JSON API: every endpoint, its auth failures, and what lands in the journal."""

from __future__ import annotations

import io
import json
import logging
import zipfile

import pytest

from medcom_adapter.detect import check
from medcom_adapter.journal.interface import Direction, Query, Status
from medcom_adapter.model.classification import Henvisning
from medcom_adapter.oioxml.emessage import parse
from tests.service.conftest import (
    BUP,
    BUP_XBIN01,
    CONTEXT,
    CPR,
    DNHF_EAN,
    GP,
    GP_EAN,
    PDF,
    Harness,
    b64,
)
from tests.service.inbound import inbound_care_communication


def referral_body(**extra: object) -> dict[str, object]:
    return {**CONTEXT, "receiver_sor": BUP, "reason": "Angst og skolevægring",
            "form": {"title": "Henvisningsskema", "data_base64": b64(PDF)}, **extra}


# -- auth -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [
    ("post", "/api/launch"), ("post", "/api/referrals"), ("post", "/api/km"),
    ("get", "/api/messages/1"), ("post", "/api/messages/search"),
    ("get", "/api/messages/1/export"), ("get", "/api/inbound"),
])
def test_every_endpoint_refuses_missing_unknown_and_revoked_keys(
        harness: Harness, method: str, path: str) -> None:
    call = getattr(harness.client, method)
    kwargs = {"json": {}} if method == "post" else {}
    assert call(path, **kwargs).status_code == 401
    assert call(path, headers=harness.auth("mca_000000000000_wrong"), **kwargs).status_code == 401
    assert call(path, headers=harness.auth(harness.key[:-2] + "xx"), **kwargs).status_code == 401
    harness.settings.api_keys.revoke(harness.key_id)
    assert call(path, headers=harness.auth(), **kwargs).status_code == 401


def test_a_key_without_the_scope_gets_403(harness: Harness) -> None:
    _, read_only = harness.settings.api_keys.add("reporting", ("read",))
    response = harness.client.post("/api/launch", json={**CONTEXT, "kind": "km"},
                                   headers=harness.auth(read_only))
    assert response.status_code == 403
    assert "launch" in response.json()["detail"]


# -- launch -------------------------------------------------------------------------------

def test_launch_gives_a_one_time_url_that_carries_no_patient_data(harness: Harness) -> None:
    response = harness.client.post("/api/launch", json={**CONTEXT, "kind": "referral"},
                                   headers=harness.auth())
    assert response.status_code == 201
    url = response.json()["url"]
    assert url.startswith("http://testserver/launch/")
    assert CPR not in url and CPR[:6] not in url and "Elmer" not in url
    first = harness.client.get(url, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/henvisning"
    again = harness.client.get(url)
    assert again.status_code == 410
    assert "allerede brugt" in again.text


def test_an_expired_launch_url_fails_with_a_clear_page(harness: Harness) -> None:
    url = harness.launch()
    harness.clock.advance(harness.settings.launch_ttl_seconds + 1)
    response = harness.client.get(url)
    assert response.status_code == 410
    assert "udløbet" in response.text and 'lang="da"' in response.text


@pytest.mark.parametrize("part", [0, 1, 2])
def test_a_tampered_launch_url_fails_as_invalid(harness: Harness, part: int) -> None:
    url = harness.launch()
    base, token = url.rsplit("/", 1)
    pieces = token.split(".")
    pieces[part] = pieces[part][:-1] + ("A" if pieces[part][-1] != "A" else "B")
    if part == 1:
        pieces[1] = str(int(token.split(".")[1]) + 3600)  # a later expiry, same signature
    response = harness.client.get(f"{base}/{'.'.join(pieces)}")
    assert response.status_code == 400
    assert "ugyldigt" in response.text
    assert harness.client.get(url).status_code == 200  # the genuine URL still works once


def test_launch_refuses_an_invalid_context_without_echoing_the_cpr(harness: Harness) -> None:
    bad = {**CONTEXT, "patient": {**CONTEXT["patient"], "cpr": "3102999999"}, "kind": "km"}
    response = harness.client.post("/api/launch", json=bad, headers=harness.auth())
    assert response.status_code == 422
    assert "patient.cpr" in response.json()["errors"]
    assert "3102999999" not in response.text
    bad = {**CONTEXT, "episode_id": "not-a-uuid", "kind": "km"}
    response = harness.client.post("/api/launch", json=bad, headers=harness.auth())
    assert response.status_code == 422 and "episode_id" in response.json()["errors"]


# -- referrals --------------------------------------------------------------------------

def test_referral_is_built_validated_and_queued_with_its_classification(harness: Harness) -> None:
    response = harness.client.post("/api/referrals", json=referral_body(), headers=harness.auth())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "queued" and body["kind"] == "XREF01"
    assert [f.split("_")[0] for f in body["files"]] == ["XREF01", "XBIN02"]
    stored = harness.journal.get(body["id"])
    assert stored.status is Status.QUEUED
    assert stored.message.direction is Direction.OUTBOUND
    assert str(stored.message.patient) == CPR
    assert stored.message.receiver_sor == BUP
    assert stored.message.receiver_ean == DNHF_EAN  # BUP referrals travel via DNHF
    assert stored.message.classification is not None
    assert stored.message.classification.classes == (Henvisning.CHILD_PSYCHIATRY,)
    assert check(stored.message.data).valid
    # the form travels as its own letter, queued after the referral, as the outbox sends it
    assert body["ids"][0] == body["id"] and len(body["ids"]) == 2
    binary = harness.journal.get(body["ids"][1])
    assert binary.status is Status.QUEUED and binary.message.receiver_ean == DNHF_EAN
    report = check(binary.message.data)
    assert report.valid and report.kind == "XBIN02"
    assert [a.data for a in binary.message.attachments] == [PDF]


def test_a_department_taking_xbin01_gets_the_form_as_xbin01(harness: Harness) -> None:
    response = harness.client.post("/api/referrals", json=referral_body(receiver_sor=BUP_XBIN01),
                                   headers=harness.auth())
    assert response.status_code == 201, response.text
    assert [f.split("_")[0] for f in response.json()["files"]] == ["XREF01", "XBIN01"]


def test_referral_classification_can_be_overridden(harness: Harness) -> None:
    body = referral_body(classification=["almen-praksis", "civilsamfund"])
    response = harness.client.post("/api/referrals", json=body, headers=harness.auth())
    assert response.status_code == 201
    classification = harness.journal.get(response.json()["id"]).message.classification
    assert classification is not None
    assert classification.classes == (Henvisning.GENERAL_PRACTITIONER, Henvisning.CIVIL_SOCIETY)


@pytest.mark.parametrize(("change", "field"), [
    ({"form": None}, "form"),
    ({"receiver_sor": GP}, "receiver"),
    ({"receiver_sor": "123456"}, "receiver"),
    ({"diagnosis_code": "DF419"}, "diagnosis_text"),
    ({"reason": "   "}, "reason"),
])
def test_referral_errors_name_the_field(harness: Harness, change: dict[str, object],
                                        field: str) -> None:
    response = harness.client.post("/api/referrals", json=referral_body(**change),
                                   headers=harness.auth())
    assert response.status_code == 422
    assert field in response.json()["errors"], response.json()
    assert not harness.journal.find(Query())


@pytest.mark.parametrize(("data", "expected"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "tilladt filtype"),
    (b"Hello, this is a text file named skema.pdf", "tilladt filtype"),
    (b"%PDF-1.4\n" + bytes(200), "ufuldstændig"),
    (b"%PDF-1.4\n" + bytes(70 * 1024) + b"\n%%EOF\n", "for stor"),
    (b"", "tom"),
])
def test_referral_refuses_non_pdf_and_oversize_forms(harness: Harness, data: bytes,
                                                     expected: str) -> None:
    body = referral_body(form={"title": "Henvisningsskema", "data_base64": b64(data)})
    response = harness.client.post("/api/referrals", json=body, headers=harness.auth())
    assert response.status_code == 422
    assert expected in response.json()["errors"]["form"]


def test_bad_base64_and_huge_bodies_are_refused(harness: Harness) -> None:
    body = referral_body(form={"title": "Skema", "data_base64": "***not base64***"})
    response = harness.client.post("/api/referrals", json=body, headers=harness.auth())
    assert response.status_code == 422 and "base64" in response.json()["errors"]["form"]
    huge = b"x" * (3 * 2**20)  # over the body limit (uploads allowed + 1 MB)
    response = harness.client.post("/api/referrals", content=huge, headers={
        **harness.auth(), "content-type": "application/json"})
    assert response.status_code == 413


# -- KM -----------------------------------------------------------------------------------

def km_body(**extra: object) -> dict[str, object]:
    return {**CONTEXT, "receiver_sor": GP, "text": "Kære læge\nVi har henvist til BUP.",
            "topic": "Forløb i PPR", **extra}


def test_km_is_xdis91_with_each_attachment_queued_as_its_own_xbin01(harness: Harness) -> None:
    attachment = {"title": "Henvisning", "data_base64": b64(PDF)}
    response = harness.client.post("/api/km", json=km_body(attachments=[attachment]),
                                   headers=harness.auth())
    assert response.status_code == 201, response.text
    body = response.json()
    stored = harness.journal.get(body["id"])
    assert stored.message.kind == "XDIS91" and stored.message.receiver_ean == GP_EAN
    report = check(stored.message.data)
    assert report.valid, report.issues
    km = report.message.message.letters[0]
    assert km.subject == "Forløb i PPR" and str(km.patient.id) == CPR
    (binary_id,) = body["ids"][1:]
    binary = harness.journal.get(binary_id)
    assert check(binary.message.data).kind == "XBIN01"
    assert [a.data for a in binary.message.attachments] == [PDF]
    assert km.references[0].target.object_id.value == binary.message.attachments[0].object_id


def test_km_reply_goes_back_to_the_sender(harness: Harness) -> None:
    inbound_id, _ = inbound_care_communication(harness.journal)
    response = harness.client.post("/api/km", json=km_body(receiver_sor="", reply_to=inbound_id),
                                   headers=harness.auth())
    assert response.status_code == 201, response.text
    reply = harness.journal.get(response.json()["id"])
    assert reply.message.receiver_ean == GP_EAN and reply.message.receiver_sor == GP
    assert parse(reply.message.data).message.letters[0].episode_of_care
    missing = harness.client.post("/api/km", json=km_body(reply_to=9999), headers=harness.auth())
    assert missing.status_code == 404


def test_km_to_a_receiver_not_taking_correspondence_is_refused(harness: Harness) -> None:
    response = harness.client.post("/api/km", json=km_body(receiver_sor=BUP),
                                   headers=harness.auth())
    assert response.status_code == 422
    assert "receiver" in response.json()["errors"]
    assert not harness.journal.find(Query())


def test_km_refuses_disallowed_attachment_types(harness: Harness) -> None:
    body = km_body(attachments=[{"title": "x", "data_base64": b64(b"MZ\x90\x00 program")}])
    response = harness.client.post("/api/km", json=body, headers=harness.auth())
    assert response.status_code == 422
    assert "attachments[0]" in response.json()["errors"]


# -- reading ------------------------------------------------------------------------------

def test_status_search_and_every_read_is_audited(harness: Harness) -> None:
    sent = harness.client.post("/api/referrals", json=referral_body(), headers=harness.auth())
    journal_id = sent.json()["id"]
    harness.journal.set_status(journal_id, Status.SENT)
    harness.journal.set_status(journal_id, Status.REJECTED, reason="ukendt_lokationsnummer")
    status = harness.client.get(f"/api/messages/{journal_id}", headers=harness.auth()).json()
    assert status["status"] == "rejected"
    assert [h["status"] for h in status["history"]] == ["queued", "sent", "rejected"]
    assert status["history"][-1]["reason"] == "ukendt_lokationsnummer"
    assert status["classification"] == ["boerne-ungdomspsykiatri"]
    assert harness.client.get("/api/messages/999", headers=harness.auth()).status_code == 404

    every = sent.json()["ids"]
    by_cpr = harness.client.post("/api/messages/search", json={"patient_cpr": CPR},
                                 headers=harness.auth())
    assert [m["id"] for m in by_cpr.json()] == every
    by_episode = harness.client.post("/api/messages/search",
                                     json={"episode_id": CONTEXT["episode_id"]},
                                     headers=harness.auth())
    assert [m["id"] for m in by_episode.json()] == every
    other = harness.client.post("/api/messages/search", json={"patient_cpr": "2512489996"},
                                headers=harness.auth())
    assert other.json() == []
    assert harness.client.post("/api/messages/search", json={},
                               headers=harness.auth()).status_code == 422
    assert harness.client.post("/api/messages/search", json={"patient_cpr": "3213000000"},
                               headers=harness.auth()).status_code == 422
    reads = [e for e in harness.journal.audit_log() if e.actor == "api:sbsys-test"]
    assert {e.action for e in reads} >= {"read", "find"}
    assert len(reads) == 4 and journal_id in reads[0].message_ids


def test_export_is_a_zip_of_everything_about_the_patient(harness: Harness) -> None:
    sent = harness.client.post("/api/referrals", json=referral_body(), headers=harness.auth())
    inbound_id, _ = inbound_care_communication(harness.journal)
    response = harness.client.get(f"/api/messages/{sent.json()['id']}/export",
                                  headers=harness.auth())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(archive.read("manifest.json"))["messages"]
    assert [m["id"] for m in manifest] == [*sent.json()["ids"], inbound_id]
    assert manifest[0]["classification"] == ["Børne- og ungdomspsykiatri"]
    assert check(archive.read(manifest[1]["files"][0])).kind == "XBIN02"
    pdf_name = next(n for n in manifest[1]["files"] if "bilag" in n)
    assert archive.read(pdf_name) == PDF
    assert all(CPR not in name for name in archive.namelist())
    assert "Angst og skolevægring" in archive.read(manifest[0]["files"][1]).decode()
    assert any(e.action == "export" for e in harness.journal.audit_log())
    missing = harness.client.get("/api/messages/999/export", headers=harness.auth())
    assert missing.status_code == 404


def test_inbound_correspondence_can_be_polled(harness: Harness) -> None:
    inbound_id, _ = inbound_care_communication(harness.journal)
    harness.client.post("/api/referrals", json=referral_body(), headers=harness.auth())
    polled = harness.client.get("/api/inbound", headers=harness.auth()).json()
    assert [m["id"] for m in polled] == [inbound_id]
    assert polled[0]["patient_cpr"] == CPR and polled[0]["kind"] == "CareCommunication"
    later = harness.client.get(f"/api/inbound?after={inbound_id}", headers=harness.auth())
    assert later.json() == []


# -- the service as a whole ---------------------------------------------------------------

def test_openapi_document_is_served_and_interactive_docs_are_not(harness: Harness) -> None:
    document = harness.client.get("/openapi.json").json()
    assert {"/api/launch", "/api/referrals", "/api/km", "/api/messages/{journal_id}",
            "/api/messages/search", "/api/inbound"} <= set(document["paths"])
    assert "/henvisning" not in document["paths"]
    assert harness.client.get("/docs").status_code == 404


def test_strict_security_headers_on_pages_and_api(harness: Harness) -> None:
    for response in (harness.client.get("/openapi.json"), harness.client.get("/henvisning"),
                     harness.client.post("/api/launch", json={})):
        headers = response.headers
        assert "default-src 'none'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"


def test_no_cpr_in_logs(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    harness.open()
    harness.client.post("/api/referrals", json=referral_body(), headers=harness.auth())
    harness.client.post("/api/messages/search", json={"patient_cpr": CPR}, headers=harness.auth())
    harness.client.post("/api/launch", json={**CONTEXT, "kind": "km",
                                             "patient": {**CONTEXT["patient"], "cpr": "31029"}},
                        headers=harness.auth())
    assert caplog.records  # the HTTP client logs every request
    assert all(CPR not in r.getMessage() and CPR[:6] not in r.getMessage()
               for r in caplog.records)

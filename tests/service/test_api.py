"""The JSON API: every endpoint, its auth failures, and what lands in the journal."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from typing import Any

import pytest

from medcom_adapter.detect import check
from medcom_adapter.fhir import wire
from medcom_adapter.fhir.carecommunication import from_bundle
from medcom_adapter.fhir.threads import NewAttachment
from medcom_adapter.fhir.validate import validate_message
from medcom_adapter.journal.interface import Direction, Query, Status
from medcom_adapter.model.carecommunication import (
    Activity,
    AttachmentSegment,
    CareCommunication,
    Category,
    TextSegment,
)
from medcom_adapter.model.classification import Henvisning
from medcom_adapter.model.correspondence import ClinicalEmail
from medcom_adapter.model.letters import BinaryRef
from medcom_adapter.oioxml.emessage import Document, parse
from tests.service.conftest import (
    BUP,
    BUP_XBIN01,
    CONTEXT,
    CPR,
    DENTAL,
    DENTAL_EAN,
    DNHF_EAN,
    GP,
    GP_EAN,
    PDF,
    PNG,
    UNIT,
    Harness,
    b64,
    fields_of,
)
from tests.service.inbound import inbound_care_communication, inbound_xdis91


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
    kwargs: dict[str, Any] = {"json": {}} if method == "post" else {}
    assert call(path, **kwargs).status_code == 401
    assert call(path, headers=harness.auth("mca_000000000000_wrong"), **kwargs).status_code == 401
    assert call(path, headers=harness.auth(harness.key[:-2] + "xx"), **kwargs).status_code == 401
    harness.keys.revoke(harness.key_id)
    assert call(path, headers=harness.auth(), **kwargs).status_code == 401


def test_a_key_without_the_scope_gets_403(harness: Harness) -> None:
    _, read_only = harness.keys.add("reporting", (UNIT,), ("read",))
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
    assert fields_of(response)["patient.cpr"]["code"] == "local.invalid-value"
    assert "3102999999" not in response.text
    bad = {**CONTEXT, "episode_id": "not-a-uuid", "kind": "km"}
    response = harness.client.post("/api/launch", json=bad, headers=harness.auth())
    assert response.status_code == 422 and "episode_id" in fields_of(response)


@pytest.mark.parametrize("cpr", ["3102999999", "250947998", "25094799899", "0000000000"])
@pytest.mark.parametrize("endpoint", ["/api/launch", "/api/referrals", "/api/km",
                                      "/api/messages/search"])
def test_an_invalid_cpr_is_refused_without_any_part_of_it(
        harness: Harness, endpoint: str, cpr: str) -> None:
    if endpoint == "/api/messages/search":
        body: dict[str, Any] = {"patient_cpr": cpr}
    else:
        body = {**referral_body(), "text": "Hej", "receiver_sor": GP, "kind": "km",
                "patient": {**CONTEXT["patient"], "cpr": cpr}}
        body = {k: v for k, v in body.items() if k in _FIELDS[endpoint]}
    response = harness.client.post(endpoint, json=body, headers=harness.auth())
    assert response.status_code == 422
    problem = response.json()
    path = "patient_cpr" if endpoint == "/api/messages/search" else "patient.cpr"
    assert path in fields_of(response)
    del problem["instance"]  # a random request id: it could hold any four digits
    text = json.dumps(problem, ensure_ascii=False)
    digits = cpr.replace("-", "").rstrip("x")
    assert not [digits[i:i + 4] for i in range(len(digits) - 3) if digits[i:i + 4] in text]
    assert not harness.journal.find(Query())


_CONTEXT_FIELDS = ("patient", "unit", "worker", "episode_id")
_FIELDS = {
    "/api/launch": (*_CONTEXT_FIELDS, "kind"),
    "/api/referrals": (*_CONTEXT_FIELDS, "receiver_sor", "reason", "form"),
    "/api/km": (*_CONTEXT_FIELDS, "receiver_sor", "text", "category"),
}


def test_problems_carry_danish_and_english_titles_and_no_submitted_text(
        harness: Harness) -> None:
    secret = "Eleven har det meget svært derhjemme"
    body = referral_body(reason=secret, unit={**CONTEXT["unit"], "ean": "5790000123453"})
    response = harness.client.post("/api/referrals", json=body, headers=harness.auth())
    assert response.status_code == 422
    problem = response.json()
    assert (problem["title"], problem["title_da"]) == ("The request is invalid",
                                                       "Forespørgslen er ugyldig")
    ean = fields_of(response)["unit.ean"]
    assert ean["code"] == "local.invalid-value" and "check digit" in ean["detail"]
    for part in ("Eleven", "svært", "derhjemme", "5790000123453", "579000"):
        assert part not in response.text


def test_unknown_routes_and_methods_are_problems(harness: Harness) -> None:
    missing = harness.client.get("/api/nothing-here", headers=harness.auth())
    assert (missing.status_code, missing.json()["code"]) == (404, "api.not-found")
    wrong = harness.client.delete("/api/launch", headers=harness.auth())
    assert (wrong.status_code, wrong.json()["code"]) == (405, "api.method-not-allowed")
    not_json = harness.client.post("/api/launch", content=b"{not json",
                                   headers={**harness.auth(), "content-type": "application/json"})
    assert not_json.status_code == 422 and not_json.json()["code"] == "api.validation"
    assert fields_of(not_json)[""]["code"] == "api.json-invalid"


def test_every_endpoint_documents_its_errors_as_problems(harness: Harness) -> None:
    document = harness.client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
            assert {"401", "403", "422"} <= set(errors), (method, path)
            for response in errors.values():
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ProblemOut"}, (method, path)
    auth = document["components"]["securitySchemes"]["HTTPBearer"]["description"]
    assert "medcom-adapter api-key add" in auth


def test_a_launch_the_form_cannot_serve_is_refused_naming_every_missing_field(
        harness: Harness) -> None:
    """Without the unit's address and speciality no referral to a department taking XBIN02
    can be built: the case system hears it at launch, not the psychologist at Send."""
    unit = {k: v for k, v in CONTEXT["unit"].items() if k not in ("address", "speciality")}
    response = harness.client.post("/api/launch", headers=harness.auth(), json={
        **CONTEXT, "unit": unit, "kind": "referral"})
    assert response.status_code == 422
    assert response.json()["code"] == "api.launch-incomplete"
    assert set(fields_of(response)) == {
        "unit.address.street", "unit.address.postcode", "unit.address.district",
        "unit.speciality"}
    # the same unit may still write KMs, which need none of them
    km = harness.client.post("/api/launch", headers=harness.auth(), json={
        **CONTEXT, "unit": unit, "kind": "km"})
    assert km.status_code == 201, km.text
    nameless = harness.client.post("/api/launch", headers=harness.auth(), json={
        **CONTEXT, "unit": {k: v for k, v in unit.items() if k != "name"}, "kind": "km"})
    assert nameless.status_code == 422 and set(fields_of(nameless)) == {"unit.name"}


def test_a_launch_naming_a_gp_who_takes_no_correspondence_is_refused(harness: Harness) -> None:
    patient = {**CONTEXT["patient"], "gp_sor": BUP}  # a hospital department, not a GP
    response = harness.client.post("/api/launch", headers=harness.auth(), json={
        **CONTEXT, "patient": patient, "kind": "km"})
    assert response.status_code == 422 and set(fields_of(response)) == {"patient.gp_sor"}


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
    ({"receiver_sor": GP}, "receiver_sor"),
    ({"receiver_sor": "123456"}, "receiver_sor"),
    ({"diagnosis_code": "DF419"}, "diagnosis_text"),
    ({"reason": "   "}, "reason"),
])
def test_referral_errors_name_the_field(harness: Harness, change: dict[str, object],
                                        field: str) -> None:
    response = harness.client.post("/api/referrals", json=referral_body(**change),
                                   headers=harness.auth())
    assert response.status_code == 422
    assert field in fields_of(response), response.json()
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
    error = fields_of(response)["form.data_base64"]
    assert expected in error["detail_da"] and error["code"] == "local.upload-refused"


def test_bad_base64_and_huge_bodies_are_refused(harness: Harness) -> None:
    body = referral_body(form={"title": "Skema", "data_base64": "***not base64***"})
    response = harness.client.post("/api/referrals", json=body, headers=harness.auth())
    assert response.status_code == 422
    assert fields_of(response)["form.data_base64"]["code"] == "api.base64"
    huge = b"x" * (3 * 2**20)  # over the body limit (uploads allowed + 1 MB)
    response = harness.client.post("/api/referrals", content=huge, headers={
        **harness.auth(), "content-type": "application/json"})
    assert response.status_code == 413


# -- KM -----------------------------------------------------------------------------------

def km_body(**extra: object) -> dict[str, object]:
    return {**CONTEXT, "receiver_sor": GP, "text": "Kære læge\nVi har henvist til BUP.",
            "topic": "Forløb i PPR", **extra}


def test_km_to_a_receiver_without_fhir_is_xdis91_with_each_attachment_as_its_own_xbin01(
        harness: Harness) -> None:
    attachment = {"title": "Henvisning", "data_base64": b64(PDF)}
    response = harness.client.post(
        "/api/km", json=km_body(receiver_sor=DENTAL, attachments=[attachment],
                                category="carecoordination"),  # XDIS91 has no category
        headers=harness.auth())
    assert response.status_code == 201, response.text
    body = response.json()
    stored = harness.journal.get(body["id"])
    assert body["kind"] == "XDIS91"
    assert stored.message.kind == "XDIS91" and stored.message.receiver_ean == DENTAL_EAN
    report = check(stored.message.data)
    assert report.valid, report.issues
    assert isinstance(report.message, Document)
    km = report.message.message.letters[0]
    assert isinstance(km, ClinicalEmail)
    assert km.subject == "Forløb i PPR" and str(km.patient.id) == CPR
    (binary_id,) = body["ids"][1:]
    binary = harness.journal.get(binary_id)
    assert check(binary.message.data).kind == "XBIN01"
    assert [a.data for a in binary.message.attachments] == [PDF]
    assert isinstance(km.references[0].target, BinaryRef)
    assert km.references[0].target.object_id.value == binary.message.attachments[0].object_id


def read_care_communication(data: bytes) -> CareCommunication:
    bundle, _ = wire.load(data)
    assert [i for i in validate_message(bundle) if not i.warning] == []
    return from_bundle(bundle)


def test_km_to_a_gp_taking_fhir_is_one_care_communication_with_category_and_attachments(
        harness: Harness) -> None:
    attachments = [{"title": "Henvisning", "data_base64": b64(PDF)},
                   {"title": "Tegning", "data_base64": b64(PNG)}]
    response = harness.client.post(
        "/api/km", json=km_body(category="psychiatry-social-disability",
                                attachments=attachments), headers=harness.auth())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["kind"] == "CareCommunication" and len(body["ids"]) == 1
    stored = harness.journal.get(body["id"])
    assert body["files"] == [f"CareCommunication_{stored.message.envelope_id}.json"]
    assert stored.message.receiver_ean == GP_EAN and stored.message.receiver_sor == GP
    assert stored.message.episode_id == CONTEXT["episode_id"]
    cc = read_care_communication(stored.message.data)
    assert cc.category is Category.PSYCHIATRY_SOCIAL_DISABILITY and cc.topic == "Forløb i PPR"
    assert cc.message_id == stored.message.message_id and cc.bundle_id == stored.message.envelope_id
    assert str(cc.patient.id) == CPR and cc.sender.sor == CONTEXT["unit"]["sor"]
    (text, *files) = cc.segments
    assert isinstance(text, TextSegment) and text.text.startswith("Kære læge")
    assert text.author.family == "Testsen" and text.author.role_text == "Psykolog"
    assert [(f.title, f.content_type, f.data) for f in files if isinstance(f, AttachmentSegment)
            ] == [("Henvisning", "application/pdf", PDF), ("Tegning", "image/png", PNG)]
    assert sorted(a.data for a in stored.message.attachments) == sorted([PDF, PNG])
    assert [e.activity for e in cc.history] == [Activity.NEW]


@pytest.mark.parametrize(("worker", "family", "given", "role"), [
    ({"name": "Sara"}, "Sara", (), "Medarbejder"),
    ({"name": " ", "title": " "}, "Ukendt", (), "Medarbejder"),
    ({"name": "Anne Marie Testsen", "title": "Talepædagog"}, "Testsen", ("Anne", "Marie"),
     "Talepædagog"),
])
def test_the_worker_is_the_care_communications_author(
        harness: Harness, worker: dict[str, str], family: str, given: tuple[str, ...],
        role: str) -> None:
    response = harness.client.post("/api/km", json=km_body(category="carecoordination",
                                                           worker=worker),
                                   headers=harness.auth())
    assert response.status_code == 201, response.text
    cc = read_care_communication(harness.journal.get(response.json()["id"]).message.data)
    text = cc.segments[0]
    assert isinstance(text, TextSegment)
    assert (text.author.family, text.author.given, text.author.role_text) == (family, given, role)


@pytest.mark.parametrize(("change", "field", "says"), [
    ({}, "category", "Vælg en kategori"),
    ({"category": "other", "topic": None}, "topic", "kategorien er »Andet«"),
])
def test_fhir_km_category_errors_are_422_in_danish(
        harness: Harness, change: dict[str, object], field: str, says: str) -> None:
    response = harness.client.post("/api/km", json=km_body(**change), headers=harness.auth())
    assert response.status_code == 422, response.text
    assert says in fields_of(response)[field]["detail_da"]
    assert not harness.journal.find(Query())


def test_an_unknown_category_is_refused_by_the_schema(harness: Harness) -> None:
    response = harness.client.post("/api/km", json=km_body(category="gossip"),
                                   headers=harness.auth())
    assert response.status_code == 422 and "category" in response.text
    assert not harness.journal.find(Query())


def test_a_reply_to_a_care_communication_is_a_fhir_reply_in_its_thread(
        harness: Harness) -> None:
    earlier = NewAttachment("Udtalelse", "application/pdf", PDF)
    inbound_id, gp_message = inbound_care_communication(harness.journal, [earlier])
    response = harness.client.post(
        "/api/km", json=km_body(receiver_sor="", reply_to=inbound_id, topic=None, attachments=[
            {"title": "Svarnotat", "data_base64": b64(PDF)}]), headers=harness.auth())
    assert response.status_code == 201, response.text
    stored = harness.journal.get(response.json()["id"])
    assert stored.message.kind == "CareCommunication"
    assert stored.message.receiver_ean == GP_EAN and stored.message.receiver_sor == GP
    reply = read_care_communication(stored.message.data)
    assert reply.thread_id == gp_message.thread_id  # the same thread
    assert reply.category is gp_message.category and reply.topic == gp_message.topic
    assert reply.message_id != gp_message.message_id and reply.bundle_id != gp_message.bundle_id
    assert (reply.sender.sor, reply.receiver.sor) == (gp_message.receiver.sor, GP)
    old = [s for s in reply.segments if s.id in {g.id for g in gp_message.segments}]
    assert [type(s).__name__ for s in old] == ["TextSegment", "AttachmentSegment"]
    repeated, new = old[1], reply.segments[len(old):]
    written, added = new
    assert isinstance(repeated, AttachmentSegment) and isinstance(written, TextSegment)
    assert isinstance(added, AttachmentSegment)
    assert repeated.title == "Udtalelse" and repeated.data is None  # without its data
    assert written.text == "Kære læge\nVi har henvist til BUP." and added.data == PDF
    event = reply.history[-1]
    assert event.activity is Activity.REPLY and event.message_id == reply.message_id
    assert event.predecessor is not None
    assert event.predecessor.message_id == gp_message.message_id
    assert set(event.segment_ids) == {s.id for s in new}
    assert [a.data for a in stored.message.attachments] == [PDF]  # only the new one's data
    missing = harness.client.post("/api/km", json=km_body(reply_to=9999), headers=harness.auth())
    assert missing.status_code == 404


def test_a_reply_may_change_the_threads_category_and_topic(harness: Harness) -> None:
    inbound_id, _ = inbound_care_communication(harness.journal)
    response = harness.client.post("/api/km", json=km_body(
        receiver_sor="", reply_to=inbound_id, category="regarding-referral", topic="Henvisning"),
        headers=harness.auth())
    assert response.status_code == 201, response.text
    reply = read_care_communication(harness.journal.get(response.json()["id"]).message.data)
    assert (reply.category, reply.topic) == (Category.REGARDING_REFERRAL, "Henvisning")


def test_a_reply_to_an_xdis91_stays_xdis91(harness: Harness) -> None:
    inbound_id = inbound_xdis91(harness.journal)
    response = harness.client.post("/api/km", json=km_body(receiver_sor=GP, reply_to=inbound_id),
                                   headers=harness.auth())
    assert response.status_code == 201, response.text
    reply = harness.journal.get(response.json()["id"])
    assert reply.message.kind == "XDIS91"
    assert reply.message.receiver_ean == DENTAL_EAN and reply.message.receiver_sor == DENTAL
    letter = parse(reply.message.data).message.letters[0]
    assert isinstance(letter, ClinicalEmail) and letter.episode_of_care


def test_km_to_a_receiver_not_taking_correspondence_is_refused(harness: Harness) -> None:
    response = harness.client.post("/api/km", json=km_body(receiver_sor=BUP),
                                   headers=harness.auth())
    assert response.status_code == 422
    assert "receiver_sor" in fields_of(response)
    assert not harness.journal.find(Query())


def test_km_refuses_disallowed_attachment_types(harness: Harness) -> None:
    body = km_body(attachments=[{"title": "x", "data_base64": b64(b"MZ\x90\x00 program")}])
    response = harness.client.post("/api/km", json=body, headers=harness.auth())
    assert response.status_code == 422
    assert "attachments[0].data_base64" in fields_of(response)


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
    reads = [e for e in harness.journal.audit_log() if e.actor == f"api-key:{harness.key_id}"]
    assert {e.action for e in reads} >= {"read", "find"}
    assert len(reads) == 5 and journal_id in reads[0].message_ids
    assert (reads[1].action, reads[1].message_ids) == ("read", ())  # the miss is audited too


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
    page = harness.client.get("/api/inbound", headers=harness.auth()).json()
    polled = page["messages"]
    assert [m["id"] for m in polled] == [inbound_id]
    assert page["next"] == inbound_id and page["more"] is False
    assert polled[0]["patient_cpr"] == CPR and polled[0]["kind"] == "CareCommunication"
    later = harness.client.get(f"/api/inbound?after={inbound_id}", headers=harness.auth())
    assert later.json() == {"messages": [], "next": inbound_id, "more": False}


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


@pytest.mark.parametrize("value", ["ABCDEFGHIJ", "250947-998"])
def test_a_patient_that_is_neither_cpr_nor_a_marked_replacement_is_422(
        harness: Harness, value: str) -> None:
    body = referral_body(patient={**CONTEXT["patient"], "cpr": value})
    response = harness.client.post("/api/referrals", json=body, headers=harness.auth())
    assert response.status_code == 422
    assert fields_of(response)["patient.cpr"]["code"] == "local.invalid-value"
    assert value not in response.text
    marked = referral_body(patient={**CONTEXT["patient"], "cpr": value, "replacement": True})
    response = harness.client.post("/api/referrals", json=marked, headers=harness.auth())
    assert response.status_code in (200, 201, 202), response.text

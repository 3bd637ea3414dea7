"""The §126a henvisninger API: record by hand, correct, list a course, export a period; a KM
marked as a henvisning to the GP is recorded with its message."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.service.conftest import CONTEXT, CPR, GP, Harness
from tests.service.conftest import UNIT as KEY_UNIT

COURSE = str(CONTEXT["episode_id"])
UNIT = CONTEXT["unit"]["sor"]


def civil(**extra: object) -> dict[str, Any]:
    return {"course_id": COURSE, "date": "2026-11-20", "henvisning": "civilsamfund",
            "patient_cpr": CPR, "unit_sor": UNIT, **extra}


def test_recording_and_listing_a_course(harness: Harness) -> None:
    response = harness.client.post("/api/henvisninger", json=civil(), headers=harness.auth())
    assert response.status_code == 201, response.text
    id = response.json()["id"]
    listed = harness.client.get("/api/henvisninger", params={"course_id": COURSE},
                                headers=harness.auth())
    assert listed.status_code == 200
    (only,) = listed.json()
    assert only["id"] == id and only["henvisning_display"] == "Civilsamfund"
    assert only["message_id"] is None and only["patient_cpr"] == CPR
    assert (f"api-key:{harness.key_id}", "henvisninger") in {
        (a.actor, a.action) for a in harness.journal.audit_log()}


def test_a_correction_replaces_in_force_and_a_fork_is_a_conflict(harness: Harness) -> None:
    first = harness.client.post("/api/henvisninger", json=civil(),
                                headers=harness.auth()).json()["id"]
    fixed = harness.client.post("/api/henvisninger", json=civil(
        henvisning="126a-anden-kommune", supersedes=first), headers=harness.auth())
    assert fixed.status_code == 201
    again = harness.client.post("/api/henvisninger", json=civil(supersedes=first),
                                headers=harness.auth())
    assert again.status_code == 409 and "already corrected" in again.text
    listed = harness.client.get("/api/henvisninger", params={"course_id": COURSE},
                                headers=harness.auth()).json()
    assert [r["henvisning"] for r in listed] == ["126a-anden-kommune"]


def test_a_withdrawal_must_name_what_it_withdraws(harness: Harness) -> None:
    response = harness.client.post("/api/henvisninger", json=civil(withdrawn=True),
                                   headers=harness.auth())
    assert response.status_code == 422


def test_an_invalid_patient_is_refused_without_echoing_it(harness: Harness) -> None:
    response = harness.client.post("/api/henvisninger", json=civil(patient_cpr="3213999999"),
                                   headers=harness.auth())
    assert response.status_code == 422 and "3213999999" not in response.text


def test_scopes(harness: Harness) -> None:
    _, reader = harness.keys.add("reporting", (KEY_UNIT,), ("read",))
    assert harness.client.post("/api/henvisninger", json=civil(),
                               headers=harness.auth(reader)).status_code == 403
    assert harness.client.get("/api/henvisninger/export",
                              params={"from": "2026-01-01", "to": "2026-12-31"},
                              headers=harness.auth(reader)).status_code == 403
    assert harness.client.get("/api/henvisninger", params={"course_id": COURSE},
                              headers=harness.auth()).status_code == 200
    assert harness.client.get("/api/henvisninger",
                              params={"course_id": COURSE}).status_code == 401


def test_a_km_marked_as_henvisning_to_the_gp_is_recorded_with_its_message(
        harness: Harness) -> None:
    sent = harness.client.post("/api/km", json={
        **CONTEXT, "receiver_sor": GP, "text": "Kære læge\nVi henviser Bruno til dig.",
        "topic": "Henvisning", "category": "carecoordination", "henvisning": True},
        headers=harness.auth())
    assert sent.status_code == 201, sent.text
    harness.client.post("/api/henvisninger", json=civil(), headers=harness.auth())
    exported = harness.client.get("/api/henvisninger/export",
                                  params={"from": "2026-11-01", "to": "2026-11-30",
                                          "format": "csv"}, headers=harness.auth())
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["henvisning_kode"], r["besked_id"]) for r in rows] == [
        ("almen-praksis", str(sent.json()["id"])), ("civilsamfund", "")]
    assert rows[0]["beskedtype"] == "CareCommunication" and rows[0]["dato"] == "2026-11-20"


def test_a_km_not_marked_records_no_henvisning(harness: Harness) -> None:
    harness.client.post("/api/km", json={
        **CONTEXT, "receiver_sor": GP, "text": "Kære læge", "category": "carecoordination"},
        headers=harness.auth())
    listed = harness.client.get("/api/henvisninger", params={"course_id": COURSE},
                                headers=harness.auth())
    assert listed.json() == []

"""Unread is the worker's when the launch names them (``worker.id``): what one psychologist
opened stays new for a colleague; a launch naming no worker keeps the unit's unread, which
any opening clears. Answered stays the unit's."""

from __future__ import annotations

from typing import Any

from medcom_adapter.journal.shared import MemorySharedState
from tests.service.conftest import CONTEXT, Harness, csrf_of
from tests.service.inbound import inbound_care_communication


def _open(harness: Harness, worker_id: str | None) -> str:
    """A session for the unit's journal, as the worker ``worker_id`` (None: unnamed)."""
    worker: dict[str, Any] = {**CONTEXT["worker"]}
    if worker_id is not None:
        worker["id"] = worker_id
    harness.client.cookies.clear()
    response = harness.client.post("/api/launch", headers=harness.auth(), json={
        **CONTEXT, "worker": worker, "kind": "km", "journal": True})
    assert response.status_code == 201, response.text
    return csrf_of(harness.client.get(response.json()["url"]).text)


def _new(harness: Harness, worker_id: str | None) -> bool:
    _open(harness, worker_id)
    page = harness.client.get("/postkasse").text
    assert ("1 ulæste" in page) is ('<span class="badge">Ny</span>' in page)
    return "1 ulæste" in page


def test_what_one_worker_opened_stays_new_for_another(harness: Harness) -> None:
    letter, _ = inbound_care_communication(harness.journal)
    assert _new(harness, "ST") and _new(harness, "LK") and _new(harness, None)
    _open(harness, "ST")
    assert harness.client.get(f"/status/{letter}").status_code == 200  # ST reads it
    assert not _new(harness, "ST")
    assert _new(harness, "LK")  # a colleague has not
    assert not _new(harness, None)  # a launch naming no worker: the unit's, now opened
    csrf = _open(harness, "LK")
    harness.client.post(f"/status/{letter}/besvaret",
                        data={"csrf": csrf, "besvaret": "ja", "tilbage": "/postkasse"})
    assert not _new(harness, "LK") and not _new(harness, "XY")  # answered: the unit's


def test_a_worker_id_is_not_stored_beside_the_marks(harness: Harness) -> None:
    letter, _ = inbound_care_communication(harness.journal)
    _open(harness, "sara.testsen@kommune.example")
    harness.client.get(f"/status/{letter}")
    shared = harness.journal.shared
    assert isinstance(shared, MemorySharedState)
    marks = shared._marks  # what is stored, as stored
    assert len(marks) == 2 and not any("sara" in mark for _, mark, _ in marks)


def test_the_same_id_in_another_case_system_is_another_worker(harness: Harness) -> None:
    from tests.service.conftest import issue_key

    letter, _ = inbound_care_communication(harness.journal)
    _open(harness, "ST")
    harness.client.get(f"/status/{letter}")
    other_key = issue_key(harness.journal, "other-case-system",
                          scopes=("launch", "send", "read", "journal"))[1]
    harness.client.cookies.clear()
    response = harness.client.post("/api/launch", headers=harness.auth(other_key), json={
        **CONTEXT, "worker": {**CONTEXT["worker"], "id": "ST"}, "kind": "km", "journal": True})
    assert response.status_code == 201, response.text
    harness.client.get(response.json()["url"])
    assert "1 ulæste" in harness.client.get("/postkasse").text

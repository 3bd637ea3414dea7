"""``POST /api/referrals`` at parity with the referral page: one or two custody holders and
their consent, and a copy to the child's GP, with the page's rules and typed errors that
name the field."""

from __future__ import annotations

from typing import Any

import pytest

from medcom_adapter.journal.interface import Query, Status
from medcom_adapter.model.letters import Referral
from medcom_adapter.oioxml.emessage import parse
from medcom_adapter.service.marks import COPY_TO_GP
from tests.service.conftest import CONTEXT, GP_EAN, Harness, fields_of
from tests.service.test_api import referral_body
from tests.service.test_pages import pdf_file, referral_form

MOTHER = {"relation": "mor", "given_name": "Else Test", "surname": "Elmer", "consent": True}
FATHER = {"relation": "far", "given_name": "Hans Test", "surname": "Elmer", "consent": True}


def _referral(harness: Harness, id: int) -> Referral:
    letter = parse(harness.journal.get(id).message.data).message.letters[0]
    assert isinstance(letter, Referral)
    return letter


def _post(harness: Harness, **change: Any) -> Any:
    return harness.client.post("/api/referrals", json=referral_body(**change),
                               headers=harness.auth())


@pytest.mark.parametrize("holders", [[MOTHER], [MOTHER, FATHER],
                                     [MOTHER, {**FATHER, "consent": False}]])
def test_custody_holders_travel_as_the_referral_page_sends_them(harness: Harness,
                                                                holders: list[Any]) -> None:
    response = _post(harness, custody=holders)
    assert response.status_code == 201, response.text
    from_api = _referral(harness, response.json()["id"])
    # the same holders through the page
    csrf = harness.open("referral")
    second = {f"custody2_{k}": ("ja" if v else "nej") if k == "consent" else v
              for k, v in holders[1].items()} if len(holders) == 2 else {}
    preview = harness.client.post("/henvisning", files=pdf_file(),
                                  data=referral_form(csrf, **second))
    sent = harness.client.post(str(preview.url), data={"csrf": csrf})
    from_page = _referral(harness, int(str(sent.url).rsplit("/", 1)[1]))
    assert from_api.relative is not None and from_api.relative == from_page.relative
    assert from_api.relative.relation.value == "mor"  # the first holder, structurally
    assert from_api.supplementary is not None
    assert from_api.supplementary == from_page.supplementary
    lines = from_api.supplementary.to_plain().strip().splitlines()
    assert lines[1:] == [f"{h['relation'].replace('mor', 'Mor').replace('far', 'Far')}: "
                         f"{h['given_name']} {h['surname']} - "
                         f"{'samtykker' if h['consent'] else 'samtykker ikke'} til henvisningen"
                         for h in holders]


@pytest.mark.parametrize(("custody", "path"), [
    ([{k: v for k, v in MOTHER.items() if k != "consent"}], "custody[0].consent"),
    ([MOTHER, {**FATHER, "relation": "onkel"}], "custody[1].relation"),
    ([MOTHER, {**FATHER, "surname": "   "}], "custody[1].surname"),
    ([MOTHER, FATHER, MOTHER], "custody"),
])
def test_a_custody_error_names_the_holder_and_field(harness: Harness, custody: list[Any],
                                                    path: str) -> None:
    response = _post(harness, custody=custody)
    assert response.status_code == 422
    assert set(fields_of(response)) == {path}, response.json()
    assert not harness.journal.find(Query())


def test_the_pages_rule_comes_back_in_danish_too(harness: Harness) -> None:
    response = _post(harness, custody=[{**MOTHER, "surname": "  "}])
    error = fields_of(response)["custody[0].surname"]
    assert error["detail_da"] == "Skriv efternavnet."
    assert "surname" in error["detail"]


def test_custody_and_a_relative_together_are_refused(harness: Harness) -> None:
    response = _post(harness, custody=[MOTHER],
                     relative={"relation": "far", "surname": "Elmer"})
    assert response.status_code == 422 and set(fields_of(response)) == {"relative"}
    assert not harness.journal.find(Query())


def test_a_copy_to_the_gp_is_queued_with_the_referral_and_linked(harness: Harness) -> None:
    response = _post(harness, custody=[MOTHER], copy_to_gp=True)
    assert response.status_code == 201, response.text
    body = response.json()
    copy = body["copy_to_gp"]
    assert copy["kind"] == "CareCommunication" and copy["status"] == "queued"
    found = harness.journal.find(Query())
    assert [(m.id, m.message.kind) for m in found] == [
        (body["ids"][0], "XREF01"), (body["ids"][1], "XBIN02"),
        (copy["id"], "CareCommunication")]
    sent = harness.journal.get(copy["id"])
    assert sent.message.receiver_ean == GP_EAN and sent.status is Status.QUEUED
    assert b"regarding-referral" in sent.message.data
    assert b"Til orientering: Eksempel Kommune PPR har henvist Bruno Test Elmer" in \
        sent.message.data
    assert sent.message.episode_id == harness.journal.get(body["id"]).message.episode_id
    assert harness.client.app.state.service.marks.linked(  # type: ignore[attr-defined]
        body["id"], COPY_TO_GP) == (copy["id"],)


def test_no_copy_unless_asked(harness: Harness) -> None:
    response = _post(harness)
    assert response.status_code == 201 and response.json()["copy_to_gp"] is None
    assert [m.message.kind for m in harness.journal.find(Query())] == ["XREF01", "XBIN02"]


def test_a_copy_without_the_childs_gp_names_the_field_and_queues_nothing(
        harness: Harness) -> None:
    patient = {k: v for k, v in CONTEXT["patient"].items() if k != "gp_sor"}
    response = _post(harness, patient=patient, copy_to_gp=True)
    assert response.status_code == 422
    error = fields_of(response)["copy_to_gp"]
    assert error["detail_da"] == "Barnets egen læge kendes ikke fra fagsystemet."
    assert not harness.journal.find(Query())  # not the referral alone either


def test_a_repeated_referral_with_its_copy_under_one_idempotency_key_queues_once(
        harness: Harness) -> None:
    body = referral_body(custody=[MOTHER], copy_to_gp=True)
    headers = {**harness.auth(), "Idempotency-Key": "henvisning-7f3a"}
    first = harness.client.post("/api/referrals", json=body, headers=headers)
    again = harness.client.post("/api/referrals", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["copy_to_gp"]["kind"] == "CareCommunication"
    assert [m.message.kind for m in harness.journal.find(Query())] == [
        "XREF01", "XBIN02", "CareCommunication"]  # once

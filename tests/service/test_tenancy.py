"""Tenancy: a key acts for its units only. Another unit's message is a 404 wherever it is
asked for (read, search, export, inbound, webhook), and a launch or a send for another unit
is refused; a page session sees the launched child only, unless the launch opens the
unit's journal and its key may."""

from __future__ import annotations

import json
from typing import Any

import httpx

from medcom_adapter.journal.interface import Direction, NewMessage, Query, Status
from medcom_adapter.journal.shared import Unit
from medcom_adapter.model.parties import person_id
from medcom_adapter.service.apikeys import SCOPES
from medcom_adapter.service.webhook import CaseSystemWebhooks
from medcom_adapter.workers.hooks import Delivery
from tests.service.conftest import CONTEXT, CPR, GP, GP_EAN, Harness, issue_key
from tests.service.inbound import inbound_care_communication

OTHER = Unit("123456789", "5790000123469")  # another municipality's PPR unit
OTHER_CPR = "2512489996"  # MedCom test person
OTHER_EPISODE = "1f0c4a52-3d1e-4a8b-9c7e-2b5d6f1a0e93"


def _other_units_letter(harness: Harness, patient: str = OTHER_CPR) -> int:
    """A KM the GP sent to the other unit, as its inbox journals it."""
    return harness.journal.append(NewMessage(
        direction=Direction.INBOUND, kind="CareCommunication", version="5.0",
        data=b'{"resourceType": "Bundle"}', envelope_id="env-b", message_id="msg-b",
        sender_ean=GP_EAN, receiver_ean=OTHER.ean, sender_sor=GP, receiver_sor=OTHER.sor,
        patient=person_id(patient), episode_id=OTHER_EPISODE), Status.DELIVERED)


def _other_units_referral(harness: Harness) -> int:
    return harness.journal.append(NewMessage(
        direction=Direction.OUTBOUND, kind="XREF01", version="XH0131R", data=b"<x/>",
        envelope_id="env-c", message_id="msg-c", sender_ean=OTHER.ean,
        receiver_ean="5790000200009", sender_sor=OTHER.sor, receiver_sor="88020001000016009",
        patient=person_id(OTHER_CPR), episode_id=OTHER_EPISODE), Status.SENT)


def test_another_units_messages_are_not_found_by_any_route(harness: Harness) -> None:
    ours, _ = inbound_care_communication(harness.journal)
    letter, referral = _other_units_letter(harness), _other_units_referral(harness)
    # the same child, known to both units: the other unit's letter about them stays theirs
    shared_child = _other_units_letter(harness, patient=CPR)
    auth = harness.auth()
    for id in (letter, referral, shared_child):
        assert harness.client.get(f"/api/messages/{id}", headers=auth).status_code == 404
        assert harness.client.get(f"/api/messages/{id}/export",
                                  headers=auth).status_code == 404
    assert harness.client.get(f"/api/messages/{ours}", headers=auth).status_code == 200
    for query in ({"patient_cpr": OTHER_CPR}, {"episode_id": OTHER_EPISODE}):
        found = harness.client.post("/api/messages/search", json=query, headers=auth)
        assert found.status_code == 200 and found.json() == []
    by_cpr = harness.client.post("/api/messages/search", json={"patient_cpr": CPR},
                                 headers=auth).json()
    assert [m["id"] for m in by_cpr] == [ours]
    polled = harness.client.get("/api/inbound", headers=auth).json()
    assert [m["id"] for m in polled["messages"]] == [ours]
    exported = harness.client.get(f"/api/messages/{ours}/export", headers=auth)
    assert exported.status_code == 200
    assert b"msg-b" not in exported.content and b"env-b" not in exported.content
    # the other unit's own key sees exactly its own
    _, theirs = issue_key(harness.journal, "their-system", units=(OTHER,))
    polled = harness.client.get("/api/inbound", headers=harness.auth(theirs)).json()
    assert [m["id"] for m in polled["messages"]] == [letter, shared_child]
    assert harness.client.get(f"/api/messages/{ours}",
                              headers=harness.auth(theirs)).status_code == 404


def test_a_key_may_not_launch_or_send_for_another_unit(harness: Harness) -> None:
    other_unit = {"sor": OTHER.sor, "ean": OTHER.ean, "name": "Anden Kommune PPR"}
    for path, extra in (("/api/launch", {"kind": "km"}),
                        ("/api/km", {"receiver_sor": GP, "text": "Kære læge",
                                     "category": "carecoordination"})):
        body: dict[str, Any] = {**CONTEXT, "unit": other_unit, **extra}
        response = harness.client.post(path, json=body, headers=harness.auth())
        assert response.status_code == 403, response.text
        assert "does not act for unit" in response.json()["detail"]
    assert not harness.journal.find(Query())
    # a unit named by SOR with another EAN is another unit too
    body = {**CONTEXT, "unit": {**CONTEXT["unit"], "ean": "5790000888887"}, "kind": "km"}
    assert harness.client.post("/api/launch", json=body,
                               headers=harness.auth()).status_code == 403


def _letter_by_location_number(harness: Harness, ean: str) -> int:
    """A letter received by the unit with location number ``ean``, naming no SOR id."""
    return harness.journal.append(NewMessage(
        direction=Direction.INBOUND, kind="XDIS91", version="XD9134L", data=b"<Emessage/>",
        envelope_id=f"env-{ean}", message_id=f"msg-{ean}", sender_ean=GP_EAN,
        receiver_ean=ean, receiver_sor=None, patient=person_id(OTHER_CPR)), Status.RECEIVED)


def test_a_launch_cannot_widen_its_keys_scope_with_an_ean(harness: Harness) -> None:
    """A key naming its unit by SOR id only launches with another unit's location number:
    the session sees nothing addressed to that number (status page, mailbox, statistics);
    a key naming a unit's EAN launches with that EAN only."""
    borrowed = "5790000555550"
    theirs = _letter_by_location_number(harness, borrowed)
    _, sor_only = issue_key(harness.journal, "sor-only", SCOPES,
                            (Unit(str(CONTEXT["unit"]["sor"]), None),))
    launched = harness.client.post("/api/launch", headers=harness.auth(sor_only), json={
        **CONTEXT, "kind": "km", "journal": True,
        "unit": {**CONTEXT["unit"], "ean": borrowed}})
    assert launched.status_code == 201, launched.text
    assert harness.client.get(launched.json()["url"]).status_code == 200
    assert harness.client.get(f"/status/{theirs}").status_code == 404
    assert f'href="/status/{theirs}"' not in harness.client.get("/postkasse").text
    figures = harness.client.get("/statistik", params={"fra": "2026-11-01",
                                                       "til": "2026-11-30"}).text
    assert "Modtaget pr. måned</h2><p>Ingen." in figures and "XDIS91" not in figures
    # a key that names the EAN: refused with any other, and then sees what is addressed to it
    harness.client.cookies.clear()
    _, named = issue_key(harness.journal, "named", SCOPES,
                         (Unit(str(CONTEXT["unit"]["sor"]), borrowed),))
    for ean, status in ((CONTEXT["unit"]["ean"], 403), (borrowed, 201)):
        launched = harness.client.post("/api/launch", headers=harness.auth(named), json={
            **CONTEXT, "kind": "km", "journal": True, "unit": {**CONTEXT["unit"], "ean": ean}})
        assert launched.status_code == status, launched.text
    refused = harness.client.post("/api/launch", headers=harness.auth(named),
                                  json={**CONTEXT, "kind": "km"}).json()
    assert refused["code"] == "api.forbidden" and "with location number" in refused["detail"]
    assert harness.client.get(launched.json()["url"]).status_code == 200
    assert harness.client.get(f"/status/{theirs}").status_code == 200


def test_a_launch_may_open_the_units_journal_only_with_the_journal_scope(
        harness: Harness) -> None:
    _, plain = issue_key(harness.journal, "plain")  # launch send read export inbound
    response = harness.client.post("/api/launch", json={**CONTEXT, "kind": "km",
                                                        "journal": True},
                                   headers=harness.auth(plain))
    assert response.status_code == 403 and "journal" in response.json()["detail"]


def test_a_page_session_sees_the_launched_child_only(harness: Harness) -> None:
    about_bruno, _ = inbound_care_communication(harness.journal)
    about_other_child = harness.journal.append(NewMessage(
        direction=Direction.INBOUND, kind="CareCommunication", version="5.0",
        data=b"{}", envelope_id="env-d", message_id="msg-d", sender_ean=GP_EAN,
        receiver_ean=CONTEXT["unit"]["ean"], sender_sor=GP, receiver_sor=CONTEXT["unit"]["sor"],
        patient=person_id(OTHER_CPR), episode_id=OTHER_EPISODE), Status.DELIVERED)
    others_letter = _other_units_letter(harness, patient=CPR)
    csrf = harness.open("km")
    assert harness.client.get(f"/status/{about_bruno}").status_code == 200
    for id in (about_other_child, others_letter, 10**9):
        assert harness.client.get(f"/status/{id}").status_code == 404
    listing = harness.client.get("/postkasse").text  # the child's only, without the journal
    assert f'href="/status/{about_bruno}"' in listing
    assert f'href="/status/{about_other_child}"' not in listing
    assert 'href="/postkasse">' not in listing  # no unit mailbox without the journal
    refused = harness.client.post("/postkasse", data={"csrf": csrf, "soeg": OTHER_CPR})
    assert refused.status_code == 403 and "Søgning i enhedens journal" in refused.text
    # opened with the unit's journal: the unit's other children, never another unit's
    harness.client.cookies.clear()
    csrf = harness.open("km", journal=True)
    assert harness.client.get(f"/status/{about_other_child}").status_code == 200
    assert harness.client.get(f"/status/{others_letter}").status_code == 404
    found = harness.client.post("/postkasse", data={"csrf": csrf, "soeg": CPR})
    assert f'href="/status/{about_bruno}"' in found.text
    assert f'href="/status/{others_letter}"' not in found.text


def test_a_webhook_gets_only_its_units_correspondence(harness: Harness) -> None:
    ours, _ = inbound_care_communication(harness.journal)
    theirs = _other_units_letter(harness)
    keys = harness.keys
    keys.set_webhook(harness.key_id, "https://fagsystem.example/medcom")
    pushed: list[int] = []

    def case_system(request: httpx.Request) -> httpx.Response:
        pushed.append(json.loads(request.content)["id"])
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(case_system)) as client:
        hook = CaseSystemWebhooks(keys, harness.journal, client=client)
        for id in (ours, theirs):
            hook(Delivery(f"d{id}", id, "CareCommunication", "5.0", GP_EAN, None, "e", "m",
                          b""))
    assert pushed == [ours]

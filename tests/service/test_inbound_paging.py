"""``GET /api/inbound`` pages with a cursor: every received message is reachable, once."""

from __future__ import annotations

from medcom_adapter.journal.interface import Direction, NewMessage, Status
from medcom_adapter.model.parties import person_id
from tests.service.conftest import CONTEXT, CPR, DENTAL, DENTAL_EAN, GP, GP_EAN, Harness

RECEIVED = 2_500


def test_a_polling_case_system_receives_all_2500_messages_exactly_once(
        harness: Harness) -> None:
    unit = CONTEXT["unit"]
    letters = [NewMessage(
        direction=Direction.INBOUND, kind=("CareCommunication", "XDIS91")[n % 2],
        version=("5.0", "XD9134L")[n % 2], data=f"letter {n}".encode(),
        envelope_id=f"env-{n}", message_id=f"msg-{n}",
        sender_ean=(GP_EAN, DENTAL_EAN)[n % 2], sender_sor=(GP, DENTAL)[n % 2],
        receiver_ean=unit["ean"], receiver_sor=unit["sor"], patient=person_id(CPR))
        for n in range(RECEIVED)]
    harness.journal.append_many(letters, Status.DELIVERED)
    seen: list[int] = []
    cursor, pages = 0, 0
    while True:
        page = harness.client.get(f"/api/inbound?after={cursor}&limit=100",
                                  headers=harness.auth()).json()
        pages += 1
        seen += [m["id"] for m in page["messages"]]
        assert page["next"] == (seen[-1] if seen else 0)
        cursor = page["next"]
        if not page["more"]:
            break
    assert pages == RECEIVED // 100
    assert seen == list(range(1, RECEIVED + 1))  # in order, none twice, none skipped
    empty = harness.client.get(f"/api/inbound?after={cursor}", headers=harness.auth()).json()
    assert empty == {"messages": [], "next": cursor, "more": False}

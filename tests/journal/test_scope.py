"""Scoped look-ups on every engine: by unit (our side of each message), one id, a cursor,
several kinds; an export confined to units."""

from __future__ import annotations

import dataclasses

from medcom_adapter.journal.interface import Direction, Journal, Query, Status
from medcom_adapter.journal.shared import Unit
from tests.journal.samples import CPR, UNIT, referral

OURS = Unit(UNIT.value, "5790000123456")
THEIRS = Unit("7654321000016000", "5790000654321")


def _fill(journal: Journal) -> dict[str, int]:
    sent = referral(1)  # from OURS to THEIRS
    received = dataclasses.replace(  # THEIRS wrote back to OURS
        referral(2), direction=Direction.INBOUND, kind="XDIS91", version="XD9134L",
        sender_ean=THEIRS.ean, sender_sor=THEIRS.sor, receiver_ean=OURS.ean,
        receiver_sor=OURS.sor, classification=None)
    receipt = dataclasses.replace(  # names location numbers only
        referral(3), direction=Direction.INBOUND, kind="XCTL03", version="XC0330Q",
        sender_ean=THEIRS.ean, sender_sor=None, receiver_ean=OURS.ean, receiver_sor=None,
        patient=None, classification=None, attachments=())
    theirs = dataclasses.replace(  # THEIRS sent something of its own to a third party
        referral(4), sender_ean=THEIRS.ean, sender_sor=THEIRS.sor, receiver_ean=OURS.ean,
        receiver_sor="999", classification=None)
    ids = [journal.append(m, Status.DELIVERED) for m in (sent, received, receipt, theirs)]
    return dict(zip(("sent", "received", "receipt", "theirs"), ids, strict=True))


def test_units_see_what_they_sent_and_received(journal: Journal) -> None:
    ids = _fill(journal)

    def found(query: Query) -> list[int]:
        return [m.id for m in journal.find(query, actor="api-key:test")]

    assert found(Query(units=(OURS,))) == [ids["sent"], ids["received"], ids["receipt"]]
    assert found(Query(units=(THEIRS,))) == [ids["theirs"]]
    assert found(Query(units=(Unit(OURS.sor),))) == [ids["sent"], ids["received"]]
    assert found(Query(units=())) == []
    assert found(Query(id=ids["theirs"], units=(OURS,))) == []
    assert found(Query(id=ids["sent"], units=(OURS,))) == [ids["sent"]]
    assert found(Query(id=ids["sent"], units=(OURS,), patient=CPR)) == [ids["sent"]]
    assert found(Query(after=ids["sent"], kinds=("XDIS91", "XCTL03"))) == [
        ids["received"], ids["receipt"]]
    assert found(Query(kinds=())) == []
    exported = journal.export(CPR, actor="api-key:test", units=(THEIRS,))
    assert [m.id for m in exported] == [ids["theirs"]]
    assert journal.audit_log()[-1].message_ids == (ids["theirs"],)

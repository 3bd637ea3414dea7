"""The hand-over to the sandbox's EHMI access point over mutual TLS, and the peer MSH behind
it keeping the guide's receive table: receipts, duplicates, a reused envelope id."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from medcom_adapter.envelopes import sbdh, sbdh_receipt
from medcom_adapter.errors import EhmiAuthRefused
from medcom_adapter.sandbox.ehmi_ap import AccessPoint
from medcom_adapter.transport.ehmi_ap import AccessPointTransport
from medcom_adapter.transport.interface import Parcel
from tests.ehmi.network import Ehmi, document, ehmi_network
from tests.envelopes.messages import next_id


@pytest.fixture
def ehmi(tmp_path: Path) -> Iterator[Ehmi]:
    with ehmi_network(tmp_path, frozenset()) as network:
        yield network


def _ap(ehmi: Ehmi, ours: str) -> tuple[AccessPoint, AccessPointTransport]:
    ehmi.services.ap = AccessPoint(frozenset({ours}))
    return ehmi.services.ap, AccessPointTransport(ehmi.http, ehmi.services.url + "/ap", ours,
                                                  publisher="journal-1")


def _parcel(sent: sbdh.Sbdh, key: str) -> Parcel:
    return Parcel(sbdh.build(sent), "SBDH", sent.instance_id, sent.sender_gln or "",
                  sent.receiver_gln or "", key)


def _receipts(transport: AccessPointTransport) -> list[sbdh_receipt.EnvelopeReceipt]:
    found = []
    for received in transport.receive():
        found.append(sbdh_receipt.read_receipt(sbdh.parse(received.data)))
        transport.settle(received)
        assert not transport.pending(received)
    return found


def test_a_handed_over_envelope_is_delivered_once_and_acknowledged(ehmi: Ehmi) -> None:
    sent = document()
    ap, transport = _ap(ehmi, sent.sender_gln or "")
    transport.send(_parcel(sent, "1"))
    transport.send(_parcel(sent, "1"))  # again after a crash: published once
    assert [d.instance_id for d in ap.delivered] == [sent.instance_id]
    [receipt] = _receipts(transport)
    assert receipt.positive and receipt.original_envelope_id == sent.instance_id
    assert receipt.original_message_id == sent.message_id and receipt.warnings == ()
    assert list(transport.receive()) == []


def test_duplicates_and_a_reused_envelope_id_as_the_guide_says(ehmi: Ehmi) -> None:
    sent = document()
    ap, transport = _ap(ehmi, sent.sender_gln or "")
    transport.send(_parcel(sent, "1"))
    transport.send(_parcel(sent, "2"))  # the same envelope again: the original receipt
    again = dataclasses.replace(sent, instance_id=next_id())  # the message, a new envelope
    transport.send(_parcel(again, "3"))
    reused = dataclasses.replace(document(), instance_id=sent.instance_id)
    transport.send(_parcel(reused, "4"))
    first, same, resent, refused = _receipts(transport)
    assert len(ap.delivered) == 1
    assert first.positive and same.receipt_id == first.receipt_id
    assert resent.positive and resent.original_envelope_id == again.instance_id
    assert resent.receipt_id != first.receipt_id
    assert not refused.positive and refused.original_envelope_id == sent.instance_id


def test_a_client_the_access_point_does_not_know_is_refused(ehmi: Ehmi) -> None:
    sent = document()
    ap, _ = _ap(ehmi, sent.sender_gln or "")
    stranger = ehmi.ca.client("stranger")
    settings = dataclasses.replace(ehmi.settings, cert=stranger.cert, key=stranger.key)
    with httpx.Client(verify=settings.tls(), timeout=10) as http:
        transport = AccessPointTransport(http, ehmi.services.url + "/ap", "x")
        with pytest.raises(EhmiAuthRefused):
            transport.send(_parcel(sent, "1"))
    assert ap.delivered == []

"""The endpoint register: registry codes to kinds, endpoints to capabilities, the channel a
message goes on, and a cache that expires."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from medcom_adapter.ehmi import eer
from medcom_adapter.ehmi.eer import MessageType
from medcom_adapter.errors import MalformedMessage

REG = "urn:dk:healthcare:medcom:messaging:"
CC = (f"{REG}fhir:structuredefinition::carecommunication-message"
      "##urn:dk:medcom:fhir:carecommunication-message::5.0")
XREF = f"{REG}oioxml:schema:xsd:medref:xref01:xh0131r"
XBIN02 = f"{REG}oioxml:schema:xsd:medbin:xbin02:xb0210x"
REF01 = f"{REG}edifact:medref:ref01:h0131r"
GP = "5790000121526"


def endpoint(connection: str, *codes: str, gln: str = GP, status: str = "active",
             start: str = "2025-01-01", end: str = "2099-12-31") -> dict[str, Any]:
    return {"resourceType": "Endpoint", "id": f"ep-{connection}", "status": status,
            "identifier": [{"system": eer.GLN_SYSTEM, "value": gln}],
            "connectionType": {"system": "x", "code": connection},
            "period": {"start": start, "end": end},
            "address": "https://ap.example/fhir",
            "payloadType": [{"coding": [{"code": c}]} for c in codes]}


@pytest.mark.parametrize(("code", "kind"), [
    (CC, MessageType("CareCommunication", "5.0")), (XREF, MessageType("XREF01", "XH0131R")),
    (XBIN02, MessageType("XBIN02", "XB0210X")), (REF01, MessageType("REF01", "H0131R")),
    (f"{REG}fhir:structuredefinition::homecareobservation-message##x::1.2", None),
])
def test_registry_codes_name_kinds_and_versions(code: str, kind: MessageType | None) -> None:
    assert eer.message_type(code) == kind


def test_ehmi_is_chosen_before_vans_where_both_take_the_message() -> None:
    bundle = {"resourceType": "Bundle", "entry": [
        {"resource": endpoint("vansMessaging", CC, XREF)},
        {"resource": endpoint("EerMessagingEdeliveryFhir", CC)},
        {"resource": endpoint("EerMessagingEdelivery", XREF, status="off")}]}
    found = eer.capabilities(bundle)
    assert len(found) == 2
    today = date(2026, 12, 5)
    assert eer.channel_for(found, GP, "CareCommunication", "5.0", on=today) == "ehmi"
    assert eer.channel_for(found, GP, "XREF01", "XH0131R", on=today) == "vans"
    assert eer.channel_for(found, GP, "XDIS91", "XD9134L", on=today) is None
    assert eer.channel_for(found, "5790000000005", "CareCommunication", "5.0", on=today) is None


def test_an_expired_endpoint_takes_nothing() -> None:
    found = eer.capabilities(endpoint("EerMessagingEdeliveryFhir", CC, end="2025-06-30"))
    assert eer.channel_for(found, GP, "CareCommunication", "5.0", on=date(2026, 1, 1)) is None


@pytest.mark.parametrize("broken", [
    {"identifier": []}, {"connectionType": {"code": "ihe-xds"}}])
def test_an_endpoint_without_gln_or_messaging_connection_is_refused(
        broken: dict[str, Any]) -> None:
    with pytest.raises(MalformedMessage):
        eer.capabilities({**endpoint("EerMessagingEdelivery", CC), **broken})


def test_the_cache_fetches_once_per_ttl() -> None:
    now = [datetime(2026, 12, 5, tzinfo=UTC)]
    calls: list[str] = []

    def fetch(gln: str) -> dict[str, Any]:
        calls.append(gln)
        return endpoint("EerMessagingEdeliveryFhir", CC, gln=gln)

    cache = eer.EerCache(fetch, ttl=timedelta(hours=1), clock=lambda: now[0])
    assert cache.lookup(GP)[0].channel == "ehmi"
    cache.lookup(GP)
    assert calls == [GP]
    now[0] += timedelta(hours=1)
    cache.lookup(GP)
    assert calls == [GP, GP]


def test_medcoms_example_endpoint_reads() -> None:
    """The facts of MedCom's EerEndpoint-Messaging-eDeliveryFhir.01 example (FSH), as JSON."""
    example = endpoint(
        "EerMessagingEdeliveryFhir",
        f"{REG}fhir:structuredefinition::acknowledgement-message"
        "##urn:dk:medcom:fhir:acknowledgement-message::2.0",
        "urn:dk:healthcare:messaging:oasis:ebxml:schema:xsd::ehmisbdh-acknowledgement"
        "##urn:dk:ehmi:sbdh:ehmisbdh-acknowledgement::1.0", gln="0000000000000",
        start="2023-01-01", end="2024-01-01")
    (found,) = eer.capabilities(example)
    assert found.takes == {MessageType("Acknowledgement", "2.0"), MessageType("SBDH-Ack", "1.0")}
    assert found.valid_on(date(2023, 6, 1)) and not found.valid_on(date(2024, 1, 2))

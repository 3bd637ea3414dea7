"""EDS reports from the journal's queue to the sandbox's EDS over mutual TLS with OAuth2
client credentials: delivered exactly once, tokens cached and renewed, and the attacks a
registration must survive (expired, revoked or replayed tokens, a wrong client
certificate, a report EDS refuses)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from medcom_adapter.ehmi import eds
from medcom_adapter.ehmi.eds import Reporter, Subtype
from medcom_adapter.ehmi_client.eds import EdsClient
from medcom_adapter.ehmi_client.oauth import TokenSource
from medcom_adapter.errors import EhmiAuthRefused, EhmiRefused, EhmiUnavailable
from medcom_adapter.journal.eds_queue import ReportStatus
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.sandbox.tls import SandboxCa
from medcom_adapter.workers import eds as eds_worker
from tests.ehmi.network import DEVICE, Ehmi, context, document, ehmi_network
from tests.envelopes.messages import T0

ME = Reporter(DEVICE)


@pytest.fixture
def ehmi(tmp_path: Path) -> Iterator[Ehmi]:
    with ehmi_network(tmp_path, frozenset({context(document())})) as network:
        yield network


def _deliver(journal: MemoryJournal, ehmi: Ehmi) -> eds_worker.EdsRun:
    return eds_worker.deliver(journal.eds, ehmi.eds, owner="w1", lease_seconds=60)


def test_queued_reports_reach_eds_once_with_one_token(ehmi: Ehmi) -> None:
    journal = MemoryJournal()
    sent = document()
    for subtype in (Subtype.CREATED_AND_SENT, Subtype.SENT):
        assert eds_worker.queue_report(journal.eds, sent, subtype, reporter=ME,
                                       recorded=T0, message="m7")
    assert not eds_worker.queue_report(journal.eds, sent, Subtype.SENT, reporter=ME,
                                       recorded=T0, message="m7")  # the same event again
    assert _deliver(journal, ehmi) == eds_worker.EdsRun(delivered=2)
    assert _deliver(journal, ehmi) == eds_worker.EdsRun()
    stored = ehmi.services.events
    assert sorted(e["subtype"][0]["code"] for e in stored) == ["msg-created-and-sent",
                                                                "msg-sent"]
    assert ehmi.services.refused == [] and ehmi.tokens.fetched == 1
    states = journal.eds.of_message("m7")
    assert [s.status for s in states] == [ReportStatus.DELIVERED] * 2
    assert {s.location for s in states} == {e["id"] for e in stored}


def test_an_expired_token_is_renewed_and_the_report_sent_once(ehmi: Ehmi) -> None:
    journal = MemoryJournal()
    eds_worker.queue_report(journal.eds, document(), Subtype.SENT, reporter=ME, recorded=T0,
                            message="m1")
    ehmi.tokens.token("EDS system/AuditEvent.crs " + context(document()))
    later = ehmi.services.clock() + timedelta(hours=1)
    ehmi.services.clock = lambda: later  # EDS sees the token expired; we still hold it
    assert _deliver(journal, ehmi).delivered == 1
    assert len(ehmi.services.events) == 1 and ehmi.tokens.fetched == 2


def test_a_revoked_token_is_renewed_and_a_revoked_client_waits_for_the_operator(
        ehmi: Ehmi) -> None:
    journal = MemoryJournal()
    eds_worker.queue_report(journal.eds, document(), Subtype.SENT, reporter=ME, recorded=T0,
                            message="m1")
    ehmi.tokens.token("EDS system/AuditEvent.crs " + context(document()))
    ehmi.services.revoke("medcom-adapter-test")
    assert _deliver(journal, ehmi).delivered == 1  # a new token, one more try
    eds_worker.queue_report(journal.eds, document(), Subtype.SENT, reporter=ME, recorded=T0,
                            message="m2")
    ehmi.services.enrolments.clear()  # the enrolment itself is withdrawn
    ehmi.tokens.forget("EDS system/AuditEvent.crs " + context(document()))
    assert _deliver(journal, ehmi) == eds_worker.EdsRun(retried=1)
    [state] = journal.eds.of_message("m2")
    assert state.status is ReportStatus.QUEUED and state.last_error is not None
    assert state.last_error.startswith("[local.ehmi-auth]")
    assert len(ehmi.services.events) == 1


def test_a_client_certificate_from_another_ca_gets_no_connection(ehmi: Ehmi,
                                                                  tmp_path: Path) -> None:
    stranger = SandboxCa.create(tmp_path / "other-ca").client("medcom-adapter-test")
    settings = ehmi.settings.__class__(stranger.cert, stranger.key, ehmi.settings.ca,
                                       ehmi.settings.token_url, "medcom-adapter-test", DEVICE,
                                       ehmi.settings.eds_url)
    with httpx.Client(verify=settings.tls(), timeout=10) as http:
        client = EdsClient(http, settings.eds_url or "", TokenSource(http, settings.token_url,
                                                                      settings.client_id))
        with pytest.raises(EhmiUnavailable):
            client.register(b"{}", context(document()))
    assert ehmi.services.tokens_issued == 0 and ehmi.services.events == []


def test_an_enrolled_ca_certificate_that_is_not_the_clients_gets_no_token(
        ehmi: Ehmi) -> None:
    other = ehmi.ca.client("someone-else")
    settings = ehmi.settings.__class__(other.cert, other.key, ehmi.settings.ca,
                                       ehmi.settings.token_url, "medcom-adapter-test", DEVICE)
    with (httpx.Client(verify=settings.tls(), timeout=10) as http,
          pytest.raises(EhmiAuthRefused, match="invalid_client")):
        TokenSource(http, settings.token_url, settings.client_id).token(
            "EDS system/AuditEvent.crs " + context(document()))


def test_a_replayed_registration_with_a_stolen_token_is_refused(ehmi: Ehmi) -> None:
    """The token is bound to the adapter's certificate: another client replaying the
    request with it is refused, and EDS stores nothing."""
    scope = "EDS system/AuditEvent.crs " + context(document())
    stolen = ehmi.tokens.token(scope)
    journal = MemoryJournal()
    eds_worker.queue_report(journal.eds, document(), Subtype.SENT, reporter=ME, recorded=T0,
                            message="m1")
    [report] = journal.eds.claim("thief", 1, lease_seconds=60)
    thief = ehmi.ca.client("thief")
    with httpx.Client(verify=ehmi.settings.__class__(
            thief.cert, thief.key, ehmi.settings.ca, "", "", "").tls(), timeout=10) as http:
        answer = http.post(f"{ehmi.settings.eds_url}/AuditEvent", content=report.event,
                           headers={"Authorization": f"Bearer {stolen}",
                                    "Content-Type": "application/fhir+json"})
    assert answer.status_code == 401 and ehmi.services.events == []


def test_a_report_eds_refuses_is_failed_with_its_reason_and_no_patient_data(
        ehmi: Ehmi) -> None:
    journal = MemoryJournal()
    eds_worker.queue_report(journal.eds, document(), Subtype.SENT,
                            reporter=Reporter("not-our-device"), recorded=T0, message="m3")
    assert _deliver(journal, ehmi) == eds_worker.EdsRun(failed=1)
    [state] = journal.eds.of_message("m3")
    assert state.status is ReportStatus.FAILED and state.last_error is not None
    assert "422" in state.last_error and "0201909309" not in state.last_error
    assert ehmi.services.refused == ["source.observer is not the token's device"]


def test_a_report_eds_holds_from_an_attempt_that_died_is_not_sent_again(ehmi: Ehmi) -> None:
    journal = MemoryJournal()
    eds_worker.queue_report(journal.eds, document(), Subtype.SENT, reporter=ME, recorded=T0,
                            message="m4")
    [report] = journal.eds.claim("dead", 1, lease_seconds=60)
    assert journal.eds.attempt(report.id, "dead")
    ehmi.eds.register(report.event, report.context)  # reached EDS; "dead" never heard
    journal.eds.retry(report.id, "dead", "killed", 0)  # its lease ran out, as after a kill
    assert _deliver(journal, ehmi) == eds_worker.EdsRun(found=1)
    assert len(ehmi.services.events) == 1
    assert json.loads(report.event)["subtype"][0]["code"] == "msg-sent"


def _without_transport_envelope(copies: int) -> bytes:
    """A report whose ehmiTransportEnvelope entity (0..1 in the profile) appears ``copies``
    times."""
    event = eds.report(document(), subtype=Subtype.SENT, recorded=T0, reporter=ME)
    [envelope] = [e for e in event["entity"] if e["type"]["code"] == "ehmiTransportEnvelope"]
    event["entity"] = [e for e in event["entity"] if e is not envelope] + [envelope] * copies
    return json.dumps(event).encode()


def test_eds_takes_a_report_without_the_optional_transport_envelope(ehmi: Ehmi) -> None:
    assert ehmi.eds.register(_without_transport_envelope(0), context(document()))
    [stored] = ehmi.services.events
    assert "ehmiTransportEnvelope" not in {e["type"]["code"] for e in stored["entity"]}
    assert ehmi.services.refused == []


def test_eds_refuses_a_report_with_two_transport_envelopes(ehmi: Ehmi) -> None:
    with pytest.raises(EhmiRefused):
        ehmi.eds.register(_without_transport_envelope(2), context(document()))
    assert ehmi.services.events == []
    assert ehmi.services.refused == ["at most one ehmiTransportEnvelope entity is allowed"]

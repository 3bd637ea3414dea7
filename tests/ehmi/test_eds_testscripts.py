"""MedCom's EDS TestScripts, the checks that concern what an EUA sends: our reports,
registered by our client with the sandbox's EDS over mutual TLS, are found (and not found)
by each search the scripts make, as the scripts assert. docs/ehmi.md lists which scripts
and tests apply to an EUA and why the others do not."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from medcom_adapter.ehmi.eds import Reporter
from medcom_adapter.envelopes import sbdh, sbdh_receipt
from medcom_adapter.fhir.acknowledgement import to_bundle
from medcom_adapter.fhir.wire import dump_json
from medcom_adapter.workers import eds as eds_worker
from tests.conftest import official
from tests.ehmi import testscripts
from tests.ehmi.network import DEVICE, Ehmi, ehmi_network
from tests.ehmi.node import invalid, make_node, outbound_letter, sent_envelope
from tests.envelopes.messages import (
    PPR,
    T0,
    acknowledgement,
    care_communication,
    cc_bytes,
    next_id,
)

Json = dict[str, Any]
UNIT = f"SOR:{PPR.sor} GLN:{PPR.gln}"
SCRIPTS = ("ANS1ServerComponentTestTimeSearch", "ANS2TestMessageTypeSearch",
           "ANS3TestCprSearch", "ANS4TestOrganizationSearch", "ANS5TestFailedOutcomeSearch",
           "ANS6TestMessageIdentifierSearch")
# what no report of ours can be searched by: EDS reports name a party by its SOR code and
# location number, the ehmiSBDH carries no organisation name (agent.name is optional)
NOT_OURS = {"SearchPatientDeliveryStatusWithSenderOrgName",
            "SearchPatientDeliveryStatusWithReceiverOrgName"}


class Ticking:
    """A clock that moves a millisecond each time it is read: every report its own time,
    as the scripts find a report by its ``recorded``."""

    def __init__(self) -> None:
        self._times = (datetime(2026, 11, 22, 9, 0, tzinfo=UTC) + timedelta(milliseconds=n)
                       for n in itertools.count())

    def __call__(self) -> datetime:
        return next(self._times)


@pytest.fixture
def ehmi(tmp_path: Path) -> Iterator[Ehmi]:
    with ehmi_network(tmp_path, frozenset({UNIT})) as network:
        yield network


def _our_reports(ehmi: Ehmi) -> dict[str, Json]:
    """Our reports as EDS stored them: a letter sent, its envelope receipt and its
    Acknowledgement taken in, and a letter given up before it left."""
    node = make_node(Ticking(), Reporter(DEVICE))
    journal, transport = node.journal, node.transport
    letter = care_communication()
    outbound_letter(node, letter)
    node.outbox.run_once()
    sent = sent_envelope(node)
    transport.provider.deposit("receipt.xml", sbdh.build(sbdh_receipt.receipt_for(
        sent, instance_id=next_id(), message_id=next_id(), created=T0)))
    ack = acknowledgement(letter)
    transport.provider.deposit("ack.xml", sbdh.build(sbdh.for_fhir(
        dump_json(to_bundle(ack)), created=T0, instance_id=next_id())))
    node.inbox.run_once()
    failed = care_communication()
    outbound_letter(node, failed, invalid(cc_bytes(failed)))
    node.outbox.run_once()
    while eds_worker.deliver(journal.eds, ehmi.eds, owner="test", lease_seconds=60
                             ) != eds_worker.EdsRun():
        pass
    assert ehmi.services.refused == []

    def stored(subtype: str, message: str, outcome: str = "0") -> Json:
        [found] = [e for e in ehmi.services.events if e["subtype"][0]["code"] == subtype
                   and e["outcome"] == outcome
                   and any(x["type"]["code"] == "ehmiMessage"
                           and x["what"]["identifier"]["value"] == message
                           for x in e["entity"])]
        return found

    return {
        "letter": stored("msg-created-and-sent", letter.message_id),
        "acknowledgement": stored("msg-received-and-finalized", ack.message_id),
        "receipt": next(e for e in ehmi.services.events if any(
            x["type"]["code"] == "ehmiOrigTransportEnvelope" for x in e["entity"])),
        "failure": stored("msg-created-and-sent", failed.message_id, "8"),
    }


def _fixture_for(script: testscripts.Script, test: testscripts.Test,
                 ours: dict[str, Json]) -> tuple[str, dict[str, str | None]] | None:
    """Which of our reports stands in for the script's fixture in ``test``: the failure
    report for the failure fixture, else the first whose values fill the test's searches."""
    text = " ".join(f"{o.params or ''} {' '.join(a.expression or '' for a in o.asserts)}"
                    for o in test.operations)
    needed = set(re.findall(r"\$\{(\w+)\}", text))
    failure = any("Failure" in script.sources.get(n, "") for n in needed)
    candidates = ["failure"] if failure else ["letter", "acknowledgement", "receipt"]
    for name in candidates:
        values = {n: testscripts.evaluate(ours[name], e) for n, e in script.variables.items()}
        if all(values.get(n) is not None for n in needed):
            return name, values
    return None


def test_the_eds_testscripts_searches_find_our_reports(ehmi: Ehmi) -> None:
    folder = official("ehmi", "dk-ehmi-eds-testscripts", "input", "fsh",
                      "EDSServerComponentTests")
    ours = _our_reports(ehmi)
    ran, not_ours, failures = [], set(), []
    for name in SCRIPTS:
        script = testscripts.read(folder / f"{name}.fsh")
        assert script.tests, f"{name}: no tests read"
        for test in script.tests:
            chosen = _fixture_for(script, test, ours)
            if chosen is None:
                not_ours.add(test.id)
                continue
            fixture, values = chosen
            for operation in test.operations:
                assert operation.kind == "search" and operation.params, (name, test.id)
                params = testscripts.search_params(operation.params, values)
                assert params is not None
                bundle = ehmi.eds.search(params, UNIT)
                for check in operation.asserts:
                    if not testscripts.holds(check, bundle, values):
                        failures.append(f"{name} {test.id} ({fixture}): {check.description}")
            ran.append(test.id)
    assert failures == []
    assert not_ours == NOT_OURS
    assert len(ran) == 20, ran  # every other search of the six scripts ran


def test_the_testscript_reader_reads_a_script() -> None:
    script = testscripts.read(official(
        "ehmi", "dk-ehmi-eds-testscripts", "input", "fsh", "EDSServerComponentTests",
        "ANS5TestFailedOutcomeSearch.fsh"))
    assert script.variables["FailureOutcomeOfCreatedResource"] == "outcome"
    [failed, succeeded] = script.tests
    assert failed.id == "SearchPatientDeliveryStatusWithSeriousFailureOutcome"
    [search] = failed.operations
    assert search.params == "?outcome=${FailureOutcomeOfCreatedResource}"
    assert [a.value for a in search.asserts][-1] == "1"
    assert succeeded.operations[0].params == "?outcome=0"

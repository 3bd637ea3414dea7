"""The scenarios played through the sandbox VANS network: the vendor's system is a mailbox
on it, the sandbox's counterparts (GP systems, DNHF and the BUP departments) receive what it
sends and answer it. The adapter's own workers pass; faulty ones fail the scenarios their
fault touches, with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.certify.protocol import ScenarioResult, ScenarioRunner, Timing, chosen
from medcom_adapter.certify.sandbox_line import VENDOR_EAN, folder_line
from medcom_adapter.certify.scenarios import Direction, ThreadRule
from medcom_adapter.resources import EXAMPLE_RECEIVERS
from medcom_adapter.transport.vans_mailbox import Layout
from tests import catalogue
from tests.certify.peers import Fault, Peer

FAST = Timing(timeout=10.0, quiet=0.3, poll=0.01)  # the timeout only bounds a failing run
RECEIVE = chosen(Direction.RECEIVE)
SEND = chosen(Direction.SEND)


def play(tmp_path: Path, direction: Direction, faults: frozenset[Fault] = frozenset(),
         timing: Timing = FAST) -> tuple[dict[str, ScenarioResult], list[str]]:
    line = folder_line(tmp_path / "vendor", Directory.load(EXAMPLE_RECEIVERS))
    runner = ScenarioRunner(line, catalogue.ROOT, timing=timing)
    with Peer(tmp_path / "vendor", faults=faults, layout=Layout()) as peer:
        if direction is Direction.RECEIVE:
            results = runner.receive(RECEIVE)
        else:
            results = runner.send(SEND, peer.on_prompt)
    assert not peer.errors, peer.errors
    assert line.network.failures == []
    hops = [f"{h.kind} {h.sender}->{h.receiver} {h.fate}" for h in line.trace]
    return {r.scenario.id: r for r in results}, hops


def failing(results: dict[str, ScenarioResult]) -> dict[str, tuple[str, ...]]:
    return {k: r.failures for k, r in results.items() if not r.passed}


def test_the_adapter_passes_every_receive_scenario_through_the_sandbox(tmp_path: Path) -> None:
    results, hops = play(tmp_path, Direction.RECEIVE)
    assert failing(results) == {}
    # the kit's letters reached the vendor over the network, its receipts went on to the
    # sandbox's counterpart for the PPR unit
    assert f"XDIS91 5790000123452->{VENDOR_EAN} delivered" in hops
    assert f"XCTL03 {VENDOR_EAN}->5790000123452 delivered" in hops


def test_the_adapter_passes_every_send_scenario_against_the_sandbox_counterparts(
        tmp_path: Path) -> None:
    results, hops = play(tmp_path, Direction.SEND)
    assert failing(results) == {}
    # the sandbox's counterpart for the PPR unit, not the kit, acknowledged each
    # CareCommunication the vendor sent it, once
    sent = hops.count(f"CareCommunication {VENDOR_EAN}->5790000123452 delivered")
    assert sent > 0
    assert hops.count(f"Acknowledgement 5790000123452->{VENDOR_EAN} delivered") == sent


def test_a_vendor_skipping_receipts_fails_the_receipt_scenarios_through_the_sandbox(
        tmp_path: Path) -> None:
    results, _ = play(tmp_path, Direction.RECEIVE, frozenset({Fault.SKIPS_RECEIPTS}),
                      Timing(timeout=1.5, quiet=0.3, poll=0.01))
    failed = failing(results)
    assert set(failed) == {"R-XDIS91-new", "R-XBIN01", "R-XDIS91-duplicate", "R-XREF01",
                           "R-XREF01-XH0130R", "R-XBIN02", "R-DIS91", "R-DIS91-duplicate",
                           "R-REF01", "R-BIN01"}
    assert all("x XCTL03, got 0" in reason for reasons in failed.values() for reason in reasons)


def test_a_vendor_breaking_thread_rules_fails_reply_and_forward_through_the_sandbox(
        tmp_path: Path) -> None:
    results, _ = play(tmp_path, Direction.SEND, frozenset({Fault.BREAKS_THREADS}))
    failed = failing(results)
    assert set(failed) == {s.id for s in SEND
                           if s.thread in (ThreadRule.REPLY, ThreadRule.FORWARD)}
    assert any("keeps the thread id" in r for r in failed["S-CC-reply"])
    assert any("starts a new thread id" in r for r in failed["S-CC-forward"])


def test_a_location_number_outside_the_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="5790000000005"):
        folder_line(tmp_path, Directory.load(EXAMPLE_RECEIVERS), ean="5790000000005")


def test_cli_plays_through_the_sandbox(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from medcom_adapter.cli import main

    vendor = tmp_path / "vendor"
    args = ["certify", "--scenarios", "receive", "--sandbox", "--mailbox", str(vendor),
            "--timeout", "2", "--quiet", "0.2", "--only", "R-XDIS91-duplicate",
            "--only", "R-CC-duplicate"]
    with Peer(vendor, faults=frozenset({Fault.ACKS_DUPLICATES_TWICE}), layout=Layout()):
        assert main(args) == 1
    out = capsys.readouterr().out
    assert "over the sandbox VANS network" in out
    assert "2 scenarios: 1 passed, 1 failed" in out
    assert "expected 2 x ok, got 3" in out


def test_cli_location_number_needs_the_sandbox(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from medcom_adapter.cli import main

    assert main(["certify", "--scenarios", "receive", "--mailbox", str(tmp_path),
                 "--as", VENDOR_EAN]) == 2
    assert "--sandbox" in capsys.readouterr().err
    assert main(["certify", "--scenarios", "receive", "--sandbox", "--mailbox",
                 str(tmp_path), "--as", "5790000000005"]) == 2
    assert "not in the directory" in capsys.readouterr().err

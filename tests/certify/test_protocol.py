"""The scenario runner over a VANS mailbox folder pair, against in-process peers: the
adapter's own answers pass every scenario; each faulty peer fails exactly its scenarios."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from medcom_adapter.certify.protocol import ScenarioResult, ScenarioRunner, Timing, chosen
from medcom_adapter.certify.scenarios import Direction, ThreadRule
from medcom_adapter.certify.word_cases import PLAYS
from medcom_adapter.transport.vans_mailbox import VansMailbox
from tests import catalogue
from tests.certify.peers import Fault, Peer

FAST = Timing(timeout=10.0, quiet=0.3, poll=0.01)  # the timeout only bounds a failing run
RECEIVE = chosen(Direction.RECEIVE)
SEND = chosen(Direction.SEND)


def play(tmp_path: Path, direction: Direction, faults: frozenset[Fault] = frozenset(),
         timing: Timing = FAST) -> dict[str, ScenarioResult]:
    lines: list[str] = []
    runner = ScenarioRunner(VansMailbox(tmp_path), catalogue.ROOT, timing=timing,
                            progress=lines.append)
    with Peer(tmp_path, faults=faults) as peer:
        if direction is Direction.RECEIVE:
            results = runner.receive(RECEIVE)
        else:
            results = runner.send(SEND, peer.on_prompt)
    assert not peer.errors, peer.errors
    assert sum(line.startswith("[") for line in lines) == len(results)  # progress per case
    return {r.scenario.id: r for r in results}


def failing(results: dict[str, ScenarioResult]) -> dict[str, tuple[str, ...]]:
    return {k: r.failures for k, r in results.items() if not r.passed}


def test_the_adapter_passes_every_receive_scenario(tmp_path: Path) -> None:
    results = play(tmp_path, Direction.RECEIVE)
    assert failing(results) == {}
    assert set(results) == {s.id for s in RECEIVE}


def test_the_adapter_passes_every_send_scenario(tmp_path: Path) -> None:
    assert failing(play(tmp_path, Direction.SEND)) == {}


def test_a_peer_skipping_receipts_fails_exactly_the_receipt_scenarios(tmp_path: Path) -> None:
    # three scenarios wait out the timeout here: keep it short
    failed = failing(play(tmp_path, Direction.RECEIVE, frozenset({Fault.SKIPS_RECEIPTS}),
                          Timing(timeout=1.5, quiet=0.3, poll=0.01)))
    assert set(failed) == {"R-XDIS91-new", "R-XBIN01", "R-XDIS91-duplicate", "R-XREF01",
                           "R-XREF01-XH0130R", "R-XBIN02", "R-DIS91", "R-DIS91-duplicate",
                           "R-REF01", "R-BIN01"}
    assert all("x XCTL03, got 0" in reason for reasons in failed.values() for reason in reasons)


def test_a_peer_acknowledging_duplicates_twice_fails_the_duplicate_scenario(
    tmp_path: Path,
) -> None:
    failed = failing(play(tmp_path, Direction.RECEIVE,
                          frozenset({Fault.ACKS_DUPLICATES_TWICE})))
    # the kit's duplicate case and the Word protocols' duplicate sections
    assert set(failed) == {"R-CC-duplicate", "carecommunication-protocol-receive-3.2.7",
                           "acknowledgement-protocol-send-3.4"}
    (reason,) = failed["R-CC-duplicate"]
    assert "expected 2 x ok, got 3" in reason
    assert all(re.search(r"expected 2 x (ok|fatal-error), got 3", why)
               for reasons in failed.values() for why in reasons)


def test_a_peer_breaking_thread_rules_fails_reply_and_forward(tmp_path: Path) -> None:
    failed = failing(play(tmp_path, Direction.SEND, frozenset({Fault.BREAKS_THREADS})))
    assert set(failed) == {s.id for s in SEND
                           if s.thread in (ThreadRule.REPLY, ThreadRule.FORWARD)}
    assert any("keeps the thread id" in r for r in failed["S-CC-reply"])
    assert any("starts a new thread id" in r for r in failed["S-CC-forward"])
    assert any(r.startswith("same-thread:")
               for r in failed["carecommunication-send-reply-message"])
    assert any(r.startswith("new-thread:")
               for r in failed["carecommunication-send-forward-message"])


# MedCom's cases in which the sender adds files (or a link) of its own
ADDS_FILES = {f"carecommunication-send-{c}" for c in (
    "new-attachment-pdf", "new-attachment-png", "new-attachment-jpeg", "new-attachment-gif",
    "new-attachment-tiff", "new-attachment-bmp", "new-attachment-link", "new-attachment-multiple",
    "new-attachment-structured", "reply-attachment", "reply-add-attachment",
    "forward-attachment", "forward-add-attachment")}


def test_a_peer_dropping_its_files_fails_exactly_medcoms_attachment_cases(
        tmp_path: Path) -> None:
    failed = failing(play(tmp_path, Direction.SEND, frozenset({Fault.DROPS_ATTACHMENTS})))
    # and the Word protocols' cases that ask for those TestScripts' messages
    assert set(failed) == ADDS_FILES | {w for w, script in PLAYS.items() if script in ADDS_FILES}
    assert any(r.startswith("attachment-image/bmp:")
               for r in failed["carecommunication-send-new-attachment-bmp"])
    assert any(r.startswith("payloads+6:")
               for r in failed["carecommunication-send-forward-attachment"])


def test_a_peer_acknowledging_acknowledgements_fails_where_it_was_acknowledged(
        tmp_path: Path) -> None:
    failed = failing(play(tmp_path, Direction.SEND, frozenset({Fault.ACKS_ACKNOWLEDGEMENTS})))
    acknowledged = {s.id for s in SEND if s.kind == "CareCommunication"}
    assert set(failed) == acknowledged
    assert {s.id for s in SEND if s.id.startswith("acknowledgement-receive-")} <= acknowledged
    for reasons in failed.values():
        assert any("an Acknowledgement was acknowledged" in r for r in reasons)


def test_nothing_arriving_fails_with_a_timeout_not_a_hang(tmp_path: Path) -> None:
    lines: list[str] = []
    runner = ScenarioRunner(VansMailbox(tmp_path), catalogue.ROOT, progress=lines.append,
                            timing=Timing(timeout=0.2, quiet=0.05, poll=0.01))
    (result,) = runner.receive([s for s in RECEIVE if s.id == "R-CC-new"])
    assert [r.split(": ", 1)[1] for r in result.failures] == ["expected 1 x ok, got 0"]
    assert "    timed out after 0.2 s" in lines
    assert len(list((tmp_path / "out").iterdir())) == 1  # the delivery waits for the vendor


@pytest.mark.parametrize("leftover", [b"<not-an-answer/>"])
def test_leftovers_in_the_in_folder_are_set_aside(tmp_path: Path, leftover: bytes) -> None:
    mailbox = VansMailbox(tmp_path)
    (mailbox.in_dir / "old.xml").write_bytes(leftover)
    lines: list[str] = []
    runner = ScenarioRunner(mailbox, catalogue.ROOT, timing=Timing(0.1, 0.01, 0.01),
                            progress=lines.append)
    runner.receive([])
    assert any("archived unread" in line for line in lines)
    assert not any(mailbox.receive())


def test_cli_plays_the_protocol_with_progress_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lxml import etree

    from medcom_adapter.cli import main

    mailbox, junit, page = tmp_path / "mailbox", tmp_path / "j.xml", tmp_path / "r.html"
    mailbox.mkdir()
    args = ["certify", "--scenarios", "receive", "--mailbox", str(mailbox), "--timeout", "1",
            "--quiet", "0.2", "--only", "R-XDIS91-duplicate", "--only", "R-CC-duplicate",
            "--junit", str(junit), "--html", str(page)]
    with Peer(mailbox, faults=frozenset({Fault.ACKS_DUPLICATES_TWICE})):
        assert main(args) == 1
    out = capsys.readouterr().out
    assert "[1/2] R-XDIS91-duplicate" in out and "[2/2] R-CC-duplicate" in out
    assert "2 scenarios: 1 passed, 1 failed" in out
    cases = {c.get("name"): [f.get("type") for f in c.iter("failure")]
             for c in etree.parse(str(junit)).getroot().iter("testcase")}
    assert cases == {"R-XDIS91-duplicate: the same XDIS91 twice: a receipt for each delivery": [],
                     "R-CC-duplicate: the same CareCommunication twice: one ack per delivery":
                     ["scenario.failed"]}
    html = page.read_text(encoding="utf-8")
    assert "1 passed" in html and "1 failed" in html and "expected 2 x ok, got 3" in html


def test_cli_scenarios_need_a_mailbox(capsys: pytest.CaptureFixture[str]) -> None:
    from medcom_adapter.cli import main

    assert main(["certify", "--scenarios", "send"]) == 2
    assert "--mailbox" in capsys.readouterr().err


def test_edifact_is_renewed_per_scenario_and_stays_valid() -> None:
    from medcom_adapter.certify.deliveries import ids_of, on_the_wire, renew
    from medcom_adapter.detect import check

    original = (catalogue.ROOT / "edifact" / "DIS91-D9134L-every-optional-element.edi").read_bytes()
    first, again = renew([original])[0], renew([original])[0]
    assert set(ids_of(first)).isdisjoint(ids_of(original))
    assert set(ids_of(first)).isdisjoint(ids_of(again))
    assert check(first).valid and check(again).valid  # UNZ and UNT still name UNB and UNH
    wire = on_the_wire(first, sent=catalogue.T0)
    assert (wire.kind, wire.envelope_id, wire.sender, wire.receiver) == (
        "DIS91", ids_of(first)[0], "5790000123452", "5790000121526")

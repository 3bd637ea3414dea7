"""The operator's commands on EHMI: ``poll`` and ``serve`` in processes of their own,
configured only by ``MEDCOM_EHMI_*`` against the sandbox's TLS counterparts, send a KM over
EHMI, take its envelope receipt in and deliver its EDS report, each exactly once; a wrong
setting stops them with the typed error naming it, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medcom_adapter.journal.eds_queue import ReportStatus
from medcom_adapter.journal.factory import open_journal
from medcom_adapter.journal.interface import Direction, Query, Status
from medcom_adapter.kinds import Kind
from medcom_adapter.resources import EXAMPLE_RECEIVERS
from medcom_adapter.sandbox.demo import (
    EHMI_GP,
    EHMI_GP_NAME,
    EHMI_GP_SOR,
    GP_EAN,
    REQUESTS,
    UNIT_EAN,
    ehmi_directory,
    ehmi_request,
)
from medcom_adapter.sandbox.ehmi_network import EhmiSandbox
from medcom_adapter.workers.submit_fhir import queue_care_communication
from tests.journal.conftest import ROOT


def receivers(tmp_path: Path) -> Path:
    """The example directory and the EHMI pilot practice, reached on EHMI only."""
    raw = json.loads(EXAMPLE_RECEIVERS.read_text(encoding="utf-8"))
    gp = next(r for r in raw["receivers"] if r["ean"] == GP_EAN)
    raw["receivers"].append({**gp, "sor": EHMI_GP_SOR, "ean": EHMI_GP, "name": EHMI_GP_NAME,
                             "channels": ["ehmi"]})
    path = tmp_path / "receivers.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return path


def environment(tmp_path: Path, ehmi: EhmiSandbox | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MEDCOM_EHMI_", "MEDCOM_JOURNAL_", "MEDCOM_OUTBOX_"))
           and k not in ("MEDCOM_EDS_URL", "MEDCOM_EER_URL")}
    env.update({"MEDCOM_DATA_DIR": str(tmp_path / "data"),
                "MEDCOM_JOURNAL_URL": f"sqlite:///{tmp_path / 'journal.sqlite3'}"})
    return {**env, **(ehmi.env() if ehmi is not None else {})}


def adapter(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "medcom_adapter", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def codes(ehmi: EhmiSandbox) -> list[str]:
    """The events EDS holds reports of, in the order they came."""
    return [e["subtype"][0]["code"] for e in ehmi.services.events]


def queue_km(env: dict[str, str]) -> int:
    journal = open_journal(env=env)
    try:
        queued = queue_care_communication(journal, ehmi_directory(), ehmi_request(),
                                          files=REQUESTS)
    finally:
        journal.close()
    [id] = queued.ids
    return id


def test_poll_configured_by_environment_sends_a_km_over_ehmi_exactly_once(
        ehmi: EhmiSandbox, tmp_path: Path) -> None:
    env = environment(tmp_path, ehmi)
    id = queue_km(env)
    poll = ("poll", "--mailbox", str(tmp_path / "vans"), "--receivers",
            str(receivers(tmp_path)), "--deliver-to", str(tmp_path / "delivered"))
    first = adapter(*poll, env=env)
    assert first.returncode == 0, first.stderr
    assert "sent 1, failed 0" in first.stdout
    [delivered] = ehmi.ap.delivered  # the access point's peer MSH took the envelope
    assert delivered.receiver_gln == EHMI_GP and delivered.sender_gln == UNIT_EAN
    [event] = ehmi.services.events  # EDS holds the EUA's report, checked against its profile
    assert event["subtype"][0]["code"] == "msg-created-and-sent"
    assert ehmi.services.refused == []
    second = adapter(*poll, env=env)  # the envelope receipt the peer answered comes in
    assert second.returncode == 0, second.stderr
    assert "receipts 1" in second.stdout
    third = adapter(*poll, env=env)  # nothing is left to move
    assert third.returncode == 0, third.stderr
    assert len(ehmi.ap.delivered) == 1 and len(ehmi.ap.receipts_sent) == 1
    # the EUA's report of the letter, and the MSH's of the envelope receipt taken in
    assert codes(ehmi) == ["msg-created-and-sent", "msg-received-and-finalized"]
    journal = open_journal(env=env)
    try:
        sent = journal.get(id)
        assert sent.status is Status.SENT and sent.message.receiver_ean == EHMI_GP
        assert "channel ehmi" in [h.reason for h in sent.history]
        [receipt] = [journal.get(a) for a in sent.answered_by]
        assert receipt.message.kind == Kind.SBDH_RECEIPT.value
        assert receipt.message.channel == "ehmi"  # arrived on EHMI, and the journal says so
        assert [(r.subtype, r.status) for r in journal.eds.of_message(
            sent.message.message_id)] == [("msg-created-and-sent", ReportStatus.DELIVERED)]
        assert len(journal.find(Query(direction=Direction.INBOUND))) == 1
    finally:
        journal.close()


def test_serve_configured_by_environment_sends_a_km_over_ehmi(
        ehmi: EhmiSandbox, tmp_path: Path) -> None:
    env = environment(tmp_path, ehmi)
    queue_km(env)
    serve = subprocess.Popen(
        [sys.executable, "-m", "medcom_adapter", "serve", "--port", "0", "--mailbox",
         str(tmp_path / "vans"), "--receivers", str(receivers(tmp_path))],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120  # a bound on waiting, not a timing assertion
        while len(ehmi.services.events) < 2 \
                and serve.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        serve.terminate()
        _, log = serve.communicate(timeout=60)
    assert "EHMI access point https://localhost" in log  # the start-up log says where
    assert len(ehmi.ap.delivered) == 1, log
    assert codes(ehmi) == ["msg-created-and-sent", "msg-received-and-finalized"], log


@pytest.mark.parametrize("command", ["poll", "run", "serve"])
def test_a_wrong_setting_stops_the_command_naming_it(
        ehmi: EhmiSandbox, tmp_path: Path, command: str) -> None:
    env = {**environment(tmp_path, ehmi), "MEDCOM_EHMI_CLIENT_KEY": str(tmp_path / "no.key")}
    args = ["--mailbox", str(tmp_path / "vans")]
    if command != "serve":
        args += ["--deliver-to", str(tmp_path / "delivered")]
    done = adapter(command, *args, env=env)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"medcom-adapter: local.configuration: MEDCOM_EHMI_CLIENT_KEY: no file "
        f"{tmp_path / 'no.key'}"]
    assert ehmi.ap.delivered == [] and ehmi.services.tokens_issued == 0


def test_a_lease_shorter_than_the_ehmi_timeout_is_refused(
        ehmi: EhmiSandbox, tmp_path: Path) -> None:
    env = {**environment(tmp_path, ehmi), "MEDCOM_EHMI_TIMEOUT": "30",
           "MEDCOM_OUTBOX_LEASE": "20"}
    done = adapter("poll", "--mailbox", str(tmp_path / "vans"), "--deliver-to",
                   str(tmp_path / "delivered"), env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "must be longer than MEDCOM_EHMI_TIMEOUT (30 s)" in done.stderr


def test_poll_hands_over_through_the_folder_pair(ehmi: EhmiSandbox, tmp_path: Path) -> None:
    out, inbox = tmp_path / "ap-out", tmp_path / "ap-in"
    out.mkdir()
    inbox.mkdir()
    env = {k: v for k, v in environment(tmp_path, ehmi).items()
           if k not in ("MEDCOM_EHMI_AP_URL", "MEDCOM_EHMI_GLN")}
    env.update({"MEDCOM_EHMI_AP_OUT": str(out), "MEDCOM_EHMI_AP_IN": str(inbox)})
    id = queue_km(env)
    poll = ("poll", "--mailbox", str(tmp_path / "vans"), "--receivers",
            str(receivers(tmp_path)), "--deliver-to", str(tmp_path / "delivered"))
    first = adapter(*poll, env=env)
    assert first.returncode == 0, first.stderr
    [published] = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert published.name.startswith("CareCommunication_") and published.suffix == ".xml"
    [event] = ehmi.services.events  # EDS is still reached over mutual TLS
    assert event["subtype"][0]["code"] == "msg-created-and-sent"
    # the access point carries it on (the sandbox's peer MSH answers) and drops the receipt
    assert ehmi.ap.hand_over(published.read_bytes(), "folder-ap") == 202
    published.unlink()
    [waiting] = ehmi.ap.inbox(UNIT_EAN)
    receipt = ehmi.ap.take(waiting)
    assert receipt is not None
    (inbox / "receipt.xml.tmp").write_bytes(receipt)
    os.rename(inbox / "receipt.xml.tmp", inbox / "receipt.xml")
    second = adapter(*poll, env=env)
    assert second.returncode == 0, second.stderr
    assert "receipts 1" in second.stdout
    assert not (inbox / "receipt.xml").exists()
    journal = open_journal(env=env)
    try:
        [answer] = [journal.get(a) for a in journal.get(id).answered_by]
        assert answer.message.kind == Kind.SBDH_RECEIPT.value
        assert answer.message.channel == "ehmi"
    finally:
        journal.close()
    assert len(ehmi.ap.delivered) == 1
    assert codes(ehmi) == ["msg-created-and-sent", "msg-received-and-finalized"]


def test_the_eer_look_up_from_settings_sends_a_receiver_registered_on_ehmi_over_ehmi(
        ehmi: EhmiSandbox, tmp_path: Path) -> None:
    """The directory still lists the practice on VANS; EER says it takes CareCommunication
    5.0 on EHMI, and that wins. A location number EER lists nothing for is left to the
    directory. EER is asked once per location number while its answer is kept."""
    import dataclasses

    from medcom_adapter.addressing.directory import Directory
    from medcom_adapter.ehmi_client.side import from_env
    from medcom_adapter.journal.interface import NewMessage
    from medcom_adapter.journal.memory import MemoryJournal
    from medcom_adapter.node import wire
    from medcom_adapter.sandbox.ehmi_services import eer_endpoint
    from medcom_adapter.transport.memory import MemoryTransport
    from tests.ehmi.test_eer import CC

    ehmi.services.endpoints.append(eer_endpoint(EHMI_GP, "EerMessagingEdeliveryFhir", [CC],
                                                address="https://ap.example/as4"))
    vans_only = ehmi_directory()
    vans_only = Directory(tuple(dataclasses.replace(r, channels=("vans",))
                                for r in vans_only.receivers), vans_only.dnhf)
    journal = MemoryJournal()
    side = from_env(ehmi.env(), journal, lease_seconds=60)
    assert side is not None and side.lookup is not None
    try:
        node = wire(journal, vans_only, MemoryTransport(), ehmi=side)

        def letter(to: str) -> NewMessage:
            return NewMessage(Direction.OUTBOUND, "CareCommunication", "5.0", b"", "e", "m",
                              receiver_ean=to)

        assert node.channels.for_message(letter(EHMI_GP)).name == "ehmi"
        assert node.channels.for_message(letter(EHMI_GP)).name == "ehmi"
        assert node.channels.for_message(letter(GP_EAN)).name == "vans"  # not in EER
        assert ehmi.services.eer_searches == 2  # one per location number, then kept
    finally:
        side.close()

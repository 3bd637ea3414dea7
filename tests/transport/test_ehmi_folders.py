"""The folder-pair hand-over to an EHMI access point: the access point never sees a partial
file, a parcel is published once whatever instant the sender is killed at, what it drops is
read only when whole and delivered once, and no file name carries a person id."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from medcom_adapter.channels import Channels, VansChannel
from medcom_adapter.channels.ehmi import EhmiChannel
from medcom_adapter.envelopes import sbdh
from medcom_adapter.journal.interface import Direction, Query
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.transport.ehmi_folders import AccessPointFolders
from medcom_adapter.transport.interface import Parcel
from medcom_adapter.transport.memory import MemoryTransport
from medcom_adapter.workers.hooks import CollectingHook
from medcom_adapter.workers.inbox import Inbox
from medcom_adapter.workers.outbox import Outbox
from tests.envelopes.messages import cc_bytes, next_id
from tests.journal.conftest import ROOT

ENVELOPE = "6f1c2a8e-0b4d-4a57-9e0f-3d2b1c4a5e60"
CPR = "2509479989"  # the letter's patient, a MedCom test CPR number


def envelope() -> bytes:
    return sbdh.build(sbdh.for_fhir(cc_bytes(), created=datetime.now(UTC),
                                    instance_id=next_id(), patient=CPR))


def parcel(data: bytes, key: str = "41") -> Parcel:
    return Parcel(data, "CareCommunication", ENVELOPE, "5790000123452", "5790000121533", key)


def visible(folder: Path) -> list[Path]:
    """What the access point sees: files whose names do not start with a dot."""
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


@pytest.fixture
def folders(tmp_path: Path) -> AccessPointFolders:
    (tmp_path / "out").mkdir()
    (tmp_path / "in").mkdir()
    return AccessPointFolders(tmp_path / "out", tmp_path / "in")


def test_a_parcel_is_published_once_whole_and_named_without_person_data(
        folders: AccessPointFolders, tmp_path: Path) -> None:
    data = envelope()
    folders.send(parcel(data))
    folders.send(parcel(data))  # handed over again, as after a crash
    [published] = visible(tmp_path / "out")
    assert published.name == f"CareCommunication_{ENVELOPE}.xml"
    assert published.read_bytes() == data
    assert CPR not in published.name and CPR.encode() in data
    published.unlink()  # the access point took it
    folders.send(parcel(data))  # and it is not published again
    assert visible(tmp_path / "out") == []
    assert [p.name for p in (tmp_path / "out").iterdir()] == []  # no temporary left over


_SENDER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from medcom_adapter.transport import vans_mailbox
    from medcom_adapter.transport.ehmi_folders import AccessPointFolders
    from medcom_adapter.transport.interface import Parcel

    stage, out, inbox, source = sys.argv[1:5]

    def stop(where):
        print(where, flush=True)
        time.sleep(600)

    real_write, real_name = vans_mailbox._write_durably, vans_mailbox._free_name

    def write(path, data):
        if stage == "writing" and path.name.endswith(".tmp"):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.write(fd, data[: len(data) // 2])
            os.fsync(fd)
            stop("half written")
        real_write(path, data)

    def name(folder, wanted, tag):
        if stage == "recorded":
            stop("recorded, not renamed")
        return real_name(folder, wanted, tag)

    vans_mailbox._write_durably, vans_mailbox._free_name = write, name
    data = Path(source).read_bytes()
    AccessPointFolders(Path(out), Path(inbox)).send(Parcel(
        data, "CareCommunication", "ENVELOPE", "5790000123452", "5790000121533", "41"))
""").replace("ENVELOPE", ENVELOPE)


@pytest.mark.parametrize("stage", ["writing", "recorded"])
def test_a_sender_killed_mid_hand_over_leaves_no_partial_file_and_publishes_once(
        folders: AccessPointFolders, tmp_path: Path, stage: str) -> None:
    data = envelope() + b"<!--" + b"x" * 200_000 + b"-->"  # big enough to be cut in half
    source = tmp_path / "parcel.xml"
    source.write_bytes(data)
    out, inbox = tmp_path / "out", tmp_path / "in"
    with subprocess.Popen([sys.executable, "-c", _SENDER, stage, str(out), str(inbox),
                           str(source)], cwd=ROOT, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        said = child.stdout.readline().strip()
        os.kill(child.pid, signal.SIGKILL)
    assert said in ("half written", "recorded, not renamed")
    assert visible(out) == []  # the access point sees nothing, least of all half a file
    folders.send(parcel(data))  # the outbox tries again after the lease
    folders.send(parcel(data))
    [published] = visible(out)
    assert published.read_bytes() == data


def test_what_the_access_point_drops_is_read_only_when_whole_and_delivered_once(
        folders: AccessPointFolders, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    data = envelope()
    journal, hook = MemoryJournal(), CollectingHook()
    channels = Channels([VansChannel(MemoryTransport()), EhmiChannel(folders)])
    worker = Inbox(journal, None, hook, channels=channels, lease_seconds=60)
    (inbox / ".arriving.xml").write_bytes(data)  # dot-names are never read
    (inbox / "arriving.xml.part").write_bytes(data)  # nor temporary suffixes
    (inbox / "in-place.xml").write_bytes(data[: len(data) // 2])  # written in place, cut off
    assert worker.run_once().delivered == 0
    assert journal.find(Query()) == []
    (inbox / "in-place.xml").unlink()
    os.rename(inbox / "arriving.xml.part", inbox / "arriving.xml")  # whole: renamed in
    assert worker.run_once().delivered == 1
    assert worker.run_once().delivered == 0
    assert len(hook.deliveries) == 1
    [received] = journal.find(Query(direction=Direction.INBOUND))
    assert received.message.channel == "ehmi"
    assert not (inbox / "arriving.xml").exists()  # settled after the journal commit
    (inbox / "again.xml").write_bytes(data)  # the same envelope dropped again
    run = worker.run_once()
    assert (run.delivered, run.duplicates) == (0, 1) and len(hook.deliveries) == 1
    # each drop is answered on the same folders with the envelope receipt it asked for (the
    # same envelope again gets the very same receipt again), the letter with its
    # Acknowledgement once
    assert Outbox(journal, None, None, channels=channels).run_once().sent == 3
    acks = [p for p in visible(tmp_path / "out") if p.name.startswith("Acknowledgement_")]
    assert len(acks) == 1
    receipts = [p for p in visible(tmp_path / "out") if p.name.startswith("SBDHReceipt_")]
    assert len(receipts) == 2 and receipts[0].read_bytes() == receipts[1].read_bytes()

"""The VANS mailbox: atomic, at-most-once publishing per key; archive only when settled."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest

from medcom_adapter.errors import InvalidConfiguration, TransportFailure
from medcom_adapter.transport import vans_mailbox
from medcom_adapter.transport.interface import Parcel
from medcom_adapter.transport.memory import MemoryTransport
from medcom_adapter.transport.vans_mailbox import LAYOUTS, FileNaming, VansMailbox

CPR = "2509479989"


def parcel(key: str = "17", data: bytes = b"<Emessage/>", envelope: str = "ENV1") -> Parcel:
    return Parcel(data, "XREF01", envelope, "5790000123452", "5790000200009", key)


def test_send_publishes_under_the_provider_name_and_leaves_no_temp_file(tmp_path: Path) -> None:
    box = VansMailbox(tmp_path, naming=FileNaming("{sender}-{kind}-{envelope_id}.{ext}"))
    box.send(parcel())
    assert sorted(os.listdir(box.out_dir)) == ["5790000123452-XREF01-ENV1.xml"]
    assert (box.out_dir / "5790000123452-XREF01-ENV1.xml").read_bytes() == b"<Emessage/>"


def test_the_same_key_is_published_once_even_after_the_provider_took_it(tmp_path: Path) -> None:
    box = VansMailbox(tmp_path)
    box.send(parcel())
    assert [n for n, _ in box.provider.collect()] == ["XREF01_ENV1.xml"]
    box.send(parcel())  # a retry after a crash between publishing and journaling
    assert box.provider.collect() == []


def test_a_send_cut_short_after_recording_is_finished_by_the_retry(tmp_path: Path) -> None:
    box = VansMailbox(tmp_path)
    (box.out_dir / ".17.tmp").write_bytes(b"<Emessage/>")  # written and recorded, not renamed
    (tmp_path / ".sent" / "17").write_bytes(b"")
    assert box.provider.collect() == []  # the provider never takes a dot-name
    box.send(parcel())
    assert box.provider.collect() == [("XREF01_ENV1.xml", b"<Emessage/>")]


def test_a_send_cut_short_before_recording_is_written_again(tmp_path: Path) -> None:
    box = VansMailbox(tmp_path)
    (box.out_dir / ".17.tmp").write_bytes(b"<Emes")  # torn write, no record
    box.send(parcel())
    assert box.provider.collect() == [("XREF01_ENV1.xml", b"<Emessage/>")]


def test_two_sends_with_one_file_name_both_travel(tmp_path: Path) -> None:
    box = VansMailbox(tmp_path)
    box.send(parcel("1", b"<a/>"))
    box.send(parcel("2", b"<b/>"))
    assert sorted(d for _, d in box.provider.collect()) == [b"<a/>", b"<b/>"]


def test_two_parcels_given_one_name_at_once_never_replace_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two processes publish parcels of one file name at once: the second finds the name
    free while the first has not yet renamed its file there. Both files must travel."""
    box = VansMailbox(tmp_path)
    other = threading.Thread(target=box.send, args=(parcel("2", b"<b/>"),))
    free_name, flock = vans_mailbox._free_name, fcntl.flock
    waiting = threading.Event()  # the second publisher waits for the first

    def found_then_let_the_other_run(folder: Path, name: str, tag: str) -> Path:
        target = free_name(folder, name, tag)
        if folder == box.out_dir and other.ident is None:
            other.start()
            while other.is_alive() and not waiting.is_set():
                other.join(0.01)
        return target

    def flock_told(fd: int, operation: int) -> None:
        if threading.current_thread() is other:
            waiting.set()
        flock(fd, operation)

    monkeypatch.setattr(vans_mailbox, "_free_name", found_then_let_the_other_run)
    monkeypatch.setattr(fcntl, "flock", flock_told)
    box.send(parcel("1", b"<a/>"))
    other.join()
    published = {p.name: p.read_bytes() for p in box.out_dir.iterdir()}
    assert sorted(published.values()) == [b"<a/>", b"<b/>"], published
    for key in ("1", "2"):  # each record's file was published, none is left to publish
        assert not (box.out_dir / (tmp_path / ".sent" / key).read_text("ascii")).exists()


def test_received_files_stay_until_settled_then_go(tmp_path: Path) -> None:
    box = VansMailbox(tmp_path)
    box.provider.deposit("XCTL03_E1.xml", b"<r/>")
    (first,) = box.receive()
    box.settle(first)
    assert list(box.receive()) == [] and not (tmp_path / "archive").exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []  # no plaintext copy kept
    assert all(p.stat().st_mode & 0o777 == 0o700 for p in (tmp_path, box.in_dir, box.out_dir))


def test_an_archive_is_kept_only_when_asked_and_only_for_its_days(tmp_path: Path) -> None:
    box = VansMailbox(tmp_path, layout=LAYOUTS["kmd"], archive_days=30)
    box.provider.deposit("XCTL03_E1.xml", b"<r/>")
    first = list(box.receive())
    assert [r.data for r in first] == [b"<r/>"]
    assert [r.data for r in box.receive()] == [b"<r/>"]  # not settled: received again
    box.settle(first[0])
    assert list(box.receive()) == []
    assert (tmp_path / "arkiv" / "XCTL03_E1.xml").read_bytes() == b"<r/>"
    box.settle(first[0])  # settling twice is harmless
    old = tmp_path / "arkiv" / "XCTL03_E1.xml"
    os.utime(old, (time.time() - 31 * 86400, time.time() - 31 * 86400))
    box.provider.deposit("XCTL03_E2.xml", b"<s/>")
    box.settle(next(iter(box.receive())))
    assert sorted(p.name for p in (tmp_path / "arkiv").iterdir()) == ["XCTL03_E2.xml"]


def test_the_same_name_delivered_twice_is_two_files(tmp_path: Path) -> None:
    box = VansMailbox(tmp_path)
    box.provider.deposit("X.xml", b"1")
    box.provider.deposit("X.xml", b"2")
    assert sorted(r.data for r in box.receive()) == [b"1", b"2"]


@pytest.mark.parametrize("pattern", ["{kind}.xml", "{patient}_{envelope_id}.xml", "{cpr}"])
def test_a_file_name_pattern_is_unique_and_names_no_person(pattern: str) -> None:
    with pytest.raises(InvalidConfiguration):
        FileNaming(pattern)


def test_file_names_are_made_safe(tmp_path: Path) -> None:
    box = VansMailbox(tmp_path)
    box.send(parcel(envelope="../../etc"))
    (name,) = os.listdir(box.out_dir)
    assert "/" not in name and CPR not in name


def test_an_unsafe_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TransportFailure):
        VansMailbox(tmp_path).send(parcel(key="../x"))


def test_memory_transport_has_the_same_contract() -> None:
    box = MemoryTransport()
    box.send(parcel())
    box.send(parcel())
    assert [n for n, _ in box.provider.collect()] == ["XREF01_ENV1.xml"]
    box.provider.deposit("R.xml", b"<r/>")
    (got,) = list(box.receive())
    assert list(box.receive()) == [got]
    box.settle(got)
    assert list(box.receive()) == [] and box.archive == [got]

"""Names that come from peers never become paths: attachment titles and envelope ids in the
filing export, and files in a VANS mailbox."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from medcom_adapter.journal.export import patient_zip
from medcom_adapter.journal.interface import (
    Attachment,
    Direction,
    NewMessage,
    Status,
    StatusChange,
    StoredMessage,
)
from medcom_adapter.model.identifiers import Cpr
from medcom_adapter.transport.vans_mailbox import VansMailbox

HOSTILE_NAMES = ["../../etc/passwd", "/etc/passwd", "..\\..\\boot.ini", "a/../../b", "\x00x",
                 "C:\\Windows\\x", "....//....//x", "~/.ssh/id_rsa", "\u202eexe.pdf"]


def stored(title: str, envelope_id: str) -> StoredMessage:
    message = NewMessage(
        direction=Direction.INBOUND, kind="XDIS91", version="XD9134L", data=b"<x/>",
        envelope_id=envelope_id, message_id="L1", patient=Cpr("2509479989"),
        attachments=(Attachment("o1", "application/pdf", b"%PDF-1.4\n%%EOF\n", title),),
    )
    when = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    return StoredMessage(1, message, when, "0" * 64, (StatusChange(Status.RECEIVED, when),))


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_export_file_names_stay_inside_their_folders(name: str) -> None:
    data = patient_zip([stored(name, name)])
    for entry in zipfile.ZipFile(io.BytesIO(data)).namelist():
        parts = entry.split("/")
        assert not entry.startswith("/") and "\\" not in entry and ":" not in entry, entry
        assert ".." not in parts and all(p.isprintable() for p in parts), entry
        assert parts[0] in {"messages", "renderings", "attachments", "manifest.json"}, entry
        assert "2509479989" not in entry


@pytest.mark.parametrize("title", ["Henvisning 250947-9989", "250947 9989", "2509479989.pdf"])
def test_an_attachment_title_carrying_a_cpr_never_names_an_exported_file(title: str) -> None:
    archive = zipfile.ZipFile(io.BytesIO(patient_zip([stored(title, "E1")])))
    assert [n for n in archive.namelist() if n.startswith("attachments/")] == [
        "attachments/00000001-XDIS91-E1-1.pdf"]
    assert "250947" not in "".join(archive.namelist())
    manifest = archive.read("manifest.json").decode()
    assert title in manifest  # the title stays, in the manifest the export's reader opens


def test_mailbox_reads_no_links_out_of_its_folders(tmp_path: Path) -> None:
    root = tmp_path
    secret = root / "secret.txt"
    secret.write_text("not for the network")
    mailbox = VansMailbox(root / "mailbox")
    (mailbox.in_dir / "looks-like-a-message.xml").symlink_to(secret)
    (mailbox.in_dir / "real.xml").write_bytes(b"<Emessage/>")
    assert [r.name for r in mailbox.receive()] == ["real.xml"]

"""A request's attachments are read from its own folder only, and each declared PDF is opened
as an upload is, whichever way the request comes in (``build``, ``send``, the library)."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.cli import main
from medcom_adapter.errors import Location, UploadRefused
from medcom_adapter.workers import submit, submit_fhir
from tests.conftest import FIXTURES

DIRECTORY = Directory.load(FIXTURES / "network" / "receivers.json")
REQUESTS = FIXTURES / "requests"
SECRET = b"%PDF-1.4 not for the GP: the adapter's own key\n"
FIELD = "attachments[0].file"


def _request(name: str, file: str) -> Any:
    request = json.loads((REQUESTS / name).read_text(encoding="utf-8"))
    request["attachments"][0]["file"] = file
    return request


def _folder(tmp_path: Path, name: str, file: str) -> Path:
    """A request folder beside a secret file outside it; the request names ``file``."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "journal.key").write_bytes(SECRET)
    folder = tmp_path / "requests"
    folder.mkdir()
    shutil.copy(REQUESTS / "henvisningsskema-bup.pdf", folder)
    (folder / "r.json").write_text(json.dumps(_request(name, file)), encoding="utf-8")
    return folder


def _escapes(tmp_path: Path) -> list[str]:
    return ["../outside/journal.key", str(tmp_path / "outside" / "journal.key"),
            "sub/../../outside/journal.key", "link.pdf", "linked-folder/journal.key"]


def _links(folder: Path) -> None:
    os.symlink(folder.parent / "outside" / "journal.key", folder / "link.pdf")
    os.symlink(folder.parent / "outside", folder / "linked-folder")


def _sent(out: Path) -> bytes:
    return b"".join(p.read_bytes() for p in out.iterdir()) if out.exists() else b""


@pytest.mark.parametrize("kind", ["referral", "km"])
@pytest.mark.parametrize("n", range(5))
def test_build_refuses_a_file_outside_the_request_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, n: int,
) -> None:
    file = _escapes(tmp_path)[n]
    folder = _folder(tmp_path, "referral-bup.json" if kind == "referral" else "km-gp.json", file)
    _links(folder)
    out = tmp_path / "out"
    assert main(["build", kind, "--request", str(folder / "r.json"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "local.upload-refused" in err and FIELD in err and "journal.key" not in err
    assert _sent(out) == b""  # nothing written, so nothing of the secret either


@pytest.mark.parametrize("n", range(5))
def test_queueing_from_a_folder_refuses_a_file_outside_it(tmp_path: Path, n: int) -> None:
    file = _escapes(tmp_path)[n]
    folder = _folder(tmp_path, "referral-bup.json", file)
    _links(folder)
    for prepare, name in ((submit.prepare_referral, "referral-bup.json"),
                          (submit.prepare_km, "km-gp.json"),
                          (submit_fhir.prepare_care_communication, "km-gp.json")):
        with pytest.raises(UploadRefused) as refused:
            prepare(DIRECTORY, _request(name, file), files=folder)
        assert refused.value.location == Location(FIELD)


def test_a_file_inside_the_folder_still_goes(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "referral-bup.json", "forms/skema.pdf")
    (folder / "forms").mkdir()
    shutil.copy(REQUESTS / "henvisningsskema-bup.pdf", folder / "forms" / "skema.pdf")
    prepared = submit.prepare_referral(DIRECTORY, _request("referral-bup.json",
                                                           "forms/skema.pdf"), files=folder)
    assert len(prepared.entries) == 2


def _javascript_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"),
        NameObject("/JS"): TextStringObject("app.alert(1)")})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("content", [b"", b"plain text, not a PDF\n", b"MZ\x90\x00",
                                     _javascript_pdf()])
@pytest.mark.parametrize("kind", ["referral", "km"])
def test_build_refuses_an_attachment_that_is_no_harmless_pdf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, kind: str,
) -> None:
    folder = _folder(tmp_path, "referral-bup.json" if kind == "referral" else "km-gp.json",
                     "skema.pdf")
    (folder / "skema.pdf").write_bytes(content)
    out = tmp_path / "out"
    assert main(["build", kind, "--request", str(folder / "r.json"), "--out", str(out)]) == 1
    assert "local.upload-refused" in capsys.readouterr().err
    assert _sent(out) == b""


def test_queueing_from_a_folder_refuses_a_scripted_pdf(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "referral-bup.json", "skema.pdf")
    (folder / "skema.pdf").write_bytes(_javascript_pdf())
    with pytest.raises(UploadRefused, match="JavaScript"):
        submit.prepare_referral(DIRECTORY, _request("referral-bup.json", "skema.pdf"),
                                files=folder)


def test_build_refuses_an_attach_option_that_is_no_pdf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    other = tmp_path / "notes.txt"
    other.write_bytes(b"not a PDF\n")
    out = tmp_path / "out"
    assert main(["build", "referral", "--request", str(REQUESTS / "referral-bup.json"),
                 "--out", str(out), "--attach", str(other)]) == 1
    assert "local.upload-refused" in capsys.readouterr().err
    assert _sent(out) == b""

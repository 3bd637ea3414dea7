"""Hostile PDFs are refused, in Danish, before anything is built or queued; ordinary ones
(page-one open actions, links a reader clicks) pass."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    RectangleObject,
    TextStringObject,
)

from medcom_adapter.errors import UploadRefused
from medcom_adapter.journal.interface import Query
from medcom_adapter.workers.pdf_check import check_pdf
from tests.service.conftest import CONTEXT, PDF, Harness, b64
from tests.service.test_pages import pdf_file, referral_form


def _pdf(change: str = "") -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    if change == "javascript":  # a document-level script in the names tree
        script = writer._add_object(DictionaryObject({
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('x');")}))
        writer._root_object[NameObject("/Names")] = DictionaryObject({
            NameObject("/JavaScript"): DictionaryObject({NameObject("/Names"): ArrayObject([
                TextStringObject("start"), script])})})
    elif change == "launch":
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
            NameObject("/S"): NameObject("/Launch"),
            NameObject("/F"): TextStringObject("cmd.exe")})
    elif change == "embedded":
        writer.add_attachment("note.txt", b"hidden")
    elif change == "page-aa":
        writer.pages[0][NameObject("/AA")] = DictionaryObject({
            NameObject("/O"): DictionaryObject({
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert(1)")})})
    elif change == "ordinary":  # open at page one, fitted; a link to click
        writer._root_object[NameObject("/OpenAction")] = ArrayObject([
            writer.pages[0].indirect_reference, NameObject("/Fit")])
        writer.add_uri(0, "https://www.region.example/bup", RectangleObject([0, 0, 100, 20]))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _escaped_javascript() -> bytes:
    """A JavaScript action whose names are hex-escaped, as scanners miss them."""
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction 4 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
            b"4 0 obj<</S/J#61vaScript/J#53(app.alert(1))>>endobj\n"
            b"trailer<</Root 1 0 R/Size 5>>\nstartxref\n0\n%%EOF\n")


POLYGLOT = (b"%PDF-1.4\n%<html><body><script>document.location='https://x.example'"
            b"</script></body></html>\n" + _pdf()[9:])


@pytest.mark.parametrize(("data", "danish"), [
    (_pdf("javascript"), "indeholder JavaScript"),
    (_pdf("page-aa"), "indeholder JavaScript"),
    (_escaped_javascript(), "indeholder JavaScript"),
    (_pdf("launch"), "automatiske handlinger"),
    (_pdf("embedded"), "indlejrede filer"),
    (POLYGLOT, "indeholder også HTML"),
    (b"%PDF-1.4\n" + bytes(range(256)) * 4 + b"\n%%EOF\n", "kan ikke læses"),
], ids=["javascript", "page-action", "escaped-name", "launch", "embedded", "html-polyglot",
        "garbage"])
def test_hostile_pdfs_are_refused_in_danish(data: bytes, danish: str) -> None:
    with pytest.raises(UploadRefused, match=danish) as refused:
        check_pdf(data, "Henvisningsskemaet")
    assert refused.value.message.startswith("Henvisningsskemaet: ")


def test_ordinary_pdfs_pass() -> None:
    for data in (PDF, _pdf(), _pdf("ordinary")):
        check_pdf(data, "Skema")


def test_the_api_and_the_form_refuse_a_pdf_with_javascript(harness: Harness) -> None:
    body = {**CONTEXT, "receiver_sor": "88020001000016009", "reason": "Angst",
            "form": {"title": "Henvisningsskema", "data_base64": b64(_pdf("javascript"))}}
    response = harness.client.post("/api/referrals", json=body, headers=harness.auth())
    assert response.status_code == 422
    assert "JavaScript" in response.text
    csrf = harness.open("referral")
    page = harness.client.post("/henvisning", data=referral_form(csrf),
                               files=pdf_file(_pdf("launch")))
    assert page.status_code == 422 and "automatiske handlinger" in page.text
    assert harness.journal.find(Query()) == []  # nothing built, nothing queued

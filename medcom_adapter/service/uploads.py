"""Uploaded files: size limit and type checked by content, never by name or declared type."""

from __future__ import annotations

from medcom_adapter.errors import UploadRefused
from medcom_adapter.workers.pdf_check import check_pdf

# Magic numbers of the attachment types MedCom messages carry (FHIR allows these six).
_SIGNATURES = (
    ("application/pdf", (b"%PDF-",)),
    ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ("image/jpeg", (b"\xff\xd8\xff",)),
    ("image/gif", (b"GIF87a", b"GIF89a")),
    ("image/tiff", (b"II*\x00", b"MM\x00*")),
    ("image/bmp", (b"BM",)),
)


def sniff(data: bytes) -> str | None:
    """The content type ``data`` starts like, or None."""
    for content_type, magics in _SIGNATURES:
        if any(data.startswith(m) for m in magics):
            return content_type
    return None


def check_upload(data: bytes, *, max_bytes: int, allowed: frozenset[str], what: str) -> str:
    """The content type of an acceptable upload; UploadRefused saying why otherwise."""
    if not data:
        raise UploadRefused(f"{what}: filen er tom")
    if len(data) > max_bytes:
        raise UploadRefused(f"{what}: filen er for stor ({_mb(len(data))}); "
                            f"højst {_mb(max_bytes)} er tilladt")
    content_type = sniff(data)
    if content_type == "application/pdf" and b"%%EOF" not in data[-1024:]:
        raise UploadRefused(f"{what}: PDF-filen er ufuldstændig (mangler sin afslutning)")
    if content_type not in allowed:
        names = ", ".join(sorted(t.split("/")[1].upper() for t in allowed))
        raise UploadRefused(f"{what}: filen er ikke en tilladt filtype ({names})")
    if content_type == "application/pdf":
        check_pdf(data, what)  # no JavaScript, automatic actions, embedded files, HTML
    return content_type


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB".replace(".", ",")

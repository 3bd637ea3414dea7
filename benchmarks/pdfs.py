"""The referral forms the benchmarks send: real PDFs, since a request's files are opened
as uploads are, of a given size and incompressible (as a scanned form's images are)."""

from __future__ import annotations

import io
import random


def form(size: int, seed: int = 1) -> bytes:
    """A one-page PDF of about ``size`` bytes, its page drawn by a stream of random bytes
    (where a scanned form keeps its image)."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject

    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    stream = StreamObject()
    stream.set_data(random.Random(seed).randbytes(max(size - 1024, 0)))
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()

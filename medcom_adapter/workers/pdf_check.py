"""Uploaded PDFs are opened and refused when they could act on whoever opens them.

The PDF travels to a BUP department or a GP, whose systems open it. A PDF that runs
JavaScript, starts a program or opens a link by itself (launch, open and additional
actions), carries embedded files or rich media, uses an XFA form (scripted), or is also an
HTML page (a polyglot a browser would run) is refused with a Danish message saying what to
do. pypdf reads the file: a maintained parser that resolves object streams, compressed
xref tables and escaped names (``/J#61vaScript``), which a byte scan would miss.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

from medcom_adapter.errors import UploadRefused

_HTML = re.compile(rb"<\s*(script|html|iframe|body|svg|object|embed)\b|<!doctype\s+html",
                   re.IGNORECASE)
_MAX_OBJECTS = 200_000  # a bound on the walk: a form has hundreds

# Dictionary keys and action types (/S) that make a PDF act. Open and additional actions
# (/OpenAction, /AA) are walked rather than refused: most only go to page one, and the
# actions they hold are judged by type. Links a reader must click (/URI, /GoTo) pass.
_ACTIVE_KEYS = {"/JS": "javascript", "/JavaScript": "javascript", "/XFA": "javascript",
                "/EmbeddedFile": "embedded", "/EmbeddedFiles": "embedded",
                "/RichMedia": "embedded"}
_ACTIVE_ACTIONS = {"/JavaScript": "javascript", "/Launch": "action", "/ImportData": "action",
                   "/GoToE": "embedded", "/Rendition": "embedded", "/Sound": "embedded",
                   "/Movie": "embedded"}
# Keys whose values are content, never actions: page content streams, images and forms
# drawn on a page, embedded fonts, thumbnails, metadata. The walk does not descend there, so
# it never reads those streams (a scanned form's images are most of its bytes); a viewer
# acts only on the dictionaries walked (catalog, pages, annotations, actions, names).
_INERT_KEYS = frozenset({"/Parent", "/Contents", "/XObject", "/FontFile", "/FontFile2",
                         "/FontFile3", "/Thumb", "/Metadata"})
_ACTIVE_SUBTYPES = {"/FileAttachment": "embedded", "/RichMedia": "embedded",
                    "/Screen": "embedded", "/Movie": "embedded", "/Sound": "embedded"}

_DANISH = {
    "javascript": "PDF-filen indeholder JavaScript (fx scriptede formularfelter) og kan ikke "
                  "sendes. Gem den som en almindelig PDF (Udskriv til PDF) og vedhæft den igen.",
    "action": "PDF-filen indeholder automatiske handlinger (fx åbning af programmer eller "
              "links) og kan ikke sendes. Gem den som en almindelig PDF (Udskriv til PDF) og "
              "vedhæft den igen.",
    "embedded": "PDF-filen indeholder indlejrede filer eller medier og kan ikke sendes. "
                "Vedhæft filerne hver for sig, eller gem PDF'en som en almindelig PDF.",
    "html": "Filen er ikke en ren PDF-fil (den indeholder også HTML) og kan ikke sendes.",
    "unreadable": "PDF-filen kan ikke læses; den kan være beskadiget. Gem den igen som PDF.",
}


def check_pdf(data: bytes, what: str) -> None:
    """UploadRefused (Danish, naming ``what``) unless ``data`` is a PDF that cannot act."""
    if _HTML.search(data):
        raise UploadRefused(f"{what}: {_DANISH['html']}")
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings may quote the file
    try:
        # a BytesIO shares the caller's bytes until someone asks for its buffer, which pypdf
        # does to size it (a copy of the whole file); through a reader it only seeks. Closed
        # after: the reader's objects refer to each other, so it lives until a collection,
        # and an open stream would keep the file's bytes alive with it
        with io.BufferedReader(io.BytesIO(data)) as stream:
            found = _active(PdfReader(stream, strict=False).trailer)
    except (PdfReadError, ValueError, KeyError, TypeError, RecursionError, OSError):
        raise UploadRefused(f"{what}: {_DANISH['unreadable']}") from None
    if found is not None:
        raise UploadRefused(f"{what}: {_DANISH[found]}")


def _active(root: Any) -> str | None:
    """The first kind of active content reachable from ``root``, or None."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [root]
    walked = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            ref = (item.idnum, item.generation)
            if ref in seen:
                continue
            seen.add(ref)
            item = item.get_object()
        walked += 1
        if walked > _MAX_OBJECTS:
            raise ValueError("too many objects")
        if isinstance(item, DictionaryObject):
            for key, kind in _ACTIVE_KEYS.items():
                if key in item:
                    return kind
            action = item.get("/S")
            if action in _ACTIVE_ACTIONS:
                return _ACTIVE_ACTIONS[action]
            subtype = item.get("/Subtype")
            if subtype in _ACTIVE_SUBTYPES:
                return _ACTIVE_SUBTYPES[subtype]
            stack.extend(v for k, v in item.items() if k not in _INERT_KEYS)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return None

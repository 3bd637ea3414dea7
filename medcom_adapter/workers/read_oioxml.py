"""Reading a received OIOXML Emessage once: a letter to decide on, or a receipt of ours.

The shared steps are :mod:`.read_emessage`'s; an Emessage's letter is journaled with the
kind and version ``detect`` reported.
"""

from __future__ import annotations

from medcom_adapter.oioxml import receipting
from medcom_adapter.oioxml.emessage import Document
from medcom_adapter.workers.read_emessage import Syntax

SYNTAX: Syntax[Document] = Syntax(
    document=Document, answer=receipting.answer, answer_read=receipting.answer_read,
    receipt_versions=receipting.RECEIPT_VERSIONS,
    kind_version=lambda report, _document: (report.kind or "", report.version or ""),
    answer_version=lambda document: document.versions[0])
read = SYNTAX.read

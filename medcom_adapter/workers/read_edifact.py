"""Reading a received EDIFACT interchange once: a letter to decide on, or a receipt of ours.

The shared steps are :mod:`.read_emessage`'s: the letters read from EDIFACT are the same
model as from OIOXML, so what the inbox records and decides is the same; the CONTRL receipt
comes from ``edifact.receipting``, and a letter is journaled with its UNH's kind and version.
"""

from __future__ import annotations

from medcom_adapter.edifact import receipting
from medcom_adapter.edifact.interchange import EdifactDocument
from medcom_adapter.workers.read_emessage import Syntax

SYNTAX: Syntax[EdifactDocument] = Syntax(
    document=EdifactDocument, answer=receipting.answer, answer_read=receipting.answer_read,
    receipt_versions=receipting.RECEIPT_VERSIONS,
    kind_version=lambda _report, document: (document.versions[0].kind.value,
                                            document.versions[0].code),
    answer_version=lambda document: document.versions[0])
read = SYNTAX.read

"""Answering a received OIOXML message with the right receipt.

MedCom's rules (``medcom_adapter.reliable.receipting``) in OIOXML: XCTL03 when asked for,
XCTL02 with the refuse code and where for a refused message, never a receipt for a receipt.

Bytes that could not be parsed are read leniently, up to the damage, for the envelope id,
the parties and the letters; without them there is nothing to answer to, and the caller is
told why.
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from medcom_adapter.errors import RemoteError
from medcom_adapter.kinds import Kind
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.message import Emessage
from medcom_adapter.model.receipts import Receipt, ReceiptKind
from medcom_adapter.oioxml import emessage
from medcom_adapter.oioxml.versions import current
from medcom_adapter.reliable.receipting import Answer, Head, for_message, for_refusal, minute
from medcom_adapter.safe_xml import DEFAULT_MAX_BYTES

__all__ = ["RECEIPT_VERSIONS", "Answer", "answer", "answer_read"]

RECEIPT_VERSIONS = {k: current(Kind(k)).code for k in (ReceiptKind.NEGATIVE, ReceiptKind.POSITIVE)}


def _write(receipt: Emessage) -> bytes:
    letter = receipt.letters[0]
    assert isinstance(letter, Receipt)
    return emessage.build(receipt, RECEIPT_VERSIONS[letter.kind])


def answer(
    data: bytes, *, now: datetime, ids: IdSource | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Answer:
    """The receipt (if any) a receiver owes the sender of ``data``."""
    ids = ids or IdSource()
    now = minute(now)
    try:
        document = emessage.parse(data, max_bytes=max_bytes)
    except RemoteError as error:
        head = _salvage(data, max_bytes=len(data))
        return for_refusal(head, error, now=now, ids=ids, writer=_write)
    return answer_read(document, now=now, ids=ids)


def answer_read(document: emessage.Document, *, now: datetime,
                ids: IdSource | None = None) -> Answer:
    """The receipt a receiver owes for a message already read (and validated) as
    ``document``: the message is not read again."""
    return for_message(
        document.message, [v.code for v in document.versions], now=minute(now),
        ids=ids or IdSource(), writer=_write, no_receipt_asked="the sender asked for no "
        "positive receipt (minuspositivkvitt)",
    )


_RECEIPT_ELEMENTS = frozenset({"NegativeVansReceipt", "NegativeReceipt", "PositiveReceipt"})


def _salvage(data: bytes, *, max_bytes: int) -> Head | None:
    """Envelope id, parties and letters of a broken message, as far as they can be read.

    A pull parser reads up to the first fatal error (truncation, a NUL byte, nesting beyond
    any sane depth, ...): the envelope and the letters' heads come first in every MedCom
    message, so what precedes the damage is usually enough to address a receipt.
    """
    if len(data) > max_bytes:
        return None
    parser = etree.XMLPullParser(
        events=("start", "end"), recover=True, resolve_entities=False, no_network=True,
        load_dtd=False, huge_tree=True,
    )
    found = _Found()
    try:
        for at in range(0, len(data), _CHUNK):
            parser.feed(data[at : at + _CHUNK])
            if not found.take(parser.read_events()):
                break
        parser.close()
        found.take(parser.read_events())
    except (etree.XMLSyntaxError, ValueError):
        found.take(parser.read_events())
    return found.head()


_CHUNK = 64 * 1024
_WANTED = {("Envelope", "Identifier"): 14, ("Letter", "Identifier"): 14,
           ("Letter", "VersionCode"): 7, ("Sender", "EANIdentifier"): 35,
           ("Receiver", "EANIdentifier"): 35}


class _Found:
    """What the pull parser has seen of the envelope and each letter's head."""

    def __init__(self) -> None:
        self.path: list[str] = []
        self.root_ok: bool | None = None
        self.envelope_id: str | None = None
        self.letters: list[dict[tuple[str, str], str]] = []
        self.kinds: list[str] = []

    def take(self, events: object) -> bool:
        """Consume parser events; False once the root is known not to be an Emessage."""
        for event, element in events:  # type: ignore[attr-defined]
            name = _local(element)
            if event == "start":
                self.path.append(name)
                if len(self.path) == 1:
                    self.root_ok = name == "Emessage"
                elif len(self.path) == 2 and name not in ("Envelope", "Local_Elements"):
                    self.letters.append({})
                    self.kinds.append(name)
                continue
            self._end(element)
            self.path.pop()
            if len(self.path) >= 2:
                element.clear()  # keep memory flat on large bodies
        return self.root_ok is not False

    def _end(self, element: etree._Element) -> None:
        if self.root_ok is not True or len(self.path) not in (3, 4):
            return
        step = (self.path[-2], self.path[-1])
        limit = _WANTED.get(step)
        text = (element.text or "").strip()
        if limit is None or not text or len(text) > limit:  # what a receipt can carry
            return
        if len(self.path) == 3 and step == ("Envelope", "Identifier"):
            self.envelope_id = self.envelope_id or text
        elif len(self.path) == 4 and self.letters and step[0] != "Envelope":
            self.letters[-1].setdefault(step, text)

    def head(self) -> Head | None:
        if self.root_ok is not True:
            return None
        first = self.letters[0] if self.letters else {}
        return Head(
            envelope_id=self.envelope_id,
            sender_ean=first.get(("Sender", "EANIdentifier")),
            receiver_ean=first.get(("Receiver", "EANIdentifier")),
            letters=tuple(
                (letter_id, letter.get(("Letter", "VersionCode"), "ukendt"))
                for letter in self.letters
                if (letter_id := letter.get(("Letter", "Identifier")))
            ),
            is_receipt=any(kind in _RECEIPT_ELEMENTS for kind in self.kinds),
        )


def _local(element: etree._Element) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""

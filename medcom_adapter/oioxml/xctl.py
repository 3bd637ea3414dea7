"""XCTL01/02/03 receipts: NegativeVansReceipt, NegativeReceipt, PositiveReceipt."""

from __future__ import annotations

from medcom_adapter.errors import RefuseCode
from medcom_adapter.model.receipts import OriginalLetter, Receipt, ReceiptKind, Refusal
from medcom_adapter.oioxml.common import Element, Reader, Writer, blame
from medcom_adapter.oioxml.versions import Version


def write(w: Writer, parent: Element, receipt: Receipt, version: Version) -> None:
    root = w.el(parent, version.letter_element)
    letter = w.el(root, "Letter")
    w.el(letter, "Identifier", receipt.identifier)
    w.el(letter, "VersionCode", version.code)
    w.el(letter, "StatisticalCode", receipt.statistical_code or version.type_code)
    w.el(w.el(root, "Sender"), "EANIdentifier", receipt.sender_ean)
    w.el(w.el(root, "Receiver"), "EANIdentifier", receipt.receiver_ean)
    original = w.el(root, "OriginalEmessage")
    w.el(original, "OriginalEnvelopeIdentifier", receipt.original_envelope_id)
    w.el(w.el(original, "OriginalSender"), "EANIdentifier", receipt.original_sender_ean)
    w.el(w.el(original, "OriginalReceiver"), "EANIdentifier", receipt.original_receiver_ean)
    _write_refusal(w, original, receipt.refusal)
    for item in receipt.letters:
        holder = w.el(original, "OriginalLetter")
        w.el(holder, "OriginalLetterIdentifier", item.identifier)
        w.el(holder, "OriginalVersionCode", item.version_code)
        _write_refusal(w, holder, item.refusal)


def _write_refusal(w: Writer, parent: Element, refusal: Refusal | None) -> None:
    if refusal is not None:
        w.opt(parent, "RefuseCode", refusal.code and refusal.code.value)
        w.formatted(parent, "RefuseText", refusal.text)


def read(r: Reader, version: Version) -> Receipt:
    letter, sender, receiver, original = (
        r.sub(n) for n in ("Letter", "Sender", "Receiver", "OriginalEmessage")
    )
    assert letter and sender and receiver and original  # schema-valid
    kind = ReceiptKind(version.type_code)
    statistical = letter.text("StatisticalCode")
    with blame(r.element):
        return Receipt(
            kind=kind,
            identifier=letter.text("Identifier"),
            statistical_code=None if statistical == kind.value else statistical,
            sender_ean=sender.text("EANIdentifier"),
            receiver_ean=receiver.text("EANIdentifier"),
            original_envelope_id=original.text("OriginalEnvelopeIdentifier"),
            original_sender_ean=_ean(original, "OriginalSender"),
            original_receiver_ean=_ean(original, "OriginalReceiver"),
            refusal=_read_refusal(original),
            letters=tuple(
                OriginalLetter(
                    identifier=item.text("OriginalLetterIdentifier"),
                    version_code=item.text("OriginalVersionCode"),
                    refusal=_read_refusal(item),
                )
                for item in (Reader(e) for e in original.children("OriginalLetter"))
            ),
        )


def _ean(r: Reader, name: str) -> str:
    holder = r.sub(name)
    assert holder is not None
    return holder.text("EANIdentifier")


def _read_refusal(r: Reader) -> Refusal | None:
    code = r.opt_value("RefuseCode", RefuseCode)
    text = r.formatted("RefuseText")
    return None if code is None and text is None else Refusal(code, text)

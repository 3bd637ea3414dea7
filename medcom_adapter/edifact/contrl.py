"""CONTRL receipts CTL01/02/03 (C0130Q, C0230Q, C0330Q) <-> the model's Receipt.

``UCI`` answers the original interchange (its reference, sender, receiver and 4 rejected /
7 accepted); an ``FTX`` right after it gives the refusal of the whole interchange. Each
``UCM`` answers one original message (reference and message identifier); an ``FTX``
after a UCM gives that message's refusal. The FTX qualifier is MedCom's refuse code.
"""

from __future__ import annotations

from medcom_adapter.edifact import versions
from medcom_adapter.edifact.common import Body, ftx, texts
from medcom_adapter.edifact.parser import Interchange
from medcom_adapter.edifact.syntax import Segment
from medcom_adapter.edifact.versions import EdifactVersion
from medcom_adapter.errors import RefuseCode, UnsupportedInVersion
from medcom_adapter.model.receipts import OriginalLetter, Receipt, ReceiptKind, Refusal

REFUSE = {
    RefuseCode.NOT_SPECIFIED: "NC",
    RefuseCode.UNKNOWN_LOCATION_NUMBER: "LOK",
    RefuseCode.RECEIVER_ID_PROBLEM: "MID",
    RefuseCode.VERSION_PROBLEM: "VER",
    RefuseCode.SYNTAX_ERROR: "SYN",
}
REJECTED, ACCEPTED = "4", "7"
EAN = "14"

_REFUSE = {v: k for k, v in REFUSE.items()}


def read(body: Body, interchange: Interchange, version: EdifactVersion) -> Receipt:
    segments = body.message.body
    if not segments or segments[0].tag != "UCI":
        raise body.error("CONTRL starts with UCI", segments[0] if segments else body.message.unh)
    uci = segments[0]
    envelope_refusal: list[Segment] = []
    letters: list[tuple[Segment, list[Segment]]] = []
    for segment in segments[1:]:
        if segment.tag == "UCM":
            letters.append((segment, []))
        elif segment.tag == "FTX":
            (letters[-1][1] if letters else envelope_refusal).append(segment)
        else:
            raise body.error(f"unexpected {segment.tag} in CONTRL", segment)
    with body.blame(uci):
        return Receipt(
            kind=ReceiptKind(f"X{version.type_code}"),
            identifier=body.message.reference,
            sender_ean=interchange.sender,
            receiver_ean=interchange.recipient,
            original_envelope_id=uci.get(1),
            original_sender_ean=uci.get(2),
            original_receiver_ean=uci.get(3),
            refusal=_refusal(body, envelope_refusal),
            letters=tuple(
                OriginalLetter(ucm.get(1), ucm.get(2, 5), _refusal(body, refusal))
                for ucm, refusal in letters
            ),
        )


def _refusal(body: Body, segments: list[Segment]) -> Refusal | None:
    if not segments:
        return None
    qualifiers = {s.get(1) for s in segments}
    if len(qualifiers) > 1:
        raise body.error(f"one refusal has one reason, found {sorted(qualifiers)}", segments[1])
    code = body.code(segments[0], 1, _REFUSE, "refuse reason (FTX qualifier)")
    has_text = any(s.components(4) for s in segments)
    return Refusal(code, texts(segments) if has_text else None)


def write(receipt: Receipt, version: EdifactVersion) -> list[Segment]:
    if receipt.kind.value != f"X{version.type_code}":
        raise UnsupportedInVersion(f"{version.code} is a {version.type_code}, not a "
                                   f"{receipt.kind.value[1:]}")
    if receipt.statistical_code is not None:
        raise UnsupportedInVersion("CONTRL carries no statistical code")
    action = REJECTED if receipt.kind.negative else ACCEPTED
    out = [Segment.of("UCI", receipt.original_envelope_id, (receipt.original_sender_ean, EAN),
                      (receipt.original_receiver_ean, EAN), action)]
    out += _write_refusal(receipt.refusal)
    for letter in receipt.letters:
        out.append(Segment.of("UCM", letter.identifier, (
            versions.message_type_of(letter.version_code), versions.MESSAGE_VERSION,
            versions.MESSAGE_RELEASE, "UN", letter.version_code), action))
        out += _write_refusal(letter.refusal)
    return out


def _write_refusal(refusal: Refusal | None) -> list[Segment]:
    if refusal is None:
        return []
    if refusal.code is None:
        raise UnsupportedInVersion("a CONTRL refusal names its reason (FTX qualifier)")
    qualifier = REFUSE[refusal.code]
    return ftx(qualifier, refusal.text) or [Segment.of("FTX", qualifier, "P00")]

"""ebXML business signals (ebbp-signals 2.0): what an ehmiSBDH-EnvelopeReceipt carries.

A ``ReceiptAcknowledgement`` says a receiving MSH took an envelope; an ``Exception`` with
a ``ReceiptException`` (Syntax, Authorization, Signature, Sequence) says it could not. Both
name the original envelope (``OriginalMessageIdentifier``: its InstanceIdentifier), its
document type, its time and this signal's time, and the parties as ISO 6523 actor ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from lxml import etree

from medcom_adapter.errors import MalformedMessage
from medcom_adapter.safe_xml import load

NAMESPACE = "http://docs.oasis-open.org/ebxml-bp/ebbp-signals-2.0"
_B = f"{{{NAMESPACE}}}"
PARTY_TYPE = "iso6523-actorid-upis"


class ReceiptException(StrEnum):
    SYNTAX = "Syntax"
    AUTHORIZATION = "Authorization"
    SIGNATURE = "Signature"
    SEQUENCE = "Sequence"


@dataclass(frozen=True, slots=True)
class Signal:
    """A receipt acknowledgement (``exception`` None) or a receipt exception."""

    original_envelope_id: str  # OriginalMessageIdentifier: the envelope's InstanceIdentifier
    original_document: str | None  # OriginalDocumentIdentifier: its DOCUMENTID
    original_time: datetime
    time: datetime
    from_party: str | None
    to_party: str | None
    exception: ReceiptException | None = None
    reason: str | None = None

    @property
    def positive(self) -> bool:
        return self.exception is None


def build(signal: Signal) -> bytes:
    root = etree.Element(_B + ("ReceiptAcknowledgement" if signal.positive else "Exception"),
                         nsmap={"bpssignal": NAMESPACE})

    def add(name: str, value: str | None, party: bool = False) -> None:
        if value is None:
            return
        element = etree.SubElement(root, _B + name)
        element.text = value
        if party:
            element.set("type", PARTY_TYPE)

    add("OriginalMessageIdentifier", signal.original_envelope_id)
    add("OriginalDocumentIdentifier", signal.original_document)
    add("OriginalMessageDateTime", signal.original_time.isoformat())
    add("ThisMessageDateTime", signal.time.isoformat())
    add("FromPartyInfo", signal.from_party, party=True)
    add("ToPartyInfo", signal.to_party, party=True)
    if signal.exception is not None:
        kind = etree.SubElement(root, _B + "ExceptionType")
        etree.SubElement(kind, _B + "ReceiptException").text = signal.exception.value
        add("Reason", signal.reason or signal.exception.value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def parse(data: bytes) -> Signal:
    """A signal; MalformedMessage naming what is missing or wrong."""
    try:
        root = load(data).getroot()
    except etree.XMLSyntaxError as exc:
        raise MalformedMessage(f"the envelope receipt's signal is not XML: {exc}") from None
    local = etree.QName(root).localname
    if etree.QName(root).namespace != NAMESPACE or local not in (
            "ReceiptAcknowledgement", "Exception"):
        raise MalformedMessage(f"the envelope receipt carries {local}, not an ebbp-signals "
                               "ReceiptAcknowledgement or Exception")

    def text(name: str, *, required: bool = True) -> str | None:
        element = root.find(_B + name)
        value = None if element is None or element.text is None else element.text.strip()
        if required and not value:
            raise MalformedMessage(f"the envelope receipt's signal has no {name}")
        return value

    def moment(name: str) -> datetime:
        value = text(name)
        assert value is not None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise MalformedMessage(f"{name} is not a date and time: {value!r}") from None

    exception = None
    if local == "Exception":
        found = root.find(f"{_B}ExceptionType/{_B}ReceiptException")
        value = (found.text or "").strip() if found is not None else ""
        try:
            exception = ReceiptException(value)
        except ValueError:
            raise MalformedMessage(f"ReceiptException {value!r} is not Syntax, Authorization, "
                                   "Signature or Sequence") from None
    original = text("OriginalMessageIdentifier")
    assert original is not None
    return Signal(original, text("OriginalDocumentIdentifier", required=False),
                  moment("OriginalMessageDateTime"), moment("ThisMessageDateTime"),
                  text("FromPartyInfo", required=False), text("ToPartyInfo", required=False),
                  exception, text("Reason", required=exception is not None))

"""Whole EDIFACT interchanges in and out: the model of ``oioxml.emessage``, EDIFACT syntax.

``parse`` takes bytes from a peer and returns an :class:`EdifactDocument` (the Emessage
model plus each letter's EDIFACT version), raising a RemoteError naming segment, line and
column. ``build`` writes a model as one interchange (UNB/UNZ) with one UNH/UNT message per
letter. ``check`` reports instead of raising.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from medcom_adapter.conformance.leniency import reading
from medcom_adapter.edifact import bin01, contrl, dis91, ref01, versions
from medcom_adapter.edifact.common import Body
from medcom_adapter.edifact.parser import Interchange, Message
from medcom_adapter.edifact.parser import parse as parse_interchange
from medcom_adapter.edifact.serializer import serialize
from medcom_adapter.edifact.syntax import Segment, ascii_digits
from medcom_adapter.edifact.versions import EdifactVersion
from medcom_adapter.errors import (
    EdifactStructureError,
    Issue,
    Location,
    MedComError,
    OwnCheck,
    UnknownMessage,
    UnsupportedInVersion,
)
from medcom_adapter.kinds import Kind
from medcom_adapter.model.codes import AcknowledgementCode
from medcom_adapter.model.correspondence import ClinicalEmail
from medcom_adapter.model.identifiers import LocationNumber
from medcom_adapter.model.letters import BinaryLetter, Referral
from medcom_adapter.model.message import Emessage, Envelope, Letter
from medcom_adapter.model.receipts import Receipt

EAN = "14"  # UNB partner id qualifier: EAN location number
ACK = {AcknowledgementCode.PLUS_POSITIVE: "1", AcknowledgementCode.MINUS_POSITIVE: "0"}

Read = Callable[[Body, Interchange, EdifactVersion], Any]
Write = Callable[[Any, EdifactVersion], list[Segment]]

# Kind -> (model class, segment groups, reader, writer)
_CODECS: dict[Kind, tuple[type, frozenset[str], Read, Write]] = {
    Kind.REFERRAL: (Referral, ref01.GROUPS, ref01.read, ref01.write),
    Kind.BINARY: (BinaryLetter, bin01.GROUPS, bin01.read, bin01.write),
    Kind.CORRESPONDENCE: (ClinicalEmail, dis91.GROUPS, dis91.read, dis91.write),
    Kind.NEGATIVE_VANS_RECEIPT: (Receipt, frozenset(), contrl.read, contrl.write),
    Kind.NEGATIVE_RECEIPT: (Receipt, frozenset(), contrl.read, contrl.write),
    Kind.POSITIVE_RECEIPT: (Receipt, frozenset(), contrl.read, contrl.write),
}


@dataclass(frozen=True, slots=True)
class EdifactDocument:
    """An EDIFACT interchange as read: the model and each letter's EDIFACT version."""

    message: Emessage
    versions: tuple[EdifactVersion, ...]
    # our own checks the interchange fails: worth telling its sender, never a refusal
    warnings: tuple[Issue, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckResult:
    versions: tuple[EdifactVersion, ...] = ()
    issues: tuple[Issue, ...] = field(default=())
    document: EdifactDocument | None = None

    @property
    def valid(self) -> bool:
        return not any(not issue.warning for issue in self.issues)


def parse(data: bytes) -> EdifactDocument:
    """Read an interchange from a peer. Raises a RemoteError naming what and where."""
    with reading() as warnings:
        interchange = parse_interchange(data)
        found = detect(interchange)
        letters = tuple(
            _CODECS[v.kind][2](Body(m, interchange.tokens, _CODECS[v.kind][1]), interchange, v)
            for m, v in zip(interchange.messages, found, strict=True)
        )
    advisories = _gln_advisories(interchange, letters)
    return EdifactDocument(Emessage(_envelope(interchange), letters), found,
                           tuple(warnings) + advisories)


def _gln_advisories(interchange: Interchange, letters: tuple[Letter, ...]) -> tuple[Issue, ...]:
    """UNB's location numbers failing GS1's check digit, as on OIOXML: worth telling the
    sender, never a refusal (MedCom's own DIS91 example has such numbers). Receipts may name
    a VANS provider instead of a GLN."""
    if all(isinstance(letter, Receipt) for letter in letters):
        return ()
    unb = interchange.unb
    line, column = interchange.tokens.where(unb.offset)
    return tuple(
        Issue(str(OwnCheck.GLN_CHECK_DIGIT),
              f"location number {ean} is not a valid GLN (GS1 check digit)",
              f"segment {unb.number} (UNB), column {column}", line, warning=True)
        for ean in dict.fromkeys((interchange.sender, interchange.recipient))
        if LocationNumber(ean or "?").gln is None)


def detect(interchange: Interchange) -> tuple[EdifactVersion, ...]:
    """Each message's version, from UNH; its message type and letter type must agree."""
    if not interchange.messages:
        raise interchange.tokens.error(EdifactStructureError, "interchange holds no message",
                                       interchange.unz)
    return tuple(_version(interchange, message) for message in interchange.messages)


def _version(interchange: Interchange, message: Message) -> EdifactVersion:
    try:
        version = versions.by_code(message.association_code)
    except UnknownMessage as exc:
        line, column = interchange.tokens.where(message.unh.offset)
        where = Location(f"segment {message.unh.number} (UNH), column {column}", line)
        raise UnknownMessage(exc.message, location=where) from None
    stated = (message.message_type, message.access_reference)
    if stated != (version.message_type, version.type_code):
        raise interchange.tokens.error(
            EdifactStructureError, f"{version.code} is {version.message_type} "
            f"{version.type_code}, but UNH says {stated[0]} {stated[1]}", message.unh)
    return version


def _envelope(interchange: Interchange) -> Envelope:
    unb = interchange.unb
    day, clock = unb.get(4, 1), unb.get(4, 2)
    if len(day) != 6 or not ascii_digits(day) or len(clock) != 4 or not ascii_digits(clock):
        raise interchange.tokens.error(EdifactStructureError, f"UNB date and time must be "
                                       f"YYMMDD:HHMM, found {day!r}:{clock!r}", unb)
    year = int(day[:2])
    century = 1900 if year >= versions.CENTURY_PIVOT else 2000
    try:
        sent = datetime(century + year, int(day[2:4]), int(day[4:6]), int(clock[:2]),
                        int(clock[2:]))
    except ValueError as exc:
        raise interchange.tokens.error(EdifactStructureError, f"UNB date: {exc}", unb) from None
    ack = unb.get(9)
    acknowledgement = {"1": AcknowledgementCode.PLUS_POSITIVE, "0": AcknowledgementCode
                       .MINUS_POSITIVE, "": AcknowledgementCode.MINUS_POSITIVE}.get(ack)
    if acknowledgement is None:
        raise interchange.tokens.error(EdifactStructureError, f"UNB acknowledgement request "
                                       f"must be 0 or 1, found {ack!r}", unb)
    return Envelope(unb.get(5), sent, acknowledgement)


def build(
    message: Emessage,
    version: EdifactVersion | str | tuple[EdifactVersion | str, ...],
    *,
    line_breaks: bool = False,
) -> bytes:
    """``message`` as one interchange, one version per letter (or one for all)."""
    given = version if isinstance(version, tuple) else (version,) * len(message.letters)
    if len(given) != len(message.letters):
        raise UnsupportedInVersion(f"{len(message.letters)} letters but {len(given)} versions")
    resolved = tuple(v if isinstance(v, EdifactVersion) else versions.by_code(v) for v in given)
    parties = {_parties(letter) for letter in message.letters}
    if len(parties) != 1:
        raise UnsupportedInVersion("one interchange has one sender and one receiver (UNB); "
                                   "these letters have several")
    (sender, recipient), = parties
    receipts = any(v.agency == "ZZ" for v in resolved)
    envelope = message.envelope
    if receipts and envelope.acknowledgement is AcknowledgementCode.PLUS_POSITIVE:
        raise UnsupportedInVersion("a CONTRL receipt cannot ask for a receipt")
    unb = Segment.of(
        "UNB", versions.SYNTAX, (sender, EAN), (recipient, EAN),
        (_two_digit_date(envelope.sent), envelope.sent.strftime("%H%M")), envelope.identifier,
        None, None, None, None if receipts else ACK[envelope.acknowledgement],
    )
    messages = []
    for letter, v in zip(message.letters, resolved, strict=True):
        model_class, _, _, write = _CODECS[v.kind]
        if not isinstance(letter, model_class):
            raise UnsupportedInVersion(
                f"{v.code} writes a {model_class.__name__}, not a {type(letter).__name__}")
        if not isinstance(letter, Receipt) and letter.letter.statistical_code is not None:
            raise UnsupportedInVersion("EDIFACT carries no statistical code (UNH names the "
                                       "letter type)")
        unh = Segment.of("UNH", _letter_id(letter), (
            v.message_type, versions.MESSAGE_VERSION, versions.MESSAGE_RELEASE, v.agency,
            v.code), v.type_code)
        messages.append((unh, write(letter, v)))
    return serialize(unb, messages, line_breaks=line_breaks)


def _two_digit_date(value: datetime) -> str:
    pivot = versions.CENTURY_PIVOT
    if not 1900 + pivot <= value.year < 2000 + pivot:
        raise UnsupportedInVersion(f"UNB carries a two-digit year: {value.year} is outside "
                                   f"{1900 + pivot}-{1999 + pivot}")
    return value.strftime("%y%m%d")


def _letter_id(letter: Letter) -> str:
    return letter.identifier if isinstance(letter, Receipt) else letter.letter.identifier


def _parties(letter: Letter) -> tuple[str, str]:
    if isinstance(letter, Receipt):
        return letter.sender_ean, letter.receiver_ean
    return str(letter.sender.ean), str(letter.receiver.ean)


def check(data: bytes) -> CheckResult:
    """Read a file completely and report, never raise."""
    try:
        document = parse(data)
    except MedComError as exc:
        return CheckResult(issues=(_issue(exc),))
    return CheckResult(document.versions, document.warnings, document)


def _issue(exc: MedComError) -> Issue:
    location = exc.location
    return Issue(exc.code, exc.message, location.path if location else None,
                 location.line if location else None)

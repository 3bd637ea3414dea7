"""Segments -> an interchange of messages, with every envelope count and reference checked.

``UNB ... UNZ`` holds ``UNH ... UNT`` messages. UNT counts the message's segments from UNH to
UNT inclusive (UNO and UNP count, the raw object between them does not), UNZ counts the
messages, and each UNP repeats its UNO's byte count and number. A mismatch is an
EdifactCountError at the segment that states the wrong value; in a peer's interchange only
UNT's count is (MedCom's converter checks no other), the other trailers' are warnings.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from medcom_adapter.conformance.leniency import own_check
from medcom_adapter.edifact.syntax import Segment, Separators, ascii_digits
from medcom_adapter.edifact.tokenizer import Tokens, tokenize
from medcom_adapter.errors import (
    EdifactCharsetError,
    EdifactCountError,
    EdifactError,
    EdifactStructureError,
    EdifactTruncated,
    OwnCheck,
)

# Character sets (UNB syntax identifier) and the highest code point each allows. MedCom
# uses UNOC (ISO-8859-1); UNOA and UNOB are its ASCII subsets.
CHARSETS = {"UNOC": 0xFF, "UNOB": 0x7F, "UNOA": 0x7F}


@dataclass(frozen=True, slots=True)
class Message:
    """One UNH ... UNT message; ``body`` is what lies between them."""

    unh: Segment
    body: tuple[Segment, ...]
    unt: Segment

    @property
    def reference(self) -> str:
        return self.unh.get(1)

    @property
    def message_type(self) -> str:  # e.g. MEDREF
        return self.unh.get(2, 1)

    @property
    def association_code(self) -> str:  # MedCom's version, e.g. H0130R
        return self.unh.get(2, 5)

    @property
    def access_reference(self) -> str:  # MedCom's letter type, e.g. REF01
        return self.unh.get(3)


@dataclass(frozen=True, slots=True)
class Interchange:
    separators: Separators
    unb: Segment
    messages: tuple[Message, ...]
    unz: Segment
    tokens: Tokens

    @property
    def charset(self) -> str:
        return self.unb.get(1, 1)

    @property
    def sender(self) -> str:
        return self.unb.get(2)

    @property
    def recipient(self) -> str:
        return self.unb.get(3)

    @property
    def control_reference(self) -> str:
        return self.unb.get(5)

    @property
    def acknowledgement_request(self) -> str:
        return self.unb.get(9)


def parse(data: bytes) -> Interchange:
    """The interchange in ``data``; an EdifactError naming segment, line and column if not."""
    tokens = tokenize(data)
    segments = tokens.segments
    if not segments:
        raise EdifactTruncated("interchange holds no segments", line=1, column=1)
    unb = segments[0]
    if unb.tag != "UNB":
        raise tokens.error(EdifactStructureError, f"an interchange starts with UNB, not "
                           f"{unb.tag}", unb)
    _check_charset(tokens, unb)
    messages: list[Message] = []
    i = 1
    while i < len(segments) and segments[i].tag == "UNH":
        message = _message(tokens, i)
        messages.append(message)
        i += len(message.body) + 2
    if i >= len(segments):
        last = segments[-1]
        raise tokens.error(EdifactTruncated, "interchange ends without UNZ", last,
                           len(tokens.text))
    unz = segments[i]
    if unz.tag != "UNZ":
        raise tokens.error(EdifactStructureError, f"{unz.tag} outside a message: expected UNH "
                           f"or UNZ", unz)
    stated = unz.get(1)
    if not ascii_digits(stated) or int(stated) != len(messages):
        _trailer(tokens.error(EdifactCountError, f"UNZ counts {stated or 'no'} messages, but "
                              f"there are {len(messages)}", unz))
    if unz.get(2) != unb.get(5):
        _trailer(tokens.error(EdifactCountError, f"UNZ names interchange {unz.get(2)!r}, but "
                              f"UNB opened {unb.get(5)!r}", unz))
    if i + 1 < len(segments):
        extra = segments[i + 1]
        raise tokens.error(EdifactStructureError, f"{extra.tag} after UNZ", extra)
    return Interchange(tokens.separators, unb, tuple(messages), unz, tokens)


def _message(tokens: Tokens, start: int) -> Message:
    segments = tokens.segments
    unh = segments[start]
    end = start + 1
    while end < len(segments) and segments[end].tag not in ("UNT", "UNH", "UNZ"):
        end += 1
    if end >= len(segments):
        raise tokens.error(EdifactTruncated, f"message {unh.get(1)!r} ends without UNT",
                           segments[-1], len(tokens.text))
    unt = segments[end]
    if unt.tag != "UNT":
        raise tokens.error(EdifactStructureError, f"{unt.tag} before the UNT of message "
                           f"{unh.get(1)!r}", unt)
    _check_count(tokens, unt, "segments", end - start + 1)
    if unt.get(2) != unh.get(1):
        _trailer(tokens.error(EdifactCountError, f"UNT closes message {unt.get(2)!r}, but "
                              f"UNH opened {unh.get(1)!r}", unt))
    body = segments[start + 1 : end]
    _check_objects(tokens, body)
    return Message(unh, body, unt)


def _check_count(tokens: Tokens, segment: Segment, what: str, actual: int) -> None:
    stated = segment.get(1)
    if not ascii_digits(stated) or int(stated) != actual:
        raise tokens.error(EdifactCountError, f"{segment.tag} counts {stated or 'no'} {what}, "
                           f"but there are {actual}", segment)


def _check_objects(tokens: Tokens, body: tuple[Segment, ...]) -> None:
    for uno, unp in itertools.pairwise(body):
        if uno.tag != "UNO":
            continue
        if unp.get(1) != uno.get(4):
            _trailer(tokens.error(EdifactCountError, f"UNP counts {unp.get(1) or 'no'} bytes, "
                                  f"but its UNO declared {uno.get(4)}", unp))
        if unp.get(2) != uno.get(1):
            _trailer(tokens.error(EdifactCountError, f"UNP closes object {unp.get(2)!r}, but "
                                  f"UNO opened {uno.get(1)!r}", unp))


def _trailer(error: EdifactError) -> None:
    """A trailer MedCom's converter does not check (it reads UNO's count, checks UNT's only):
    a warning when we read, an error in what we build."""
    own_check(OwnCheck.EDIFACT_TRAILER, error)


def _check_charset(tokens: Tokens, unb: Segment) -> None:
    charset = unb.get(1, 1)
    limit = CHARSETS.get(charset)
    if limit is None:
        raise tokens.error(EdifactCharsetError, f"character set {charset!r} is not supported: "
                           "MedCom interchanges are UNOC (ISO-8859-1)", unb)
    if limit == 0xFF:
        return
    for segment in tokens.segments:
        for element in segment.elements:
            for value in element:
                if not value.isascii():
                    raise tokens.error(EdifactCharsetError, f"{charset} is ASCII, but "
                                       f"{segment.tag} holds {value!r}", segment)

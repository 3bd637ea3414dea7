"""XBIN01 / XBIN02 BinaryLetter (binært objekt): XB0131X, XB0130X and XB0230X."""

from __future__ import annotations

import binascii

import pybase64

from medcom_adapter.conformance.leniency import locate, mark, own_check
from medcom_adapter.errors import InconsistentMessage, InvalidValue, Location, OwnCheck
from medcom_adapter.model.codes import ObjectCode, ObjectExtensionCode
from medcom_adapter.model.letters import BinaryLetter, BinaryObject, ObjectId
from medcom_adapter.oioxml.common import Element, Reader, Writer, blame, spell_id
from medcom_adapter.oioxml.schemas import element_path, line_of
from medcom_adapter.oioxml.versions import Version

_WHITESPACE = b" \t\r\n"


def write(w: Writer, parent: Element, letter: BinaryLetter, version: Version) -> None:
    root = w.el(parent, version.letter_element)
    w.letter(root, letter.letter, version)
    w.organisation(root, "Sender", letter.sender)
    w.organisation(root, "Receiver", letter.receiver)
    if letter.patient is not None:
        w.patient(root, letter.patient)
    else:
        w.el(root, "SystemInformation", "true")
        w.opt(root, "Contents", letter.contents)
    for obj in letter.objects:
        holder = w.el(root, "BinaryObject")
        w.el(holder, "ObjectIdentifier", spell_id(obj.object_id.value, version.object_id_form))
        w.el(holder, "ObjectCode", obj.object_code.value)
        w.el(holder, "ObjectExtensionCode", obj.extension.value)
        w.el(holder, "OriginalObjectSize", str(obj.size))
        w.base64(holder, "Object_Base64Encoded", obj.data)


def read(r: Reader, version: Version) -> BinaryLetter:
    sender = r.sub("Sender")
    receiver = r.sub("Receiver")
    assert sender is not None and receiver is not None  # schema-valid
    patient = r.sub("Patient")
    with blame(r.element):
        return BinaryLetter(
            letter=r.letter(),
            sender=sender.organisation(),
            receiver=receiver.organisation(),
            patient=patient.patient() if patient else None,
            contents=r.opt("Contents"),
            objects=tuple(_read_object(Reader(e, r.lifted))
                          for e in r.children("BinaryObject")),
        )


def _read_object(r: Reader) -> BinaryObject:
    text = r.at("Object_Base64Encoded")
    data = r.lifted.get(text.text or "") if r.lifted else None
    if data is None:
        data = decode_base64(text)
    declared = r.value("OriginalObjectSize", int)
    if declared != len(data):  # our own check: the object itself is what counts
        size = r.at("OriginalObjectSize")
        start = mark()
        own_check(OwnCheck.OBJECT_SIZE, InvalidValue(
            f"OriginalObjectSize says {declared} bytes but the object has {len(data)}"))
        locate(start, element_path(size), line_of(size))
    return BinaryObject(
        object_id=r.value("ObjectIdentifier", ObjectId),
        object_code=r.value("ObjectCode", ObjectCode),
        extension=r.value("ObjectExtensionCode", ObjectExtensionCode),
        data=data,
    )


def decode_base64(element: Element) -> bytes:
    """Strict decoding (any character outside base64 is an error), line breaks allowed.

    pybase64's SIMD decoder: a 200 KB attachment decodes about 5x faster than with the
    standard library, which kept reading within a small factor of raw schema validation.

    The usual layout (lines ending in LF only) is decoded in one expression, so that each
    intermediate copy of the text is freed as soon as the next one exists: holding them all
    at once made the allocator give memory back and fault it in again for every message
    (over 200 page faults per 200 KB attachment, more than the decoding itself costs).
    """
    try:
        return pybase64.b64decode(
            _ascii(element).replace(b"\n", b""), validate=True
        )
    except (binascii.Error, ValueError):
        pass
    try:  # any other whitespace between the characters
        return pybase64.b64decode(_ascii(element).translate(None, _WHITESPACE), validate=True)
    except (binascii.Error, ValueError):
        raise InconsistentMessage(
            "Object_Base64Encoded is not valid base64",
            location=Location(element_path(element), line_of(element)),
        ) from None


def _ascii(element: Element) -> bytes:
    """The element's text as bytes; a non-ASCII character becomes '?', which is not base64."""
    return (element.text or "").encode("ascii", "replace")

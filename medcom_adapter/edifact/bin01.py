"""BIN01 binary letter (MEDBIN, B0131X and B0130X) <-> the model's BinaryLetter.

Groups: S01 parties (NAD+SSP sender, PO receiver), S02 letter (GIS status, RFF+SRI letter
id, DTM+182), S07 patient (or system mail: surname ``Data``, RFF+XPI:SYSTEMPOST), S11 the
objects, each ``UNO`` + raw bytes + ``UNP``.
"""

from __future__ import annotations

from medcom_adapter.edifact import codes
from medcom_adapter.edifact.common import (
    Body,
    Group,
    code_of,
    dtm,
    marker,
    object_id_text,
    organisation,
    patient,
    pna,
    spr,
)
from medcom_adapter.edifact.parser import Interchange
from medcom_adapter.edifact.syntax import Segment
from medcom_adapter.edifact.versions import EdifactVersion
from medcom_adapter.errors import UnsupportedInVersion
from medcom_adapter.model.codes import LetterStatus
from medcom_adapter.model.letters import BinaryLetter, BinaryObject, ObjectId
from medcom_adapter.model.parties import Address, Patient

GROUPS = frozenset({"S01", "S02", "S07", "S11"})
STATUS = {LetterStatus.NEW: "N", LetterStatus.CORRECTED: "M"}
SYSTEM_SURNAME, SYSTEM_ID = "Data", "SYSTEMPOST"
NO_CONTENTS = ("", "_")
OBJECT_ID = "AID"
OBJECT_TAIL = ("14", "1", "A")  # UNO size composite after the size: MedCom's fixed values
OBJECT_FORM = "91"

_STATUS = codes.inverse(STATUS)
_OBJECTS = codes.inverse(codes.OBJECT, codes.OBJECT_ALIASES)
_EXTENSIONS = codes.inverse(codes.EXTENSION)


def read(body: Body, interchange: Interchange, version: EdifactVersion) -> BinaryLetter:
    parties = {nad_.get(1): g for g in body.groups_of("S01") if (nad_ := g.first("NAD"))}
    for role in ("SSP", "PO"):
        if role not in parties:
            raise body.error(f"BIN01 needs an S01 with NAD+{role}", body.message.unh)
    letter = body.need_group("S02")
    s07 = body.need_group("S07")
    system = _is_system_mail(s07)
    contents = body.need(s07, "PNA", "PAT").get(6, 2) if system else None
    with body.blame(body.message.unh):
        return BinaryLetter(
            letter=body.letter_header(letter, _STATUS),
            sender=body.organisation(parties["SSP"], interchange.sender),
            receiver=body.organisation(parties["PO"], interchange.recipient),
            patient=None if system else body.patient(s07, title_from_emp=False),
            contents=None if contents in NO_CONTENTS else contents,
            objects=tuple(_object(body, uno) for g in body.groups_of("S11")
                          for uno in g.all("UNO")),
        )


def _is_system_mail(group: Group) -> bool:
    found = group.first("PNA", "PAT")
    xpi = group.first("RFF", "XPI")
    return bool(found and found.get(5, 2) == SYSTEM_SURNAME and not found.get(2)
                and xpi is not None and xpi.get(1, 2) == SYSTEM_ID)


def _object(body: Body, uno: Segment) -> BinaryObject:
    if uno.get(2) != OBJECT_ID:
        raise body.error(f"UNO must identify its object as {OBJECT_ID}:<id>", uno)
    with body.blame(uno):
        return BinaryObject(
            object_id=ObjectId(uno.get(2, 2)),
            object_code=body.code(uno, 3, _OBJECTS, "object code", 2),
            extension=body.code(uno, 3, _EXTENSIONS, "file extension", 3),
            data=uno.binary or b"",
        )


def write(letter: BinaryLetter, version: EdifactVersion) -> list[Segment]:
    head = letter.letter
    out = [Segment.of("BGM", "OBJ", None, "9", "NA"), dtm("137", head.authorised)]
    out += [marker("S01"), *organisation("SSP", letter.sender), Segment.of("SEQ", None, "1"),
            *spr(letter.sender, version.type_code, sender=True)]
    out += [marker("S01"), *organisation("PO", letter.receiver),
            Segment.of("SEQ", None, "2"), *spr(letter.receiver, version.type_code)]
    out += [marker("S02"), Segment.of("GIS", code_of(STATUS, head.status, "letter status")),
            Segment.of("RFF", ("SRI", head.identifier)), dtm("182", head.authorised)]
    out.append(marker("S07"))
    if letter.patient is None:
        out += [pna("PAT", None, SYSTEM_SURNAME, letter.contents),
                Segment.of("RFF", ("XPI", SYSTEM_ID))]
    else:
        _check(letter.patient, version)
        out += patient(letter.patient, title_in_emp=False)
    out.append(marker("S11"))
    for number, obj in enumerate(letter.objects, start=1):
        size = str(obj.size)
        out.append(Segment.of(
            "UNO", str(number), (OBJECT_ID, object_id_text(obj.object_id.value)),
            ("OBJ", code_of(codes.OBJECT, obj.object_code, "object code"),
             code_of(codes.EXTENSION, obj.extension, "file extension"), OBJECT_FORM),
            (size, *OBJECT_TAIL), binary=obj.data))
        out.append(Segment.of("UNP", size, str(number)))
    return out


def _check(value: Patient, version: EdifactVersion) -> None:
    if (value.title is not None or value.phones or value.email is not None
            or value.address != Address()):
        raise UnsupportedInVersion(f"{version.code} carries only the patient's id and name")

"""DIS91 correspondence (MEDDIS, D9134L) <-> the model's ClinicalEmail.

Groups: S01 parties (NAD+SSP sender, PO receiver), S02 letter (GIS status, RFF+SRI letter
id, priority as the second RFF, DTM+182), S07 patient, S11 course (RFF+REI course id or
RFF+AHI placeholder, PAS patient status), S14 text blocks (FTX+OE subject first, then the
text) and references.
"""

from __future__ import annotations

from medcom_adapter.edifact import codes
from medcom_adapter.edifact.common import (
    REFERENCE_KINDS,
    Body,
    code_of,
    dtm,
    emp,
    ftx,
    marker,
    organisation,
    patient,
    reference,
    spr,
    texts,
)
from medcom_adapter.edifact.parser import Interchange
from medcom_adapter.edifact.syntax import Segment
from medcom_adapter.edifact.versions import EdifactVersion
from medcom_adapter.errors import UnsupportedInVersion
from medcom_adapter.model.codes import LetterStatus
from medcom_adapter.model.correspondence import ClinicalEmail
from medcom_adapter.model.parties import Patient
from medcom_adapter.oioxml.common import spell_id
from medcom_adapter.oioxml.versions import ObjectIdForm

GROUPS = frozenset({"S01", "S02", "S05", "S07", "S11", "S14"})
STATUS = {LetterStatus.NEW: "N", LetterStatus.CORRECTED: "M"}
SUBJECT, TEXT = "OE", "NC"
PRIORITY_AGENCY = "NC"
FTX_PER_GROUP = 9
NO_EPISODE = ("AHI", "1")  # RFF written when there is no course id

_STATUS = codes.inverse(STATUS)
_PRIORITY = codes.inverse(codes.KM_PRIORITY)
_PATIENT_STATUS = codes.inverse(codes.PATIENT_STATUS)
_NOT_TEXT = frozenset({SUBJECT, *REFERENCE_KINDS})


def read(body: Body, interchange: Interchange, version: EdifactVersion) -> ClinicalEmail:
    parties = {nad_.get(1): g for g in body.groups_of("S01") if (nad_ := g.first("NAD"))}
    for role in ("SSP", "PO"):
        if role not in parties:
            raise body.error(f"DIS91 needs an S01 with NAD+{role}", body.message.unh)
    letter = body.need_group("S02")
    course = body.need_group("S11")
    rffs = letter.all("RFF")
    priority = rffs[1] if len(rffs) > 1 else None
    episode = course.first("RFF", "REI")
    s14 = body.groups_of("S14")
    subject = s14[0].segments[0] if s14 and s14[0].segments and (
        s14[0].segments[0].tag == "FTX" and s14[0].segments[0].get(1) == SUBJECT) else None
    blocks = [[s for s in g.all("FTX") if s.get(1) not in _NOT_TEXT] for g in s14]
    found = body.patient(body.need_group("S07"), title_from_emp=False)
    occupation = body.need_group("S07").first("EMP")
    with body.blame(body.message.unh):
        return ClinicalEmail(
            letter=body.letter_header(letter, _STATUS),
            sender=body.organisation(parties["SSP"], interchange.sender),
            receiver=body.organisation(parties["PO"], interchange.recipient),
            patient=found,
            occupation=(occupation.get(3, 4) or None) if occupation else None,
            patient_status=body.code(body.need(course, "PAS"), 1, _PATIENT_STATUS,
                                     "patient status (PAS)"),
            episode_of_care=episode.get(1, 2) if episode else None,
            priority=body.code(priority, 1, _PRIORITY, "priority (RFF)") if priority else None,
            subject=subject.get(4) if subject else None,
            texts=tuple(t for block in blocks if (t := texts(block)) is not None),
            references=tuple(body.reference(s) for g in s14 for s in g.all("FTX")
                             if s.get(1) in REFERENCE_KINDS),
        )


def write(km: ClinicalEmail, version: EdifactVersion) -> list[Segment]:
    _check(km.patient, version)
    head = km.letter
    out = [Segment.of("BGM", "EPI", None, "9", "NA"), dtm("137", head.authorised)]
    out += [marker("S01"), *organisation("SSP", km.sender), Segment.of("SEQ", None, "1"),
            *spr(km.sender, version.type_code, sender=True)]
    out += [marker("S01"), *organisation("PO", km.receiver),
            Segment.of("SEQ", None, "2"), *spr(km.receiver, version.type_code)]
    out += [marker("S02"), Segment.of("GIS", code_of(STATUS, head.status, "letter status")),
            Segment.of("RFF", ("SRI", head.identifier))]
    if km.priority is not None:
        out.append(Segment.of("RFF", (codes.KM_PRIORITY[km.priority], PRIORITY_AGENCY)))
    out.append(dtm("182", head.authorised))
    out += [marker("S07"), *patient(km.patient, title_in_emp=False)]
    if km.occupation is not None:
        out.append(emp(km.occupation))
    episode = (("REI", spell_id(km.episode_of_care, ObjectIdForm.HEX32))
               if km.episode_of_care is not None else NO_EPISODE)
    out += [marker("S11"), Segment.of("GIS", "N"), Segment.of("RFF", episode),
            Segment.of("SEQ", None, "1"), Segment.of("PAS", codes.PATIENT_STATUS[
                km.patient_status])]
    out += _text_groups(km)
    refs = [reference(r) for r in km.references]
    for start in range(0, len(refs), FTX_PER_GROUP):
        out += [marker("S14"), *refs[start : start + FTX_PER_GROUP]]
    return out


def _check(value: Patient, version: EdifactVersion) -> None:
    if value.title is not None or value.phones or value.email is not None:
        raise UnsupportedInVersion(f"{version.code} carries no title, telephone or e-mail for "
                                   "the patient")


def _text_groups(km: ClinicalEmail) -> list[Segment]:
    subject = [Segment.of("FTX", SUBJECT, "P00", None, km.subject)] if km.subject else []
    blocks: list[list[Segment]] = [
        ftx(TEXT, text) or [Segment.of("FTX", TEXT, "P00")] for text in km.texts
    ]
    if subject and not blocks:
        blocks = [[]]
    out: list[Segment] = []
    for i, block in enumerate(blocks):
        items = (subject if i == 0 else []) + block
        if len(items) > FTX_PER_GROUP:
            raise UnsupportedInVersion(
                f"a text block fits {FTX_PER_GROUP} FTX (about 3,000 characters); block "
                f"{i + 1} needs {len(items)}")
        out += [marker("S14"), *items]
    return out



"""REF01 hospital referral (MEDREF, H0130R) <-> the model's Referral.

Groups: S01 parties (NAD+PO referring sender, SSP receiving hospital, BV referrer, PRH
copy-of-answer receiver), S02 letter (GIS status, RFF+ROI course id, diagnoses in CIN,
FTX+DI reason), S06, S07 patient, S10 relative, S12 clinical information, e-mail and
references, S18 priority, visitation notes and referral status, S19 transport and
supplementary text.
"""

from __future__ import annotations

import dataclasses

from medcom_adapter.edifact import codes
from medcom_adapter.edifact.common import (
    REFERENCE_KINDS,
    Body,
    Group,
    address,
    adr,
    code_of,
    dtm,
    ftx,
    identification,
    marker,
    nad,
    organisation,
    patient,
    pna,
    reference,
    spr,
    texts,
)
from medcom_adapter.edifact.parser import Interchange
from medcom_adapter.edifact.syntax import Segment
from medcom_adapter.edifact.versions import EdifactVersion
from medcom_adapter.errors import UnsupportedInVersion
from medcom_adapter.model.codes import DiagnoseDescriptionCode, IdentifierCode, LetterStatus
from medcom_adapter.model.letters import (
    ClinicalInformation,
    Diagnosis,
    EpisodeOfCare,
    Referral,
    Visitation,
)
from medcom_adapter.model.parties import (
    CcReceiver,
    Patient,
    Referrer,
    Relative,
)
from medcom_adapter.model.text import FormattedText
from medcom_adapter.oioxml.common import spell_id
from medcom_adapter.oioxml.versions import ObjectIdForm

GROUPS = frozenset({"S01", "S02", "S06", "S07", "S10", "S12", "S18", "S19"})
NO_EPISODE = "_"
FTX_PER_GROUP = 9
FTX_PER_VISITATION = 1  # MedCom reads each FTX of S18 as one visitation note
EMAIL = "IN"
PREGNANCY = "PR"  # exists in MEDREF, not in a hospital referral
CLINICAL = {"NC": "anamnesis", "CF": "examination", "MT": "actual_medicine", "AL": "cave"}
STATUS = {LetterStatus.NEW: "N"}  # a corrected REF01 is not in MedCom's mapping

_STATUS = codes.inverse(STATUS)
_IDENTIFIER_CODES: dict[str, IdentifierCode] = codes.inverse(
    {k: v[0] for k, v in codes.IDENTIFIER.items()}, codes.IDENTIFIER_ALIASES)
_PRIORITY = codes.inverse(codes.PRIORITY)
_REFERRAL_STATUS = codes.inverse(codes.REFERRAL_STATUS)
_TRANSPORT = codes.inverse(codes.TRANSPORT)
_RELATIONS = codes.inverse(codes.RELATION)
_DIAGNOSE_TYPES = codes.inverse(codes.DIAGNOSE_TYPE)
_DESCRIPTIONS = codes.inverse(codes.DIAGNOSE_DESCRIPTION)
_INFORMATION = codes.inverse(codes.INFORMATION)


# -- reading --------------------------------------------------------------------------------

def read(body: Body, interchange: Interchange, version: EdifactVersion) -> Referral:
    parties = {nad_.get(1): g for g in body.groups_of("S01") if (nad_ := g.first("NAD"))}
    for role in ("PO", "SSP", "BV"):
        if role not in parties:
            raise body.error(f"REF01 needs an S01 with NAD+{role}", body.message.unh)
    letter = body.need_group("S02")
    s12 = _by_qualifier(body.groups_of("S12"))
    s18, s19 = body.group("S18"), body.group("S19")
    main, extra = _diagnoses(body, letter)
    pty = s18.first("PTY", "PRI") if s18 else None
    pas = s18.first("PAS") if s18 else None
    tdt = s19.first("TDT") if s19 else None
    relative = body.group("S10")
    with body.blame(body.message.unh):
        return Referral(
            letter=body.letter_header(letter, _STATUS),
            episodes=_episodes(letter),
            sender=body.organisation(parties["PO"], interchange.sender),
            referrer=_referrer(body, parties["BV"]),
            receiver=body.organisation(parties["SSP"], interchange.recipient),
            answer_cc=_cc(body, parties["PRH"]) if "PRH" in parties else None,
            patient=_patient(body, body.need_group("S07"), s12),
            relative=_relative(body, relative) if relative else None,
            priority=body.code(pty, 2, _PRIORITY, "priority (PTY)") if pty else None,
            referral_status=body.code(pas, 1, _REFERRAL_STATUS, "referral status (PAS)")
            if pas else None,
            transport=body.code(tdt, 3, _TRANSPORT, "transport (TDT)") if tdt else None,
            supplementary=texts(s19.all("FTX", "COT")) if s19 else None,
            clinical_reason=texts(letter.all("FTX", "DI")),
            diagnosis=main,
            additional_diagnoses=extra,
            clinical_information=ClinicalInformation(
                **{name: texts(s12.get(q, [])) for q, name in CLINICAL.items()}
            ),
            references=tuple(body.reference(s) for s in _ftx(body.groups_of("S12"))
                             if s.get(1) in REFERENCE_KINDS),
            visitations=tuple(
                Visitation(body.code(f, 1, _INFORMATION, "visitation note kind"),
                           texts([f]) or FormattedText(()))
                for f in (s18.all("FTX") if s18 else [])
            ),
        )


def _ftx(groups: list[Group]) -> list[Segment]:
    return [s for g in groups for s in g.segments if s.tag == "FTX"]


def _by_qualifier(groups: list[Group]) -> dict[str, list[Segment]]:
    found: dict[str, list[Segment]] = {}
    for segment in _ftx(groups):
        found.setdefault(segment.get(1), []).append(segment)
    return found


def _episodes(letter: Group) -> tuple[EpisodeOfCare, ...]:
    roi = letter.first("RFF", "ROI")
    value = roi.get(1, 2) if roi else ""
    return () if value in ("", NO_EPISODE) else (EpisodeOfCare(value),)


def _referrer(body: Body, group: Group) -> Referrer:
    found = body.need(group, "NAD")
    code = (body.code(found, 2, _IDENTIFIER_CODES, "identifier qualifier", 2)
            if found.get(2) else None)
    with body.blame(found):
        return Referrer(
            name=found.get(4, 2),
            title=found.get(4, 1) or None,
            identifier=found.get(2) if code else None,
            identifier_code=code,
        )


def _cc(body: Body, group: Group) -> CcReceiver:
    found = body.need(group, "NAD")
    code = body.code(found, 2, _IDENTIFIER_CODES, "identifier qualifier", 2)
    con = group.first("CON")
    with body.blame(found):
        return CcReceiver(
            identifier=found.get(2),
            identifier_code=code,
            name=found.get(4, 1) or None,
            department=found.get(4, 2) or None,
            unit=found.get(4, 3) or None,
            address=address(group.first("ADR")),
            phone=(con.get(2) or None) if con else None,
        )


def _patient(body: Body, group: Group, s12: dict[str, list[Segment]]) -> Patient:
    if PREGNANCY in s12:
        raise body.error("a hospital referral cannot carry pregnancy information (FTX+PR)",
                         s12[PREGNANCY][0])
    found = body.patient(group, title_from_emp=True)
    email = s12.get(EMAIL)
    return dataclasses.replace(found, email=email[0].get(4)) if email else found


def _relative(body: Body, group: Group) -> Relative:
    rel = body.need(group, "REL")
    pas = body.need(group, "PNA", "PAS")
    return Relative(
        relation=body.code(rel, 2, _RELATIONS, "relation (REL)"),
        surname=pas.get(5, 2),
        given_name=pas.get(6, 2) or None,
        person_id=pas.get(2) or None,
    )


def _diagnoses(body: Body, letter: Group) -> tuple[Diagnosis | None, tuple[Diagnosis, ...]]:
    main: Diagnosis | None = None
    extra: list[Diagnosis] = []
    for cin in letter.all("CIN"):
        kind = body.code(cin, 2, _DIAGNOSE_TYPES, "diagnosis code type", 2)
        if cin.get(1) == codes.MAIN_DIAGNOSIS and main is None:
            main = Diagnosis(cin.get(2, 4), kind, cin.get(2) or None)
        else:
            description = body.code(cin, 1, _DESCRIPTIONS, "diagnosis kind (CIN)")
            extra.append(Diagnosis(cin.get(2, 4), kind, cin.get(2) or None, description))
    return main, tuple(extra)


# -- writing --------------------------------------------------------------------------------

def write(referral: Referral, version: EdifactVersion) -> list[Segment]:
    _check(referral, version)
    letter = referral.letter
    out = [Segment.of("BGM", "HNV", None, "9", "NA"), dtm("137", letter.authorised)]
    out += [marker("S01"), *organisation("PO", referral.sender),
            Segment.of("SEQ", None, "1"),
            *spr(referral.sender, version.type_code, sender=True)]
    out += [marker("S01"), *organisation("SSP", referral.receiver),
            Segment.of("SEQ", None, "2"), *spr(referral.receiver, version.type_code)]
    out += [marker("S01"), *_write_referrer(referral.referrer),
            Segment.of("RFF", ("AHL", "1")), Segment.of("SEQ", None, "3")]
    if referral.answer_cc is not None:
        out += [marker("S01"), *_write_cc(referral.answer_cc), Segment.of("SEQ", None, "4")]
    episode = referral.episodes[0].identifier if referral.episodes else None
    out += [marker("S02"), Segment.of("GIS", code_of(STATUS, letter.status, "letter status")),
            Segment.of("RFF", ("ROI", spell_id(episode, ObjectIdForm.HEX32)
                               if episode else NO_EPISODE)),
            dtm("4", letter.authorised), *_write_diagnoses(referral),
            *ftx("DI", referral.clinical_reason)]
    out += [marker("S06"), Segment.of("STS", None, "NR")]
    out += [marker("S07"), *patient(referral.patient, title_in_emp=True)]
    if referral.relative is not None:
        out += [marker("S10"), *_write_relative(referral.relative)]
    out += _write_s12(referral)
    out += [marker("S18"), Segment.of("GIS", "N")]
    if referral.priority is not None:
        out.append(Segment.of("PTY", "PRI", codes.PRIORITY[referral.priority]))
    for visitation in referral.visitations:
        out += _write_visitation(visitation)
    if referral.referral_status is not None:
        out.append(Segment.of("PAS", code_of(codes.REFERRAL_STATUS, referral.referral_status,
                                             "referral status")))
    out += [marker("S19"), Segment.of("STS", None, "NR")]
    if referral.transport is not None:
        out.append(Segment.of("TDT", "PHL", None, codes.TRANSPORT[referral.transport]))
    out += ftx("COT", referral.supplementary)
    return out


def _check(referral: Referral, version: EdifactVersion) -> None:
    if len(referral.episodes) > 1 or any(e.type is not None for e in referral.episodes):
        raise UnsupportedInVersion(f"{version.code} carries one untyped course id (RFF+ROI)")
    if referral.hospital_choice is not None:
        raise UnsupportedInVersion(f"{version.code} has no hospital choice (frit sygehusvalg)")
    if referral.diagnosis is not None and referral.diagnosis.description is not None:
        raise UnsupportedInVersion("the main diagnosis (CIN+H) carries no description code")
    if referral.diagnosis is None and any(
        d.description is DiagnoseDescriptionCode.REFERRAL for d in referral.additional_diagnoses
    ):
        raise UnsupportedInVersion("an additional referral diagnosis (CIN+H) without a main "
                                   "diagnosis would be read back as the main one")


def _write_referrer(referrer: Referrer) -> list[Segment]:
    ident = (identification(referrer.identifier, referrer.identifier_code)
             if referrer.identifier is not None and referrer.identifier_code is not None
             else None)
    return [Segment.of("NAD", "BV", ident, None,
                       (referrer.title or "", referrer.name, "", "", "", "US"))]


def _write_cc(cc: CcReceiver) -> list[Segment]:
    out = [nad("PRH", identification(cc.identifier, cc.identifier_code), cc.name,
               cc.department, cc.unit), *adr(cc.address)]
    if cc.phone is not None:
        out.append(Segment.of("CON", None, (cc.phone, "TE")))
    return out


def _write_diagnoses(referral: Referral) -> list[Segment]:
    out = []
    if referral.diagnosis is not None:
        out.append(_cin(codes.MAIN_DIAGNOSIS, referral.diagnosis))
    for extra in referral.additional_diagnoses:
        if extra.description is None:
            raise UnsupportedInVersion("an additional diagnosis needs its description code")
        out.append(_cin(code_of(codes.DIAGNOSE_DESCRIPTION, extra.description,
                                "diagnosis description"), extra))
    return out


def _cin(kind: str, diagnosis: Diagnosis) -> Segment:
    # the code list's agency stays empty, as MedCom's converter and its REF01 example write it
    return Segment.of("CIN", kind, (
        diagnosis.code or "", code_of(codes.DIAGNOSE_TYPE, diagnosis.type, "diagnosis type"),
        "", diagnosis.text))


def _write_relative(relative: Relative) -> list[Segment]:
    return [Segment.of("REL", "PER", codes.RELATION[relative.relation]),
            pna("PAS", relative.person_id, relative.surname, relative.given_name)]


def _write_s12(referral: Referral) -> list[Segment]:
    clinical = referral.clinical_information
    items: list[Segment] = []
    if referral.patient.email is not None:
        items.append(Segment.of("FTX", EMAIL, "P00", None, referral.patient.email))
    for qualifier, name in CLINICAL.items():
        items += ftx(qualifier, getattr(clinical, name))
    items += [reference(r) for r in referral.references]
    out: list[Segment] = []
    for start in range(0, len(items), FTX_PER_GROUP):
        out += [marker("S12"), *items[start : start + FTX_PER_GROUP]]
    return out


def _write_visitation(visitation: Visitation) -> list[Segment]:
    found = ftx(code_of(codes.INFORMATION, visitation.code, "visitation note kind"),
                visitation.information) or [Segment.of("FTX", codes.INFORMATION[
                    visitation.code], "P00")]
    if len(found) > FTX_PER_VISITATION:
        raise UnsupportedInVersion("a visitation note fits one FTX (5 lines of 70 characters)")
    return found


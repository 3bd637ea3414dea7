"""MedCom's EDIFACT qualifiers for the model's code lists, one table per list.

Each table maps a model value to its EDIFACT code; reading uses the inverse, plus the few
extra spellings MedCom's converter accepts on input (``ALIASES``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

from medcom_adapter.model.codes import (
    DiagnoseDescriptionCode,
    DiagnoseTypeCode,
    IdentifierCode,
    InformationCode,
    MedicalSpeciality,
    ObjectCode,
    ObjectExtensionCode,
    Priority,
    ReferralStatus,
    RelationCode,
    TelephoneCode,
    Transport,
)
from medcom_adapter.model.correspondence import CorrespondencePriority, EpisodeOfCareStatus
from medcom_adapter.model.text import Style

E = TypeVar("E", bound=Enum)

# NAD / PNA identification: qualifier and responsible agency
IDENTIFIER: Mapping[IdentifierCode, tuple[str, str]] = {
    IdentifierCode.HOSPITAL_DEPARTMENT: ("SKS", "SST"),
    IdentifierCode.PROVIDER_NUMBER: ("YNR", "SFU"),
    IdentifierCode.LOCATION_NUMBER: ("", "9"),
    IdentifierCode.MUNICIPALITY: ("KOM", "IM"),
    IdentifierCode.SOR: ("SOR", "SST"),
}
IDENTIFIER_ALIASES = {"EAN": IdentifierCode.LOCATION_NUMBER}

# SPR sender speciality (AFSSPEC)
_SPECIALITIES = {
    "ikkeklassificeret": "99", "intern_medicin_sygehus": "1", "geriatri": "2",
    "hepatologi": "3", "haematologi": "4", "infektionsmedicin": "5", "kardiologi": "6",
    "med_allergologi": "7", "med_endokrinologi": "8", "med_gastroenterologi": "9",
    "med_lungesygdomme": "10", "nefrologi": "11", "reumatologi": "12",
    "dermato_venerologi_sygehus": "18", "neurologi": "20", "onkologi": "22",
    "kirurgi_sygehus": "30", "karkirurgi": "31", "kir_gastroenterologi": "32",
    "plastikkirurgi": "33", "thoraxkirurgi": "34", "urologi": "35",
    "gynaekologi_obstetrik_sygehus": "38", "neurokirurgi": "40",
    "ortopaedisk_kirurgi_sygehus": "42", "oftalmologi": "44", "oto_rhino_laryngologi": "46",
    "hospitalsodontologi": "48", "psykiatri_sygehus": "50", "boerne_ungdomspsykiatri": "52",
    "klin_biokemi": "60", "klin_fys_nuklearmedicin": "61", "klin_immunologi": "62",
    "klin_mikrobiologi": "63", "klin_neurofysiologi": "64", "patologisk_anatomi": "65",
    "diagnostisk_radiologi": "66", "klin_farmakologi": "67", "klin_genetik": "68",
    "paediatri_sygehus": "80", "anaestesiologi_sygehus": "84", "arbejdsmedicin": "86",
    "almen_medicin": "90", "samfundsmedicin": "91", "almenlaege_laegevagt": "580",
    "oejenlaege": "1519", "oere_naese_halslaege": "2021", "anaestesiologi_praksis": "2501",
    "roentgen_kbh": "2503", "dermato_venerologi_praksis": "2504", "roentgen": "2505",
    "reumatologi_fysiurgi": "2506", "gynaekologi_obstetrik_praksis": "2507",
    "intern_medicin_praksis": "2508", "kirurgi_praksis": "2509", "klinisk_kemi": "2511",
    "neuromedicin": "2518", "ortopaedisk_kirurgi_praksis": "2520", "patologi": "2522",
    "plastkirurgi": "2523", "psykiatri_praksis": "2524", "paediatri": "2525",
    "boernepsykiatri": "2526", "tropemedicin": "2528", "tandlaege": "4050",
    "fysioterapi": "4551", "kiropraktor": "5053", "briller": "5552", "fodterapi": "6054",
    "fodbehandlking": "6055", "med_laboratorier": "7045", "omegnslaboratorier": "7046",
    "psykolog": "9463",
}
SPECIALITY: Mapping[MedicalSpeciality, str] = {
    MedicalSpeciality(k): v for k, v in _SPECIALITIES.items()
}

TELEPHONE = {TelephoneCode.LANDLINE: "HO", TelephoneCode.MOBILE: "CE", TelephoneCode.WORK: "WO"}
RELATION = {RelationCode.UNSPECIFIED: "GU", RelationCode.MOTHER: "MO",
            RelationCode.FATHER: "FA", RelationCode.CHILD: "SD"}
PRIORITY = {Priority.ELECTIVE: "WA", Priority.ACUTE: "AC", Priority.SPECIAL: "SA"}
REFERRAL_STATUS = {ReferralStatus.OUTPATIENT: "HA", ReferralStatus.ADMISSION: "HS"}
TRANSPORT = {Transport.NONE: "TX", Transport.LYING: "ST", Transport.SITTING: "SI"}
DIAGNOSE_TYPE = {DiagnoseTypeCode.SKS: "SKS", DiagnoseTypeCode.UNSPECIFIED: "USP",
                 DiagnoseTypeCode.ICPC: "ICP"}
MAIN_DIAGNOSIS = "H"  # CIN qualifier of Referral/Refer
DIAGNOSE_DESCRIPTION = {
    DiagnoseDescriptionCode.UNSPECIFIED: "DI", DiagnoseDescriptionCode.REFERRAL: "H",
    DiagnoseDescriptionCode.SECONDARY: "B", DiagnoseDescriptionCode.ADDITIONAL: "DM",
    DiagnoseDescriptionCode.ACTION: "A", DiagnoseDescriptionCode.TEMPORARY: "M",
    DiagnoseDescriptionCode.COURSE: "S", DiagnoseDescriptionCode.OPERATION: "TR",
    DiagnoseDescriptionCode.XRAY: "IN",
}
INFORMATION = {
    InformationCode.UNSTRUCTURED: "US", InformationCode.OWN_DOCTOR: "EL",
    InformationCode.REFERRAL_RECEIVED: "HV", InformationCode.VISITATION: "VI",
    InformationCode.SUMMONED: "IK", InformationCode.ADMITTED_TO: "AF",
    InformationCode.OUT_OF_COUNTY_GUARANTEE: "UA",
}
OBJECT = {
    ObjectCode.TEXT_FILE: "TXT", ObjectCode.IMAGE: "IMG", ObjectCode.PROGRAM: "PRG",
    ObjectCode.VECTOR_GRAPHICS: "VGR", ObjectCode.BIOSIGNALS: "BSG",
    ObjectCode.MULTIMEDIA: "MUL", ObjectCode.PROPRIETARY: "PRP",
}
OBJECT_ALIASES = {"SND": ObjectCode.MULTIMEDIA}
EXTENSION = {e: e.value.upper() for e in ObjectExtensionCode} | {
    ObjectExtensionCode.TIFF: "TIF", ObjectExtensionCode.JPEG: "JPG",
}
PATIENT_STATUS = {
    EpisodeOfCareStatus.INACTIVE: "POT", EpisodeOfCareStatus.ADMITTED: "HS",
    EpisodeOfCareStatus.OUTPATIENT: "HA", EpisodeOfCareStatus.DECEASED: "DA",
    EpisodeOfCareStatus.OUTPATIENT_XRAY: "REQ",
}
KM_PRIORITY = {CorrespondencePriority.ROUTINE: "NO", CorrespondencePriority.HIGH: "HI"}

# FTX text format (element 2): font P(roportional) / F(ixed), style, alignment
STYLE_LETTER = {Style.BOLD: "F", Style.UNDERLINE: "U", Style.ITALIC: "K"}
ALIGN_LETTER = {Style.RIGHT: "H", Style.CENTER: "M"}


def inverse(table: Mapping[E, str], aliases: Mapping[str, E] | None = None) -> dict[str, E]:
    found = {code: value for value, code in table.items()}
    return found | dict(aliases or {})

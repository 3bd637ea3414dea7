"""MedCom code lists used by the referral and binary letters.

Each enumeration holds the union of the values the supported versions allow; which values a
given version accepts is decided by that version's schema in ``xsd/`` (for example
``hjemmet`` is a ReferralStatus only from XH0131R on). Values are MedCom's own spellings.
"""

from enum import StrEnum


class AcknowledgementCode(StrEnum):
    """Whether the sender wants a positive receipt (XCTL03) as well as negative ones."""

    PLUS_POSITIVE = "pluspositivkvitt"
    MINUS_POSITIVE = "minuspositivkvitt"


class LetterStatus(StrEnum):
    NEW = "nytbrev"
    CORRECTED = "rettetbrev"


class IdentifierCode(StrEnum):
    """What kind of number an Organisation's ``Identifier`` is."""

    HOSPITAL_DEPARTMENT = "sygehusafdelingsnummer"
    PROVIDER_NUMBER = "ydernummer"
    LOCATION_NUMBER = "lokationsnummer"
    MUNICIPALITY = "kommunenummer"
    COUNTY = "amt"
    SOR = "sorkode"


class Priority(StrEnum):
    ELECTIVE = "elektiv"
    ACUTE = "akut"
    SPECIAL = "saerlige_forhold"


class ReferralStatus(StrEnum):
    OUTPATIENT = "ambulant"
    ADMISSION = "indlaeggelse"
    HOME = "hjemmet"


class Transport(StrEnum):
    NONE = "ingen"
    LYING = "liggende"
    SITTING = "siddende"


class RelationCode(StrEnum):
    UNSPECIFIED = "uspec_paaroerende"
    MOTHER = "mor"
    FATHER = "far"
    CHILD = "barn"


class TelephoneCode(StrEnum):
    MOBILE = "mobil"
    WORK = "arbejde"
    LANDLINE = "fastnet"


class DiagnoseTypeCode(StrEnum):
    SKS = "SKSdiagnosekode"
    UNSPECIFIED = "uspecificeretkode"
    ICPC = "ICPCkode"
    SPECIALIST_REFERRAL = "speciallaegehenvisning"
    PHYSIOTHERAPY_REFERRAL = "fysioterapihenvisning"
    PSYCHOLOGIST_REFERRAL = "psykologhenvisning"
    PHYSIOTHERAPY_REFERRAL_DIAGNOSIS = "Fysioterapihenvisningsdiagnose"
    PSYCHOLOGIST_REFERRAL_DIAGNOSIS = "Psykologhenvisningsdiagnose"


class DiagnoseDescriptionCode(StrEnum):
    UNSPECIFIED = "uspec_diagnose"
    REFERRAL = "henv_diagnose"
    REFERRAL_NEW_ILLNESS = "henv_diagnose_ny_sygdom"
    REFERRAL_SAME_ILLNESS = "henv_diagnose_samme_sygdom"
    SECONDARY = "bidiagnose"
    ADDITIONAL = "tillaegsdiagnose"
    ACTION = "aktionsdiagnose"
    TEMPORARY = "midlertidig_diagnose"
    COURSE = "forloebsdiagnose"
    OPERATION = "operation"
    XRAY = "roentgenundersoegelse"
    SPECIALIST_REFERRAL = "speciallaegehenvisning"
    PHYSIOTHERAPY_REFERRAL = "fysioterapihenvisning"
    PSYCHOLOGIST_REFERRAL = "psykologhenvisning"
    PHYSIOTHERAPY_GROUP = "fysioterapihenvisningspgruppe"


class InformationCode(StrEnum):
    """Kind of a hospital visitation note (HospitalVisitation/InformationCode)."""

    UNSTRUCTURED = "ustruktureret"
    OWN_DOCTOR = "egen_laege"
    REFERRAL_RECEIVED = "henvisning_modtaget"
    VISITATION = "visitering"
    SUMMONED = "indkaldt"
    ADMITTED_TO = "indlagt_paa"
    OUT_OF_COUNTY_GUARANTEE = "udenamts_kaution"


class HospitalChoice(StrEnum):
    """Frit sygehusvalg codes (XH0131R only)."""

    ALDB00 = "ALDB00"
    ALDB01 = "ALDB01"
    ALDB02 = "ALDB02"
    ALDB03 = "ALDB03"


class ObjectCode(StrEnum):
    """Broad kind of a binary object."""

    TEXT_FILE = "tekstfil"
    IMAGE = "billede"
    PROGRAM = "program"
    VECTOR_GRAPHICS = "vektor_grafik"
    BIOSIGNALS = "biosignaler"
    MULTIMEDIA = "multimedie"
    PROPRIETARY = "proprietaert_indhold"


class ObjectExtensionCode(StrEnum):
    """File format of a binary object (``fnx`` exists in some sets only)."""

    PCX = "pcx"
    TIFF = "tiff"
    JPEG = "jpeg"
    GIF = "gif"
    BMP = "bmp"
    PNG = "png"
    MPG = "mpg"
    DCM = "dcm"
    SCP = "scp"
    TXT = "txt"
    RTF = "rtf"
    DOC = "doc"
    XLS = "xls"
    WPD = "wpd"
    EXE = "exe"
    PDF = "pdf"
    WAV = "wav"
    AVI = "avi"
    MID = "mid"
    RMI = "rmi"
    COM = "com"
    ZIP = "zip"
    BIN = "bin"
    INH = "inh"
    PLO = "plo"
    FNX = "fnx"


# MedCom's medical speciality codes (identical in every supported set). Built from the list
# because the values already are readable identifiers.
_SPECIALITIES = [
    "ikkeklassificeret", "intern_medicin_sygehus", "geriatri", "hepatologi", "haematologi",
    "infektionsmedicin", "kardiologi", "med_allergologi", "med_endokrinologi",
    "med_gastroenterologi", "med_lungesygdomme", "nefrologi", "reumatologi",
    "dermato_venerologi_sygehus", "neurologi", "onkologi", "kirurgi_sygehus", "karkirurgi",
    "kir_gastroenterologi", "plastikkirurgi", "thoraxkirurgi", "urologi",
    "gynaekologi_obstetrik_sygehus", "neurokirurgi", "ortopaedisk_kirurgi_sygehus",
    "oftalmologi", "oto_rhino_laryngologi", "hospitalsodontologi", "psykiatri_sygehus",
    "boerne_ungdomspsykiatri", "klin_biokemi", "klin_fys_nuklearmedicin", "klin_immunologi",
    "klin_mikrobiologi", "klin_neurofysiologi", "patologisk_anatomi",
    "diagnostisk_radiologi", "klin_farmakologi", "klin_genetik", "anaestesiologi_sygehus",
    "arbejdsmedicin", "almen_medicin", "samfundsmedicin", "almenlaege_laegevagt",
    "oejenlaege", "oere_naese_halslaege", "anaestesiologi_praksis", "roentgen_kbh",
    "dermato_venerologi_praksis", "roentgen", "reumatologi_fysiurgi",
    "gynaekologi_obstetrik_praksis", "intern_medicin_praksis", "kirurgi_praksis",
    "klinisk_kemi", "neuromedicin", "ortopaedisk_kirurgi_praksis", "patologi",
    "plastkirurgi", "psykiatri_praksis", "paediatri", "boernepsykiatri", "tropemedicin",
    "tandlaege", "fysioterapi", "kiropraktor", "briller", "fodterapi", "fodbehandlking",
    "med_laboratorier", "omegnslaboratorier", "psykolog", "akut", "almenlaege_vagtkoersel",
    "almenlaege_vagtlaegehjaelp", "blandet", "fodterapi_leddegigt", "fodterapi_radioaktiv",
    "fysioterapi_sygehus", "fysioterapi_vederlagsfri", "kiropraktor_64",
    "med_laboratorier_kpll", "med_laboratorier_ssi", "neurokirurgi_praksis",
    "paediatri_sygehus", "palliativ", "retsmedicin", "ridefysioterapi",
    "ridefysioterapi_vederlagsfri", "sexologi", "tandplejere", "teddy", "vagtlaege",
    "vagtlaegehjaelp", "vagtlaegehjaelp_kbh",
]

MedicalSpeciality = StrEnum(  # type: ignore[misc]
    "MedicalSpeciality", [(code.upper(), code) for code in _SPECIALITIES]
)
MedicalSpeciality.__doc__ = "MedCom MedicalSpecialityCode, e.g. boerne_ungdomspsykiatri."

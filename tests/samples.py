"""Sample models for tests: MedCom test persons and invented organisations only."""

from __future__ import annotations

from datetime import datetime

from medcom_adapter.model.codes import (
    DiagnoseDescriptionCode,
    DiagnoseTypeCode,
    IdentifierCode,
    InformationCode,
    LetterStatus,
    MedicalSpeciality,
    ObjectCode,
    ObjectExtensionCode,
    Priority,
    ReferralStatus,
    RelationCode,
    TelephoneCode,
    Transport,
)
from medcom_adapter.model.correspondence import (
    ClinicalEmail,
    CorrespondencePriority,
    EpisodeOfCareStatus,
)
from medcom_adapter.model.identifiers import Cpr, Gln, LocationNumber
from medcom_adapter.model.letters import (
    BinaryLetter,
    BinaryObject,
    ClinicalInformation,
    Diagnosis,
    EpisodeOfCare,
    LetterHeader,
    ObjectId,
    Reference,
    Referral,
    SupplementaryRef,
    UrlRef,
    Visitation,
)
from medcom_adapter.model.parties import (
    Address,
    CcReceiver,
    Organisation,
    Patient,
    Referrer,
    Relative,
    Telephone,
)
from medcom_adapter.model.text import Break, FormattedText, Space, Style, Styled

WHEN = datetime(2026, 11, 20, 9, 30)
COURSE_ID = "8f0c4a52-3d1e-4a8b-9c7e-2b5d6f1a0e93"
PDF = b"%PDF-1.4\n% invented test form\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"

PPR = Organisation(
    ean=LocationNumber("5790000123452"),
    identifier="953741000016009",
    identifier_code=IdentifierCode.SOR,
    name="Eksempel Kommune",
    department="PPR",
    unit="Tidlig indsats",
    address=Address("Skolevej 1", "Nordby", "Eksempelby", "9999"),
    phone="70100000",
    speciality=MedicalSpeciality("psykolog"),
)
BUP = Organisation(
    ean=LocationNumber("5790000987658"),
    identifier="6630361",
    identifier_code=IdentifierCode.HOSPITAL_DEPARTMENT,
    name="Eksempel Regionshospital",
    department="Børne- og Ungdomspsykiatrien",
    unit="Ambulatoriet",
    address=Address("Hospitalsvej 2", None, "Eksempelby", "9999"),
)
CHILD = Patient(
    id=Cpr("2509479989"),
    surname="Elmer",
    given_name="Bruno Test",
    title="Elev",
    address=Address("Testvej 3", "Sydby", "Eksempelby", "9999"),
    phones=(Telephone("20000000", TelephoneCode.MOBILE),
            Telephone("70000000", TelephoneCode.LANDLINE)),
    email="familien@example.invalid",
)

DANISH = FormattedText((
    "Æblegrød på Ørstedsvej, ", Styled(Style.BOLD, ("åben", Break(), "ÆØÅ æøå")),
    Space(), Styled(Style.ITALIC, ("kursiv",)), Break(),
    Styled(Style.FIXED_FONT, ("fast ", Styled(Style.UNDERLINE, ("understreget",)))),
    Styled(Style.CENTER, ("midt",)), Styled(Style.RIGHT, ("højre",)),
))


def minimal_referral(*, typed_episode: bool = True) -> Referral:
    episode = EpisodeOfCare(COURSE_ID, "henviser" if typed_episode else None)
    return Referral(
        letter=LetterHeader("L0000001", WHEN),
        episodes=(episode,),
        sender=PPR,
        referrer=Referrer("Sara Testsen"),
        receiver=BUP,
        patient=Patient(Cpr("2509479989"), "Elmer"),
    )


def full_referral(*, typed_episode: bool = True, describe_main: bool = True) -> Referral:
    episodes = (
        (EpisodeOfCare(COURSE_ID, "henviser"), EpisodeOfCare("LPR3-0001", "LPR3"))
        if typed_episode else (EpisodeOfCare(COURSE_ID.replace("-", "")),)
    )
    return Referral(
        letter=LetterHeader("L0000002", WHEN, LetterStatus.CORRECTED, "XREF01PP"),
        episodes=episodes,
        sender=PPR,
        referrer=Referrer("Sara Testsen", "Psykolog", "953741000016009", IdentifierCode.SOR),
        receiver=BUP,
        answer_cc=CcReceiver("079741", IdentifierCode.PROVIDER_NUMBER, "Lægehuset",
                             "Læge", "Hans Testlæge", Address("Vej 9", None, "By", "9999"),
                             "70200000"),
        patient=CHILD,
        relative=Relative(RelationCode.MOTHER, "Elmer", "Else Test", "2509479989"),
        priority=Priority.ACUTE,
        referral_status=ReferralStatus.OUTPATIENT,
        transport=Transport.NONE,
        supplementary=FormattedText.plain("Kan kontaktes efter kl. 15."),
        clinical_reason=DANISH,
        diagnosis=Diagnosis("Angsttilstand, uspecificeret", DiagnoseTypeCode.SKS, "DF419",
                            DiagnoseDescriptionCode.REFERRAL if describe_main else None),
        additional_diagnoses=(
            Diagnosis("Skolevægring", DiagnoseTypeCode.UNSPECIFIED, None,
                      DiagnoseDescriptionCode.ADDITIONAL),
        ),
        clinical_information=ClinicalInformation(
            FormattedText.plain("Ingen kendte"), FormattedText.plain("8 samtaler i PPR\nSkole"),
            FormattedText.plain("Ingen"), FormattedText.plain("Ingen medicin"),
        ),
        references=(
            Reference("Henvisningsskema BUP", BinaryObject(
                ObjectId(COURSE_ID), ObjectCode.IMAGE, ObjectExtensionCode.PDF, PDF,
            ).reference("x").target),
            Reference("Regionens vejledning", UrlRef("https://example.invalid/bup")),
            Reference("Skoleudtalelse eftersendes", SupplementaryRef()),
        ),
        visitations=(Visitation(InformationCode.REFERRAL_RECEIVED,
                                FormattedText.plain("Modtaget")),),
    )


def binary_letter(*, with_patient: bool = True) -> BinaryLetter:
    return BinaryLetter(
        letter=LetterHeader("B0000001", WHEN),
        sender=PPR,
        receiver=BUP,
        patient=Patient(Cpr("2509479989"), "Elmer", "Bruno Test") if with_patient else None,
        contents=None if with_patient else "Systempost",
        objects=(BinaryObject(ObjectId(COURSE_ID), ObjectCode.IMAGE, ObjectExtensionCode.PDF,
                              PDF),),
    )


def clinical_email() -> ClinicalEmail:
    """A KM from the PPR unit to the child's GP, with every optional element."""
    gp = Organisation(
        ean=LocationNumber.of(Gln("5790000121526")), identifier="079741",
        identifier_code=IdentifierCode.PROVIDER_NUMBER, name="Lægehuset Eksempel",
        department="Læge", unit="Hans Testlæge", address=Address("Vej 9", None, "By", "9999"),
    )
    return ClinicalEmail(
        letter=LetterHeader("K0000001", WHEN),
        sender=PPR,
        receiver=gp,
        patient=Patient(Cpr("2509479989"), "Elmer", "Bruno Test",
                        address=Address("Testvej 3", "Sydby", "Eksempelby", "9999")),
        patient_status=EpisodeOfCareStatus.INACTIVE,
        occupation="Elev",
        episode_of_care=COURSE_ID,
        priority=CorrespondencePriority.HIGH,
        subject="Forløb i PPR efter §126a",
        texts=(FormattedText.plain("Kære læge\nVi har haft Bruno i forløb."), DANISH),
        references=(Reference("Skoleudtalelse", UrlRef("https://example.invalid/u")),),
    )


def pdf_with(filler: bytes) -> bytes:
    """A real one-page PDF carrying ``filler`` in a stream: a file read from a request's
    folder is opened as an upload is, so it must be one."""
    import io

    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    stream = StreamObject()
    stream.set_data(filler)
    writer._root_object[NameObject("/Filler")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()

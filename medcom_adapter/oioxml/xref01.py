"""XREF01 HospitalReferral (sygehushenvisning): XH0131R and XH0130R."""

from __future__ import annotations

from medcom_adapter.errors import UnsupportedInVersion
from medcom_adapter.model.codes import (
    DiagnoseDescriptionCode,
    DiagnoseTypeCode,
    HospitalChoice,
    IdentifierCode,
    InformationCode,
    Priority,
    ReferralStatus,
    RelationCode,
    Transport,
)
from medcom_adapter.model.letters import (
    ClinicalInformation,
    Diagnosis,
    EpisodeOfCare,
    Referral,
    Visitation,
)
from medcom_adapter.model.parties import Referrer, Relative
from medcom_adapter.model.text import FormattedText
from medcom_adapter.oioxml.common import Element, Reader, Writer, blame, spell_id
from medcom_adapter.oioxml.versions import EpisodeForm, ObjectIdForm, Version

HEX32 = ObjectIdForm.HEX32  # id fields hold 35 characters: UUIDs go undashed


def write(w: Writer, parent: Element, referral: Referral, version: Version) -> None:
    root = w.el(parent, version.letter_element)
    letter = w.letter(root, referral.letter, version)
    _write_episodes(w, letter, referral.episodes, version)

    sender = w.organisation(root, "Sender", referral.sender)
    _write_referrer(w, sender, referral.referrer)
    w.organisation(root, "Receiver", referral.receiver)
    if referral.answer_cc is not None:
        w.cc_receiver(root, "AnswerCCReceiver", referral.answer_cc)
    w.patient(root, referral.patient)
    if referral.relative is not None:
        _write_relative(w, root, referral.relative)

    extra = (referral.priority, referral.referral_status, referral.transport,
             referral.supplementary, referral.clinical_reason, referral.hospital_choice)
    if any(v is not None for v in extra):
        info = w.el(root, "AdditionalInformation")
        w.opt(info, "Priority", referral.priority and referral.priority.value)
        w.opt(info, "ReferralStatus", referral.referral_status and referral.referral_status.value)
        w.opt(info, "Transport", referral.transport and referral.transport.value)
        w.formatted(info, "Supplementary", referral.supplementary)
        w.formatted(info, "ClinicalReason", referral.clinical_reason)
        w.opt(info, "HospitalChoice", referral.hospital_choice and referral.hospital_choice.value)

    if referral.diagnosis is not None or referral.additional_diagnoses:
        diagnoses = w.el(root, "Referral")
        if referral.diagnosis is not None:
            _write_diagnosis(w, diagnoses, "Refer", referral.diagnosis)
        for extra_diagnosis in referral.additional_diagnoses:
            _write_diagnosis(w, diagnoses, "ReferralAdditional", extra_diagnosis)

    clinical = referral.clinical_information
    if clinical:
        holder = w.el(root, "RelevantClinicalInformation")
        w.formatted(holder, "Cave", clinical.cave)
        w.formatted(holder, "Anamnesis", clinical.anamnesis)
        w.formatted(holder, "Examination", clinical.examination)
        w.formatted(holder, "ActualMedicine", clinical.actual_medicine)

    for reference in referral.references:
        w.reference(root, reference, version.object_id_form)
    for visitation in referral.visitations:
        holder = w.el(root, "HospitalVisitation")
        w.el(holder, "InformationCode", visitation.code.value)
        w.formatted(holder, "Information", visitation.information)


def _write_episodes(
    w: Writer, letter: Element, episodes: tuple[EpisodeOfCare, ...], version: Version
) -> None:
    if version.episode_form is EpisodeForm.IDENTIFIER:
        if len(episodes) > 1 or any(e.type is not None for e in episodes):
            raise UnsupportedInVersion(
                f"{version.code} carries one untyped episode-of-care identifier; "
                f"got {len(episodes)} episode(s) with types"
            )
        for episode in episodes:
            w.el(letter, "EpisodeOfCareIdentifier", spell_id(episode.identifier, HEX32))
        return
    if not episodes:
        raise UnsupportedInVersion(f"{version.code} requires at least one episode of care")
    for episode in episodes:
        if episode.type is None:
            raise UnsupportedInVersion(f"{version.code} requires a type for each episode of care")
        holder = w.el(letter, "EpisodeOfCare")
        w.el(holder, "EpisodeOfCareType", episode.type)
        w.el(holder, "EpisodeOfCareIdentifier", spell_id(episode.identifier, HEX32))


def _write_referrer(w: Writer, sender: Element, referrer: Referrer) -> None:
    holder = w.el(sender, "Referrer")
    w.opt(holder, "Identifier", referrer.identifier)
    w.opt(holder, "IdentifierCode", referrer.identifier_code and referrer.identifier_code.value)
    w.el(holder, "PersonName", referrer.name)
    w.opt(holder, "PersonTitle", referrer.title)


def _write_relative(w: Writer, parent: Element, relative: Relative) -> None:
    holder = w.el(parent, "Relative")
    w.el(holder, "RelationCode", relative.relation.value)
    w.opt(holder, "PersonIdentifier", relative.person_id)
    w.el(holder, "PersonSurnameName", relative.surname)
    w.opt(holder, "PersonGivenName", relative.given_name)


def _write_diagnosis(w: Writer, parent: Element, name: str, diagnosis: Diagnosis) -> None:
    holder = w.el(parent, name)
    w.opt(holder, "DiagnoseDescriptionCode", diagnosis.description and diagnosis.description.value)
    w.opt(holder, "DiagnoseCode", diagnosis.code)
    w.el(holder, "DiagnoseTypeCode", diagnosis.type.value)
    w.el(holder, "DiagnoseText", diagnosis.text)


def read(r: Reader, version: Version) -> Referral:
    letter = r.sub("Letter")
    assert letter is not None  # schema-valid
    sender = r.sub("Sender")
    receiver = r.sub("Receiver")
    patient = r.sub("Patient")
    assert sender is not None and receiver is not None and patient is not None
    referrer = sender.sub("Referrer")
    assert referrer is not None

    info = r.sub("AdditionalInformation")
    diagnoses = r.sub("Referral")
    clinical = r.sub("RelevantClinicalInformation")
    answer_cc = r.sub("AnswerCCReceiver")
    relative = r.sub("Relative")
    with blame(r.element):
        return Referral(
            letter=r.letter(),
            episodes=_read_episodes(letter),
            sender=sender.organisation(),
            referrer=_read_referrer(referrer),
            receiver=receiver.organisation(),
            answer_cc=answer_cc.cc_receiver() if answer_cc else None,
            patient=patient.patient(),
            relative=_read_relative(relative) if relative else None,
            priority=info.opt_value("Priority", Priority) if info else None,
            referral_status=info.opt_value("ReferralStatus", ReferralStatus) if info else None,
            transport=info.opt_value("Transport", Transport) if info else None,
            supplementary=info.formatted("Supplementary") if info else None,
            clinical_reason=info.formatted("ClinicalReason") if info else None,
            hospital_choice=info.opt_value("HospitalChoice", HospitalChoice) if info else None,
            diagnosis=_read_diagnosis(refer) if (refer := diagnoses and diagnoses.sub("Refer"))
            else None,
            additional_diagnoses=tuple(
                _read_diagnosis(Reader(e)) for e in diagnoses.children("ReferralAdditional")
            ) if diagnoses else (),
            clinical_information=ClinicalInformation(
                cave=clinical.formatted("Cave"),
                anamnesis=clinical.formatted("Anamnesis"),
                examination=clinical.formatted("Examination"),
                actual_medicine=clinical.formatted("ActualMedicine"),
            ) if clinical else ClinicalInformation(),
            references=tuple(Reader(e).reference() for e in r.children("Reference")),
            visitations=tuple(
                _read_visitation(Reader(e)) for e in r.children("HospitalVisitation")
            ),
        )


def _read_episodes(letter: Reader) -> tuple[EpisodeOfCare, ...]:
    typed = tuple(
        EpisodeOfCare(e.text("EpisodeOfCareIdentifier"), e.text("EpisodeOfCareType"))
        for e in (Reader(x) for x in letter.children("EpisodeOfCare"))
    )
    untyped = letter.opt("EpisodeOfCareIdentifier")
    return typed + ((EpisodeOfCare(untyped),) if untyped is not None else ())


def _read_referrer(r: Reader) -> Referrer:
    code = r.opt_value("IdentifierCode", IdentifierCode)
    with blame(r.at("Identifier")), r.identifier_warnings():
        return Referrer(
            name=r.text("PersonName"),
            title=r.opt("PersonTitle"),
            identifier=r.opt("Identifier"),
            identifier_code=code,
        )


def _read_relative(r: Reader) -> Relative:
    return Relative(
        relation=r.value("RelationCode", RelationCode),
        surname=r.text("PersonSurnameName"),
        given_name=r.opt("PersonGivenName"),
        person_id=r.opt("PersonIdentifier"),
    )


def _read_diagnosis(r: Reader) -> Diagnosis:
    return Diagnosis(
        text=r.text("DiagnoseText"),
        type=r.value("DiagnoseTypeCode", DiagnoseTypeCode),
        code=r.opt("DiagnoseCode"),
        description=r.opt_value("DiagnoseDescriptionCode", DiagnoseDescriptionCode),
    )


def _read_visitation(r: Reader) -> Visitation:
    return Visitation(
        code=r.value("InformationCode", InformationCode),
        information=r.formatted("Information") or FormattedText(()),
    )

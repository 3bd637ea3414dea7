"""XDIS91 ClinicalEmail (korrespondancemeddelelse): XD9134L."""

from __future__ import annotations

from medcom_adapter.model.correspondence import (
    ClinicalEmail,
    CorrespondencePriority,
    EpisodeOfCareStatus,
)
from medcom_adapter.model.identifiers import Cpr
from medcom_adapter.model.parties import Patient, person_id
from medcom_adapter.model.text import FormattedText
from medcom_adapter.oioxml.common import Element, Reader, Writer, blame, spell_id
from medcom_adapter.oioxml.versions import ObjectIdForm, Version


def write(w: Writer, parent: Element, km: ClinicalEmail, version: Version) -> None:
    root = w.el(parent, version.letter_element)
    letter = w.letter(root, km.letter, version)
    if km.episode_of_care is not None:  # MedCom: a UUID goes without dashes
        w.el(letter, "EpisodeOfCareIdentifier", spell_id(km.episode_of_care, ObjectIdForm.HEX32))
    w.organisation(root, "Sender", km.sender)
    w.organisation(root, "Receiver", km.receiver)
    _write_patient(w, root, km)
    if km.priority is not None or km.subject is not None:
        info = w.el(root, "AdditionalInformation")
        w.opt(info, "Priority", km.priority and km.priority.value)
        w.opt(info, "Subject", km.subject)
    for text in km.texts:
        w.formatted(w.el(root, "ClinicalInformation"), "Text01", text)
    for reference in km.references:
        w.reference(root, reference, version.object_id_form)


def _write_patient(w: Writer, parent: Element, km: ClinicalEmail) -> None:
    patient = km.patient
    holder = w.el(parent, "Patient")
    id_element = "CivilRegistrationNumber" if isinstance(patient.id, Cpr) else (
        "AlternativeIdentifier"
    )
    w.el(holder, id_element, str(patient.id))
    w.el(holder, "PersonSurnameName", patient.surname)
    w.opt(holder, "PersonGivenName", patient.given_name)
    # what XDIS91's patient cannot carry is written anyway, for the schema to refuse by name
    w.opt(holder, "PersonTitle", patient.title)
    w.address(holder, patient.address)
    w.opt(holder, "OccupancyText", km.occupation)
    w.el(holder, "EpisodeOfCareStatusCode", km.patient_status.value)
    for phone in patient.phones:
        w.el(holder, "TelephoneSubscriber", phone.number)
    w.opt(holder, "EmailIdentifier", patient.email)


def read(r: Reader, version: Version) -> ClinicalEmail:
    letter, sender, receiver, patient = (r.sub(n) for n in ("Letter", "Sender", "Receiver",
                                                           "Patient"))
    assert letter and sender and receiver and patient  # schema-valid
    info = r.sub("AdditionalInformation")
    cpr = patient.opt_value("CivilRegistrationNumber", Cpr)
    with blame(r.element):
        return ClinicalEmail(
            letter=r.letter(),
            episode_of_care=letter.opt("EpisodeOfCareIdentifier"),
            sender=sender.organisation(),
            receiver=receiver.organisation(),
            patient=Patient(
                id=cpr if cpr is not None else patient.value("AlternativeIdentifier", person_id),
                surname=patient.text("PersonSurnameName"),
                given_name=patient.opt("PersonGivenName"),
                address=patient.address(),
            ),
            occupation=patient.opt("OccupancyText"),
            patient_status=patient.value("EpisodeOfCareStatusCode", EpisodeOfCareStatus),
            priority=info.opt_value("Priority", CorrespondencePriority) if info else None,
            subject=info.opt("Subject") if info else None,
            texts=tuple(
                Reader(e).formatted("Text01") or _empty() for e in r.children("ClinicalInformation")
            ),
            references=tuple(Reader(e).reference() for e in r.children("Reference")),
        )


def _empty() -> FormattedText:
    return FormattedText(())


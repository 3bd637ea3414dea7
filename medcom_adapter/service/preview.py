"""What will be sent, in Danish, for the worker to check before pressing Send.

Read back from the exact bytes that will be queued (not from the form), so the preview
shows what the receiver will get. The CPR number is masked (the birth date part only):
the page may be seen over a shoulder or kept by the browser. A CareCommunication is read
from its Bundle: the thread's earlier texts and attachments (sent again in a reply, the
attachments without their data) are marked as such.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from medcom_adapter.fhir import wire
from medcom_adapter.fhir.carecommunication import from_bundle
from medcom_adapter.journal.interface import NewMessage
from medcom_adapter.kinds import Kind
from medcom_adapter.model.carecommunication import (
    Activity,
    AttachmentSegment,
    CareCommunication,
    CarePatient,
    Party,
    TextSegment,
)
from medcom_adapter.model.correspondence import ClinicalEmail
from medcom_adapter.model.letters import BinaryLetter, BinaryRef, Referral
from medcom_adapter.model.parties import Organisation, Patient
from medcom_adapter.model.text import FormattedText
from medcom_adapter.oioxml.emessage import parse
from medcom_adapter.service import labels
from medcom_adapter.service.when import danish as danish_time

Row = tuple[str, str]

_STATUS = {"ambulant": "Ambulant", "indlaeggelse": "Indlæggelse", "hjemmet": "I hjemmet"}


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    rows: tuple[Row, ...]


def danish(entries: Iterable[NewMessage]) -> tuple[Section, ...]:
    """One section per letter, in sending order."""
    sections = []
    for entry in entries:
        title = labels.KIND.get(entry.kind, entry.kind)
        if entry.kind == Kind.CARE_COMMUNICATION:
            rows = _care_communication(from_bundle(wire.load(entry.data)[0]))
            sections.append(Section(title, tuple(rows)))
            continue
        letter = parse(entry.data).message.letters[0]
        if isinstance(letter, Referral):
            rows = _referral(letter)
        elif isinstance(letter, ClinicalEmail):
            rows = _km(letter)
        elif isinstance(letter, BinaryLetter):
            rows = [("Fil", f"{o.extension.value.upper()}, {_size(o.size)}")
                    for o in letter.objects]
        else:
            rows = []
        sections.append(Section(title, tuple(rows)))
    return tuple(sections)


def _referral(r: Referral) -> list[Row]:
    rows = [("Afsender", _organisation(r.sender)),
            ("Henviser", _join(r.referrer.name, r.referrer.title, sep=", ")),
            ("Modtager", _organisation(r.receiver)),
            ("Barn", _patient(r.patient))]
    if r.relative is not None:
        relation = labels.RELATION.get(r.relative.relation.value, r.relative.relation.value)
        name = _join(r.relative.given_name, r.relative.surname)
        rows.append(("Pårørende", f"{relation}: {name}"))
    rows += [("Forløbs-ID", e.identifier) for e in r.episodes]
    if r.priority is not None:
        rows.append(("Prioritet", labels.PRIORITY.get(r.priority.value, r.priority.value)))
    if r.referral_status is not None:
        rows.append(("Henvisningsform",
                     _STATUS.get(r.referral_status.value, r.referral_status.value)))
    rows += _text("Årsag til henvisningen", r.clinical_reason)
    for d in (r.diagnosis, *r.additional_diagnoses):
        if d is not None:
            rows.append(("Diagnose", _join(d.code, d.text)))
    rows += _text("Anamnese", r.clinical_information.anamnesis)
    rows += _text("Supplerende oplysninger", r.supplementary)
    rows += [("Bilag", _reference(ref.description, ref.target)) for ref in r.references]
    return rows


def _km(km: ClinicalEmail) -> list[Row]:
    rows = [("Afsender", _organisation(km.sender)), ("Modtager", _organisation(km.receiver)),
            ("Barn", _patient(km.patient))]
    if km.episode_of_care:
        rows.append(("Forløbs-ID", km.episode_of_care))
    rows.append(("Emne", km.subject or "Intet"))
    if km.priority is not None:
        rows.append(("Prioritet", labels.PRIORITY.get(km.priority.value, km.priority.value)))
    for text in km.texts:
        rows += _text("Tekst", text)
    rows += [("Bilag", _reference(ref.description, ref.target)) for ref in km.references]
    return rows


_ACTIVITY = {Activity.NEW: "Ny meddelelse (ny tråd)", Activity.REPLY: "Svar i tråden",
             Activity.FORWARD: "Videresendt (ny tråd)"}


def _care_communication(cc: CareCommunication) -> list[Row]:
    own = next((e for e in cc.history if e.message_id == cc.message_id), None)
    added = set(own.segment_ids) if own is not None else {s.id for s in cc.segments}
    rows = [("Afsender", _party(cc.sender)), ("Modtager", _party(cc.receiver)),
            ("Barn", _care_patient(cc.patient))]
    if cc.episode_of_care is not None:
        rows.append(("Forløbs-ID", cc.episode_of_care.value))
    rows += [("Meddelelse", _ACTIVITY[own.activity] if own else "Ny meddelelse"),
             ("Kategori", labels.CATEGORY.get(cc.category.value, cc.category.value)),
             ("Emne", cc.topic or "Intet")]
    if cc.priority is not None:
        rows.append(("Prioritet", "Hurtigst muligt" if cc.priority.value == "asap"
                     else "Rutine"))
    for segment in cc.segments:
        new = segment.id in added
        if isinstance(segment, TextSegment):
            author = _join(*segment.author.given, segment.author.family or "")
            who = _join(author, segment.author.role_text and f"({segment.author.role_text})")
            rows.append(("Tekst", segment.text) if new else (
                "Tidligere tekst", f"{who or 'Ukendt'}, {_when(segment.time)}:\n{segment.text}"))
        elif isinstance(segment, AttachmentSegment):
            kind = (segment.content_type or "link").rpartition("/")[2].upper()
            if segment.data is not None:
                rows.append(("Bilag" if new else "Tidligere bilag",
                             f"{segment.title} ({kind}, {_size(len(segment.data))})"))
            else:
                rows.append(("Tidligere bilag", f"{segment.title} ({kind}, gentaget fra "
                             "tråden uden indhold)"))
    return rows


def _when(time: datetime) -> str:
    return danish_time(time)


def _party(party: Party) -> str:
    return party.name or "(uden navn)"


def _care_patient(p: CarePatient) -> str:
    masked = p.id.masked() if hasattr(p.id, "masked") else f"{str(p.id)[:6]}-xxxx"
    return f"{_join(*p.given, p.family)} ({masked})"


def _organisation(org: Organisation) -> str:
    return _join(org.name, org.department, org.unit, sep=", ") or "(uden navn)"


def _patient(p: Patient) -> str:
    masked = p.id.masked() if hasattr(p.id, "masked") else f"{str(p.id)[:6]}-xxxx"
    return f"{_join(p.given_name, p.surname)} ({masked})"


def _text(label: str, text: FormattedText | None) -> list[Row]:
    return [(label, text.to_plain().strip("\n"))] if text else []


def _reference(description: str, target: object) -> str:
    if isinstance(target, BinaryRef):
        return f"{description} ({target.extension.value.upper()}, {_size(target.size)})"
    return description


def _size(n: int) -> str:
    return f"{n} byte" if n < 1024 else f"{n / 1024:.0f} kB".replace(".", ",")


def _join(*parts: str | None, sep: str = " ") -> str:
    return sep.join(p for p in parts if p)

"""From a launch context and what the worker (or case system) filled in, to queued messages.

The service has no message rules of its own: it writes the project's documented request
format (``fixtures/requests``) and hands it to :mod:`medcom_adapter.workers.submit`, the
path the CLI and the demo use, with the uploads in memory. Receivers come from the
receivers directory. Errors come back as :class:`FieldErrors`: Danish text keyed by the
form field they concern.

A KM goes as a FHIR CareCommunication (:mod:`medcom_adapter.workers.submit_fhir`) when the
receiver is registered for CareCommunication 5.0, otherwise as XDIS91 + XBIN01. A reply
travels as the message it answers did: a received CareCommunication is answered in its
thread, a received XDIS91 with an XDIS91.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from medcom_adapter import catalogue
from medcom_adapter.addressing.directory import Directory, Receiver
from medcom_adapter.convert.xdis91_fhir import HIGH_PRIORITY, NO_PHONE
from medcom_adapter.errors import (
    MedComError,
    OutboundInvalid,
    ReceiverDoesNotAccept,
    UnknownReceiver,
)
from medcom_adapter.fhir.threads import NewAttachment
from medcom_adapter.journal.interface import StoredMessage
from medcom_adapter.kinds import Kind
from medcom_adapter.model.carecommunication import Author, Category
from medcom_adapter.model.classification import Classification, Henvisning
from medcom_adapter.model.identifiers import SorId
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.parties import person_id
from medcom_adapter.oioxml import versions as oioxml_versions
from medcom_adapter.service.context import LaunchContext
from medcom_adapter.workers import submit_fhir
from medcom_adapter.workers.submit import Prepared, prepare_km, prepare_referral

DANISH_TIME = ZoneInfo("Europe/Copenhagen")
KM_KINDS = tuple(k.value for k in catalogue.CASE_SYSTEM)  # correspondence for the case system
XDIS91 = (Kind.CORRESPONDENCE.value, oioxml_versions.current(Kind.CORRESPONDENCE).code)
FHIR = (submit_fhir.KIND, submit_fhir.VERSION)
REFERRAL_CLASS = Henvisning.CHILD_PSYCHIATRY  # referrals go to BUP departments via DNHF


class FieldErrors(Exception):
    """Danish messages keyed by field name ("" for the form as a whole). ``cause`` is the
    core error behind them, if any: the API answers with its code and English message. A
    page never shows the cause's text (schema messages, element paths)."""

    def __init__(self, errors: Mapping[str, str], cause: MedComError | None = None) -> None:
        super().__init__("; ".join(f"{k or 'form'}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)
        self.cause = cause

    @property
    def technical(self) -> str | None:
        """The cause in its own words, every issue with its path (for logs and the API)."""
        if isinstance(self.cause, OutboundInvalid) and self.cause.issues:
            return " ".join(f"{i.path or ''} {i.message}".strip() for i in self.cause.issues)
        return str(self.cause) if self.cause is not None else None


@dataclass(frozen=True, slots=True)
class Upload:
    title: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class CustodyHolder:
    """A holder of parental custody (forældremyndighed) and whether they consent."""

    relation: str  # mor, far, uspec_paaroerende (MedCom's RelationCode)
    surname: str
    given_name: str | None = None
    consent: bool | None = None  # None: not answered


@dataclass(frozen=True, slots=True)
class ReferralFields:
    receiver_sor: str
    reason: str
    priority: str = "elektiv"
    diagnosis_code: str | None = None
    diagnosis_text: str | None = None
    relative_relation: str | None = None
    relative_given_name: str | None = None
    relative_surname: str | None = None
    classes: tuple[Henvisning, ...] = ()
    form: Upload | None = None  # the region's referral form (PDF)
    custody: tuple[CustodyHolder, ...] = ()  # one or two; the first is the letter's Relative


@dataclass(frozen=True, slots=True)
class KmFields:
    receiver_sor: str
    text: str
    topic: str | None = None
    priority: str = "rutine"
    attachments: tuple[Upload, ...] = ()
    reply_to: StoredMessage | None = None  # the received KM answered: goes to its sender
    category: str | None = None  # a CareCommunication category code (FHIR receivers)
    henvisning: bool = False  # a §126a henvisning to the GP: recorded with the message


@dataclass(frozen=True, slots=True)
class Outgoing:
    """Validated entries ready to queue, and to whom (a label for people)."""

    prepared: Prepared
    receiver: str

    @property
    def files(self) -> tuple[tuple[str, bytes], ...]:
        """(file name, bytes) as queued, the letter first (a FHIR Bundle is JSON; the outbox
        puts it in a VANSEnvelope)."""
        return tuple((f"{e.kind}_{e.envelope_id}.{'json' if e.kind == FHIR[0] else 'xml'}",
                      e.data) for e in self.prepared.entries)

    @property
    def fhir(self) -> bool:
        return self.prepared.entries[0].kind == FHIR[0]


def referral_receivers(directory: Directory) -> tuple[tuple[str, Receiver], ...]:
    """(region, BUP department) for every region DNHF forwards referrals for."""
    if directory.dnhf is None:
        return ()
    return tuple((region, directory.by_sor(sor))
                 for region, sor in sorted(directory.dnhf.bup_by_region.items()))


def km_receivers(directory: Directory, unit_ean: str) -> tuple[Receiver, ...]:
    """Everyone registered for XDIS91 or CareCommunication but the unit itself."""
    return tuple(r for r in directory.receivers
                 if r.ean != unit_ean and (takes_fhir(r) or r.accepts_message(*XDIS91)))


def takes_fhir(receiver: Receiver) -> bool:
    """Whether a KM to ``receiver`` goes as a CareCommunication."""
    return receiver.accepts_message(*FHIR)


def find(directory: Directory, sor: str) -> Receiver | None:
    try:
        return directory.by_sor(sor)
    except UnknownReceiver:
        return None


# Request key paths -> form fields, so errors appear next to the right input.
_FIELD_OF_KEY = {
    "clinical_reason": "reason", "priority": "priority", "diagnosis.code": "diagnosis_code",
    "diagnosis.text": "diagnosis_text", "diagnosis": "diagnosis_text",
    "relative.relation": "relative_relation", "relative.surname": "relative_surname",
    "relative.given_name": "relative_given_name", "texts": "text", "subject": "topic",
    "receiver": "receiver", "category": "category",
}
_FIELD_OF_ELEMENT = {
    "ClinicalReason": "reason", "Diagnose": "diagnosis_text", "Relative": "relative_surname",
    "Subject": "topic", "ClinicalInformation": "text", "Priority": "priority",
    "category": "category", "topic": "topic", "payload": "text",
}


def _now_local(now: datetime) -> datetime:
    return now.astimezone(DANISH_TIME).replace(tzinfo=None, second=0, microsecond=0)


def _sender(ctx: LaunchContext) -> dict[str, Any]:
    address = {"street": ctx.unit_street, "postcode": ctx.unit_postcode,
               "district": ctx.unit_district}
    return {"ean": ctx.unit_ean, "identifier": ctx.unit_sor, "identifier_code": "sorkode",
            "name": ctx.unit_name, "phone": ctx.worker_phone,
            "address": {k: v for k, v in address.items() if v} or None,
            "speciality": ctx.unit_speciality}


def _receiver(r: Receiver) -> dict[str, Any]:
    return {"ean": r.ean, "identifier": r.sor, "identifier_code": "sorkode", "name": r.name,
            "department": r.department}


def _patient(ctx: LaunchContext) -> dict[str, Any]:
    address = {"street": ctx.patient_street, "postcode": ctx.patient_postcode,
               "district": ctx.patient_district}
    return {"id": ctx.patient_id, "replacement": ctx.patient_id_is_replacement or None,
            "surname": ctx.patient_surname, "given_name": ctx.patient_given_name,
            "address": {k: v for k, v in address.items() if v} or None}


def _clean(text: str | None) -> str | None:
    return text.strip() if text and text.strip() else None


# What a worker can do when a letter cannot be built from what the case system sent.
CANNOT_BUILD = ("Meddelelsen kan ikke dannes ud fra oplysningerne fra fagsystemet. "
                "Kontakt kommunens IT-support, og send den på anden måde imens.")
_DANISH_OF_FIELD = {
    "reason": "Årsagen kan ikke sendes, som den er skrevet. Fjern særlige tegn, og prøv igen.",
    "diagnosis_text": "Diagnosen er ugyldig. Brug en SKS-kode (f.eks. DF419) og højst 70 "
                      "tegns tekst.",
    "diagnosis_code": "Diagnosekoden er ugyldig. Brug en SKS-kode, f.eks. DF419.",
    "relative_surname": "Pårørendes navn er ugyldigt.",
    "relative_given_name": "Pårørendes navn er ugyldigt.",
    "relative_relation": "Vælg en relation.",
    "topic": "Emnet er ugyldigt (højst 70 tegn).",
    "text": "Teksten kan ikke sendes, som den er skrevet. Fjern særlige tegn, og prøv igen.",
    "priority": "Vælg en prioritet.",
    "category": "Vælg en af MedComs kategorier.",
    "receiver": "Modtageren kan ikke modtage denne meddelelse.",
}


def _danish(exc: MedComError) -> FieldErrors:
    """A core error as a form error in Danish, on the field it concerns when we know it.

    The core's text (schema messages, element paths) goes to ``technical`` only: what
    the worker reads says what to do."""
    if isinstance(exc, UnknownReceiver | ReceiverDoesNotAccept):
        return FieldErrors({"receiver": _DANISH_OF_FIELD["receiver"]}, exc)
    if isinstance(exc, OutboundInvalid):
        path = exc.issues[0].path if exc.issues else ""
        target = next((f for e, f in _FIELD_OF_ELEMENT.items() if path and e in path), "")
    else:
        key = exc.location.path if exc.location and exc.location.path else ""
        target = _FIELD_OF_KEY.get(key, _FIELD_OF_KEY.get(key.split(".")[0], ""))
    return FieldErrors({target: _DANISH_OF_FIELD.get(target, CANNOT_BUILD)}, exc)


def referral(directory: Directory, ctx: LaunchContext, fields: ReferralFields, *,
             now: datetime, ids: IdSource | None = None) -> Outgoing:
    receiver = dict((r.sor, r) for _, r in referral_receivers(directory)).get(
        fields.receiver_sor)
    errors: dict[str, str] = {}
    if receiver is None:
        errors["receiver"] = "Vælg en modtager, der kan modtage henvisninger."
    if not _clean(fields.reason):
        errors["reason"] = "Skriv årsagen til henvisningen."
    if fields.priority not in ("elektiv", "akut", "saerlige_forhold"):
        errors["priority"] = "Vælg en prioritet."
    if _clean(fields.diagnosis_code) and not _clean(fields.diagnosis_text):
        errors["diagnosis_text"] = "Skriv diagnosens tekst, når der er angivet en kode."
    if fields.relative_relation and not _clean(fields.relative_surname):
        errors["relative_surname"] = "Skriv pårørendes efternavn."
    _check_custody(fields.custody, errors)
    if not fields.classes:
        errors["classes"] = "Vælg mindst én henvisningskategori."
    if receiver is not None and receiver.form and fields.form is None:
        errors["form"] = f"Vedhæft regionens henvisningsskema som PDF ({receiver.form})."
    if errors:
        raise FieldErrors(errors)
    assert receiver is not None
    diagnosis = None
    if _clean(fields.diagnosis_text):
        diagnosis = {"text": _clean(fields.diagnosis_text),
                     "type": "SKSdiagnosekode" if _clean(fields.diagnosis_code)
                     else "uspecificeretkode",
                     "code": _clean(fields.diagnosis_code), "description": "henv_diagnose"}
    relative = None
    if fields.custody:
        first = fields.custody[0]
        relative = {"relation": first.relation, "surname": first.surname.strip(),
                    "given_name": _clean(first.given_name)}
    elif fields.relative_relation:
        relative = {"relation": fields.relative_relation,
                    "surname": _clean(fields.relative_surname),
                    "given_name": _clean(fields.relative_given_name)}
    files = {"skema.pdf": fields.form.data} if fields.form else {}
    request = {
        "episodes_of_care": [{"type": "henviser", "identifier": ctx.episode_id}],
        "sender": _sender(ctx),
        "referrer": {"name": ctx.worker_name, "title": ctx.worker_title},
        "receiver": _receiver(receiver),
        "patient": _patient(ctx),
        "relative": relative,
        "priority": fields.priority,
        "referral_status": "ambulant",
        "clinical_reason": fields.reason.strip(),
        "supplementary": custody_text(fields.custody) or None,
        "diagnosis": diagnosis,
        "attachments": [{"file": "skema.pdf", "description": fields.form.title[:70],
                         "extension": "pdf"}] if fields.form else [],
    }
    try:
        prepared = prepare_referral(directory, request, files=files, classes=fields.classes,
                                    now=lambda: _now_local(now), ids=ids)
    except MedComError as exc:
        raise _danish(exc) from None
    return Outgoing(prepared, receiver.label)


RELATIONS = {"mor": "Mor", "far": "Far", "uspec_paaroerende": "Anden indehaver"}


def _check_custody(holders: tuple[CustodyHolder, ...], errors: dict[str, str]) -> None:
    if len(holders) > 2:
        errors["custody2_surname"] = "Højst to kan have forældremyndigheden."
    for n, holder in enumerate(holders[:2], start=1):
        if holder.relation not in RELATIONS:
            errors[f"custody{n}_relation"] = "Vælg relationen til barnet."
        if not _clean(holder.surname):
            errors[f"custody{n}_surname"] = "Skriv efternavnet."
        if holder.consent is None:
            errors[f"custody{n}_consent"] = "Angiv, om der er givet samtykke til henvisningen."


def custody_text(holders: tuple[CustodyHolder, ...]) -> str:
    """Both custody holders and their consent, in the referral's supplementary text.

    XREF01 carries one Relative structurally (the first holder); MedCom's referral has no
    element for a second, so the second, and every holder's consent, go in
    AdditionalInformation/Supplementary, where the receiving department reads them."""
    lines = [f"{RELATIONS.get(h.relation, 'Indehaver')}: "
             f"{' '.join(p for p in (_clean(h.given_name), h.surname.strip()) if p)} - "
             f"{'samtykker' if h.consent else 'samtykker ikke'} til henvisningen"
             for h in holders]
    if not lines:
        return ""
    both = len(holders) == 2 and all(h.consent for h in holders)
    head = ("Forældremyndighed (fælles, begge samtykker):" if both
            else "Forældremyndighed:")
    return "\n".join((head, *lines))


def copy_to_gp(directory: Directory, ctx: LaunchContext, fields: ReferralFields,
               referral_to: str, *, now: datetime, ids: IdSource | None = None) -> Outgoing:
    """The KM telling the child's GP that the child was referred: the referral's gist (to
    whom, why, by whom), sent as its own message. A receiver taking CareCommunication gets
    it in the category MedCom has for it ("Vedr. henvisning")."""
    if not ctx.gp_sor:
        raise FieldErrors({"copy_gp": "Barnets egen læge kendes ikke fra fagsystemet."})
    who = " ".join(p for p in (ctx.patient_given_name, ctx.patient_surname) if p)
    text = "\n".join((
        f"Til orientering: {ctx.unit_name or 'PPR'} har henvist {who} til "
        f"{referral_to} (børne- og ungdomspsykiatrien).",
        f"Årsag: {fields.reason.strip()}",
        f"Henviser: {ctx.worker_name}"
        + (f", {ctx.worker_title}" if ctx.worker_title else "")
        + (f", tlf. {ctx.worker_phone}" if ctx.worker_phone else ""),
    ))
    try:
        return km(directory, ctx, KmFields(
            receiver_sor=ctx.gp_sor, text=text, topic="Kopi af henvisning til BUP",
            category=Category.REGARDING_REFERRAL.value), now=now, ids=ids)
    except FieldErrors as exc:
        raise FieldErrors({"copy_gp": "Kopien til egen læge kan ikke dannes. " + CANNOT_BUILD},
                          exc.cause) from None


def km(directory: Directory, ctx: LaunchContext, fields: KmFields, *, now: datetime,
       ids: IdSource | None = None) -> Outgoing:
    receiver = find(directory, fields.receiver_sor)
    previous = fields.reply_to
    if previous is not None:  # a reply goes back to whoever wrote
        try:
            receiver = directory.by_ean(previous.message.sender_ean or "")
        except UnknownReceiver:
            receiver = None
    fhir = (previous.message.kind == FHIR[0] if previous is not None
            else receiver is not None and takes_fhir(receiver))
    errors: dict[str, str] = {}
    if previous is not None and previous.message.receiver_ean not in (None, ctx.unit_ean):
        errors["reply_to"] = "Meddelelsen blev sendt til en anden enhed og kan ikke besvares her."
    if receiver is None or not receiver.accepts_message(*(FHIR if fhir else XDIS91)):
        errors["receiver"] = "Vælg en modtager, der kan modtage korrespondancemeddelelser."
    if not _clean(fields.text):
        errors["text"] = "Skriv meddelelsens tekst."
    if fields.topic and len(fields.topic) > 70:
        errors["topic"] = "Emnet må højst være 70 tegn."
    if fields.priority not in ("rutine", "høj_prioritet"):
        errors["priority"] = "Vælg en prioritet."
    category = _category(fields, fhir=fhir, reply=previous is not None, errors=errors)
    if errors:
        raise FieldErrors(errors)
    assert receiver is not None
    try:
        if previous is not None and fhir:
            prepared = _fhir_reply(directory, ctx, fields, previous, category, now)
        else:
            prepared = _new_km(directory, ctx, fields, receiver, category, now, ids,
                               fhir=fhir)
    except MedComError as exc:
        raise _danish(exc) from None
    if fields.henvisning:
        prepared = _as_henvisning(prepared, ctx, now)
    return Outgoing(prepared, receiver.label)


def _as_henvisning(prepared: Prepared, ctx: LaunchContext, now: datetime) -> Prepared:
    """The KM with its §126a classification: a henvisning to general practice, dated the
    day it is written, in the launch's course."""
    letter, *rest = prepared.entries
    classification = Classification(
        UUID(ctx.episode_id), now.astimezone(DANISH_TIME).date(), person_id(ctx.patient_id),
        SorId(ctx.unit_sor), (Henvisning.GENERAL_PRACTITIONER,))
    return replace(prepared, entries=(replace(letter, classification=classification), *rest))


def _category(fields: KmFields, *, fhir: bool, reply: bool,
              errors: dict[str, str]) -> Category | None:
    """The chosen category for a CareCommunication (a reply may keep its thread's)."""
    if not fhir:
        return None
    if not fields.category:
        if not reply:
            errors["category"] = ("Vælg en kategori: modtageren modtager "
                                  "korrespondance som FHIR, der altid har en kategori.")
        return None
    try:
        category = Category(fields.category)
    except ValueError:
        errors["category"] = "Vælg en af MedComs kategorier."
        return None
    if category is Category.OTHER and not _clean(fields.topic) and not reply:
        errors["topic"] = "Skriv et emne, når kategorien er »Andet«."
    return category


def _author(ctx: LaunchContext) -> Author:
    """The worker as the author of a CareCommunication (role: the worker's title)."""
    *given, family = ctx.worker_name.split() or ["Ukendt"]
    return Author(family=family, given=tuple(given),
                  role_text=(ctx.worker_title or "").strip() or "Medarbejder")


def _new_km(directory: Directory, ctx: LaunchContext, fields: KmFields, receiver: Receiver,
            category: Category | None, now: datetime, ids: IdSource | None, *,
            fhir: bool) -> Prepared:
    files = {f"bilag-{i}": a.data for i, a in enumerate(fields.attachments)}
    request: dict[str, Any] = {
        "subject": _clean(fields.topic),
        "priority": fields.priority,
        "episode_of_care": ctx.episode_id,
        "sender": _sender(ctx),
        "receiver": _receiver(receiver),
        "patient": _patient(ctx),
        "texts": [fields.text.strip()],
        "attachments": [{"file": f"bilag-{i}", "description": a.title[:70],
                         "extension": a.content_type.split("/")[1]}
                        for i, a in enumerate(fields.attachments)],
    }
    if not fhir:
        return prepare_km(directory, request, files=files, now=lambda: _now_local(now),
                          ids=ids)
    author = _author(ctx)
    request["category"] = (category or Category.OTHER).value
    request["author"] = {"family": author.family, "given": list(author.given),
                         "role": author.role_text}
    return submit_fhir.prepare_care_communication(directory, request, files=files,
                                                  now=lambda: _now_local(now), ids=ids)


def _fhir_reply(directory: Directory, ctx: LaunchContext, fields: KmFields,
                previous: StoredMessage, category: Category | None, now: datetime) -> Prepared:
    text = fields.text.strip()
    if fields.priority == "høj_prioritet":  # FHIR has priority only for referrals
        text = f"{text}\n{HIGH_PRIORITY}"
    return submit_fhir.prepare_reply(
        directory, previous.message.data, text=text, author=_author(ctx),
        phone=ctx.worker_phone or NO_PHONE, now=now.astimezone(DANISH_TIME),
        attachments=[NewAttachment(a.title[:70], a.content_type, a.data)
                     for a in fields.attachments],
        category=category, topic=_clean(fields.topic))

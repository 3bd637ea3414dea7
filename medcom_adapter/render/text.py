"""Readable text renderings of messages, for people (``medcom-adapter show``).

CPR numbers are masked unless the caller asks to reveal them: output often ends up in
terminals, tickets and logs.
"""

from __future__ import annotations

from collections.abc import Iterable

from medcom_adapter.detect import Enveloped
from medcom_adapter.edifact.interchange import EdifactDocument
from medcom_adapter.edifact.versions import EdifactVersion
from medcom_adapter.envelopes.sbdh import Sbdh
from medcom_adapter.envelopes.vans import VansEnvelope
from medcom_adapter.model.acknowledgement import Acknowledgement
from medcom_adapter.model.carecommunication import CareCommunication, Party, TextSegment
from medcom_adapter.model.correspondence import ClinicalEmail
from medcom_adapter.model.identifiers import Cpr
from medcom_adapter.model.letters import (
    BinaryLetter,
    BinaryRef,
    Diagnosis,
    Referral,
    SupplementaryRef,
    UrlRef,
)
from medcom_adapter.model.parties import CcReceiver, Organisation, Patient
from medcom_adapter.model.receipts import Receipt, Refusal
from medcom_adapter.model.text import FormattedText
from medcom_adapter.oioxml.emessage import Document
from medcom_adapter.oioxml.versions import Version


def any_message(message: object, *, reveal: bool = False) -> str:
    """A rendering of whatever ``detect.parse`` returned."""
    if isinstance(message, Document | EdifactDocument):
        return document(message, reveal=reveal)
    if isinstance(message, CareCommunication):
        return care_communication(message, reveal=reveal)
    if isinstance(message, Acknowledgement):
        return acknowledgement(message)
    if isinstance(message, Enveloped):
        inner = any_message(message.message, reveal=reveal) if message.message is not None else ""
        return envelope(message.envelope, reveal=reveal) + ("\n" + inner if inner else "")
    return f"{type(message).__name__}\n"


def care_communication(cc: CareCommunication, *, reveal: bool = False) -> str:
    lines = [f"CareCommunication {cc.definition_version}  bundle {cc.bundle_id}  "
             f"message {cc.message_id}  {cc.timestamp.isoformat()}",
             f"From: {_party(cc.sender)}", f"To: {_party(cc.receiver)}"]
    pid = str(cc.patient.id) if reveal else f"{str(cc.patient.id)[:6]}-xxxx"
    lines.append(f"Patient: {_join(*cc.patient.given, cc.patient.family)}  {pid}"
                 + ("  (deceased)" if cc.patient.deceased else ""))
    lines.append(f"Thread {cc.thread_id}  category {cc.category.value}"
                 + (f"  topic {cc.topic}" if cc.topic else "")
                 + (f"  priority {cc.priority.value}" if cc.priority else ""))
    if cc.episode_of_care:
        lines.append(f"Episode of care: {cc.episode_of_care.value}")
    for segment in cc.segments:
        lines.append("")
        who = segment.author and _join(*segment.author.given, segment.author.family or "")
        head = f"{segment.time.isoformat()}  {who or ''}  ({segment.assigner.name or ''})"
        if isinstance(segment, TextSegment):
            lines += [head, *(f"  {line}" for line in segment.text.split("\n"))]
        else:
            size = (_size(len(segment.data)) if segment.data is not None else
                    "never came (placeholder)" if segment.placeholder else "sent earlier")
            title = segment.title if segment.title is not None else "(no title)"
            lines += [head, f"  attachment {title}: {segment.content_type or 'link'} "
                            f"{segment.url or size}"]
    lines.append("")
    lines += [f"History: {e.activity.value} {e.occurred.isoformat()} by {_party(e.agent)}"
              for e in cc.history]
    return "\n".join(lines) + "\n"


def acknowledgement(ack: Acknowledgement) -> str:
    lines = [f"Acknowledgement ({ack.code.value}) of message {ack.acknowledged_id}",
             f"From: {_party(ack.sender)}", f"To: {_party(ack.receiver)}"]
    for issue in ack.issues:
        code = issue.details.code if issue.details else issue.code
        lines.append(f"  {issue.severity}: {code} {issue.text or ''}".rstrip())
    return "\n".join(lines) + "\n"


def _party(party: Party) -> str:
    return f"{party.name or '(no name)'}  SOR {party.sor}  GLN {party.gln}"


def document(doc: Document | EdifactDocument, *, reveal: bool = False) -> str:
    env = doc.message.envelope
    lines = [
        f"Envelope {env.identifier}  sent {env.sent:%Y-%m-%d %H:%M}  ({env.acknowledgement.value})",
    ]
    found: tuple[Version | EdifactVersion, ...] = doc.versions
    for letter, version in zip(doc.message.letters, found, strict=True):
        lines.append("")
        if isinstance(letter, Receipt):
            lines.append(f"{version.type_code} {version.code}  receipt {letter.identifier}")
            lines.extend(_receipt(letter))
            continue
        head = letter.letter
        lines.append(f"{version.type_code} {version.code}  letter {head.identifier}"
                     f"  authorised {head.authorised:%Y-%m-%d %H:%M}  ({head.status.value})")
        if isinstance(letter, Referral):
            lines.extend(_referral(letter, reveal))
        elif isinstance(letter, ClinicalEmail):
            lines.extend(_correspondence(letter, reveal))
        else:
            lines.extend(_binary(letter, reveal))
    return "\n".join(lines) + "\n"


def _receipt(r: Receipt) -> list[str]:
    out = [f"From EAN {r.sender_ean} to EAN {r.receiver_ean}",
           f"Answers envelope {r.original_envelope_id} "
           f"(from {r.original_sender_ean} to {r.original_receiver_ean})"]
    out += _refusal("  ", r.refusal)
    for item in r.letters:
        out.append(f"  letter {item.identifier} ({item.version_code})")
        out += _refusal("    ", item.refusal)
    return out


def _refusal(indent: str, refusal: Refusal | None) -> list[str]:
    if refusal is None:
        return []
    text = refusal.text.to_plain() if refusal.text else ""
    return [f"{indent}refused: {_join(refusal.code and refusal.code.value, text, sep=': ')}"]


def _correspondence(km: ClinicalEmail, reveal: bool) -> list[str]:
    out = [*_section("From", _organisation(km.sender)), *_section("To", _organisation(km.receiver))]
    out += _section("Patient", [*_patient(km.patient, reveal), f"status {km.patient_status.value}"])
    if km.episode_of_care:
        out.append(f"Episode of care: {km.episode_of_care}")
    if km.subject or km.priority:
        out.append(f"Subject: {_join(km.subject, km.priority and f'({km.priority.value})')}")
    for text in km.texts:
        out += _text("Text", text)
    for ref in km.references:
        out.append(f"  {ref.description}: {_target(ref.target)}")
    return out


def _referral(r: Referral, reveal: bool) -> list[str]:
    out = [*_section("From", _organisation(r.sender))]
    out.append(f"  Referrer: {_join(r.referrer.name, r.referrer.title, sep=', ')}")
    out += _section("To", _organisation(r.receiver))
    if r.answer_cc:
        out += _section("Copy of answer to", _cc(r.answer_cc))
    out += _section("Patient", _patient(r.patient, reveal))
    if r.relative:
        rel = r.relative
        out.append(f"  Relative ({rel.relation.value}): {_join(rel.given_name, rel.surname)}")
    for episode in r.episodes:
        out.append(f"Episode of care: {episode.identifier}"
                   + (f" ({episode.type})" if episode.type else ""))
    flags = [f"{name} {v.value}" for name, v in (("priority", r.priority),
             ("status", r.referral_status), ("transport", r.transport),
             ("hospital choice", r.hospital_choice)) if v is not None]
    if flags:
        out.append("Referral: " + ", ".join(flags))
    out += _text("Reason", r.clinical_reason)
    out += _text("Supplementary", r.supplementary)
    if r.diagnosis or r.additional_diagnoses:
        out.append("Diagnoses:")
        out += [f"  {_diagnosis(d)}" for d in (r.diagnosis, *r.additional_diagnoses) if d]
    ci = r.clinical_information
    for label, text in (("Cave", ci.cave), ("Anamnesis", ci.anamnesis),
                        ("Examination", ci.examination), ("Current medicine", ci.actual_medicine)):
        out += _text(label, text)
    if r.references:
        out.append("Attachments and references:")
        for ref in r.references:
            out.append(f"  {ref.description}: {_target(ref.target)}")
    for visit in r.visitations:
        out += _text(f"Visitation ({visit.code.value})", visit.information)
    return out


def _binary(b: BinaryLetter, reveal: bool) -> list[str]:
    out = [*_section("From", _organisation(b.sender)), *_section("To", _organisation(b.receiver))]
    if b.patient:
        out += _section("Patient", _patient(b.patient, reveal))
    else:
        out.append("System information" + (f": {b.contents}" if b.contents else ""))
    out.append("Objects:")
    for obj in b.objects:
        out.append(f"  {obj.object_id.value}  {obj.extension.value} ({obj.object_code.value})"
                   f"  {_size(obj.size)}")
    return out


def _section(title: str, lines: Iterable[str]) -> list[str]:
    return [f"{title}:", *(f"  {line}" for line in lines)]


def _organisation(org: Organisation) -> list[str]:
    lines = [_join(org.name, org.department, org.unit, sep=", ") or "(no name)"]
    lines.append(f"EAN {org.ean}  {org.identifier_code.value} {org.identifier}")
    address = _join(org.address.street, org.address.suburb,
                    _join(org.address.postcode, org.address.district), sep=", ")
    if address:
        lines.append(address)
    if org.phone:
        lines.append(f"phone {org.phone}")
    if org.speciality:
        lines.append(f"speciality {org.speciality.value}")
    return lines


def _cc(cc: CcReceiver) -> list[str]:
    return [_join(cc.name, cc.department, cc.unit, sep=", ") or "(no name)",
            f"{cc.identifier_code.value} {cc.identifier}"]


def _patient(p: Patient, reveal: bool) -> list[str]:
    pid = str(p.id) if reveal else _masked(p)
    lines = [f"{_join(p.given_name, p.surname)}  {pid}"]
    address = _join(p.address.street, p.address.suburb,
                    _join(p.address.postcode, p.address.district), sep=", ")
    if address:
        lines.append(address)
    lines += [f"{t.kind.value} {t.number}" for t in p.phones]
    if p.email:
        lines.append(p.email)
    return lines


def _masked(p: Patient) -> str:
    return p.id.masked() if isinstance(p.id, Cpr) else f"{str(p.id)[:6]}-xxxx"


def _diagnosis(d: Diagnosis) -> str:
    head = _join(d.code, d.text)
    tags = _join(d.type.value, d.description and d.description.value, sep=", ")
    return f"{head} ({tags})"


def _target(target: BinaryRef | UrlRef | SupplementaryRef) -> str:
    if isinstance(target, BinaryRef):
        return (f"{target.extension.value} {_size(target.size)}, object "
                f"{target.object_id.value}")
    if isinstance(target, UrlRef):
        return target.url
    return "sent separately"


def _text(label: str, text: FormattedText | None) -> list[str]:
    if not text:
        return []
    body = text.to_plain().strip("\n").split("\n")
    return [f"{label}:", *(f"  {line}" for line in body)]


def _size(n: int) -> str:
    return f"{n} bytes" if n < 1024 else f"{n / 1024:.1f} KB ({n} bytes)"


def _join(*parts: str | None, sep: str = " ") -> str:
    return sep.join(p for p in parts if p)


def envelope(value: object, *, reveal: bool = False) -> str:
    """A VANSEnvelope or ehmiSBDH: addresses, ids, what it carries (patient id masked)."""
    if isinstance(value, VansEnvelope):
        lines = [f"VANSEnvelope 1.0.4  envelope {value.envelope_id}  {value.sent.isoformat()}",
                 f"From: {value.sender.kind.value} {value.sender.id}  "
                 f"To: {value.receiver.kind.value} {value.receiver.id}"]
        if value.message is not None:
            meta = value.message.meta
            transport = meta.transport
            lines.append(
                f"Message {meta.identifier}  {meta.document.format.value} {meta.document.name}"
                + (f" {meta.document.version}" if meta.document.version else "")
                + f"  {_size(meta.document.size)}"
                + (f"  {transport.kind.value}" if transport and transport.kind else "")
                + (f"  {transport.mime_type}" if transport and transport.mime_type else ""))
        elif value.receipt is not None:
            receipt = value.receipt
            lines.append(f"Receipt {receipt.kind.value} for envelope "
                         f"{receipt.original_envelope_id}"
                         + (f" (message {receipt.original.identifier})"
                            if receipt.original else ""))
            if receipt.error is not None:
                code = f"{receipt.error.code}: " if receipt.error.code is not None else ""
                lines.append(f"Error: {code}{receipt.error.description}")
        return "\n".join(lines) + "\n"
    if isinstance(value, Sbdh):
        patient = value.patient
        shown = patient if reveal or patient is None else f"{patient[:6]}-xxxx"
        request = value.receipt_request
        lines = [f"ehmiSBDH  envelope {value.instance_id}  {value.created.isoformat()}",
                 f"From: {value.sender} (SOR {value.sender_sor})  "
                 f"To: {value.receiver} (SOR {value.receiver_sor})",
                 f"Document {value.standard} {value.type_version}  {value.mime_type}  "
                 f"{_size(len(value.content))}",
                 f"Message {value.message_id}  bundle {value.message_envelope_id}  "
                 f"statistics {value.statistical_information}"]
        if shown is not None:
            lines.append(f"Patient: {shown}")
        if request is not None:
            lines.append(f"Envelope receipt requested by {request.expected_response.isoformat()}")
        return "\n".join(lines) + "\n"
    return f"{type(value).__name__}\n"

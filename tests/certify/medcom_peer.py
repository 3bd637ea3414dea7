"""What a correct sending system sends for each of MedCom's test cases, built with the
adapter's own core: the peer's answers to the kit's prompts."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import datetime

from medcom_adapter.certify import medcom_cases as m
from medcom_adapter.fhir.threads import NewAttachment, forward, new_message, reply
from medcom_adapter.model.carecommunication import (
    AttachmentSegment,
    CareCommunication,
    CarePatient,
    CareTeam,
    Category,
    EpisodeOfCareRef,
    Party,
    Priority,
    TextSegment,
)
from medcom_adapter.model.identifiers import XeCpr
from tests import catalogue

PHONE = "44527000"
_FILES = {  # the smallest files that start as their type does
    "application/pdf": b"%PDF-1.4\n%%EOF\n", "image/png": b"\x89PNG\r\n\x1a\n" + bytes(16),
    "image/jpeg": b"\xff\xd8\xff\xe0" + bytes(16), "image/gif": b"GIF89a" + bytes(16),
    "image/tiff": b"II*\x00" + bytes(16), "image/bmp": b"BM" + bytes(16)}
_MIMES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg",
          "gif": "image/gif", "tiff": "image/tiff", "bmp": "image/bmp"}
RECEIVERS = {id: Party(sor, ean, name) for id, (name, ean, sor) in (
    ("new-message", m.SKEJBY), ("new-topic", m.OLGOD), ("new-category-other", m.KOLDING),
    ("new-priority", m.PPR_AALBORG))}


def files(n: int) -> list[NewAttachment]:
    kinds = list(_FILES)
    return [NewAttachment(f"Bilag {i + 1}", kinds[i % len(kinds)], _FILES[kinds[i % len(kinds)]])
            for i in range(n)]


def _new(case: str, now: datetime, new_id: object) -> CareCommunication:
    receiver = RECEIVERS.get(case, Party(m.AABENRAA[2], m.AABENRAA[1], m.AABENRAA[0])
                             if case.startswith("new-attachment") else catalogue.PPR)
    kwargs: dict[str, object] = {}
    patient: CarePatient = catalogue.CHILD
    category = Category.CARE_COORDINATION
    attachments: Sequence[NewAttachment] = ()
    if case == "new-topic":
        kwargs["topic"] = "Opfølgning efter samtale"
    elif case == "new-category-other":
        category, kwargs["topic"] = Category.OTHER, "Spørgsmål om forløbet"
    elif case == "new-priority":
        category, kwargs["priority"] = Category.REGARDING_REFERRAL, Priority.ASAP
    elif case.startswith("new-attachment-") and case[15:] in _MIMES:
        mime = _MIMES[case[15:]]
        attachments = [NewAttachment(f"Bilag ({case[15:]})", mime, _FILES[mime])]
    elif case in ("new-attachment-multiple", "new-attachment-structured"):
        attachments = files(2 if case.endswith("multiple") else 1)
    elif case == "tec-01":
        patient = dataclasses.replace(patient, deceased=True)
    elif case == "tec-02":
        kwargs["sender_detail"] = dataclasses.replace(catalogue.DOCTOR,
                                                      organisation=catalogue.GP)
        kwargs["recipient_detail"] = CareTeam("Sundhedsplejen", catalogue.PPR)
    elif case == "tec-04":
        patient = dataclasses.replace(patient, id=XeCpr("0703921VJ5"))
    elif case == "tec-05":
        kwargs["episode_of_care"] = EpisodeOfCareRef(str(uuid.uuid4()))
    cc = new_message(sender=catalogue.GP, receiver=receiver, patient=patient,
                     category=category, text="Meddelelse fra lægen.", author=catalogue.DOCTOR,
                     phone=PHONE, now=now, attachments=attachments, new_id=new_id,  # type: ignore[arg-type]
                     **kwargs)  # type: ignore[arg-type]
    if case == "new-attachment-link":
        link = AttachmentSegment(f"urn:uuid:{uuid.uuid4()}", now, catalogue.GP, "Vejledning",
                                 url="https://www.sundhed.dk/", author=catalogue.DOCTOR,
                                 phone=PHONE)
        cc = _add(cc, (link,))
    if case == "new-attachment-structured":
        segments = tuple(dataclasses.replace(s, created=now) if isinstance(s, AttachmentSegment)
                         else s for s in cc.segments)
        cc = dataclasses.replace(cc, segments=segments)
    return cc


def _add(cc: CareCommunication, added: Sequence[AttachmentSegment]) -> CareCommunication:
    """``cc`` with segments added to its newest event."""
    *before, latest = cc.history
    latest = dataclasses.replace(latest, segment_ids=(*latest.segment_ids,
                                                      *(s.id for s in added)))
    return dataclasses.replace(cc, segments=(*cc.segments, *added), history=(*before, latest))


def _attached(cc: CareCommunication, n: int, now: datetime) -> CareCommunication:
    return _add(cc, [AttachmentSegment(f"urn:uuid:{uuid.uuid4()}", now, cc.sender, a.title,
                                       a.content_type, a.data, author=catalogue.DOCTOR,
                                       phone=PHONE) for a in files(n)])


def _answer(case: str, ours: CareCommunication, now: datetime,
            new_id: object) -> CareCommunication:
    if case.startswith("forward-"):
        texts = ([s.id for s in ours.segments if isinstance(s, TextSegment)]
                 if case == "forward-partialthread" else None)
        cc = forward(ours, to=catalogue.HOSPITAL, text="Videresendt til orientering.",
                     author=catalogue.DOCTOR, phone=PHONE, now=now, segment_ids=texts,
                     new_id=new_id)  # type: ignore[arg-type]
        extra = {"forward-attachment": 5, "forward-add-attachment": 1}.get(case, 0)
    else:
        cc = reply(ours, text="Svar fra lægen.", author=catalogue.DOCTOR, phone=PHONE, now=now,
                   new_id=new_id)  # type: ignore[arg-type]
        extra = {"reply-attachment": 5, "reply-add-attachment": 2}.get(case, 0)
    if extra:
        cc = _attached(cc, extra, now)
    if case.endswith("changetopic"):
        cc = dataclasses.replace(cc, topic=f"{ours.topic or 'Emne'} (ændret)")
    if case.endswith("changecategory"):
        cc = dataclasses.replace(cc, category=Category.NURSING if ours.category
                                 is not Category.NURSING else Category.MEDICINE)
    return cc


def medcom_case(scenario_id: str, ours: CareCommunication | None, now: datetime,
                new_id: object) -> CareCommunication | None:
    """The CareCommunication a correct system sends for MedCom's case ``scenario_id``."""
    if scenario_id.startswith("acknowledgement-receive-"):
        return _new("new-message", now, new_id)
    case = scenario_id.removeprefix("carecommunication-send-")
    if case.startswith(("reply-", "forward-")) or case in ("tec-06", "tec-07"):
        return None if ours is None else _answer(case, ours, now, new_id)
    return _new(case, now, new_id)

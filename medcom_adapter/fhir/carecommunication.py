"""CareCommunication 5.0 message Bundles <-> the model.

Works on the FHIR JSON object model (what ``json.loads`` gives; ``fhir.wire`` turns FHIR XML
into the same). Writing allocates resource ids deterministically from the Bundle id, so the
same model always gives the same Bundle; reading resolves references inside the Bundle and
reports anything it cannot make sense of as the sender's error, with a FHIRPath-like path.
"""

from __future__ import annotations

from typing import Any

import pybase64

from medcom_adapter.conformance.leniency import reading
from medcom_adapter.errors import InconsistentMessage, InvalidValue
from medcom_adapter.fhir.bundle import (
    EVENT_SYSTEM,
    IG,
    ORGANIZATION_PROFILE,
    SOR_URL,
    BundleWriter,
    Index,
    Json,
    destination,
    error,
    extension,
    fhir_time,
    first,
    parse_time,
    provenance,
    read_party,
)
from medcom_adapter.model.carecommunication import (
    Activity,
    AttachmentSegment,
    Author,
    CareCommunication,
    CarePatient,
    CareTeam,
    Category,
    Coding,
    EpisodeOfCareRef,
    Event,
    Predecessor,
    Priority,
    TextSegment,
)
from medcom_adapter.model.identifiers import Cpr, DeCpr, XeCpr
from medcom_adapter.model.parties import AlternativeId, PersonId, person_id

BASE = f"{IG}/carecommunication"  # fullUrl base, as in MedCom's examples
CPR = "urn:oid:1.2.208.176.1.2"
X_ECPR = "urn:oid:1.2.208.176.1.6.1.1"
D_ECPR = "urn:oid:1.2.208.176.1.6.1.3"
_SD = IG
PROFILES = {
    "Bundle": f"{_SD}/carecommunication/StructureDefinition/medcom-careCommunication-message",
    "MessageHeader":
        f"{_SD}/carecommunication/StructureDefinition/medcom-careCommunication-messageHeader",
    "Communication":
        f"{_SD}/carecommunication/StructureDefinition/medcom-careCommunication-communication",
    "Provenance":
        f"{_SD}/carecommunication/StructureDefinition/medcom-careCommunication-provenance",
    "Patient": f"{_SD}/core/StructureDefinition/medcom-core-patient",
    "Organization": ORGANIZATION_PROFILE,
    "PractitionerRole": f"{_SD}/core/StructureDefinition/medcom-core-practitionerrole",
    "Practitioner": f"{_SD}/core/StructureDefinition/medcom-core-practitioner",
    "Encounter": f"{_SD}/core/StructureDefinition/medcom-core-encounter",
    "CareTeam": f"{_SD}/core/StructureDefinition/medcom-core-careteam",
}
DEFINITION = (f"{_SD}/messagedefinitions/MessageDefinition/"
              "MedComCareCommunicationMessageDefinition|{version}")
CATEGORY_SYSTEM = f"{_SD}/terminology/CodeSystem/medcom-careCommunication-categoryCodes"
EXT = f"{_SD}/core/StructureDefinition/medcom-core-"
EXT_DATETIME, EXT_IDENTIFIER = EXT + "datetime-extension", EXT + "identifier-extension"
EXT_PRACTITIONER, EXT_CONTACT = EXT + "practitioner-extension", EXT + "contact-extension"
EXT_SENDER = EXT + "sender-extension"
PRIORITY_SYSTEM = "http://hl7.org/fhir/request-priority"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
# MedCom's own encounter class, for what v3 ActCode has no code for
MEDCOM_ENCOUNTER_CLASS = f"{_SD}/terminology/CodeSystem/medcom-core-encounter-act-codes"


# --------------------------------------------------------------------------- writing

class _Writer(BundleWriter):
    """Adds authors and care teams to the shared writer, one resource each."""

    def __init__(self, bundle_id: str) -> None:
        super().__init__(bundle_id, BASE, PROFILES)

    def author(self, author: Author) -> str:
        if author not in self.refs:
            key = repr(author)
            name: Json = {}
            if author.family is not None:
                name["family"] = author.family
            if author.given:
                name["given"] = list(author.given)
            person = self.add({"resourceType": "Practitioner", "id": self.new_id("pr:" + key),
                               "name": [name]}, " ".join((*author.given, author.family or "")))
            role: Json = {"resourceType": "PractitionerRole", "id": self.new_id("role:" + key),
                          "practitioner": {"reference": person}}
            if author.organisation is not None:
                role["organization"] = {"reference": self.party(author.organisation)}
            role["code"] = [{"coding": [{"system": author.role.system, "code": author.role.code}]}
                            if author.role else {"text": author.role_text}]
            label = author.role.code if author.role else author.role_text
            self.refs[author] = self.add(role, label or "")
        return self.refs[author]

    def care_team(self, team: CareTeam) -> str:
        if team not in self.refs:
            resource = {"resourceType": "CareTeam", "id": self.new_id(f"team:{team!r}"),
                        "name": team.name,
                        "managingOrganization": [{"reference": self.party(team.organisation)}]}
            self.refs[team] = self.add(resource, team.name)
        return self.refs[team]

    def detail(self, detail: Author | CareTeam) -> str:
        return self.care_team(detail) if isinstance(detail, CareTeam) else self.author(detail)


def to_bundle(cc: CareCommunication) -> Json:
    """The message Bundle for ``cc`` (FHIR JSON object model)."""
    w = _Writer(cc.bundle_id)
    header: Json = {"resourceType": "MessageHeader", "id": cc.message_id}
    patient_ref = w.add(_patient(cc.patient, w.new_id("patient")), cc.patient.family)
    communication_id = w.new_id("communication")
    communication = _communication(cc, w, communication_id, patient_ref)
    communication_ref = w.add(communication, f"{cc.category.value}: {cc.topic or ''}")
    sender, receiver = w.party(cc.sender), w.party(cc.receiver)
    for event in cc.history:
        w.add(_provenance(event, w), f"{event.activity.value} {event.occurred.isoformat()}")
    header.update({
        "eventCoding": {"system": EVENT_SYSTEM, "code": "care-communication-message"},
        "destination": [destination(cc.receiver, receiver)],
        "sender": {"reference": sender},
        "source": {"endpoint": SOR_URL + cc.sender.sor},
        "focus": [{"reference": communication_ref}],
        "definition": DEFINITION.format(version=cc.definition_version),
    })
    w.add(header, f"CareCommunication {cc.message_id}", at=0)  # the MessageHeader comes first
    return w.message_bundle(cc.bundle_id, fhir_time(cc.timestamp))


def _patient(patient: CarePatient, rid: str) -> Json:
    name: Json = {"use": "official", "family": patient.family}
    if patient.given:
        name["given"] = list(patient.given)
    resource: Json = {"resourceType": "Patient", "id": rid,
                      "identifier": [{"system": _person_system(pid), "value": str(pid)}
                                     for pid in patient.ids],
                      "name": [name]}
    if patient.deceased is not None:
        resource["deceasedBoolean"] = patient.deceased
    address: Json = {}
    if patient.address_lines:
        address["line"] = list(patient.address_lines)
    if patient.city is not None:
        address["city"] = patient.city
    if patient.postal_code is not None:
        address["postalCode"] = patient.postal_code
    if address:
        resource["address"] = [address]
    return resource


def _person_system(pid: PersonId) -> str:
    if isinstance(pid, Cpr):
        return CPR
    if isinstance(pid, XeCpr):
        return X_ECPR
    return D_ECPR  # D-eCPR, and other replacement forms issued locally


def _communication(cc: CareCommunication, w: _Writer, rid: str, patient_ref: str) -> Json:
    resource: Json = {"resourceType": "Communication", "id": rid}
    if cc.sender_detail is not None:
        resource["extension"] = [{"url": EXT_SENDER,
                                  "valueReference": {"reference": w.detail(cc.sender_detail)}}]
    resource.update({
        "identifier": [{"value": cc.thread_id}],
        "status": "unknown",
        "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": cc.category.value}]}],
    })
    if cc.priority is not None:
        resource["priority"] = cc.priority.value
    resource["subject"] = {"reference": patient_ref}
    if cc.topic is not None:
        resource["topic"] = {"text": cc.topic}
    if cc.episode_of_care is not None:
        identifier = {"value": cc.episode_of_care.value}
        if cc.episode_of_care.system is not None:
            identifier = {"system": cc.episode_of_care.system, **identifier}
        code = cc.episode_of_care.class_code
        encounter = {"resourceType": "Encounter", "id": w.new_id("encounter"),
                     "status": cc.episode_of_care.status,
                     "class": {"system": MEDCOM_ENCOUNTER_CLASS if code == "other"
                               else V3_ACT_CODE, "code": code},
                     "subject": {"reference": patient_ref},
                     "episodeOfCare": [{"identifier": identifier}]}
        resource["encounter"] = {"reference": w.add(encounter, "Episode of care")}
    if cc.recipient_detail is not None:
        resource["recipient"] = [{"reference": w.detail(cc.recipient_detail)}]
    resource["payload"] = [_payload(s, w) for s in cc.segments]
    return resource


def _payload(segment: TextSegment | AttachmentSegment, w: _Writer) -> Json:
    extensions: list[Json] = [
        {"url": EXT_DATETIME, "valueDateTime": fhir_time(segment.time)},
        {"url": EXT_IDENTIFIER, "valueIdentifier": {
            "value": segment.id, "assigner": {"reference": w.party(segment.assigner)}}},
    ]
    if segment.author is not None:
        extensions.append({"url": EXT_PRACTITIONER,
                           "valueReference": {"reference": w.author(segment.author)}})
    if segment.phone is not None:
        extensions.append({"url": EXT_CONTACT,
                           "valueContactPoint": {"system": "phone", "value": segment.phone}})
    if isinstance(segment, TextSegment):
        return {"extension": extensions, "contentString": segment.text}
    attachment: Json = {}
    if segment.content_type is not None:
        attachment["contentType"] = segment.content_type
    if segment.data is not None:
        attachment["data"] = pybase64.b64encode(segment.data).decode("ascii")
    if segment.url is not None:
        attachment["url"] = segment.url
    if segment.title is not None:
        attachment["title"] = segment.title
    if segment.created is not None:
        attachment["creation"] = fhir_time(segment.created)
    return {"extension": extensions, "contentAttachment": attachment}


def _provenance(event: Event, w: _Writer) -> Json:
    entities: list[Json] = [{"role": "source", "what": {"identifier": {"value": sid}}}
                            for sid in event.segment_ids]
    if event.predecessor is not None:
        pred = event.predecessor
        what = ({"reference": f"MessageHeader/{pred.message_id}"} if pred.message_id
                else {"identifier": {"value": pred.oioxml_identifier}})
        entities.append({"role": "revision", "what": what})
    return provenance(w, message_id=event.message_id, activity=event.activity.value,
                      occurred=event.occurred, recorded=event.recorded, agent=event.agent,
                      entities=entities)


# --------------------------------------------------------------------------- reading

def from_bundle(bundle: Json) -> CareCommunication:
    """Read a CareCommunication message Bundle. InconsistentMessage names what and where."""
    try:
        with reading():  # our own checks (a CPR number's date part) do not refuse a message
            return _read(bundle)
    except InvalidValue as exc:  # model rules broken by the sender
        raise InconsistentMessage(exc.message, location=exc.location) from None
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise error(f"unexpected structure: {exc}", "Bundle") from None


def _read(bundle: Json) -> CareCommunication:
    index = Index(bundle)
    header = index.header()
    hp = "Bundle.entry[0].resource(MessageHeader)"
    communication = index.resolve(first(header.get("focus"), f"{hp}.focus"), f"{hp}.focus[0]",
                                  ("Communication",))
    cp = "Communication"
    primary = first(header.get("destination"), f"{hp}.destination")
    patient = index.resolve(communication.get("subject"), f"{cp}.subject", ("Patient",))
    encounter = (index.resolve(communication["encounter"], f"{cp}.encounter", ("Encounter",))
                 if "encounter" in communication else None)
    definition = header.get("definition", "")
    return CareCommunication(
        bundle_id=bundle["id"],
        message_id=header["id"],
        timestamp=parse_time(bundle.get("timestamp"), "Bundle.timestamp"),
        sender=read_party(index.resolve(header.get("sender"), f"{hp}.sender", ("Organization",))),
        receiver=read_party(index.resolve(primary.get("receiver"),
                                          f"{hp}.destination[0].receiver", ("Organization",))),
        patient=_read_patient(patient),
        thread_id=first(communication.get("identifier"), f"{cp}.identifier")["value"],
        category=Category(first(first(communication.get("category"), f"{cp}.category")
                                 .get("coding"), f"{cp}.category.coding")["code"]),
        topic=(communication.get("topic") or {}).get("text"),
        priority=Priority(communication["priority"]) if "priority" in communication else None,
        episode_of_care=_episode(encounter),
        sender_detail=_detail(index, extension(communication, EXT_SENDER, "valueReference"),
                              f"{cp}.extension(sender)"),
        recipient_detail=_detail(index, (communication.get("recipient") or [None])[0],
                                 f"{cp}.recipient[0]"),
        segments=tuple(_segment(index, p, f"{cp}.payload[{i}]")
                       for i, p in enumerate(communication.get("payload") or [])),
        history=tuple(_event(index, p, i) for i, p in index.of_type("Provenance")),
        definition_version=definition.rpartition("|")[2] if "|" in definition else definition,
    )


def _read_patient(patient: Json) -> CarePatient:
    ids = _patient_ids(patient)
    name = next((n for n in patient.get("name") or [] if n.get("use") == "official"), None)
    if name is None:
        raise error("the patient has an official name", "Patient.name")
    address = (patient.get("address") or [{}])[0]
    return CarePatient(
        id=ids[0],
        family=name.get("family", ""),
        given=tuple(name.get("given") or ()),
        deceased=patient.get("deceasedBoolean"),
        address_lines=tuple(address.get("line") or ()),
        city=address.get("city"),
        postal_code=address.get("postalCode"),
        other_ids=ids[1:],
    )


def _patient_ids(patient: Json) -> tuple[PersonId, ...]:
    """The patient's CPR and replacement CPRs: the CPR first (the child's own id, the one
    the journal files the letter under), the replacement CPRs after it in the order sent.

    medcom-core-patient slices Patient.identifier by system (cpr, x-ecpr, d-ecpr), rules
    open: an identifier of any other system (a local journal number, say) may stand
    anywhere and is not the patient's person id, so it is left out. With none of the three
    systems the profile still holds (identifier 1..*); MedCom's mapping then asks for a CPR
    or replacement CPR, so an identifier whose value reads as one is taken, if it is the
    only one: of two, which is the child's cannot be told, and a letter filed under the
    wrong child is worse than one refused.
    """
    first(patient.get("identifier"), "Patient.identifier")  # 1..*
    identifiers = [(n, i) for n, i in enumerate(patient["identifier"]) if isinstance(i, dict)]
    known = [(n, i) for n, i in identifiers if _is_person_system(i.get("system"))]
    if known:
        known.sort(key=lambda found: found[1]["system"] != CPR)  # stable: the rest in order
        return tuple(_person(i["system"], i.get("value"), f"Patient.identifier[{n}]")
                     for n, i in known)
    readable = []
    for _, identifier in identifiers:
        value = identifier.get("value")
        if isinstance(value, str):
            try:
                readable.append(person_id(value))
            except InvalidValue:
                continue
    if len(readable) == 1:
        return (readable[0],)
    if readable:
        raise error("the patient's identifiers name no CPR system and more than one reads as "
                    "a person id: which one is the patient's cannot be told",
                    "Patient.identifier")
    raise error("the patient has no CPR or replacement CPR", "Patient.identifier")


def _is_person_system(system: Any) -> bool:
    """Whether ``system`` is the CPR's, the X-eCPR's or a D-eCPR's (its own or a region's
    arc below it, as dk-core's D-eCPR systems are)."""
    return isinstance(system, str) and (system in (CPR, X_ECPR, D_ECPR)
                                        or system.startswith(D_ECPR + "."))


def _person(system: str, value: Any, path: str) -> PersonId:
    if not isinstance(value, str):
        raise error("patient identifier without value", f"{path}.value")
    try:
        pid = person_id(value)
    except InvalidValue as exc:
        raise error(f"{exc.message}, under system {system}", path) from None
    if system == CPR:
        fits = isinstance(pid, Cpr)
    elif system == X_ECPR:
        fits = isinstance(pid, XeCpr)
    else:
        fits = isinstance(pid, DeCpr | AlternativeId)
    if not fits:
        raise error(f"identifier does not fit its system {system}", path)
    return pid


def _episode(encounter: Json | None) -> EpisodeOfCareRef | None:
    if encounter is None:
        return None
    identifier = first(encounter.get("episodeOfCare"), "Encounter.episodeOfCare")["identifier"]
    return EpisodeOfCareRef(identifier["value"], identifier.get("system"),
                            encounter.get("status", "unknown"),
                            (encounter.get("class") or {}).get("code", "AMB"))


def _detail(index: Index, reference: Any, path: str) -> Author | CareTeam | None:
    if reference is None:
        return None
    resource = index.resolve(reference, path, ("PractitionerRole", "CareTeam"))
    if resource["resourceType"] == "CareTeam":
        org = index.resolve(first(resource.get("managingOrganization"), path), path,
                            ("Organization",))
        return CareTeam(resource.get("name", ""), read_party(org))
    return _author(index, resource, path)


def _author(index: Index, role: Json, path: str) -> Author:
    practitioner = index.resolve(role.get("practitioner"), f"{path}.practitioner",
                                 ("Practitioner",))
    name = (practitioner.get("name") or [{}])[0]
    code = first(role.get("code"), f"{path}.code")
    coding = (code.get("coding") or [None])[0]
    organisation = role.get("organization")
    return Author(
        family=name.get("family"),
        given=tuple(name.get("given") or ()),
        role=Coding(coding["system"], coding["code"]) if coding else None,
        role_text=code.get("text") if not coding else None,
        organisation=read_party(index.resolve(organisation, f"{path}.organization",
                                          ("Organization",))) if organisation else None,
    )


def _segment(index: Index, payload: Json, path: str) -> TextSegment | AttachmentSegment:
    identifier = extension(payload, EXT_IDENTIFIER, "valueIdentifier")
    if identifier is None:
        raise error("segment without identifier extension", f"{path}.extension")
    time = parse_time(extension(payload, EXT_DATETIME, "valueDateTime"), f"{path}.extension")
    assigner = read_party(index.resolve(identifier.get("assigner"), f"{path}.assigner",
                                    ("Organization",)))
    role = extension(payload, EXT_PRACTITIONER, "valueReference")
    author = (_author(index, index.resolve(role, path, ("PractitionerRole",)), path)
              if role else None)
    contact = extension(payload, EXT_CONTACT, "valueContactPoint")
    phone = contact.get("value") if contact else None
    if "contentString" in payload:
        if author is None or phone is None:
            raise error("a text segment names its author and contact phone",
                        f"{path}.extension")
        return TextSegment(identifier["value"], time, author, assigner, payload["contentString"],
                           phone)
    attachment = payload.get("contentAttachment")
    if not isinstance(attachment, dict):
        raise error("payload is neither text nor attachment", path)
    data = attachment.get("data")
    return AttachmentSegment(
        id=identifier["value"], time=time, assigner=assigner,
        title=attachment.get("title"), content_type=attachment.get("contentType"),
        data=pybase64.b64decode(data, validate=True) if data is not None else None,
        url=attachment.get("url"),
        created=parse_time(attachment["creation"], f"{path}.contentAttachment.creation")
        if "creation" in attachment else None,
        author=author, phone=phone,
    )


def _event(index: Index, provenance: Json, i: int) -> Event:
    path = f"Bundle.entry[{i}].resource(Provenance)"
    target = first(provenance.get("target"), f"{path}.target").get("reference", "")
    agent = index.resolve(first(provenance.get("agent"), f"{path}.agent").get("who"),
                          f"{path}.agent[0].who", ("Organization",))
    sources, predecessor = [], None
    for entity in provenance.get("entity") or []:
        what = entity.get("what") or {}
        if entity.get("role") == "revision":
            ref = what.get("reference")
            predecessor = (Predecessor(message_id=ref.rpartition("/")[2]) if ref
                           else Predecessor(oioxml_identifier=what["identifier"]["value"]))
        else:
            sources.append(what["identifier"]["value"])
    occurred = parse_time(provenance.get("occurredDateTime"), f"{path}.occurredDateTime")
    recorded = provenance.get("recorded")
    recorded_at = parse_time(recorded, f"{path}.recorded") if recorded else None
    return Event(
        message_id=target.rpartition("/")[2],
        activity=Activity(first(provenance["activity"]["coding"], path)["code"]),
        occurred=occurred,
        agent=read_party(agent),
        segment_ids=tuple(sources),
        predecessor=predecessor,
        recorded=None if recorded_at == occurred else recorded_at,  # the usual case: same time
    )

"""The assertions of MedCom's CareCommunication TestScripts, as checks of our own.

Each check says in Danish what it confirms and tests one received CareCommunication Bundle
(JSON, as sent), given the kit's message it answers when it is a reply or a forward. They
mean what MedCom's FHIRPath assertions mean; they are written here from that meaning, not
evaluated from MedCom's files. Where a TestScript counts payloads of MedCom's own test
message, the count here is relative to the kit's message: what it had plus what the case
adds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from medcom_adapter.model.carecommunication import CareCommunication

Json = dict[str, Any]
GLN = "https://www.gs1.org/gln"
SOR = "urn:oid:1.2.208.176.1.1"
CPR = "urn:oid:1.2.208.176.1.2"
LPR = "https://www.esundhed.dk/Registre/Landspatientregisteret"
_EXT = "http://medcomfhir.dk/ig/core/StructureDefinition/"
AUTHOR_EXTENSION = _EXT + "medcom-core-practitioner-extension"
SENDER_EXTENSION = _EXT + "medcom-core-sender-extension"
_THREAD_ID = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_UUID4 = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89ab][0-9a-fA-F]{3}-"
                    r"[0-9a-fA-F]{12}")

Test = Callable[[Json, CareCommunication | None], bool]


@dataclass(frozen=True, slots=True)
class Check:
    """One assertion: a stable code, what it confirms (Danish), and the test."""

    code: str
    text: str
    test: Test

    def failure(self, bundle: Json, ours: CareCommunication | None) -> str | None:
        try:
            passed = self.test(bundle, ours)
        except (KeyError, IndexError, TypeError, AttributeError, ValueError, StopIteration):
            passed = False  # the part the check reads is missing or malformed
        return None if passed else f"{self.code}: ikke opfyldt: {self.text}"


# -- reading a Bundle ------------------------------------------------------------------------

def resources(bundle: Json, kind: str) -> Iterator[Json]:
    for entry in bundle.get("entry", []):
        resource = entry.get("resource", {})
        if resource.get("resourceType") == kind:
            yield resource


def header(bundle: Json) -> Json:
    return dict(bundle["entry"][0]["resource"])


def communication(bundle: Json) -> Json:
    return next(resources(bundle, "Communication"))


def resolve(bundle: Json, reference: str) -> Json:
    for entry in bundle.get("entry", []):
        full = str(entry.get("fullUrl", ""))
        if full == reference or full.endswith("/" + reference):
            return dict(entry["resource"])
    raise KeyError(reference)


def identifier(organisation: Json, system: str) -> str | None:
    return next((i.get("value") for i in organisation.get("identifier", [])
                 if i.get("system") == system), None)


def receiver(bundle: Json) -> Json:
    return resolve(bundle, header(bundle)["destination"][0]["receiver"]["reference"])


def sender(bundle: Json) -> Json:
    return resolve(bundle, header(bundle)["sender"]["reference"])


def attachments(bundle: Json) -> list[Json]:
    return [p["contentAttachment"] for p in communication(bundle).get("payload", [])
            if "contentAttachment" in p]


def payloads(bundle: Json) -> list[Json]:
    return list(communication(bundle).get("payload", []))


def provenances(bundle: Json) -> list[Json]:
    return list(resources(bundle, "Provenance"))


def thread_ids(bundle: Json) -> list[str]:
    return [str(i.get("value")) for i in communication(bundle).get("identifier", [])]


def episode_ids(bundle: Json) -> list[str]:
    return [str(e.get("identifier", {}).get("value"))
            for r in resources(bundle, "Encounter") for e in r.get("episodeOfCare", [])]


def _codes(concept: Json) -> list[str]:
    return [str(c.get("code")) for c in concept.get("coding", [])]


# -- the checks ------------------------------------------------------------------------------

def event_code() -> Check:
    return Check("event-code", "MessageHeader.eventCoding er care-communication-message",
                 lambda b, _: header(b)["eventCoding"]["code"] == "care-communication-message")


def activity(code: str) -> Check:
    return Check(f"activity-{code}", f"en Provenance har aktiviteten {code}",
                 lambda b, _: any(code in _codes(p.get("activity", {}))
                                  for p in provenances(b)))


def provenance_targets_header() -> Check:
    def test(b: Json, _: CareCommunication | None) -> bool:
        own = str(header(b)["id"])
        return any(own in str(t.get("reference", "")) for p in provenances(b)
                   for t in p.get("target", []))
    return Check("provenance-target", "en Provenance peger på meddelelsens MessageHeader.id",
                 test)


def thread_id_uuid() -> Check:
    return Check("thread-id-uuid", "Communication.identifier er en urn:uuid (UUID v4)",
                 lambda b, _: bool(thread_ids(b)) and all(
                     _THREAD_ID.fullmatch(v) for v in thread_ids(b)))


def receiver_is(ean: str, sor: str) -> tuple[Check, Check]:
    return (Check("receiver-ean", f"modtagerens lokationsnummer er {ean}",
                  lambda b, _: identifier(receiver(b), GLN) == ean),
            Check("receiver-sor", f"modtagerens SOR-id er {sor}",
                  lambda b, _: identifier(receiver(b), SOR) == sor))


def attachment_type(mime: str) -> Check:
    return Check(f"attachment-{mime}", f"et bilag af typen {mime} med data er vedlagt",
                 lambda b, _: any(a.get("contentType") == mime and a.get("data")
                                  for a in attachments(b)))


def link_attachment() -> Check:
    return Check("attachment-link", "et bilag som link (url) er vedlagt",
                 lambda b, _: any(a.get("url") for a in attachments(b)))


def attachments_with_data(at_least: int, *, exactly: bool = False) -> Check:
    word = "præcis" if exactly else "mindst"
    return Check(f"attachments-{'=' if exactly else '>='}{at_least}",
                 f"{word} {at_least} bilag med data er vedlagt",
                 lambda b, _: (len([a for a in attachments(b) if a.get("data")]) == at_least
                               if exactly else
                               len([a for a in attachments(b) if a.get("data")]) >= at_least))


def payload_count(added: int) -> Check:
    """The payloads of the kit's message plus ``added`` (MedCom's count assumes its own
    message; see the module docstring)."""
    def test(b: Json, ours: CareCommunication | None) -> bool:
        return len(payloads(b)) == (len(ours.segments) if ours else 0) + added
    return Check(f"payloads+{added}", f"tråden har den modtagne meddelelses indhold og {added} "
                 "nye indholdsdele (payload)", test)


def attachment_creation() -> Check:
    return Check("attachment-creation", "bilagets oprettelsestidspunkt er angivet",
                 lambda b, _: any(a.get("creation") for a in attachments(b)))


def structured_author() -> Check:
    return Check("attachment-author", "bilaget har struktureret forfatter (practitioner-extension)",
                 lambda b, _: any(e.get("url") == AUTHOR_EXTENSION
                                  for p in payloads(b) if "contentAttachment" in p
                                  for e in p.get("extension", [])))


def category(code: str) -> Check:
    return Check(f"category-{code}", f"kategorien er {code}",
                 lambda b, _: any(code in _codes(c)
                                  for c in communication(b).get("category", [])))


def topic() -> Check:
    return Check("topic", "emnet (topic) er angivet",
                 lambda b, _: bool(communication(b).get("topic", {}).get("text")))


def priority() -> Check:
    return Check("priority", "prioritet er angivet",
                 lambda b, _: bool(communication(b).get("priority")))


def predecessor() -> Check:
    def test(b: Json, ours: CareCommunication | None) -> bool:
        assert ours is not None
        return any(ours.message_id in str(e.get("what", {}).get("reference", ""))
                   for p in provenances(b) for e in p.get("entity", []))
    return Check("predecessor", "Provenance.entity.what peger på den forrige MessageHeader.id",
                 test)


def revision() -> Check:
    return Check("entity-revision", "Provenance.entity har rollen revision",
                 lambda b, _: any(e.get("role") == "revision"
                                  for p in provenances(b) for e in p.get("entity", [])))


def provenance_count(added: int = 1) -> Check:
    def test(b: Json, ours: CareCommunication | None) -> bool:
        return len(provenances(b)) == (len(ours.history) if ours else 0) + added
    return Check("provenance-count", "tråden har den modtagne meddelelses Provenance og én ny",
                 test)


def sender_differs() -> Check:
    def test(b: Json, ours: CareCommunication | None) -> bool:
        assert ours is not None
        return identifier(sender(b), SOR) != ours.sender.sor
    return Check("sender-differs", "afsenderens SOR-id er et andet end den forrige meddelelses",
                 test)


def same_thread() -> Check:
    return Check("same-thread", "tråd-id (Communication.identifier) er den modtagne tråds",
                 lambda b, ours: ours is not None and ours.thread_id in thread_ids(b))


def new_thread() -> Check:
    return Check("new-thread", "tråd-id (Communication.identifier) er en ny tråds",
                 lambda b, ours: ours is not None and bool(thread_ids(b))
                 and ours.thread_id not in thread_ids(b))


def topic_changed() -> Check:
    return Check("topic-changed", "emnet er ændret i forhold til den modtagne meddelelse",
                 lambda b, ours: ours is not None and bool(communication(b).get("topic"))
                 and communication(b)["topic"].get("text") != ours.topic)


def category_changed() -> Check:
    return Check("category-changed", "kategorien er ændret i forhold til den modtagne meddelelse",
                 lambda b, ours: ours is not None and all(
                     ours.category.value not in _codes(c)
                     for c in communication(b).get("category", [])))


def deceased() -> Check:
    return Check("patient-deceased", "Patient.deceased er sat (død patient)",
                 lambda b, _: any(p.get("deceasedBoolean") is True or p.get("deceasedDateTime")
                                  for p in resources(b, "Patient")))


def sender_extension() -> Check:
    return Check("specific-sender", "en specifik afsender (sender-extension) er angivet",
                 lambda b, _: any(e.get("url") == SENDER_EXTENSION
                                  for e in communication(b).get("extension", [])))


def recipient() -> Check:
    return Check("specific-recipient", "en specifik modtager (Communication.recipient) er angivet",
                 lambda b, _: bool(communication(b).get("recipient")))


def patient_cpr() -> Check:
    return Check("patient-cpr", f"patientens identifier har systemet {CPR} (CPR-nummer)",
                 lambda b, _: all(i.get("system") == CPR for p in resources(b, "Patient")
                                  for i in p.get("identifier", [])))


def patient_replacement() -> Check:
    return Check("patient-replacement", f"patientens identifier er et erstatnings-CPR (ikke {CPR})",
                 lambda b, _: all(i.get("system") != CPR for p in resources(b, "Patient")
                                  for i in p.get("identifier", [])))


def episode_uuid() -> Check:
    return Check("episode-of-care-uuid", "episodeOfCare-identifier er en UUID (eller et LPR-id)",
                 lambda b, _: (bool(episode_ids(b)) and all(
                     _UUID4.fullmatch(v) for v in episode_ids(b))) or any(
                     e.get("identifier", {}).get("system") == LPR
                     for r in resources(b, "Encounter") for e in r.get("episodeOfCare", [])))


def episode_kept() -> Check:
    return Check("episode-of-care-kept", "episodeOfCare-identifier er den modtagne meddelelses",
                 lambda b, ours: ours is not None and ours.episode_of_care is not None
                 and episode_ids(b) == [ours.episode_of_care.value])

"""The main job on the embedded defaults: a PPR unit's day on the sandbox network.

A referral with its PDF form goes to BUP via DNHF (classified under §126a), a KM goes to
the child's GP once as XDIS91 and once as a FHIR CareCommunication (in a VANSEnvelope);
receipts, Acknowledgements and the GP's replies (XDIS91, CareCommunication) come back and
are answered, and everything is journaled. With EHMI on (the default of ``demo``), a
CareCommunication also goes to a GP practice in the EHMI pilot, in an ehmiSBDH through the
sandbox's access point, is answered by an envelope receipt, and its EDS report is delivered
over mutual TLS. The summary names what was sent, to whom, on which channel, its status and
classification; CPR numbers are masked.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.errors import UnknownReceiver
from medcom_adapter.journal.interface import Direction, Journal, Query, StoredMessage
from medcom_adapter.model.identifiers import Cpr
from medcom_adapter.resources import EXAMPLE_RECEIVERS, EXAMPLE_REQUESTS
from medcom_adapter.sandbox.ehmi_network import EhmiSandbox
from medcom_adapter.sandbox.faults import FaultPlan
from medcom_adapter.sandbox.harness import Harness
from medcom_adapter.workers.submit import Queued, queue_km, queue_referral
from medcom_adapter.workers.submit_fhir import queue_care_communication

REQUESTS = EXAMPLE_REQUESTS
RECEIVERS = EXAMPLE_RECEIVERS
UNIT_EAN = "5790000123452"
UNIT_SOR = "953741000016009"
GP_EAN = "5790000121526"
EHMI_GP = "5790000121533"  # a GP practice in the EHMI pilot, reached on EHMI only
EHMI_GP_SOR = "265171000016005"
EHMI_GP_NAME = "Lægehuset Eksempel, EHMI-pilot"
READER = "worker:demo"  # who reads the summary, for the audit log


@dataclass(frozen=True, slots=True)
class DemoResult:
    referral: Queued
    km: Queued
    care_communication: Queued
    ehmi_km: Queued | None
    ehmi: EhmiSandbox | None
    journal: Journal
    harness: Harness
    started: datetime  # the summary shows what this run journaled


def run_demo(
    journal: Journal, *, requests: Path = REQUESTS, receivers: Path = RECEIVERS,
    faults: FaultPlan | None = None, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ehmi: EhmiSandbox | None = None,
) -> DemoResult:
    directory = ehmi_directory(receivers) if ehmi is not None else Directory.load(receivers)
    started = clock()
    harness = Harness(journal, directory, unit_ean=UNIT_EAN, faults=faults, clock=clock,
                      ehmi=ehmi)
    checked = harness.checked
    referral = queue_referral(journal, directory, _json(requests / "referral-bup.json"),
                              files=requests, checked=checked)
    km = queue_km(journal, directory, _json(requests / "km-gp.json"), files=requests,
                  checked=checked)
    care = queue_care_communication(journal, directory, _json(requests / "km-gp.json"),
                                    files=requests, checked=checked)
    over_ehmi = None if ehmi is None else queue_care_communication(
        journal, directory, ehmi_request(requests), files=requests)
    harness.pump(200)
    return DemoResult(referral, km, care, over_ehmi, ehmi, journal, harness, started)


def ehmi_directory(receivers: Path = RECEIVERS) -> Directory:
    """The sandbox's directory and a GP practice reached on EHMI (its channel ``ehmi``)."""
    directory = Directory.load(receivers)
    gp = directory.by_ean(GP_EAN)
    pilot = dataclasses.replace(gp, sor=EHMI_GP_SOR, ean=EHMI_GP, name=EHMI_GP_NAME,
                                channels=("ehmi",))
    return Directory((*directory.receivers, pilot), directory.dnhf)


def ehmi_request(requests: Path = REQUESTS) -> dict[str, object]:
    """The demo's KM request, addressed to the EHMI pilot practice."""
    request = _json(requests / "km-gp.json")
    assert isinstance(request, dict)
    request["receiver"] = {**request["receiver"], "ean": EHMI_GP, "sor": EHMI_GP_SOR,
                           "name": EHMI_GP_NAME}
    return request


def summary(result: DemoResult, out: TextIO) -> None:
    journal, directory = result.journal, result.harness.directory

    def read(id: int) -> StoredMessage:
        return journal.get(id, actor=READER)

    write = out.write
    write("Sent\n")
    for label, queued in (("Referral", result.referral), ("KM (XDIS91)", result.km),
                          ("KM (CareCommunication)", result.care_communication)):
        via = f" via {queued.via}" if queued.via else ""
        write(f"  {label} to {queued.receiver}{via}\n")
        for id in queued.ids:
            stored = read(id)
            answers = ", ".join(f"{read(a).message.kind} #{a}" for a in stored.answered_by)
            answered = f"  answered by {answers}" if answers else ""
            write(f"    {_line(stored, directory)}{answered}\n")
        classification = read(queued.ids[0]).message.classification
        if classification is not None:
            classes = ", ".join(c.display for c in classification.classes)
            write(f"    §126a henvisning: {classes} (forløb {classification.course_id})\n")
    if result.ehmi_km is not None and result.ehmi is not None:
        _ehmi(result, result.ehmi, read, directory, write)
    write("Received\n")
    inbound = journal.find(Query(direction=Direction.INBOUND, since=result.started), actor=READER)
    for stored in inbound:
        answers = ", ".join(f"{read(a).message.kind} #{a} {read(a).status.value}"
                            for a in stored.answered_by
                            if read(a).message.direction is Direction.OUTBOUND)
        write(f"  {_line(stored, directory, inbound=True)}"
              f"{'  we answered ' + answers if answers else ''}\n")
    counts: dict[str, int] = {}
    for stored in journal.find(Query(since=result.started, limit=100_000),
                               actor=READER):
        counts[stored.status.value] = counts.get(stored.status.value, 0) + 1
    write("Journal: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    verify = getattr(journal, "verify", None)
    if verify is not None:
        write(f"; chain {'intact' if verify().intact else 'BROKEN'}")
    write("\n")


def _ehmi(result: DemoResult, ehmi: EhmiSandbox, read: Callable[[int], StoredMessage],
          directory: Directory, write: Callable[[str], object]) -> None:
    assert result.ehmi_km is not None
    write(f"  KM (CareCommunication) over EHMI to {result.ehmi_km.receiver}\n")
    for id in result.ehmi_km.ids:
        stored = read(id)
        write(f"    {_line(stored, directory)}\n")
        for r in result.journal.eds.of_message(stored.message.message_id):
            where = f" as AuditEvent/{r.location}" if r.location else ""
            write(f"      EDS report {r.subtype}: {r.status.value}{where}\n")
        for answer in (read(a) for a in stored.answered_by):
            write(f"      answered by {answer.message.kind} #{answer.id} "
                  f"(ehmiSBDH {answer.message.version}: envelope receipt)\n")
            for r in result.journal.eds.of_message(answer.message.message_id):
                where = f" as AuditEvent/{r.location}" if r.location else ""
                write(f"        EDS report {r.subtype}: {r.status.value}{where}\n")
    write(f"    EDS holds {len(ehmi.services.events)} report(s); the access point's peer MSH "
          f"took {len(ehmi.ap.delivered)} envelope(s) and answered "
          f"{len(ehmi.ap.receipts_sent)}\n")


def _line(stored: StoredMessage, directory: Directory, *, inbound: bool = False) -> str:
    m = stored.message
    party = m.sender_ean if inbound else m.receiver_ean
    who = f"{'from' if inbound else 'to'} {_name(directory, party)}"
    patient = f"  patient {_masked(m.patient)}" if m.patient is not None else ""
    reason = stored.history[-1].reason
    status = stored.status.value + (f" ({reason})" if reason else "")
    return (f"#{stored.id} {m.kind} {m.version} envelope {m.envelope_id} {who}:"
            f" {status}{patient}")


def _name(directory: Directory, ean: str | None) -> str:
    try:
        return f"{directory.by_ean(ean or '').name} ({ean})"
    except UnknownReceiver:
        return ean or "?"


def _masked(patient: object) -> str:
    return patient.masked() if isinstance(patient, Cpr) else f"{str(patient)[:6]}-xxxx"


def _json(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))

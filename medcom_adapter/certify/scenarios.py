"""MedCom's test protocol as data, and the checks that judge a vendor's answers.

*Receive* scenarios deliver catalogue messages (in order, with duplicates and out of order)
and say what must come back for each delivery: a positive or negative receipt, an ``ok`` or
``fatal-error`` Acknowledgement, or nothing (receipts and acknowledgements are never
answered). *Send* scenarios ask the vendor to send a case and judge what arrives, including
the thread rules (a reply keeps the thread id and names our message as its predecessor; a
forward starts a new thread).

The checks are pure: bytes delivered and bytes received in, reasons for failure out. The
runner that moves the bytes over a VANS mailbox folder pair plugs in around them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from medcom_adapter.detect import check
from medcom_adapter.model.acknowledgement import Acknowledgement
from medcom_adapter.model.carecommunication import Activity, CareCommunication
from medcom_adapter.model.receipts import Receipt, ReceiptKind


class Direction(StrEnum):
    SEND = "send"
    RECEIVE = "receive"


class Answer(StrEnum):
    """What a delivery must get back."""

    POSITIVE_RECEIPT = "XCTL03"
    NEGATIVE_RECEIPT = "XCTL02"
    ACK_OK = "ok"
    ACK_TRANSIENT = "transient-error"
    ACK_FATAL = "fatal-error"
    NOTHING = "nothing"


class ThreadRule(StrEnum):
    NEW = "new"  # a new thread
    REPLY = "reply"  # same thread as our message, predecessor = our message
    FORWARD = "forward"  # a new thread, predecessor = our message


@dataclass(frozen=True, slots=True)
class Delivery:
    fixture: str  # file under fixtures/catalogue
    expect: Answer


@dataclass(frozen=True, slots=True)
class Scenario:
    id: str
    title: str
    direction: Direction
    deliveries: tuple[Delivery, ...] = ()  # receive
    ask: str = ""  # send: what the vendor is asked to send us
    kind: str | None = None  # send: the message kind that must arrive
    thread: ThreadRule | None = None  # send: thread rule against our message


_KM = "oioxml/XDIS91-XD9134L-every-optional-element.xml"
_NEW = "fhir/CareCommunication-5.0-new-every-optional-element.json"
_REPLY = "fhir/CareCommunication-5.0-reply.json"
R, S = Direction.RECEIVE, Direction.SEND
A = Answer

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("R-XDIS91-new", "XDIS91 asking for a positive receipt", R,
             (Delivery(_KM, A.POSITIVE_RECEIPT),)),
    Scenario("R-XBIN01", "XBIN01 attachment (PDF)", R,
             (Delivery("oioxml/XBIN01-XB0131X-pdf.xml", A.POSITIVE_RECEIPT),)),
    Scenario("R-XDIS91-duplicate", "the same XDIS91 twice: a receipt for each delivery", R,
             (Delivery(_KM, A.POSITIVE_RECEIPT), Delivery(_KM, A.POSITIVE_RECEIPT))),
    Scenario("R-XDIS91-invalid", "XDIS91 breaking its schema: a negative receipt", R,
             (Delivery("invalid/XDIS91-episode-status-missing.xml", A.NEGATIVE_RECEIPT),)),
    Scenario("R-XCTL03", "a receipt is never receipted", R,
             (Delivery("oioxml/XCTL03-XC0330Q.xml", A.NOTHING),)),
    Scenario("R-CC-new", "CareCommunication new with six attachment types", R,
             (Delivery(_NEW, A.ACK_OK),)),
    Scenario("R-CC-out-of-order", "the reply arrives before the message it answers", R,
             (Delivery(_REPLY, A.ACK_OK), Delivery(_NEW, A.ACK_OK))),
    Scenario("R-CC-duplicate", "the same CareCommunication twice: one ack per delivery", R,
             (Delivery(_NEW, A.ACK_OK), Delivery(_NEW, A.ACK_OK))),
    Scenario("R-CC-forward", "a forwarded CareCommunication (new thread)", R,
             (Delivery("fhir/CareCommunication-5.0-forward.json", A.ACK_OK),)),
    Scenario("R-CC-x-ecpr", "patient with a national replacement CPR", R,
             (Delivery("fhir/CareCommunication-5.0-patient-x-ecpr.json", A.ACK_OK),)),
    Scenario("R-CC-d-ecpr", "patient with a decentral replacement CPR", R,
             (Delivery("fhir/CareCommunication-5.0-patient-d-ecpr.json", A.ACK_OK),)),
    Scenario("R-CC-deceased", "deceased patient", R,
             (Delivery("fhir/CareCommunication-5.0-patient-deceased.json", A.ACK_OK),)),
    Scenario("R-CC-invalid", "CareCommunication without category: fatal-error", R,
             (Delivery("invalid/CareCommunication-category-missing.json", A.ACK_FATAL),)),
    Scenario("R-ACK", "an acknowledgement is never acknowledged", R,
             (Delivery("fhir/Acknowledgement-2.0-ok.json", A.NOTHING),)),
    Scenario("S-CC-new", "new message", S, ask="Send a new CareCommunication to the test "
             "receiver, with a text and a PDF attachment.", kind="CareCommunication",
             thread=ThreadRule.NEW),
    Scenario("S-CC-reply", "reply", S, ask="Reply to the CareCommunication we sent you.",
             kind="CareCommunication", thread=ThreadRule.REPLY),
    Scenario("S-CC-forward", "forward", S, ask="Forward the CareCommunication we sent you to "
             "the test receiver.", kind="CareCommunication", thread=ThreadRule.FORWARD),
    Scenario("S-XDIS91", "XDIS91 correspondence", S, ask="Send an XDIS91 to the test "
             "receiver asking for a positive receipt.", kind="XDIS91"),
    Scenario("S-ACK", "acknowledge our message", S, ask="Acknowledge the CareCommunication "
             "we sent you.", kind="Acknowledgement"),
)


# ------------------------------------------------------------------------------ keys

def delivery_key(data: bytes) -> str | None:
    """What an answer to ``data`` names it by: envelope id (OIOXML) or MessageHeader id."""
    text = bytes(data[:64]).lstrip()
    if text.startswith(b"{"):
        try:
            header = json.loads(data)["entry"][0]["resource"]
            return str(header["id"])
        except (ValueError, KeyError, IndexError, TypeError):
            return None
    from lxml import etree

    from medcom_adapter.oioxml.safe_xml import load

    try:
        root = load(data).getroot()
    except Exception:  # a malformed delivery has no key; the check says so
        return None
    found = root.find("{*}Envelope/{*}Identifier")
    return found.text if isinstance(found, etree._Element) and found.text else None


def answer_of(data: bytes) -> tuple[Answer, str] | None:
    """What an answer is and which delivery it names; None for anything else."""
    report = check(data)
    message = report.message
    if isinstance(message, Acknowledgement):
        return Answer(message.code.value), message.acknowledged_id
    letters = getattr(getattr(message, "message", None), "letters", ())
    receipt = letters[0] if letters else None
    if isinstance(receipt, Receipt):
        kind = (Answer.POSITIVE_RECEIPT if receipt.kind is ReceiptKind.POSITIVE
                else Answer.NEGATIVE_RECEIPT)
        return kind, receipt.original_envelope_id
    return None


# ------------------------------------------------------------------------------ checks

def check_receive(
    scenario: Scenario, delivered: Sequence[bytes], answers: Sequence[bytes]
) -> list[str]:
    """Why the answers to the scenario's deliveries are wrong (empty: passed)."""
    failures: list[str] = []
    wanted: Counter[tuple[str, Answer]] = Counter()
    silent: set[str] = set()
    for delivery, data in zip(scenario.deliveries, delivered, strict=True):
        key = delivery_key(data)
        if key is None:
            failures.append(f"{delivery.fixture}: cannot tell what an answer would name")
        elif delivery.expect is Answer.NOTHING:
            silent.add(key)
        else:
            wanted[(key, delivery.expect)] += 1
    got: Counter[tuple[str, Answer]] = Counter()
    for data in answers:
        found = answer_of(data)
        if found is None:
            failures.append("an answer that is neither a receipt nor an acknowledgement")
            continue
        kind, key = found
        if key in silent:
            failures.append(f"answered {key}, which must not be answered ({kind.value})")
        got[(key, kind)] += 1
    for (key, kind), count in wanted.items():
        have = got.get((key, kind), 0)
        if have != count:
            failures.append(f"{key}: expected {count} x {kind.value}, got {have}")
    for (key, kind), count in got.items():
        if (key, kind) not in wanted and key not in silent:
            failures.append(f"{key}: unexpected {count} x {kind.value}")
    return failures


def check_send(
    scenario: Scenario, arrived: Sequence[bytes], ours: CareCommunication | None = None
) -> list[str]:
    """Why what the vendor sent for the scenario is wrong (empty: passed)."""
    if len(arrived) != 1:
        return [f"expected one message, got {len(arrived)}"]
    report = check(arrived[0])
    failures = [f"[{i.code}] {i.path or ''}: {i.message}" for i in report.issues
                if not i.warning]
    if report.kind != scenario.kind:
        failures.append(f"expected a {scenario.kind}, got {report.kind or 'an unknown kind'}")
    message = report.message
    if scenario.thread is None or not isinstance(message, CareCommunication):
        return failures
    latest = message.latest
    activity = {ThreadRule.NEW: Activity.NEW, ThreadRule.REPLY: Activity.REPLY,
                ThreadRule.FORWARD: Activity.FORWARD}[scenario.thread]
    if latest.activity is not activity:
        failures.append(f"expected a {activity.value}, got a {latest.activity.value}")
    if scenario.thread is ThreadRule.NEW or ours is None:
        return failures
    predecessor = latest.predecessor.message_id if latest.predecessor else None
    if predecessor != ours.message_id:
        failures.append(f"the predecessor must be our message {ours.message_id}, "
                        f"not {predecessor}")
    same_thread = message.thread_id == ours.thread_id
    if scenario.thread is ThreadRule.REPLY and not same_thread:
        failures.append("a reply keeps the thread id (Communication.identifier)")
    if scenario.thread is ThreadRule.FORWARD and same_thread:
        failures.append("a forward starts a new thread id (Communication.identifier)")
    return failures

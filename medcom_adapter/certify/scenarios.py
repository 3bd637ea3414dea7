"""MedCom's test protocol as data, and the checks that judge a vendor's answers.

*Receive* scenarios deliver catalogue messages (in order, with duplicates and out of order)
and say what must come back for each delivery: a positive or negative receipt, an ``ok`` or
``fatal-error`` Acknowledgement, or nothing (receipts and acknowledgements are never
answered). A FHIR message travels in a VANSEnvelope, whose reliable transport may add a
VANS ``PositiveMessage`` receipt for an envelope (allowed, not required).

*Send* scenarios ask the vendor to send a case and judge what arrives, including
the thread rules (a reply keeps the thread id and names our message as its predecessor; a
forward starts a new thread).

The checks are pure: bytes delivered and bytes received in, reasons for failure out. The
runner that moves the bytes over a VANS mailbox folder pair plugs in around them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from medcom_adapter.catalogue import Envelope
from medcom_adapter.certify.bundle_checks import Check
from medcom_adapter.certify.deliveries import Wire
from medcom_adapter.detect import Enveloped, check
from medcom_adapter.envelopes.vans import VansReceipt
from medcom_adapter.kinds import Kind
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
    VANS_POSITIVE = "PositiveMessage"
    VANS_NEGATIVE = "NegativeMessage"
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
    source: str = "the kit's own protocol"  # the MedCom document (and id) it plays
    checks: tuple[Check, ...] = ()  # send: assertions on the CareCommunication Bundle
    ours: str | None = None  # send: the kit's message a reply or forward answers
    acks: tuple[str, ...] = ()  # send: Acknowledgement codes the kit answers with, in order
    checklist: tuple[str, ...] = ()  # what a person confirms (Danish), shown in the report

    def describe(self) -> dict[str, str]:
        """id, title, kind, direction and source, as ``certify --list-scenarios`` lists."""
        return {"id": self.id, "title": self.title, "kind": self.kind or _kinds(self),
                "direction": self.direction.value, "source": self.source}


def _kinds(scenario: Scenario) -> str:
    return ", ".join(dict.fromkeys(d.fixture.rsplit("/", 1)[-1].split("-", 1)[0]
                                   for d in scenario.deliveries))


_KM = "oioxml/XDIS91-XD9134L-every-optional-element.xml"
_DIS91 = "edifact/DIS91-D9134L-every-optional-element.edi"
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
    Scenario("R-XCTL02", "a negative receipt is never receipted", R,
             (Delivery("oioxml/XCTL02-XC0230Q-syntaksfejl.xml", A.NOTHING),)),
    Scenario("R-XCTL01", "a negative VANS receipt is never receipted", R,
             (Delivery("oioxml/XCTL01-XC0130Q.xml", A.NOTHING),)),
    Scenario("R-XREF01", "XREF01 referral (XH0131R) asking for a positive receipt", R,
             (Delivery("oioxml/XREF01-XH0131R-minimal.xml", A.POSITIVE_RECEIPT),)),
    Scenario("R-XREF01-XH0130R", "XREF01 referral in the older version XH0130R", R,
             (Delivery("oioxml/XREF01-XH0130R-minimal.xml", A.POSITIVE_RECEIPT),)),
    Scenario("R-XBIN02", "XBIN02 referral attachment (XB0230X, PDF)", R,
             (Delivery("oioxml/XBIN02-XB0230X-pdf.xml", A.POSITIVE_RECEIPT),)),
    Scenario("R-XREF01-invalid", "XREF01 breaking its schema (unknown priority): a negative "
             "receipt", R, (Delivery("invalid/XREF01-priority-unknown-code.xml",
                                     A.NEGATIVE_RECEIPT),)),
    Scenario("R-DIS91", "EDIFACT DIS91 asking for a positive receipt (CONTRL CTL03)", R,
             (Delivery(_DIS91, A.POSITIVE_RECEIPT),)),
    Scenario("R-DIS91-duplicate", "the same DIS91 interchange twice: a receipt for each", R,
             (Delivery(_DIS91, A.POSITIVE_RECEIPT), Delivery(_DIS91, A.POSITIVE_RECEIPT))),
    Scenario("R-DIS91-invalid", "DIS91 with a code MedCom does not know: a negative CTL02", R,
             (Delivery("invalid/DIS91-letter-status-unknown.edi", A.NEGATIVE_RECEIPT),)),
    Scenario("R-REF01", "EDIFACT REF01 referral (H0130R) asking for a positive receipt", R,
             (Delivery("edifact/REF01-H0130R-every-optional-element.edi",
                       A.POSITIVE_RECEIPT),)),
    Scenario("R-BIN01", "EDIFACT BIN01 attachment (PDF)", R,
             (Delivery("edifact/BIN01-B0131X-pdf.edi", A.POSITIVE_RECEIPT),)),
    Scenario("R-CTL03", "a CONTRL receipt is never receipted", R,
             (Delivery("edifact/CTL03-C0330Q-positive.edi", A.NOTHING),)),
    Scenario("R-CTL02", "a negative CONTRL receipt is never receipted", R,
             (Delivery("edifact/CTL02-C0230Q-syntaksfejl.edi", A.NOTHING),)),
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
    Scenario("R-CC-invalid", "CareCommunication breaking a profile rule: fatal-error", R,
             (Delivery("invalid/CareCommunication-priority-without-referral.json",
                       A.ACK_FATAL),)),
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


# ------------------------------------------------------------------------------ answers

def answer_of(data: bytes) -> tuple[Answer, str] | None:
    """What an answer is and which delivery it names; None for anything else."""
    report = check(data)
    message = report.message
    if isinstance(message, Enveloped):
        receipt = getattr(message.envelope, "receipt", None)
        if isinstance(receipt, VansReceipt):
            return Answer(receipt.kind.value), receipt.original_envelope_id
        message = message.message
    if isinstance(message, Acknowledgement):
        return Answer(message.code.value), message.acknowledged_id
    letters = getattr(getattr(message, "message", None), "letters", ())
    receipt = letters[0] if letters else None
    if isinstance(receipt, Receipt):
        kind = (Answer.POSITIVE_RECEIPT if receipt.kind is ReceiptKind.POSITIVE
                else Answer.NEGATIVE_RECEIPT)
        return kind, receipt.original_envelope_id
    return None


def why_not_an_answer(data: bytes) -> str:
    report = check(data)
    problem = next((f"[{i.code}] {i.message}" for i in report.issues if not i.warning), None)
    what = f"a {report.kind}" if report.kind else "a file"
    return (f"{what} that is not a valid receipt or acknowledgement"
            + (f": {problem}" if problem else ""))


@dataclass(frozen=True, slots=True)
class Expected:
    """What the answers to a scenario's deliveries must be."""

    wanted: Counter[tuple[str, Answer]]  # (key, kind) -> how many must come
    allowed: Counter[tuple[str, Answer]]  # may come, at most this often
    silent: frozenset[str]  # keys nothing may answer


def expectations(scenario: Scenario, delivered: Sequence[Wire]) -> Expected:
    """What must (and may) answer the deliveries.

    A VANSEnvelope's reliable transport lets the receiving system confirm the envelope with
    a VANS ``PositiveMessage`` receipt; MedCom's FHIR rules make the Acknowledgement the
    answer that counts, so the VANS receipt is allowed (once per delivery), not required."""
    wanted: Counter[tuple[str, Answer]] = Counter()
    allowed: Counter[tuple[str, Answer]] = Counter()
    silent: set[str] = set()
    for delivery, wire in zip(scenario.deliveries, delivered, strict=True):
        key = wire.envelope_id
        if wire.kind == Envelope.VANS_ENVELOPE:
            allowed[(wire.envelope_id, Answer.VANS_POSITIVE)] += 1
            key = wire.message_id or ""
        if delivery.expect is Answer.NOTHING:
            silent.add(key)
        else:
            wanted[(key, delivery.expect)] += 1
    return Expected(wanted, allowed, frozenset(silent))


def keys_of(wire: Wire) -> tuple[str, ...]:
    return tuple(k for k in (wire.envelope_id, wire.message_id) if k)


# ------------------------------------------------------------------------------ checks

def tally(answers: Sequence[bytes]) -> tuple[Counter[tuple[str, Answer]], list[str]]:
    """(answers by key and kind, reasons for files that are no answer)."""
    got: Counter[tuple[str, Answer]] = Counter()
    failures: list[str] = []
    for data in answers:
        found = answer_of(data)
        if found is None:
            failures.append(why_not_an_answer(data))
            continue
        kind, key = found
        got[(key, kind)] += 1
    return got, failures


def check_receive(
    scenario: Scenario, delivered: Sequence[Wire], answers: Sequence[bytes]
) -> list[str]:
    """Why the answers to the scenario's deliveries are wrong (empty: passed)."""
    expected = expectations(scenario, delivered)
    got, failures = tally(answers)
    for (key, kind), count in expected.wanted.items():
        have = got.get((key, kind), 0)
        if have != count:
            failures.append(f"{key}: expected {count} x {kind.value}, got {have}")
    for (key, kind), count in got.items():
        if (key, kind) in expected.wanted:
            continue
        if count > expected.allowed.get((key, kind), 0):
            failures.append(f"answered {key}, which must not be answered ({kind.value})"
                            if key in expected.silent else
                            f"{key}: unexpected {count} x {kind.value}")
    return failures


def covered(expected: Expected, answers: Sequence[bytes]) -> bool:
    """Whether every wanted answer has arrived (more may still come)."""
    got, _ = tally(answers)
    return all(got.get(k, 0) >= n for k, n in expected.wanted.items())


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
    if scenario.checks and report.kind == Kind.CARE_COMMUNICATION:
        from medcom_adapter.fhir import wire

        bundle, _ = wire.load(arrived[0])
        failures += [f for f in (c.failure(bundle, ours) for c in scenario.checks) if f]
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

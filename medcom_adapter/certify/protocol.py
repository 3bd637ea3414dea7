"""Playing MedCom's test protocol against a vendor's system over a VANS mailbox folder pair.

The kit sits where the VANS network would: it writes into its mailbox's out folder, which
the vendor's system reads, and reads its in folder, which the vendor's system writes
(``transport.vans_mailbox``). *Receive*: each scenario's messages are delivered and the
receipts and acknowledgements that come back within the timeout are checked. *Send*: each
case is asked for (``prompt``) and what arrives is checked, including the thread rules of
a reply and a forward; what the vendor sends is answered as a receiver must.

Answers are traced to their scenario by the ids they name, so one arriving late still
counts where it belongs: every scenario is judged again on all answers at the end.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from medcom_adapter.catalogue import Envelope
from medcom_adapter.certify import scenarios as protocol
from medcom_adapter.certify.answering import Answerer
from medcom_adapter.certify.deliveries import Wire, is_fhir, on_the_wire, renew
from medcom_adapter.certify.scenarios import Direction, Scenario, ThreadRule
from medcom_adapter.detect import Enveloped, check
from medcom_adapter.envelopes.vans import VansEnvelope
from medcom_adapter.kinds import Kind
from medcom_adapter.model.acknowledgement import Acknowledgement
from medcom_adapter.model.carecommunication import CareCommunication
from medcom_adapter.transport.interface import Parcel, Received

OUR_MESSAGE = "fhir/CareCommunication-5.0-new-every-optional-element.json"
Progress = Callable[[str], None]
Prompt = Callable[[Scenario, CareCommunication | None], None]


class Line(Protocol):
    """How the kit reaches the vendor's system: a VANS mailbox folder pair
    (``transport.vans_mailbox``) or the sandbox network (``certify.sandbox_line``)."""

    @property
    def in_dir(self) -> Path | str: ...

    def send(self, parcel: Parcel) -> None: ...

    def receive(self) -> Iterable[Received]: ...

    def settle(self, received: Received) -> None: ...


@dataclass(frozen=True, slots=True)
class Timing:
    timeout: float = 60.0  # seconds to wait for what a scenario must get
    quiet: float = 3.0  # then how long to keep listening for answers that must not come
    poll: float = 0.05


@dataclass(frozen=True, slots=True)
class Exchanged:
    """One file as it went over the mailbox, envelope and all."""

    scenario: str  # the scenario being played when it went ("" before the first)
    way: str  # sent (by the kit) or received (from the system under test)
    data: bytes


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    scenario: Scenario
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class _Played:
    scenario: Scenario
    delivered: list[Wire] = field(default_factory=list)
    answers: list[bytes] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # failures found on the way


class ScenarioRunner:
    def __init__(
        self, mailbox: Line, catalogue: Path, *, timing: Timing | None = None,
        progress: Progress = lambda line: None, clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.mailbox = mailbox
        self.catalogue = catalogue
        self.timing = timing or Timing()
        self.progress = progress
        self.clock = clock
        self.sleep = sleep
        self.now = now
        self.run_id = uuid.uuid4().hex[:12]  # parcel keys are unique per run
        self.answerer = Answerer(clock=now)
        self._sent = 0
        self.current = ""  # the scenario being played, for the record of what was exchanged
        self.exchanged: list[Exchanged] = []  # every file sent and received, in order
        self._ack_owner: dict[str, str] = {}  # our Acknowledgement's id -> its scenario
        self._late: dict[str, list[str]] = {}  # failures found after a scenario ended

    # -- receive ---------------------------------------------------------------------------
    def receive(self, chosen: Sequence[Scenario]) -> list[ScenarioResult]:
        self._set_aside_leftovers()
        played: list[_Played] = []
        owner: dict[str, _Played] = {}
        for n, scenario in enumerate(chosen, 1):
            self.progress(f"[{n}/{len(chosen)}] {scenario.id}: {scenario.title}")
            self.current = scenario.id
            played.append(self._deliver(scenario, owner))
        return [ScenarioResult(p.scenario, tuple(
            protocol.check_receive(p.scenario, p.delivered, p.answers) + p.extra))
            for p in played]

    def _deliver(self, scenario: Scenario, owner: dict[str, _Played]) -> _Played:
        """Deliver one scenario and listen for its answers (and late ones of others)."""
        now = _Played(scenario, self._deliveries(scenario))
        for wire in now.delivered:
            owner.update(dict.fromkeys(protocol.keys_of(wire), now))
        for wire in now.delivered:
            self._send(wire)
        expected = protocol.expectations(scenario, now.delivered)
        self._listen(lambda: protocol.covered(expected, now.answers),
                     lambda data: self._route(data, owner, now))
        failures = protocol.check_receive(scenario, now.delivered, now.answers) + now.extra
        self.progress(_verdict(failures))
        return now

    def _deliveries(self, scenario: Scenario) -> list[Wire]:
        fixtures = [d.fixture for d in scenario.deliveries]
        unique = list(dict.fromkeys(fixtures))
        fresh = renew([(self.catalogue / f).read_bytes() for f in unique])
        wires = {f: on_the_wire(data, sent=self.now()) for f, data in zip(unique, fresh,
                                                                           strict=True)}
        return [wires[f] for f in fixtures]  # a fixture repeated is the same file again

    def _route(self, data: bytes, owner: dict[str, _Played], current: _Played) -> None:
        found = protocol.answer_of(data)
        if found is None:
            current.extra.append(protocol.why_not_an_answer(data))
        elif found[1] in owner:
            owner[found[1]].answers.append(data)
        else:
            current.extra.append(f"a {found[0].value} naming {found[1]}, which this run "
                                 "never delivered")

    # -- send ------------------------------------------------------------------------------
    def send(self, chosen: Sequence[Scenario], prompt: Prompt) -> list[ScenarioResult]:
        self._set_aside_leftovers()
        results = []
        for n, scenario in enumerate(chosen, 1):
            self.progress(f"[{n}/{len(chosen)}] {scenario.id}: {scenario.title}")
            self.current = scenario.id
            results.append(self._ask(scenario, prompt))
        # an answer to one of our Acknowledgements that came after its scenario ended still
        # fails the scenario that sent the Acknowledgement
        return [ScenarioResult(r.scenario, r.failures + tuple(self._late.get(r.scenario.id, ())))
                for r in results]

    def _ask(self, scenario: Scenario, prompt: Prompt) -> ScenarioResult:
        """Ask for one case, judge what arrives, answer what the vendor sent (with the
        scenario's scripted Acknowledgements where it has them)."""
        # on the sandbox its counterparts answer, unless the scenario scripts the answers
        kit_answers: Callable[[bool], None] | None = getattr(self.mailbox, "kit_answers", None)
        by_network = kit_answers is not None
        if kit_answers is not None:
            kit_answers(bool(scenario.acks))
        ours = self._send_ours(scenario) if _needs_ours(scenario) else None
        prompt(scenario, ours)
        arrived: list[bytes] = []
        extra: list[str] = []

        def take(data: bytes) -> None:
            owner = _acknowledged_owner(data, self._ack_owner)
            if owner is not None:
                why = "an Acknowledgement was acknowledged (MedCom: never answer an " \
                      "Acknowledgement)"
                (extra if owner == scenario.id else self._late.setdefault(owner, [])).append(why)
                return
            case, problem = _classify(data, scenario, ours)
            if problem:
                extra.append(problem)
            if case is not None and scenario.acks and arrived and _same_message(
                    case, arrived[0]):
                self.progress("    the message was sent again (same MessageHeader.id)")
                return  # a resend after transient-error: allowed, and no new verdict
            if case is not None:
                arrived.append(case)
            if case is not None and scenario.acks:
                answers, ids = self.answerer.scripted(data, scenario.acks)
            elif by_network:
                answers, ids = [], []
            else:
                answers, ids = self.answerer.answer(data), []
            for ack in ids + [a for a in map(_ack_id, answers) if a]:
                self._ack_owner[ack] = scenario.id
            for answer in answers:
                self._send(on_the_wire(answer, sent=self.now()))

        self._listen(lambda: bool(arrived), take)
        failures = protocol.check_send(scenario, arrived, ours) + extra
        self.progress(_verdict(failures))
        return ScenarioResult(scenario, tuple(failures))

    def _send_ours(self, scenario: Scenario) -> CareCommunication:
        (data,) = renew([(self.catalogue / (scenario.ours or OUR_MESSAGE)).read_bytes()])
        message = check(data).message
        assert isinstance(message, CareCommunication), "the catalogue's own message reads"
        self._send(on_the_wire(data, sent=self.now()))
        self.progress(f"    sent our CareCommunication {message.message_id} "
                      f"(thread {message.thread_id})")
        return message

    # -- the mailbox -----------------------------------------------------------------------
    def _send(self, wire: Wire) -> None:
        self.exchanged.append(Exchanged(self.current, "sent", wire.data))
        self._sent += 1
        self.mailbox.send(Parcel(wire.data, wire.kind, wire.envelope_id, wire.sender,
                                 wire.receiver, key=f"certify-{self.run_id}-{self._sent}"))

    def _take(self) -> list[bytes]:
        out = []
        for received in self.mailbox.receive():
            out.append(received.data)
            self.exchanged.append(Exchanged(self.current, "received", received.data))
            self.mailbox.settle(received)
        return out

    def _set_aside_leftovers(self) -> None:
        left = self._take()
        if left:
            self.progress(f"    {len(left)} files already in {self.mailbox.in_dir} were "
                          "archived unread")

    def _listen(self, done: Callable[[], bool], take: Callable[[bytes], None]) -> None:
        """Take what arrives until ``done`` or the timeout, then for the quiet time."""
        deadline = self.clock() + self.timing.timeout
        while not done() and self.clock() < deadline:
            for data in self._take():
                take(data)
            if not done():
                self.sleep(self.timing.poll)
        if not done():
            self.progress(f"    timed out after {self.timing.timeout:g} s")
        quiet_until = self.clock() + self.timing.quiet
        while self.clock() < quiet_until:
            for data in self._take():
                take(data)
            self.sleep(self.timing.poll)


def _needs_ours(scenario: Scenario) -> bool:
    return scenario.thread in (ThreadRule.REPLY, ThreadRule.FORWARD) \
        or scenario.kind == Kind.ACKNOWLEDGEMENT or scenario.ours is not None


def _header_id(data: bytes) -> str | None:
    try:
        return str(json.loads(data)["entry"][0]["resource"]["id"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def _same_message(data: bytes, first: bytes) -> bool:
    return _header_id(data) is not None and _header_id(data) == _header_id(first)


def _ack_id(data: bytes) -> str | None:
    """The MessageHeader id of an enveloped Acknowledgement we send, else None."""
    message = check(data).message
    inner = message.message if isinstance(message, Enveloped) else None
    return inner.message_id if isinstance(inner, Acknowledgement) else None


def _acknowledged_owner(data: bytes, acks: dict[str, str]) -> str | None:
    """The scenario whose Acknowledgement ``data`` acknowledges, if it is one of ours."""
    if not acks:
        return None
    message = check(data).message
    inner = message.message if isinstance(message, Enveloped) else message
    return acks.get(inner.acknowledged_id) if isinstance(inner, Acknowledgement) else None


def _classify(data: bytes, scenario: Scenario,
              ours: CareCommunication | None) -> tuple[bytes | None, str | None]:
    """(the message the case is judged on, or None; a problem with the file, or None).

    Receipts are set aside; an Acknowledgement of our message is the case only when the
    case asks for one; anything else the vendor sends is a candidate."""
    report = check(data)
    inner = data
    if report.kind == Envelope.VANS_ENVELOPE:
        if not isinstance(report.message, Enveloped):
            return None, "a VANSEnvelope that does not read: " + "; ".join(
                str(i) for i in report.issues if not i.warning)
        envelope = report.message.envelope
        if not isinstance(envelope, VansEnvelope) or envelope.message is None:
            return None, None  # a VANS receipt
        inner = envelope.message.data
        report = report.carried or report
    elif is_fhir(data):
        return data, "a FHIR message on VANS travels in a VANSEnvelope"
    if protocol.answer_of(inner) is not None and not isinstance(report.message, Acknowledgement):
        return None, None  # a receipt (XCTL, CONTRL)
    if isinstance(report.message, Acknowledgement):
        acks_ours = ours is not None and report.message.acknowledged_id == ours.message_id
        wanted = scenario.kind == Kind.ACKNOWLEDGEMENT
        return (inner if wanted or not acks_ours else None), None
    return inner, None


def _verdict(failures: Sequence[str]) -> str:
    return "    passed" if not failures else "    FAILED: " + "; ".join(failures)


def every_scenario() -> tuple[Scenario, ...]:
    """The kit's own scenarios, then MedCom's test cases by MedCom's ids: the TestScripts,
    then the sections of the Word test protocols."""
    from medcom_adapter.certify.medcom_cases import MEDCOM_SCENARIOS
    from medcom_adapter.certify.word_cases import WORD_SCENARIOS

    return (*protocol.SCENARIOS, *MEDCOM_SCENARIOS, *WORD_SCENARIOS)


def chosen(direction: Direction) -> list[Scenario]:
    return [s for s in every_scenario() if s.direction is direction]

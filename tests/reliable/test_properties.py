"""Property tests of the reliable-messaging core: a sender and a receiver that follow its
decisions, over a network that loses, duplicates, delays and reorders at random."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

from medcom_adapter.errors import InboundInvalid, Issue, ResendRefused
from medcom_adapter.reliable import outbound as ob
from medcom_adapter.reliable.inbound import AnswerMode, Deliver, Duplicate, Earlier, on_message
from medcom_adapter.reliable.outbound import OutState
from medcom_adapter.reliable.rules import Answer, AnswerKind, MessageKey, Protocol

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
PROBLEM = InboundInvalid([Issue("xsd.code", "invalid on purpose")])
PROTOCOLS = (Protocol.FHIR, Protocol.OIOXML, Protocol.VANS)


@dataclass
class Receiver:
    invalid: set[str]
    records: list[Earlier] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    received: int = 0
    answers_sent: int = 0
    answer_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def receive(self, key: MessageKey) -> Answer:
        self.received += 1
        problem = PROBLEM if key.message_id in self.invalid else None
        decision = on_message(key, self.records, problem=problem)
        if isinstance(decision, Duplicate):
            kind = decision.earlier.answer
            assert kind is not None  # every copy on record was answered
            same = decision.mode is AnswerMode.RESEND_ORIGINAL
            answer_id = decision.answer_with if same else f"A{next(self.answer_ids)}"
            assert answer_id is not None
        elif isinstance(decision, Deliver):
            assert decision.key.message_id not in self.delivered, "delivered twice"
            self.delivered.append(key.message_id)
            kind, answer_id = AnswerKind.POSITIVE, f"A{next(self.answer_ids)}"
        else:
            kind, answer_id = AnswerKind.NEGATIVE, f"A{next(self.answer_ids)}"
        self.records.append(Earlier(key, kind, answer_id))
        self.answers_sent += 1
        by_envelope = key.protocol is not Protocol.FHIR  # FHIR acks name the message only
        return Answer(key.protocol, kind, answer_id,
                      key.envelope_id if by_envelope else None, (key.message_id,))


@dataclass
class Sender:
    messages: dict[str, ob.Outbound]
    now: datetime = T0
    network: list[MessageKey | Answer] = field(default_factory=list)
    envelope_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    dropped: int = 0
    ignored: list[str] = field(default_factory=list)

    def new_envelope(self) -> str:
        return f"E{next(self.envelope_ids)}"

    def emit(self, message_id: str) -> None:
        out = self.messages[message_id]
        self.network.append(MessageKey(out.protocol, out.current.envelope_id, message_id))
        self.messages[message_id] = ob.sent(out, at=self.now)

    def step(self, message_id: str, *, manual: bool = False) -> None:
        out = self.messages[message_id]
        decision = ob.next_step(out, now=self.now)
        if isinstance(decision, ob.Send):
            self.emit(message_id)
        elif isinstance(decision, ob.Resend):
            self.messages[message_id] = ob.resend(out, new_envelope_id=self.new_envelope(),
                                                  now=self.now)
            self.emit(message_id)
        elif isinstance(decision, ob.TimedOut):
            self.messages[message_id] = ob.timed_out(out)
            if manual and decision.resend_allowed:
                self.manual_resend(message_id)
        elif isinstance(decision, ob.GiveUp):
            self.messages[message_id] = ob.gave_up(out)

    def manual_resend(self, message_id: str) -> None:
        try:
            self.messages[message_id] = ob.resend(
                self.messages[message_id], new_envelope_id=self.new_envelope(), now=self.now,
                deliberate=True)
        except ResendRefused:
            return
        self.emit(message_id)

    def on_answer(self, answer: Answer) -> None:
        (message_id,) = [m for m, out in self.messages.items() if ob.matches(out, answer)]
        out, decision = ob.on_answer(self.messages[message_id], answer)
        self.messages[message_id] = out
        if isinstance(decision, ob.Ignore):
            self.ignored.append(decision.reason)


def run(sender: Sender, receiver: Receiver, ops: list[tuple[str, int]]) -> None:
    ids = sorted(sender.messages)
    for op, n in ops:
        if op == "tick":
            sender.now += timedelta(minutes=n)
        elif op == "round":  # two hours pass and the outbox looks at every message
            sender.now += timedelta(minutes=120 + n % 5)
            for message_id in ids:
                sender.step(message_id)
        elif op in ("send", "manual"):
            message_id = ids[n % len(ids)]
            if op == "send":
                sender.step(message_id)
            else:
                sender.manual_resend(message_id)
        elif op == "outage":  # everything in flight is lost
            sender.dropped += len(sender.network)
            sender.network.clear()
        elif sender.network:
            index = n % len(sender.network)  # any packet: the network reorders
            if op == "drop":
                sender.network.pop(index)
                sender.dropped += 1
            elif op == "dup":
                sender.network.append(sender.network[index])
            else:
                transfer(sender, receiver, sender.network.pop(index))


def transfer(sender: Sender, receiver: Receiver, packet: MessageKey | Answer) -> None:
    if isinstance(packet, MessageKey):
        sender.network.append(receiver.receive(packet))
    else:
        sender.on_answer(packet)


def drain(sender: Sender, receiver: Receiver) -> None:
    """A network that no longer loses anything, and a person who resends what timed out."""
    for _ in range(20):
        while sender.network:
            transfer(sender, receiver, sender.network.pop(0))
        for message_id in sorted(sender.messages):
            sender.step(message_id, manual=True)
        if not sender.network:
            sender.now += timedelta(hours=25)


OPS = st.lists(
    st.tuples(st.sampled_from(["send", "send", "deliver", "deliver", "drop", "dup", "tick",
                               "tick", "manual", "outage", "round", "round"]),
              st.integers(0, 200)),
    max_size=120,
)
MESSAGES = st.lists(st.tuples(st.sampled_from(PROTOCOLS), st.booleans()), min_size=1,
                    max_size=6)


def setup(spec: list[tuple[Protocol, bool]]) -> tuple[Sender, Receiver]:
    messages = {f"M{i}": ob.start(protocol, f"E0-{i}", f"M{i}", now=T0)
                for i, (protocol, _) in enumerate(spec)}
    invalid = {f"M{i}" for i, (_, bad) in enumerate(spec) if bad}
    return Sender(messages), Receiver(invalid)


@settings(max_examples=300, deadline=None)
@given(MESSAGES, OPS)
def test_reliable_messaging_over_a_faulty_network(
    spec: list[tuple[Protocol, bool]], ops: list[tuple[str, int]]
) -> None:
    sender, receiver = setup(spec)
    run(sender, receiver, ops)
    drain(sender, receiver)

    # delivered at most once, and only valid messages
    assert len(receiver.delivered) == len(set(receiver.delivered))
    assert not set(receiver.delivered) & receiver.invalid
    # every received copy was answered
    assert receiver.answers_sent == receiver.received
    for message_id, out in sender.messages.items():
        rules_limit = 3 if out.protocol is Protocol.FHIR else None
        if rules_limit is not None:
            assert out.resends <= rules_limit
        else:  # OIOXML and VANSEnvelope: every resend was a person's decision
            assert all(a.deliberate for a in out.attempts[1:])
        assert len(set(out.envelope_ids)) == len(out.envelope_ids)  # a new id per attempt
        if out.state is OutState.ACKNOWLEDGED:
            assert message_id in receiver.delivered
        if out.state is OutState.REJECTED:
            assert message_id in receiver.invalid
        if message_id in receiver.delivered:
            assert out.state is not OutState.REJECTED
    event(f"most resends: {max(out.resends for out in sender.messages.values())}")
    event(f"gave up: {any(out.state is OutState.GAVE_UP for out in sender.messages.values())}")
    if sender.dropped == 0:  # nothing lost: every message reaches a final answer
        assert all(out.state.final for out in sender.messages.values()), {
            m: out.state for m, out in sender.messages.items()}
        assert set(receiver.delivered) == set(sender.messages) - receiver.invalid


KEYS = st.lists(st.tuples(st.sampled_from(["E1", "E2", "E3", "E4"]),
                          st.sampled_from(["M1", "M2", "M3"])), max_size=40)


@settings(max_examples=300, deadline=None)
@given(KEYS)
def test_duplicate_rules_hold_for_any_sequence_of_ids(keys: list[tuple[str, str]]) -> None:
    records: list[Earlier] = []
    delivered: set[str] = set()
    first_use: dict[str, str] = {}  # envelope id -> the message it first carried
    for envelope_id, message_id in keys:
        key = MessageKey(Protocol.OIOXML, envelope_id, message_id)
        decision = on_message(key, records)
        seen_pair = any(e.key == key for e in records)
        seen_message = any(e.key.message_id == message_id for e in records)
        if seen_pair:
            assert isinstance(decision, Duplicate)
            assert decision.mode is AnswerMode.RESEND_ORIGINAL
        elif seen_message:
            assert isinstance(decision, Duplicate)
            assert decision.mode is AnswerMode.ANSWER_AS_BEFORE
        elif envelope_id in first_use:
            assert not isinstance(decision, Deliver | Duplicate)
        else:
            assert isinstance(decision, Deliver)
            assert message_id not in delivered
            delivered.add(message_id)
        first_use.setdefault(envelope_id, message_id)
        kind = AnswerKind.POSITIVE if isinstance(decision, Deliver | Duplicate) else (
            AnswerKind.NEGATIVE)
        records.append(Earlier(key, kind, f"A{len(records)}"))

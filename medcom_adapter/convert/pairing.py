"""Pairing an XDIS91 with its XBIN01, and duplicates, as MedCom's conversion rules say.

Use cases S1.A1-S1.A3 and section 4.5 (rules v3.1.0): an XDIS91 and the XBIN01 holding its
attachments arrive separately; the conversion waits at most **60 minutes** for the other
one. Given what has arrived (plain facts, ``now`` passed in: no clock, no I/O) this says
what to do:

- both within 60 minutes -> :class:`Convert` them into one CareCommunication;
- an XDIS91 whose XBIN01 did not come within 60 minutes (or was invalid), or came after its
  XBIN01 was passed on -> :class:`Convert` it ``incomplete`` (S1.A2, and S1.A3's late
  XDIS91): the attachments without data and title, which the receiver refuses;
- an XBIN01 without its XDIS91 after 60 minutes, or after its XDIS91 was converted
  incomplete -> :class:`Forward` it unconverted (S1.A3);
- an XBIN01 from DNHF (the national referral broker) -> :class:`Forward` at once (4.5.2);
- an invalid XDIS91 or XBIN01 -> :class:`Refuse` it (a negative VANS receipt, 3a-3e);
- a message seen before (same sender, type and letter id) -> :class:`Ignore` it (table 5,
  "Dublethåndtering": duplicates are ignored).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from medcom_adapter.kinds import Kind

PAIRING_WINDOW = timedelta(minutes=60)


@dataclass(frozen=True, slots=True)
class Arrival:
    """One XDIS91 or XBIN01 as received: who sent it, its ids, the attachment (object) ids
    it references (XDIS91) or carries (XBIN01), when, and whether it could be read."""

    type_code: str  # "XDIS91" or "XBIN01"
    sender_ean: str
    envelope_id: str
    letter_id: str
    object_ids: frozenset[str]
    at: datetime
    valid: bool = True

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.type_code, self.sender_ean, self.letter_id)


@dataclass(frozen=True, slots=True)
class Convert:
    xdis91: Arrival
    xbin01s: tuple[Arrival, ...] = ()
    incomplete: bool = False  # some attachment's file never came (S1.A2/S1.A3)


@dataclass(frozen=True, slots=True)
class Forward:
    """Pass the XBIN01 on to the receiver without converting it."""

    xbin01: Arrival
    reason: str


@dataclass(frozen=True, slots=True)
class Refuse:
    """Answer with a negative VANS receipt; convert and send nothing."""

    arrival: Arrival
    reason: str


@dataclass(frozen=True, slots=True)
class Ignore:
    arrival: Arrival
    reason: str


Decision = Convert | Forward | Refuse | Ignore


@dataclass(frozen=True, slots=True)
class Pairing:
    """What is waiting and what has been seen (one state per conversion service)."""

    window: timedelta = PAIRING_WINDOW
    dnhf_eans: frozenset[str] = frozenset()
    waiting_xdis91: tuple[Arrival, ...] = ()
    waiting_xbin01: tuple[Arrival, ...] = ()
    seen: frozenset[tuple[str, str, str]] = frozenset()
    # object ids whose XBIN01 went on unconverted / whose XDIS91 was converted incomplete
    forwarded: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    missing: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def deadline(self) -> datetime | None:
        """When :func:`tick` next has something to decide."""
        waiting = (*self.waiting_xdis91, *self.waiting_xbin01)
        return min(a.at for a in waiting) + self.window if waiting else None


def arrive(state: Pairing, arrival: Arrival) -> tuple[Pairing, list[Decision]]:
    """Take one received XDIS91 or XBIN01."""
    if arrival.key in state.seen:
        return state, [Ignore(arrival, "a duplicate of a message already received")]
    state = dataclasses.replace(state, seen=state.seen | {arrival.key})
    if not arrival.valid:
        return state, [Refuse(arrival, f"the {arrival.type_code} is invalid")]
    if arrival.type_code == Kind.BINARY:
        return _binary(state, arrival)
    return _correspondence(state, arrival)


def tick(state: Pairing, now: datetime) -> tuple[Pairing, list[Decision]]:
    """What the 60 minutes decide at ``now``."""
    decisions: list[Decision] = []
    overdue = [x for x in state.waiting_xdis91 if now >= x.at + state.window]
    for xdis91 in overdue:
        found = _binaries_for(xdis91, state.waiting_xbin01)
        state = _without(state, xdis91, found)
        lacking = xdis91.object_ids - _objects(found)
        state = dataclasses.replace(state, missing=state.missing | _owned(xdis91, lacking))
        decisions.append(Convert(xdis91, found, incomplete=True))
    for xbin01 in [x for x in state.waiting_xbin01 if now >= x.at + state.window]:
        state = _forwarded(_without(state, None, (xbin01,)), xbin01)
        decisions.append(Forward(xbin01, "its XDIS91 did not come within 60 minutes"))
    return state, decisions


def _correspondence(state: Pairing, xdis91: Arrival) -> tuple[Pairing, list[Decision]]:
    if not xdis91.object_ids:
        return state, [Convert(xdis91)]
    if _owned(xdis91, xdis91.object_ids) & state.forwarded:
        # its XBIN01 already went on unconverted: the text, with placeholders (S1.A3)
        return state, [Convert(xdis91, incomplete=True)]
    found = _binaries_for(xdis91, state.waiting_xbin01)
    if _objects(found) >= xdis91.object_ids:
        return _without(state, None, found), [Convert(xdis91, found)]
    return dataclasses.replace(state, waiting_xdis91=(*state.waiting_xdis91, xdis91)), []


def _binary(state: Pairing, xbin01: Arrival) -> tuple[Pairing, list[Decision]]:
    if xbin01.sender_ean in state.dnhf_eans:
        return state, [Forward(xbin01, "attachments from DNHF pass without delay (4.5.2)")]
    if _owned(xbin01, xbin01.object_ids) & state.missing:
        return _forwarded(state, xbin01), [Forward(
            xbin01, "it came after its XDIS91 was converted without it")]
    xdis91 = next((x for x in state.waiting_xdis91 if x.sender_ean == xbin01.sender_ean
                   and x.object_ids & xbin01.object_ids), None)
    if xdis91 is None:
        return dataclasses.replace(state, waiting_xbin01=(*state.waiting_xbin01, xbin01)), []
    found = (*_binaries_for(xdis91, state.waiting_xbin01), xbin01)
    if _objects(found) >= xdis91.object_ids:
        return _without(state, xdis91, found), [Convert(xdis91, found)]
    return dataclasses.replace(state, waiting_xbin01=(*state.waiting_xbin01, xbin01)), []


def _binaries_for(xdis91: Arrival, waiting: tuple[Arrival, ...]) -> tuple[Arrival, ...]:
    return tuple(b for b in waiting if b.sender_ean == xdis91.sender_ean
                 and b.object_ids & xdis91.object_ids)


def _objects(binaries: tuple[Arrival, ...]) -> frozenset[str]:
    return frozenset(o for b in binaries for o in b.object_ids)


def _owned(arrival: Arrival, objects: frozenset[str]) -> frozenset[tuple[str, str]]:
    return frozenset((arrival.sender_ean, o) for o in objects)


def _forwarded(state: Pairing, xbin01: Arrival) -> Pairing:
    return dataclasses.replace(state,
                               forwarded=state.forwarded | _owned(xbin01, xbin01.object_ids))


def _without(state: Pairing, xdis91: Arrival | None, binaries: tuple[Arrival, ...]) -> Pairing:
    return dataclasses.replace(
        state,
        waiting_xdis91=tuple(x for x in state.waiting_xdis91 if x is not xdis91),
        waiting_xbin01=tuple(b for b in state.waiting_xbin01 if b not in binaries),
    )

"""The figures of a period, computed from journal records: counts, answer times, ages.

Everything is counted in Danish local time (a message sent at 00:30 on 1 December Danish
time belongs to December). Raw counts here; ``report`` suppresses small numbers.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median, quantiles
from zoneinfo import ZoneInfo

from medcom_adapter.errors import RefuseCode
from medcom_adapter.journal.interface import Direction, Status, StoredMessage
from medcom_adapter.model.henvisninger import RecordedHenvisning
from medcom_adapter.stats.ages import BANDS, age_on, band

DANISH_TIME = ZoneInfo("Europe/Copenhagen")
NO_REGION = "Uden region"


@dataclass(frozen=True, slots=True)
class AnswerTimes:
    """Minutes from sending a letter to its receipt or Acknowledgement."""

    count: int
    median_minutes: float | None
    p90_minutes: float | None


@dataclass(frozen=True, slots=True)
class Figures:
    since: date
    until: date
    months: tuple[str, ...]  # YYYY-MM, every month of the period
    sent: dict[str, Counter[str]]  # kind -> month -> messages sent
    received: dict[str, Counter[str]]  # kind -> month -> messages received
    by_receiver: Counter[str]  # receiver -> letters sent (answers not counted)
    by_region: Counter[str]
    answer_times: dict[str, AnswerTimes]  # kind -> time to its answer
    negative: Counter[str]  # answer and refuse code -> letters refused by their receiver
    timeouts: int
    resends: int
    henvisninger: dict[str, Counter[str]]  # class (Danish) -> month -> henvisninger
    ages: Counter[str]  # age band -> children referred (first henvisning in the period)
    without_age: int  # children with a replacement id: no age
    notes: tuple[str, ...] = field(default=())


# (EAN, SOR) of a letter's receiver -> (receiver name, region); SOR names the department a
# referral is for when the letter goes to DNHF
Named = Callable[[str | None, str | None], tuple[str, str | None]]


def local_day(at: datetime) -> date:
    return at.astimezone(DANISH_TIME).date()


def months(since: date, until: date) -> tuple[str, ...]:
    found, year, month = [], since.year, since.month
    while (year, month) <= (until.year, until.month):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(found)


def compute(messages: Sequence[StoredMessage], henvisninger: Iterable[RecordedHenvisning], *,
            since: date, until: date, named: Named) -> Figures:
    """The period's figures; ``messages`` may reach past ``until`` (answers arriving later
    count towards answer times, not towards the period's traffic)."""
    by_id = {m.id: m for m in messages}
    inside = [m for m in messages if since <= local_day(m.stored_at) <= until]
    sent: dict[str, Counter[str]] = defaultdict(Counter)
    received: dict[str, Counter[str]] = defaultdict(Counter)
    receivers: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    waits: dict[str, list[float]] = defaultdict(list)
    negative: Counter[str] = Counter()
    timeouts = resends = 0
    for m in inside:
        month = local_day(m.stored_at).strftime("%Y-%m")
        table = sent if m.message.direction is Direction.OUTBOUND else received
        table[m.message.kind][month] += 1
        if m.message.direction is not Direction.OUTBOUND or m.message.answers is not None:
            continue
        name, region = named(m.message.receiver_ean, m.message.receiver_sor)
        receivers[name] += 1
        regions[region or NO_REGION] += 1
        statuses = [h.status for h in m.history]
        timeouts += statuses.count(Status.TIMED_OUT)
        resends += statuses.count(Status.RESENT)
        for h in m.history:
            if h.status is Status.REJECTED:
                negative[_refusal(h.reason)] += 1
        wait = _wait(m, by_id)
        if wait is not None:
            waits[m.message.kind].append(wait)
    classes: dict[str, Counter[str]] = defaultdict(Counter)
    first: dict[str, RecordedHenvisning] = {}
    for r in henvisninger:
        if not since <= r.record.referred_on <= until:
            continue
        classes[r.record.henvisning.display][r.record.referred_on.strftime("%Y-%m")] += 1
        key = str(r.record.patient)
        if key not in first or r.record.referred_on < first[key].record.referred_on:
            first[key] = r
    ages: Counter[str] = Counter({b: 0 for b in BANDS})
    without_age = 0
    for r in first.values():
        age = age_on(r.record.patient, r.record.referred_on)
        if age is None:
            without_age += 1
        else:
            ages[band(age)] += 1
    return Figures(since, until, months(since, until), dict(sent), dict(received), receivers,
                   regions, {k: _times(v) for k, v in waits.items()}, negative, timeouts,
                   resends, dict(classes), ages, without_age)


def _wait(m: StoredMessage, by_id: dict[int, StoredMessage]) -> float | None:
    """Minutes from the first send to the first answer the journal holds, if both are."""
    sent_at = next((h.at for h in m.history if h.status is Status.SENT), None)
    answers = [by_id[a].stored_at for a in m.answered_by if a in by_id]
    if sent_at is None or not answers:
        return None
    return max(0.0, (min(answers) - sent_at).total_seconds() / 60)


def _times(minutes: list[float]) -> AnswerTimes:
    if not minutes:
        return AnswerTimes(0, None, None)
    p90 = quantiles(minutes, n=10, method="inclusive")[-1] if len(minutes) > 1 else minutes[0]
    return AnswerTimes(len(minutes), round(median(minutes), 1), round(p90, 1))


def _refusal(reason: str | None) -> str:
    """The answer and MedCom refuse code of a negative receipt, never its free text (a
    receiver's text may quote the letter, and the letter names the child)."""
    if not reason:
        return "uden begrundelse"
    label, _, rest = reason.partition(":")
    words = rest.split()
    code = words[0] if words and words[0] in {c.value for c in RefuseCode} else None
    label = label.strip() if _LABEL.fullmatch(label.strip()) else "svar"
    return f"{label} {code}" if code else f"{label} (uden kode)"


_LABEL = re.compile(r"[A-Za-z0-9 _-]{1,40}")  # "XCTL02", "Acknowledgement fatal-error"

"""Monitoring: ages from the CPR's century digit, small-number suppression, the figures of a
journal, and that no aggregate carries a person id or a name."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from medcom_adapter.journal.interface import Direction, NewMessage, Query, Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.model.classification import Classification, Henvisning
from medcom_adapter.model.henvisninger import HenvisningRecord
from medcom_adapter.model.identifiers import Cpr, SorId, XeCpr
from medcom_adapter.model.parties import AlternativeId, PersonId
from medcom_adapter.stats import report
from medcom_adapter.stats.ages import age_on, band
from medcom_adapter.stats.figures import Figures, compute, local_day, months
from medcom_adapter.stats.suppress import shown

# Constructed test numbers (serials 99xx, as MedCom's test persons have) whose 7th digit
# exercises the century rule; no real person is meant.
CHILD_2015 = Cpr("0101154998")  # 4, YY 15 <= 36: 2015
CHILD_2012 = Cpr("1506125996")  # 5, YY 12 <= 57: 2012
BORN_1940 = Cpr("0101404997")  # 4, YY 40 > 36: 1940
BORN_1860 = Cpr("0101605997")  # 5, YY 60 > 57: 1860
BORN_2010 = Cpr("0101109994")  # 9, YY 10 <= 36: 2010
UNIT = SorId("953741000016009")
COURSE = UUID("8f0c4a52-3d1e-4a8b-9c7e-2b5d6f1a0e93")
NAME = "Bruno Test Elmer"


@pytest.mark.parametrize(("person", "on", "age"), [
    (CHILD_2015, date(2026, 1, 1), 11),
    (CHILD_2015, date(2025, 12, 31), 10),  # the day before the birthday
    (CHILD_2012, date(2026, 6, 15), 14),
    (CHILD_2012, date(2026, 6, 14), 13),
    (BORN_1940, date(2026, 1, 1), 86),
    (BORN_1860, date(2026, 1, 1), 166),
    (BORN_2010, date(2026, 1, 1), 16),
    (Cpr("2509479989"), date(2026, 12, 4), 79),
])
def test_age_from_birth_date_and_century_digit(person: Cpr, on: date, age: int) -> None:
    assert age_on(person, on) == age


@pytest.mark.parametrize("person", [XeCpr("0703921VJ5"), AlternativeId("0101AB1234")])
def test_replacement_ids_have_no_age(person: PersonId) -> None:
    assert age_on(person, date(2026, 1, 1)) is None


def test_a_birth_after_the_day_has_no_age() -> None:
    assert age_on(CHILD_2015, date(2014, 1, 1)) is None


def test_bands() -> None:
    assert [band(a) for a in (0, 5, 6, 9, 10, 12, 13, 15, 16, 17, 18, 90)] == [
        "0-5 år", "0-5 år", "6-9 år", "6-9 år", "10-12 år", "10-12 år", "13-15 år",
        "13-15 år", "16-17 år", "16-17 år", "18 år og derover", "18 år og derover"]


@pytest.mark.parametrize(("count", "show"), [(0, 0), (1, "<5"), (4, "<5"), (5, 5), (37, 37)])
def test_small_numbers_are_suppressed(count: int, show: int | str) -> None:
    assert shown(count) == show


def test_months_and_danish_days() -> None:
    assert months(date(2025, 11, 5), date(2026, 2, 1)) == (
        "2025-11", "2025-12", "2026-01", "2026-02")
    # 23:30 UTC on 30 November is 00:30 on 1 December in Copenhagen
    assert local_day(datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) == date(2026, 12, 1)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def letter(n: int, patient: Cpr, *, receiver: str = "5790000987658",
           receiver_sor: str | None = None, kind: str = "XREF01",
           classified: bool = True) -> NewMessage:
    body = f"<Emessage><Patient>{patient.value} {NAME}</Patient></Emessage>".encode()
    return NewMessage(
        Direction.OUTBOUND, kind, "XH0131R", body, f"ENV{n:06d}", f"LET{n:06d}",
        sender_ean="5790000123452", receiver_ean=receiver, receiver_sor=receiver_sor,
        patient=patient, episode_id=str(COURSE),
        classification=Classification(COURSE, date(2026, 3, 2), patient, UNIT,
                                      (Henvisning.CHILD_PSYCHIATRY,)) if classified else None)


def receipt(n: int, answers: int) -> NewMessage:
    return NewMessage(Direction.INBOUND, "XCTL03", "XC0330Q", b"<ok/>", f"RCP{n:06d}",
                      f"RCL{n:06d}", answers=answers, receiver_ean="5790000123452")


def named(ean: str | None, sor: str | None) -> tuple[str, str | None]:
    return {"5790000987658": ("BUP Eksempel", "Region Eksempel"),
            "5790000121526": ("Lægehuset Eksempel", None)}.get(ean or "", ("?", None))


@pytest.fixture
def journal() -> MemoryJournal:
    """Six referrals to BUP (five answered after 10, 20, ... minutes; one refused with a
    text that quotes the child), two KMs to the GP, and two henvisninger by hand."""
    clock = Clock()
    journal = MemoryJournal(clock=clock)
    children = [CHILD_2015, CHILD_2012, BORN_2010, CHILD_2015, CHILD_2012, CHILD_2015]
    for n, child in enumerate(children, start=1):
        clock.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        id = journal.append(letter(n, child), Status.QUEUED)
        journal.set_status(id, Status.SENT)
        if n <= 5:
            clock.now += timedelta(minutes=10 * n)
            journal.append(receipt(n, id), Status.DELIVERED)
            journal.set_status(id, Status.ACKNOWLEDGED)
        else:
            journal.set_status(id, Status.REJECTED, reason=(
                f"XCTL02: ukendt_lokationsnummer patient {child.value} {NAME} ukendt"))
    clock.now = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    for n in (7, 8):
        journal.append(letter(n, CHILD_2012, receiver="5790000121526", kind="XDIS91",
                              classified=False), Status.SENT)
    journal.record_henvisning(HenvisningRecord(
        COURSE, date(2026, 4, 3), Henvisning.CIVIL_SOCIETY, XeCpr("0703921VJ5"), UNIT),
        actor="cli:psykolog")
    journal.record_henvisning(HenvisningRecord(
        COURSE, date(2026, 5, 3), Henvisning.CIVIL_SOCIETY, CHILD_2015, UNIT), actor="cli:psykolog")
    return journal


def figures_of(journal: MemoryJournal) -> Figures:
    found = journal.find(Query(limit=1000), actor="cli:statistik")
    return compute(found, journal.henvisninger(actor="cli:statistik"), since=date(2026, 3, 1),
                   until=date(2026, 5, 31), named=named)


def test_figures_match_the_journal(journal: MemoryJournal) -> None:
    data = report.as_data(figures_of(journal))
    assert data["sendt_pr_maaned"] == {
        "XDIS91": {"2026-03": 0, "2026-04": "<5", "2026-05": 0},
        "XREF01": {"2026-03": 6, "2026-04": 0, "2026-05": 0}}
    assert data["modtaget_pr_maaned"] == {"XCTL03": {"2026-03": 5, "2026-04": 0,
                                                      "2026-05": 0}}
    assert data["breve_pr_modtager"] == {"BUP Eksempel": 6, "Lægehuset Eksempel": "<5"}
    assert data["breve_pr_region"] == {"Region Eksempel": 6, "Uden region": "<5"}
    assert data["svartid"] == {"XREF01": {"antal": 5, "median_minutter": 30.0,
                                          "p90_minutter": 46.0}}
    assert data["negative_kvitteringer"] == {"XCTL02 ukendt_lokationsnummer": "<5"}
    assert data["henvisninger_pr_maaned"] == {
        "Børne- og ungdomspsykiatri": {"2026-03": 6, "2026-04": 0, "2026-05": 0},
        "Civilsamfund": {"2026-03": 0, "2026-04": "<5", "2026-05": "<5"}}
    # children by their first henvisning: born 2015 (11 on 2 March 2026), 2012 (13), 2010 (16)
    assert data["aldersfordeling"] == {"0-5 år": 0, "6-9 år": 0, "10-12 år": "<5",
                                       "13-15 år": "<5", "16-17 år": "<5",
                                       "18 år og derover": 0}
    assert data["uden_alder_erstatnings_cpr"] == "<5"  # the X-eCPR


def test_no_aggregate_carries_a_person_id_or_a_name(journal: MemoryJournal) -> None:
    f = figures_of(journal)
    for text in (report.as_json(f), report.as_text(f), report.as_html(f)):
        for person in (CHILD_2015, CHILD_2012, BORN_2010):
            assert person.value not in text and person.value[:6] not in text
        assert "0703921VJ5" not in text
        for word in NAME.split():
            assert word not in text


def test_answer_times_of_fewer_than_five_are_hidden(journal: MemoryJournal) -> None:
    found = list(journal.find(Query(limit=1000), actor="cli:s"))
    f = compute([m for m in found if m.id not in (1, 2)], [], since=date(2026, 3, 1),
                until=date(2026, 3, 31), named=named)
    assert report.as_data(f)["svartid"]["XREF01"] == {
        "antal": "<5", "median_minutter": None, "p90_minutter": None}


def test_html_draws_one_bar_per_cell_and_hides_small_ones(journal: MemoryJournal) -> None:
    html = report.as_html(figures_of(journal))
    assert html.count("<svg") >= 8 and 'class="hidden-bar"' in html
    assert "<script" not in html
    assert json.loads(report.as_json(figures_of(journal)))["timeouts"] == 0

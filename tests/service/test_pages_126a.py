"""The course's henvisninger page and the unit's statistics page."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from medcom_adapter.journal.interface import Query
from medcom_adapter.model.classification import Henvisning
from medcom_adapter.model.henvisninger import HenvisningRecord
from medcom_adapter.model.identifiers import Cpr, SorId
from tests.service.conftest import CONTEXT, CPR, Harness

COURSE = UUID(str(CONTEXT["episode_id"]))
OTHER_COURSE = UUID("0d6f3b52-1c9e-4b7a-8f20-6a4e3c2d1b00")


def test_recording_correcting_and_withdrawing_on_the_course_page(harness: Harness) -> None:
    csrf = harness.open("km")
    page = harness.client.get("/forloeb")
    assert page.status_code == 200 and "Ingen henvisninger registreret" in page.text
    done = harness.client.post("/forloeb", data={"csrf": csrf, "klasse": "civilsamfund",
                                                 "date": "2026-11-19"}, follow_redirects=False)
    assert done.status_code == 303
    (first,) = harness.journal.henvisninger(actor="cli:t", course_id=COURSE)
    assert first.record.henvisning is Henvisning.CIVIL_SOCIETY
    assert str(first.record.patient) == CPR and first.record.referred_on == date(2026, 11, 19)
    assert first.recorded_by.startswith("worker:") or first.recorded_by
    page = harness.client.get("/forloeb")
    assert "Civilsamfund" in page.text and "19.11.2026" in page.text and CPR not in page.text
    harness.client.post("/forloeb", data={"csrf": csrf, "klasse": "126a-anden-kommune",
                                          "date": "2026-11-19", "supersedes": first.id})
    (now,) = harness.journal.henvisninger(actor="cli:t", course_id=COURSE)
    assert now.supersedes == first.id
    assert now.record.henvisning is Henvisning.OTHER_MUNICIPALITY_126A
    harness.client.post("/forloeb", data={"csrf": csrf, "withdraw": now.id,
                                          "date": "2026-11-19"})
    assert harness.journal.henvisninger(actor="cli:t", course_id=COURSE) == []
    assert len(harness.journal.henvisninger(actor="cli:t", course_id=COURSE, versions=True)) == 3


def test_course_page_errors_are_danish(harness: Harness) -> None:
    csrf = harness.open("km")
    for data, text in (({"klasse": "", "date": "2026-11-19"}, "Vælg hvad barnet er henvist til"),
                       ({"klasse": "andet", "date": "19/11"}, "Skriv datoen som ÅÅÅÅ-MM-DD"),
                       ({"klasse": "andet", "date": "2027-01-01"}, "kan ikke ligge i fremtiden"),
                       ({"withdraw": "message-99-andet", "date": "2026-11-19"},
                        "findes ikke i dette forløb")):
        page = harness.client.post("/forloeb", data={"csrf": csrf, **data})
        assert page.status_code == 422 and text in page.text, text
    assert harness.journal.henvisninger(actor="cli:t") == []


def test_the_course_page_needs_the_csrf_token(harness: Harness) -> None:
    harness.open("km")
    page = harness.client.post("/forloeb", data={"csrf": "forged", "klasse": "andet",
                                                 "date": "2026-11-19"})
    assert page.status_code == 403 and harness.journal.henvisninger(actor="cli:t") == []


def test_statistics_page_shows_the_units_figures_without_person_data(harness: Harness) -> None:
    csrf = harness.open("km")
    harness.client.post("/forloeb", data={"csrf": csrf, "klasse": "civilsamfund",
                                          "date": "2026-11-19"})
    page = harness.client.get("/statistik", params={"fra": "2026-11-01", "til": "2026-11-30"})
    assert page.status_code == 200
    assert "Statistik for enheden" in page.text and "<svg" in page.text
    assert "Civilsamfund" in page.text and "&lt;5" in page.text
    figures = page.text.split('<div class="statistics">', 1)[1]  # the header names the child
    assert CPR not in figures and CPR[:6] not in figures and "Elmer" not in figures
    assert not harness.journal.find(Query())
    bad = harness.client.get("/statistik", params={"fra": "i går"})
    assert bad.status_code == 200 and "Skriv datoerne som ÅÅÅÅ-MM-DD" in bad.text


def test_pages_need_a_session(harness: Harness) -> None:
    for path in ("/forloeb", "/statistik"):
        response = harness.client.get(path)
        assert response.status_code in (401, 403), path


def test_the_course_page_cannot_correct_another_units_or_courses_henvisning(
        harness: Harness) -> None:
    """A worker names, in a forged form, a record outside the launched course (another
    unit's in the same course, the unit's own in another course, a message-borne id):
    refused, and the record stays in force in its own unit's export."""
    other_unit = SorId("123456000016001")
    theirs = harness.journal.record_henvisning(HenvisningRecord(
        COURSE, date(2026, 11, 1), Henvisning.CIVIL_SOCIETY, Cpr(CPR), other_unit),
        actor="cli:t")
    elsewhere = harness.journal.record_henvisning(HenvisningRecord(
        OTHER_COURSE, date(2026, 11, 1), Henvisning.CIVIL_SOCIETY, Cpr(CPR),
        SorId(str(CONTEXT["unit"]["sor"]))), actor="cli:t")
    csrf = harness.open("km")
    for victim in (theirs, elsewhere, "message-1-civilsamfund"):
        for forged in ({"klasse": "andet", "supersedes": victim}, {"withdraw": victim}):
            page = harness.client.post("/forloeb", data={"csrf": csrf, "date": "2026-11-19",
                                                         **forged})
            assert page.status_code == 422 and "findes ikke i dette forløb" in page.text
    in_force = harness.journal.henvisninger(actor="cli:t", versions=True)
    assert sorted(r.id for r in in_force) == sorted([theirs, elsewhere])
    assert [r.supersedes for r in in_force] == [None, None]

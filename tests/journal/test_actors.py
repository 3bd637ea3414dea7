"""Audit actors are typed: a name someone chooses never passes for another kind of actor."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from medcom_adapter.journal import actors
from medcom_adapter.journal.actors import InvalidActor
from medcom_adapter.journal.interface import Journal, Query, Status
from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.service.views import taken
from tests.journal.samples import CPR, referral


@pytest.mark.parametrize(("actor", "kind"), [
    ("system", "system"), ("worker:webhook", "worker"), ("api-key:3f9a0c21be77", "api-key"),
    ("page-session:3f9a0c21be77:Sara%20Testsen", "page-session"), ("cli:ops", "cli"),
    ("cli:anna.jensen@kommune.dk", "cli"),
])
def test_each_kind_is_accepted_and_named(actor: str, kind: str) -> None:
    assert actors.check(actor) == actor and actors.kind(actor) == kind


@pytest.mark.parametrize("actor", [
    "ops", "api:sbsys", "web:sbsys:Sara", "webhook", "System", "",  # free text of old
    "worker:evil", "worker:", "api-key:", "api-key:3f9a:0c21", "api-key:3f9a 0c21",
    "page-session:3f9a0c21be77:Sara Testsen", "page-session:3f9a0c21be77:",
    "page-session::Sara", "page-session:3f9a0c21be77:a:api-key:b", "cli:", "cli:a b",
    "cli:ops\napi-key:3f9a0c21be77", "cli:-ops", "cli:" + "a" * 65,
])
def test_free_text_and_malformed_actors_are_refused(actor: str) -> None:
    with pytest.raises(InvalidActor) as refused:
        actors.check(actor)
    assert refused.value.code == "local.journal-actor"


@pytest.mark.parametrize("name", [
    "api-key:3f9a0c21be77", "x:api-key:3f9a0c21be77", "Sara\napi-key:1", "worker:webhook",
    "Søren Ærø-Østergaard", "100%",
])
def test_a_workers_chosen_name_stays_a_page_session(name: str) -> None:
    actor = actors.page_session("3f9a0c21be77", name)
    assert actors.kind(actor) == "page-session"
    assert actor.count(":") == 2 and "\n" not in actor
    assert actor.startswith("page-session:3f9a0c21be77:")


def test_an_empty_worker_name_is_refused() -> None:
    with pytest.raises(InvalidActor):
        actors.page_session("3f9a0c21be77", "  ")


def test_the_journal_refuses_a_free_text_actor_before_writing(journal: Journal) -> None:
    id = journal.append(referral(), Status.QUEUED)
    for read in (lambda: journal.get(id, actor="api:sbsys"),
                 lambda: journal.find(Query(patient=CPR), actor="ops"),
                 lambda: journal.export(CPR, actor="webhook"),
                 lambda: journal.append(referral(2), Status.QUEUED, actor="web:x:y")):
        with pytest.raises(InvalidActor):
            read()
    assert journal.audit_log() == []
    assert [m.id for m in journal.find(Query())] == [id]  # nothing appended either
    journal.get(id, actor="cli:ops")
    assert [a.actor for a in journal.audit_log()] == ["cli:ops"]


def test_a_worker_named_like_a_case_system_does_not_mark_a_letter_taken() -> None:
    journal = MemoryJournal()
    id = journal.append(referral(), Status.DELIVERED)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    journal.get(id, actor=actors.page_session("3f9a0c21be77", "api-key:3f9a0c21be77"))
    assert taken(journal, [id], since) == set()
    journal.get(id, actor=actors.api_key("3f9a0c21be77"))
    assert taken(journal, [id], since) == {id}

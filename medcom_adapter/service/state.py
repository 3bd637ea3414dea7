"""What every request handler shares: the journal, settings, API keys, launch tokens,
sessions and drafts (the last four kept in the journal's shared store).

``queue`` is the service's only write: a validated message appended as ``queued`` for the
outbox worker. Reads go through ``read``/``search`` so that every one is audited by the
journal under the actor who asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from fastapi import Request

from medcom_adapter.journal.interface import Journal, Query, StoredMessage
from medcom_adapter.journal.shared import Unit
from medcom_adapter.model.parties import PersonId
from medcom_adapter.service.apikeys import ApiKeys
from medcom_adapter.service.commits import GroupCommit
from medcom_adapter.service.drafts import Drafts
from medcom_adapter.service.forms import Outgoing
from medcom_adapter.service.kept import KeptFiles
from medcom_adapter.service.marks import Marks
from medcom_adapter.service.quarantine import QuarantineFolder
from medcom_adapter.service.sessions import Sessions
from medcom_adapter.service.settings import Settings
from medcom_adapter.service.tokens import LaunchTokens
from medcom_adapter.workers.checked import Checked


@dataclass(slots=True)
class ServiceState:
    journal: Journal
    settings: Settings
    keys: ApiKeys
    tokens: LaunchTokens
    sessions: Sessions
    drafts: Drafts
    kept: KeptFiles
    marks: Marks
    checked: Checked | None = None  # the workers' beside it: what is queued here is validated
    quarantine: QuarantineFolder | None = None  # the mailbox's, where this process knows it
    commits: GroupCommit = field(init=False)  # the sends' journal writes, committed together

    def __post_init__(self) -> None:
        self.commits = GroupCommit(self.journal)

    def queue(self, outgoing: Outgoing, *, actor: str) -> tuple[int, ...]:
        """Journal ids, the letter first, then its binaries (each sent on its own)."""
        return outgoing.prepared.queue(self.journal, actor=actor, checked=self.checked).ids

    def queue_together(self, first: Outgoing, *more: Outgoing,
                       actor: str) -> list[tuple[int, ...]]:
        """Several messages queued in one journal commit: all of them or none (a referral
        and its copy to the GP)."""
        with self.journal.atomic():
            return [self.queue(o, actor=actor) for o in (first, *more)]

    def read(self, journal_id: int, *, actor: str, units: tuple[Unit, ...],
             patient: PersonId | None = None) -> StoredMessage | None:
        """The message if one of ``units`` sent or received it (and it is about
        ``patient``, when given): the scope is part of the look-up, so a message outside it
        is never loaded, and is as absent as one that does not exist."""
        if not 0 < journal_id < 2**53:
            return None
        found = self.journal.find(Query(id=journal_id, units=units, patient=patient, limit=1),
                                  actor=actor)
        return found[0] if found else None

    def search(self, query: Query, *, actor: str) -> Sequence[StoredMessage]:
        return self.journal.find(query, actor=actor)


def state(request: Request) -> ServiceState:
    result: ServiceState = request.app.state.service
    return result

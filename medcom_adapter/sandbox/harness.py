"""One PPR unit on the sandbox network, in-process: journal, mailbox, outbox, inbox.

Used by the demo, the end-to-end tests and the benchmark; with an
:class:`~medcom_adapter.sandbox.ehmi_network.EhmiSandbox` the unit is on EHMI too, and each
round delivers the EDS reports it queued. :meth:`Harness.pump` runs outbox,
network and inbox in turn until nothing moves, so one call carries a message out, through
its counterpart and back with its receipts and replies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.journal.interface import Journal
from medcom_adapter.model.ids import IdSource
from medcom_adapter.node import wire
from medcom_adapter.sandbox.faults import FaultPlan
from medcom_adapter.sandbox.network import Network
from medcom_adapter.sandbox.standard import standard_network
from medcom_adapter.transport.memory import MemoryTransport
from medcom_adapter.workers.hooks import CollectingHook, Hook
from medcom_adapter.workers.outbox import OutboxSettings

if TYPE_CHECKING:
    from medcom_adapter.ehmi_client.side import EhmiSide
    from medcom_adapter.sandbox.ehmi_network import EhmiSandbox


class Harness:
    def __init__(
        self, journal: Journal, directory: Directory, *, unit_ean: str,
        faults: FaultPlan | None = None, hook: Hook | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        settings: OutboxSettings | None = None, gp_replies: bool = True,
        ids: IdSource | None = None, ehmi: EhmiSandbox | None = None,
        side: EhmiSide | None = None,
    ) -> None:
        self.journal = journal
        self.directory = directory
        self.mailbox = MemoryTransport()
        self.hook = hook or CollectingHook()
        self.network: Network = standard_network(
            directory, {unit_ean: self.mailbox.provider}, faults=faults,
            clock=lambda: clock().astimezone().replace(tzinfo=None), gp_replies=gp_replies,
            ids=ids)
        self.ehmi = ehmi
        # the sandbox's own EHMI counterparts, or an operator's (``side``, from settings)
        self.side = ehmi.side(journal) if ehmi is not None else side
        node = wire(journal, directory, self.mailbox, hook=self.hook, clock=clock,
                    settings=settings, ids=ids, ehmi=self.side)
        self.outbox, self.inbox = node.outbox, node.inbox
        self.checked = node.checked  # queue with it: the outbox need not validate again

    def pump(self, rounds: int = 50) -> int:
        """Run outbox, network and inbox until quiet; returns the rounds taken. Held bytes
        past their time go first, as in ``Node.round``, even if a step then fails."""
        self.checked.expire()
        for n in range(1, rounds + 1):
            sent = self.outbox.run_once().sent
            moved = self.network.step()
            taken = self.inbox.run_once()
            reported = self._report()
            busy = sent or moved or taken.delivered or taken.receipts or taken.duplicates \
                or taken.refused or reported
            if not busy and self.network.idle:
                return n
        return rounds

    def _report(self) -> int:
        if self.ehmi is not None:
            return self.ehmi.deliver(self.journal).delivered
        if self.side is not None and self.side.report is not None:
            return self.side.report().delivered
        return 0

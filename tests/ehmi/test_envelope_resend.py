"""A message whose envelope receipt did not come is handed over again by a person's
decision, unchanged, in a new ehmiSBDH (the guide's scenarios 3 and 4), and only then."""

from __future__ import annotations

import pytest

from medcom_adapter.envelopes import ebbp_signal, sbdh, sbdh_receipt
from medcom_adapter.errors import ResendRefused
from medcom_adapter.journal.interface import Status
from medcom_adapter.kinds import Kind
from medcom_adapter.reliable import ehmi
from tests.ehmi.node import Node, outbound_letter
from tests.envelopes.messages import T0, care_communication, next_id
from tests.journal.conftest import Clock


def _letters(node: Node) -> list[sbdh.Sbdh]:
    return [sbdh.parse(p.data) for p in node.transport.sent
            if p.kind == Kind.CARE_COMMUNICATION.value]


def test_an_envelope_without_its_receipt_is_resent_unchanged_once_overdue(node: Node) -> None:
    id = outbound_letter(node, care_communication())
    node.outbox.run_once()
    with pytest.raises(ResendRefused, match="awaited until"):
        node.outbox.resend_envelope(id)  # within the receipt's normal response time
    clock = node.outbox.clock
    assert isinstance(clock, Clock)
    clock.advance(minutes=11)
    new_id = node.outbox.resend_envelope(id)
    node.outbox.run_once()
    first, again = _letters(node)
    assert again.instance_id != first.instance_id and again.created != first.created
    assert again.content == first.content  # the message itself, byte for byte
    assert (again.message_id, again.message_envelope_id) == (first.message_id,
                                                              first.message_envelope_id)
    assert node.journal.get(id).status is Status.RESENT
    assert node.journal.get(new_id).status is Status.SENT
    with pytest.raises(ResendRefused, match="is resent"):
        node.outbox.resend_envelope(id)  # the replaced attempt is not resent twice


@pytest.mark.parametrize("exception", [None, ebbp_signal.ReceiptException.SYNTAX])
def test_an_answered_envelope_is_not_resent(node: Node,
                                            exception: ebbp_signal.ReceiptException | None
                                            ) -> None:
    id = outbound_letter(node, care_communication())
    node.outbox.run_once()
    [sent] = _letters(node)
    node.transport.provider.deposit("receipt.xml", sbdh.build(sbdh_receipt.receipt_for(
        sent, instance_id=next_id(), message_id=next_id(), created=T0, exception=exception,
        reason="not legible" if exception else None)))
    node.inbox.run_once()
    # correlated with the letter: a ReceiptException rejects it, a positive receipt leaves
    # it waiting for its Acknowledgement
    assert node.journal.get(id).status is (Status.SENT if exception is None
                                           else Status.REJECTED)
    clock = node.outbox.clock
    assert isinstance(clock, Clock)
    clock.advance(hours=1)
    with pytest.raises(ResendRefused, match="receipt came" if exception is None
                       else "ReceiptException"):
        node.outbox.resend_envelope(id)


def test_the_rule_alone() -> None:
    with pytest.raises(ResendRefused, match="not been handed over"):
        ehmi.envelope_resend(sent_at=None, now=T0, receipt=None)
    ehmi.envelope_resend(sent_at=T0, now=T0.replace(hour=T0.hour + 1), receipt=None)

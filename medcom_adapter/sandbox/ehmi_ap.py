"""The sandbox's EHMI access point with a peer MSH behind it.

The adapter's MSH hands ehmiSBDHs to the access point (``POST /ap/outbound``) and takes
what arrived for its location numbers from it (``GET /ap/inbound``, ``GET`` and
``DELETE /ap/inbound/<id>``): the HTTP hand-over :mod:`~medcom_adapter.transport.ehmi_ap`
speaks. What is addressed elsewhere reaches the peer MSH, which keeps the guide's receive
table (``reliable.ehmi``): a new envelope is delivered and answered with a positive
envelope receipt, the same envelope again gets the original receipt again, the same
message in a new envelope a new receipt, a reused envelope id a ReceiptException. The end
system behind the peer MSH receipts each OIOXML or EDIFACT letter delivered to it as
MedCom's rules say (XCTL03/CTL03, or a negative receipt for an invalid letter), once, and
its receipt travels back in an ehmiSBDH. AS4 between access points is not played: both
ends are here.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from medcom_adapter.detect import FHIR_NAMESPACE, Syntax, sniff
from medcom_adapter.edifact import receipting as edifact_receipting
from medcom_adapter.envelopes import ebbp_signal, letter_payload, sbdh, sbdh_receipt
from medcom_adapter.errors import MedComError
from medcom_adapter.oioxml import receipting as oioxml_receipting
from medcom_adapter.reliable import ehmi
from medcom_adapter.safe_xml import root_namespace


@dataclass
class AccessPoint:
    local: frozenset[str]  # location numbers whose inbox the adapter takes from here
    delivered: list[sbdh.Sbdh] = field(default_factory=list)  # what the peer MSH took
    receipts_sent: list[sbdh.Sbdh] = field(default_factory=list)
    receipts_received: list[sbdh.Sbdh] = field(default_factory=list)
    letter_receipts: list[sbdh.Sbdh] = field(default_factory=list)  # the end system's
    refused: list[str] = field(default_factory=list)
    _published: set[str] = field(default_factory=set)  # hand-over keys seen
    _inbox: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # id -> (gln, SBDH)
    _seen: dict[str, str] = field(default_factory=dict)  # envelope id -> message id
    _answers: dict[str, bytes] = field(default_factory=dict)  # envelope id -> its receipt
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sequence: int = 0

    def hand_over(self, data: bytes, key: str | None) -> int:
        """Take an SBDH from an MSH; the HTTP status to answer with."""
        with self._lock:
            if key is not None and key in self._published:
                return 200  # handed over before: published once
            try:
                document = sbdh.parse(data)
            except MedComError as exc:
                self.refused.append(f"[{exc.code}] {exc.message}")
                return 422
            if key is not None:
                self._published.add(key)
            gln = document.receiver_gln or ""
            if gln in self.local:
                self._deposit(gln, data)
            else:
                self._peer(document)
            return 202

    def deposit(self, data: bytes) -> None:
        """An SBDH arriving from the network for one of the local location numbers."""
        with self._lock:
            self._deposit(sbdh.parse(data).receiver_gln or "", data)

    def _deposit(self, gln: str, data: bytes) -> None:
        self._sequence += 1
        self._inbox[f"{self._sequence:08d}"] = (gln, data)

    def inbox(self, gln: str) -> list[str]:
        with self._lock:
            return [id for id, (to, _) in self._inbox.items() if to == gln]

    def take(self, id: str) -> bytes | None:
        with self._lock:
            found = self._inbox.get(id)
        return None if found is None else found[1]

    def settle(self, id: str) -> bool:
        with self._lock:
            return self._inbox.pop(id, None) is not None

    def _peer(self, document: sbdh.Sbdh) -> None:
        """The receiving MSH: the guide's receive table, answered on the same network."""
        if sbdh_receipt.is_receipt(document):
            self.receipts_received.append(document)
            return
        message = document.message_id or ""
        action = ehmi.on_envelope(ehmi.Seen(dict(self._seen), frozenset(self._seen.values())),
                                  document.instance_id, message)
        if action is ehmi.Action.ANSWER_AGAIN:
            answer = self._answers[document.instance_id]
            self._deposit(document.sender_gln or "", answer)
            self.receipts_sent.append(sbdh.parse(answer))
            return
        exception = (ebbp_signal.ReceiptException.SEQUENCE
                     if action is ehmi.Action.REFUSE_REUSED_ID else None)
        if action is ehmi.Action.PROCESS:
            self._seen[document.instance_id] = message
            self.delivered.append(document)
            self._end_system(document)
        if document.receipt_request is None:
            return
        receipt = sbdh_receipt.receipt_for(
            document, instance_id=str(uuid.uuid4()), message_id=str(uuid.uuid4()),
            created=datetime.now(UTC), exception=exception,
            reason="the envelope id was used for another message" if exception else None)
        data = sbdh.build(receipt)
        if action is not ehmi.Action.REFUSE_REUSED_ID:
            self._answers.setdefault(document.instance_id, data)
        self.receipts_sent.append(receipt)
        self._deposit(document.sender_gln or "", data)

    def _end_system(self, document: sbdh.Sbdh) -> None:
        """Receipt a delivered letter, in its own syntax, back to its sender over EHMI (the
        receipt's SENDERID/RECEIVERID are the letter's, turned round)."""
        content = document.content
        try:
            syntax = sniff(content)
        except MedComError:
            return
        if syntax is Syntax.FHIR_JSON or (root_namespace(content) or "").encode() \
                == FHIR_NAMESPACE:
            return  # FHIR is acknowledged by the receiver's system, not played here
        now = datetime.now(UTC)
        receipting = edifact_receipting if syntax is Syntax.EDIFACT else oioxml_receipting
        answer = receipting.answer(content, now=now.astimezone().replace(tzinfo=None))
        if answer.receipt is None:
            return
        wrapped = letter_payload.for_letter(
            answer.build(), created=now, instance_id=str(uuid.uuid4()),
            sender_sor=document.receiver_sor, receiver_sor=document.sender_sor)
        self.letter_receipts.append(wrapped)
        self._deposit(document.sender_gln or "", sbdh.build(wrapped))

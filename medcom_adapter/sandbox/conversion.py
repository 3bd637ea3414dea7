"""MedCom's VANS conversion service on the sandbox network, in front of a counterpart whose
system takes only OIOXML (rules v3.1.0, ``medcom_adapter.convert``).

A CareCommunication for it is converted to one XDIS91 and (with attachments) one XBIN01;
the counterpart's XCTLs for those letters come back as ONE Acknowledgement once every
letter has its receipt. An XDIS91 it sends becomes a CareCommunication, and the
Acknowledgement for that becomes an XCTL for the letter. The conversion's Link (section
4.1) is what ties each answer to its message; a CareCommunication met again (a resend, a
duplicate) is answered as before and not converted twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.convert import xctl_ack, xdis91_fhir
from medcom_adapter.convert.links import Link
from medcom_adapter.envelopes import fhir_payload, vans
from medcom_adapter.errors import MedComError, UnknownReceiver
from medcom_adapter.fhir import wire
from medcom_adapter.fhir.acknowledgement import from_bundle as read_ack
from medcom_adapter.fhir.acknowledgement import to_bundle as ack_bundle
from medcom_adapter.fhir.carecommunication import from_bundle, to_bundle
from medcom_adapter.kinds import Kind
from medcom_adapter.model.acknowledgement import Acknowledgement
from medcom_adapter.model.correspondence import ClinicalEmail
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.message import Emessage
from medcom_adapter.model.parties import Organisation
from medcom_adapter.model.receipts import Receipt
from medcom_adapter.oioxml import emessage
from medcom_adapter.sandbox.addressing import Address, read_address
from medcom_adapter.sandbox.counterparts import Counterpart, Outgoing
from medcom_adapter.sandbox.fhir import aware, envelope_file

LetterKey = tuple[str, str]  # (envelope id, letter id)


@dataclass
class ConversionService:
    inner: Counterpart  # the system behind it, which takes OIOXML only
    directory: Directory  # where SOR ids come from (a local copy of SOR, as VANS may keep)
    ids: IdSource = field(default_factory=IdSource)
    converted: int = 0
    receipted: list[str] = field(default_factory=list)  # letter ids an XCTL went back for
    _links: dict[LetterKey, Link] = field(default_factory=dict)
    _receipts: dict[str, dict[LetterKey, Emessage]] = field(default_factory=dict)
    _by_message: dict[str, Link] = field(default_factory=dict)  # MessageHeader.id -> Link
    ean: str = field(init=False)  # the location number of the system behind it

    def __post_init__(self) -> None:
        self.ean = self.inner.ean

    def handle(self, data: bytes, now: datetime,
               address: Address | None = None) -> list[Outgoing]:
        address = address or read_address(data)
        if address is None or not address.vans:
            return self._from_inner(self.inner.handle(data, now, address), now)
        try:
            payload = fhir_payload.unwrap(vans.parse(data))
            bundle, _ = wire.load(payload.data)
        except MedComError:
            return []  # a VANS receipt, or nothing FHIR: not the conversion's to answer
        if payload.document.kind == Kind.ACKNOWLEDGEMENT:
            return self._acknowledgement(read_ack(bundle), now)
        cc = from_bundle(bundle)
        if cc.message_id in self._by_message:
            return []  # a duplicate or resend: the letters went once (table 5)
        out = xdis91_fhir.to_oioxml(cc, ids=self.ids)
        self.converted += 1
        self._by_message[cc.message_id] = out.link
        for letter in out.link.letters:
            self._links[(letter.envelope_id, letter.letter_id)] = out.link
        answers: list[Outgoing] = []
        files = ((out.correspondence, xdis91_fhir.XDIS91_VERSION),
                 *((b, xdis91_fhir.XBIN01_VERSION) for b in out.binaries))
        for message, version in files:
            answers += self.inner.handle(emessage.build(message, version), now)
        return self._from_inner(answers, now)

    def _acknowledgement(self, ack: Acknowledgement, now: datetime) -> list[Outgoing]:
        link = self._by_message.get(ack.acknowledged_id)
        if link is None:
            return []
        answers: list[Outgoing] = []
        for message in xctl_ack.to_oioxml(ack, link, ids=self.ids, now=aware(now)):
            receipt = message.letters[0]
            assert isinstance(receipt, Receipt)
            self.receipted += [x.identifier for x in receipt.letters]
            data = emessage.build(message, xctl_ack.RECEIPT_VERSION[receipt.kind])
            answers += self.inner.handle(data, now)
        return self._from_inner(answers, now)

    def _from_inner(self, answers: list[Outgoing], now: datetime) -> list[Outgoing]:
        out: list[Outgoing] = []
        for answer in answers:
            try:
                message = emessage.parse(answer.data).message
            except MedComError:
                out.append(answer)
                continue
            letter = message.letters[0]
            if isinstance(letter, Receipt):
                out += self._receipt(message, letter, answer, now)
            elif isinstance(letter, ClinicalEmail):
                out.append(self._correspondence(message, now))
            else:
                out.append(answer)
        return out

    def _receipt(self, message: Emessage, receipt: Receipt, answer: Outgoing,
                 now: datetime) -> list[Outgoing]:
        keys = [(receipt.original_envelope_id, x.identifier) for x in receipt.letters]
        link = next((self._links[k] for k in keys if k in self._links), None)
        if link is None:
            return [answer]  # not about a conversion: passed on unconverted
        waiting = self._receipts.setdefault(link.message_id, {})
        waiting.update(dict.fromkeys(keys, message))
        if len(waiting) < len(link.letters):
            return []  # one Acknowledgement for all the letters' receipts (table 4)
        ack = xctl_ack.to_fhir(list(dict.fromkeys(waiting.values())), link=link)
        for key in keys:
            self._links.pop(key, None)
        return [Outgoing(envelope_file(wire.dump_json(ack_bundle(ack)), now))]

    def _correspondence(self, message: Emessage, now: datetime) -> Outgoing:
        cc, link = xdis91_fhir.to_fhir_linked(message, sor_of=self._sor)
        self.converted += 1
        self._by_message[cc.message_id] = link
        return Outgoing(envelope_file(wire.dump_json(to_bundle(cc)), now))

    def _sor(self, org: Organisation) -> str | None:
        try:
            return self.directory.by_ean(str(org.ean)).sor
        except UnknownReceiver:
            return xdis91_fhir.sor_in_letter(org)

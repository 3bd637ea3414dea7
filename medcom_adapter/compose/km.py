"""A correspondence message (KM) from a request: as XDIS91 with XBIN01s, or as FHIR.

:func:`build_km` is the KM's :func:`~medcom_adapter.compose.referral.build_referral`: the
request read into files ready to send, each built in the current version of its kind.

The request reads into the XDIS91 model; the FHIR CareCommunication is made from that by
MedCom's mapping (``convert.xdis91_fhir``), with what the request adds for FHIR (category,
author, SOR ids) and fresh UUIDs for the Bundle, MessageHeader and thread.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from medcom_adapter.compose.referral import OutboundFile
from medcom_adapter.convert.xdis91_fhir import to_fhir
from medcom_adapter.kinds import Kind
from medcom_adapter.model.carecommunication import CareCommunication
from medcom_adapter.model.codes import IdentifierCode
from medcom_adapter.model.ids import IdSource
from medcom_adapter.model.km_request import KmRequest
from medcom_adapter.model.letters import BinaryLetter, BinaryObject, LetterHeader, ObjectId
from medcom_adapter.model.message import Emessage, Envelope
from medcom_adapter.model.parties import Organisation, Patient
from medcom_adapter.oioxml.emessage import DEFAULT_ENCODING, build
from medcom_adapter.oioxml.versions import current


@dataclass(frozen=True, slots=True)
class KmPackage:
    """A KM as XDIS91 and its attachments as XBIN01s, ready for the VANS out-folder."""

    correspondence: OutboundFile
    binaries: tuple[OutboundFile, ...]

    @property
    def files(self) -> tuple[OutboundFile, ...]:
        return (self.correspondence, *self.binaries)


def build_km(
    request: KmRequest, files: Mapping[str, bytes], *, ids: IdSource | None = None,
    encoding: str = DEFAULT_ENCODING, validate: bool = True,
) -> KmPackage:
    """Build (and schema-check unless told not to) the XDIS91 and one XBIN01 per attachment
    of ``request``; ``files`` holds each attachment's bytes by its file name."""
    message, binaries = compose_km(request, files, ids or IdSource())
    km_version, bin_version = current(Kind.CORRESPONDENCE), current(Kind.BINARY)
    return KmPackage(
        OutboundFile(km_version.kind, km_version, message,
                     build(message, km_version, encoding=encoding, validate=validate)),
        tuple(OutboundFile(bin_version.kind, bin_version, b,
                           build(b, bin_version, encoding=encoding, validate=validate))
              for b in binaries))


def compose_km(
    request: KmRequest, files: Mapping[str, bytes], ids: IdSource
) -> tuple[Emessage, list[Emessage]]:
    """The XDIS91 Emessage and one XBIN01 Emessage per attachment, linked by object id."""
    km = request.km
    objects = [BinaryObject(ObjectId.new(), a.object_code, a.extension, files[a.file])
               for a in request.attachments]
    refs = tuple(o.reference(a.description)
                 for o, a in zip(objects, request.attachments, strict=True))
    km = dataclasses.replace(km, references=km.references + refs)
    sent, ack = km.letter.authorised, request.acknowledgement
    patient = Patient(km.patient.id, km.patient.surname, km.patient.given_name)
    binaries = [
        Emessage(Envelope(ids.envelope_id(), sent, ack), (BinaryLetter(
            LetterHeader(ids.letter_id(), sent), km.sender, km.receiver, (obj,), patient),))
        for obj in objects
    ]
    return Emessage(Envelope(ids.envelope_id(), sent, ack), (km,)), binaries


def km_as_fhir(
    request: KmRequest, message: Emessage, binaries: list[Emessage]
) -> CareCommunication:
    def sor_of(org: Organisation) -> str | None:
        if org.identifier_code is IdentifierCode.SOR:
            return org.identifier
        return request.sor_ids.get(str(org.ean))

    letters = [b.letters[0] for b in binaries if isinstance(b.letters[0], BinaryLetter)]
    cc = to_fhir(message, letters, sor_of=sor_of, category=request.category,
                 author=request.author)
    message_id = str(uuid.uuid4())
    history = tuple(dataclasses.replace(e, message_id=message_id) for e in cc.history)
    return dataclasses.replace(cc, bundle_id=str(uuid.uuid4()), message_id=message_id,
                               history=history)

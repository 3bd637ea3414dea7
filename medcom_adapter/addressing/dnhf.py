"""Referrals to child and adolescent psychiatry (BUP) travel via DNHF over VANS.

DNHF (Den Nationale Henvisningsformidling) is the national referral hub: a referral for a
BUP department is addressed on VANS to DNHF's location number, while the letter's receiver
``Identifier`` still names the department; DNHF hands it on. Referral attachments travel as
XBIN02, which VANS routes to DNHF, or as XBIN01 where the department is configured for it.
DNHF's location number and the BUP department of each region come from the receivers
directory. Receipts come back from DNHF (it relays the department's) and point at our
envelope id like any receipt, so they correlate as usual.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from medcom_adapter.addressing.directory import Directory, Receiver
from medcom_adapter.errors import InvalidConfiguration, ReceiverDoesNotAccept, UnknownReceiver
from medcom_adapter.kinds import Kind
from medcom_adapter.model.identifiers import LocationNumber
from medcom_adapter.model.letters import Referral
from medcom_adapter.oioxml.versions import VERSIONS, Version, by_code, current
from medcom_adapter.transport.interface import Parcel, Received, Transport

_ATTACHMENT_KINDS = {"XBIN02": Kind.REFERRAL_ATTACHMENT, "XBIN01": Kind.BINARY}


@dataclass(frozen=True, slots=True)
class DnhfRoute:
    """How one referral travels: to ``department``, addressed on VANS to ``hub``."""

    department: Receiver
    hub: Receiver
    referral_version: Version
    binary_version: Version


def route_referral(
    directory: Directory, referral: Referral, *, referral_version: str | None = None,
) -> tuple[Referral, DnhfRoute]:
    """The referral addressed to DNHF, and its route; refused before sending when the
    department or DNHF is not registered for the referral or its attachments."""
    settings = directory.dnhf
    if settings is None:
        raise InvalidConfiguration("the receivers directory has no DNHF settings")
    receiver = referral.receiver
    department = _department(directory, referral)
    hub = directory.by_ean(settings.ean)
    version = by_code(referral_version) if referral_version else current(Kind.REFERRAL)
    binary = attachment_version(department)
    for party in (department, hub):
        party.check(version.type_code, version.code)
        party.check(binary.type_code, binary.code)
    if department.sor not in settings.bup_by_region.values():
        raise ReceiverDoesNotAccept(
            f"{department.name} (SOR {department.sor}) is not a BUP receiver DNHF forwards to")
    addressed = dataclasses.replace(
        referral, receiver=dataclasses.replace(receiver, ean=LocationNumber(hub.ean)))
    return addressed, DnhfRoute(department, hub, version, binary)


def attachment_version(department: Receiver) -> Version:
    """The version a department's referral attachments travel in, as the directory has it:
    a version by its code, or for a type the version of it the department takes (the newer,
    when it takes several; the current one when it names none)."""
    kind = _ATTACHMENT_KINDS.get(department.attachments)
    if kind is None:
        return by_code(department.attachments)
    type_code = department.attachments
    taken = [v for v in VERSIONS if v.kind is kind and v.code in department.accepts.get(
        type_code, frozenset())]
    if not taken:
        return current(kind)
    return max(taken, key=lambda v: v.schema_folder)  # folders are dated: the newer one


def route_for_region(directory: Directory, region: str) -> Receiver:
    """The BUP department DNHF forwards a region's referrals to."""
    return directory.bup_for(region)


def _department(directory: Directory, referral: Referral) -> Receiver:
    receiver = referral.receiver
    code = receiver.identifier_code.value
    try:
        return directory.by_identifier(code, receiver.identifier)
    except UnknownReceiver:
        return directory.by_ean(str(receiver.ean))


# a BUP department takes these only through DNHF
_VIA_DNHF = frozenset({Kind.REFERRAL, Kind.BINARY})

class DnhfTransport:
    """A VANS transport that refuses to send referral material to anyone but DNHF."""

    def __init__(self, inner: Transport, directory: Directory) -> None:
        if directory.dnhf is None:
            raise InvalidConfiguration("the receivers directory has no DNHF settings")
        self._inner = inner
        self._hub = directory.dnhf.ean
        self._departments = {directory.by_sor(s).ean
                             for s in directory.dnhf.bup_by_region.values()}

    def send(self, parcel: Parcel) -> None:
        direct = parcel.kind in _VIA_DNHF and parcel.receiver in self._departments
        if direct or (parcel.kind == Kind.REFERRAL_ATTACHMENT and parcel.receiver != self._hub):
            raise ReceiverDoesNotAccept(
                f"{parcel.kind} {parcel.envelope_id} to {parcel.receiver}: referrals and their"
                f" attachments for BUP are sent to DNHF ({self._hub})")
        self._inner.send(parcel)

    def receive(self) -> Iterator[Received]:
        return self._inner.receive()

    def settle(self, received: Received) -> None:
        self._inner.settle(received)

    def pending(self, received: Received) -> bool:
        return self._inner.pending(received)

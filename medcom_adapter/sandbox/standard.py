"""The sandbox as shipped: every directory entry that is not a local mailbox is played by a
counterpart (DNHF, a BUP department per region, a GP system for the rest)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.model.ids import IdSource
from medcom_adapter.sandbox.counterparts import GP_REPLY, Department, Dnhf, GpSystem
from medcom_adapter.sandbox.faults import FaultPlan
from medcom_adapter.sandbox.network import Network
from medcom_adapter.transport.interface import ProviderSide


def standard_network(
    directory: Directory, mailboxes: Mapping[str, ProviderSide], *,
    faults: FaultPlan | None = None, clock: Callable[[], datetime] = datetime.now,
    ids: IdSource | None = None, gp_replies: bool = True,
) -> Network:
    ids = ids or IdSource()
    network = Network(faults=faults, clock=clock, ids=ids)
    for ean, provider in mailboxes.items():
        network.attach(ean, provider)
    departments = set()
    if directory.dnhf is not None:
        departments = {directory.by_sor(s).ean for s in directory.dnhf.bup_by_region.values()}
        if directory.dnhf.ean not in mailboxes:
            network.add(Dnhf(directory.dnhf.ean, directory, departments.__contains__, ids=ids))
    for receiver in directory.receivers:
        if network.reaches(receiver.ean):
            continue
        if receiver.ean in departments:
            network.add(Department(receiver.ean, ids=ids))
        else:
            network.add(GpSystem(receiver.ean, ids=ids,
                                 reply_text=GP_REPLY if gp_replies else None))
    return network

"""The unit's EHMI side, as ``node.wire`` takes it: the access point's transport, the EDS
reporter, the EDS delivery round and the EER look-up.

:func:`from_settings` builds it from the operator's ``MEDCOM_EHMI_*`` settings (``serve``,
``run``, ``poll``, ``send``); the sandbox builds the same from its own counterparts, so
both are wired alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from medcom_adapter.ehmi import eer
from medcom_adapter.ehmi.eds import Reporter
from medcom_adapter.ehmi_client.connect import EhmiClients, connect
from medcom_adapter.ehmi_client.settings import AP_IN, AP_OUT, AP_URL, EhmiSettings
from medcom_adapter.errors import InvalidConfiguration, MedComError
from medcom_adapter.journal.interface import Journal
from medcom_adapter.transport.interface import Transport
from medcom_adapter.workers.eds import EdsRun, deliver

log = logging.getLogger(__name__)
# which channel a location number takes a kind and version on: "ehmi", "vans" or None
Lookup = Callable[[str, str, str], "str | None"]


@dataclass
class EhmiSide:
    access_point: Transport
    reporter: Reporter
    report: Callable[[], EdsRun] | None = None  # one EDS delivery round (None: no EDS)
    lookup: Lookup | None = None  # the EER look-up (None: the directory alone says)
    close: Callable[[], None] = field(default=lambda: None)


def from_settings(settings: EhmiSettings, journal: Journal, *, lease_seconds: float,
                  owner: str = "worker") -> EhmiSide:
    """The side the settings describe; InvalidConfiguration naming the setting when they
    name no access point or the lease is not longer than a call may take."""
    settings.check_lease(lease_seconds)
    clients = connect(settings)
    try:
        access_point = _access_point(settings, clients, journal)
    except BaseException:
        clients.close()
        raise
    eds = clients.eds
    report = None if eds is None else (
        lambda: deliver(journal.eds, eds, owner=owner, lease_seconds=lease_seconds))
    return EhmiSide(access_point, Reporter(settings.device), report,
                    None if clients.eer is None else eer_lookup(clients, settings.eer_ttl),
                    clients.close)


def _access_point(settings: EhmiSettings, clients: EhmiClients, journal: Journal) -> Transport:
    if settings.ap_url is not None:
        from medcom_adapter.transport.ehmi_ap import AccessPointTransport

        assert settings.gln is not None  # the settings require it beside the URL
        return AccessPointTransport(clients.http, settings.ap_url, settings.gln,
                                    publisher=journal.identity)
    if settings.ap_out is not None and settings.ap_in is not None:
        from medcom_adapter.transport.ehmi_folders import AccessPointFolders

        return AccessPointFolders(settings.ap_out, settings.ap_in)
    raise InvalidConfiguration(f"EHMI needs an access point: {AP_URL} (the HTTPS hand-over) "
                               f"or {AP_OUT} and {AP_IN} (a folder pair)")


def eer_lookup(clients: EhmiClients, ttl: float,
               clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Lookup:
    """EER's answer, cached for ``ttl`` seconds; None (the directory decides) when EER cannot
    be asked now or lists nothing for the message."""
    assert clients.eer is not None
    cache = eer.EerCache(clients.eer.endpoints, ttl=timedelta(seconds=ttl), clock=clock)

    def lookup(gln: str, kind: str, version: str) -> str | None:
        try:
            found = cache.lookup(gln)
        except MedComError as exc:  # unreachable, refused, or an Endpoint we cannot read
            log.warning("EER look-up failed (%s); the directory decides", exc.code)
            return None
        return eer.channel_for(found, gln, kind, version, on=clock().date())

    return lookup


def from_env(env: Mapping[str, str], journal: Journal, *, lease_seconds: float,
             owner: str = "worker") -> EhmiSide | None:
    """The side ``MEDCOM_EHMI_*`` in ``env`` describe; None when EHMI is not configured."""
    settings = EhmiSettings.from_env(env)
    if settings is None:
        return None
    return from_settings(settings, journal, lease_seconds=lease_seconds, owner=owner)


def describe(env: Mapping[str, str]) -> str | None:
    """Where the configured access point is, for the start-up log; None: EHMI is off."""
    settings = EhmiSettings.from_env(env)
    if settings is None:
        return None
    if settings.ap_url is not None:
        return f"EHMI access point {settings.ap_url} for {settings.gln}"
    if settings.ap_out is not None:
        return f"EHMI access point folders out {settings.ap_out}, in {settings.ap_in}"
    return "EHMI without an access point"

"""EHMI on the sandbox: a CA made at start, the central services and an access point with a
peer MSH on loopback TLS, and the unit's side configured for them as an operator would
(client certificate, token endpoint, device, EDS, the access point).

:meth:`EhmiSandbox.side` is what ``node.wire`` builds the unit's EHMI channel from;
:meth:`EhmiSandbox.deliver` delivers the EDS reports the journal queued.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from medcom_adapter.ehmi.eds import Reporter
from medcom_adapter.ehmi_client.connect import EhmiClients, connect
from medcom_adapter.ehmi_client.settings import EhmiSettings
from medcom_adapter.ehmi_client.side import EhmiSide
from medcom_adapter.journal.interface import Journal
from medcom_adapter.sandbox.ehmi_ap import AccessPoint
from medcom_adapter.sandbox.ehmi_services import EhmiServices, Enrolment
from medcom_adapter.sandbox.tls import SandboxCa
from medcom_adapter.transport.ehmi_ap import AccessPointTransport
from medcom_adapter.workers.eds import EdsRun, deliver

CLIENT_ID = "medcom-adapter-sandbox"
DEVICE = "3f8b6c1e-6a2d-4c59-9a0e-5b7d2e4f8a10"  # the unit's EUA/MSH as EER would list it


@dataclass
class EhmiSandbox:
    services: EhmiServices
    ap: AccessPoint
    settings: EhmiSettings
    clients: EhmiClients
    folder: Path
    gln: str

    @classmethod
    def start(cls, *, gln: str, sor: str, folder: Path | None = None) -> EhmiSandbox:
        folder = folder or Path(tempfile.mkdtemp(prefix="medcom-ehmi-"))
        ca = SandboxCa.create(folder)
        services = EhmiServices(ca)
        ap = services.ap = AccessPoint(frozenset({gln}))
        services.start()
        pair = ca.client(CLIENT_ID)
        services.enrol(Enrolment(CLIENT_ID, pair.fingerprint(), DEVICE,
                                 frozenset({f"SOR:{sor} GLN:{gln}"})))
        settings = EhmiSettings(pair.cert, pair.key, ca.ca, services.url + "/auth/token",
                                CLIENT_ID, DEVICE, services.url + "/eds", services.url + "/eer")
        return cls(services, ap, settings, connect(settings), folder, gln)

    def side(self, journal: Journal) -> EhmiSide:
        """The unit's access point and EDS reporter, for ``node.wire(..., ehmi=...)`` (the
        harness delivers the EDS reports itself, :meth:`deliver`)."""
        return EhmiSide(AccessPointTransport(self.clients.http, self.services.url + "/ap",
                                             self.gln, publisher=journal.identity),
                        Reporter(DEVICE))

    def env(self) -> dict[str, str]:
        """The operator's settings for these counterparts (``MEDCOM_EHMI_*``), HTTPS
        hand-over to the access point."""
        s = self.settings
        return {"MEDCOM_EHMI_CLIENT_CERT": str(s.cert), "MEDCOM_EHMI_CLIENT_KEY": str(s.key),
                "MEDCOM_EHMI_CA": str(s.ca), "MEDCOM_EHMI_TOKEN_URL": s.token_url,
                "MEDCOM_EHMI_CLIENT_ID": s.client_id, "MEDCOM_EHMI_DEVICE_ID": s.device,
                "MEDCOM_EDS_URL": s.eds_url or "", "MEDCOM_EER_URL": s.eer_url or "",
                "MEDCOM_EHMI_AP_URL": self.services.url + "/ap", "MEDCOM_EHMI_GLN": self.gln}

    def deliver(self, journal: Journal) -> EdsRun:
        assert self.clients.eds is not None
        return deliver(journal.eds, self.clients.eds, owner="sandbox", lease_seconds=60)

    def stop(self) -> None:
        self.clients.close()
        self.services.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

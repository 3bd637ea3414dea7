"""The sandbox's EHMI services on loopback with a fresh test CA, and the adapter's clients
configured for them as an operator would (certificate, key, CA, client id, device)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from medcom_adapter.ehmi_client.eds import EdsClient
from medcom_adapter.ehmi_client.oauth import TokenSource
from medcom_adapter.ehmi_client.settings import EhmiSettings
from medcom_adapter.envelopes import sbdh
from medcom_adapter.sandbox.ehmi_services import EhmiServices, Enrolment
from medcom_adapter.sandbox.tls import SandboxCa
from tests.envelopes.messages import T0, cc_bytes, next_id

CLIENT_ID = "medcom-adapter-test"
DEVICE = "c4b8d3ea-b187-426b-be77-bffd9f593d84"


def document(patient: str | None = "0201909309") -> sbdh.Sbdh:
    return sbdh.for_fhir(cc_bytes(), created=T0, instance_id=next_id(), patient=patient)


def context(document: sbdh.Sbdh) -> str:
    return f"SOR:{document.sender_sor} GLN:{document.sender_gln}"


@dataclass
class Ehmi:
    services: EhmiServices
    ca: SandboxCa
    settings: EhmiSettings
    http: httpx.Client
    tokens: TokenSource
    eds: EdsClient

    def env(self) -> dict[str, str]:
        s = self.settings
        return {"MEDCOM_EHMI_CLIENT_CERT": str(s.cert), "MEDCOM_EHMI_CLIENT_KEY": str(s.key),
                "MEDCOM_EHMI_CA": str(s.ca), "MEDCOM_EHMI_TOKEN_URL": s.token_url,
                "MEDCOM_EHMI_CLIENT_ID": s.client_id, "MEDCOM_EHMI_DEVICE_ID": s.device,
                "MEDCOM_EDS_URL": s.eds_url or "", "MEDCOM_EER_URL": s.eer_url or ""}


@contextmanager
def ehmi_network(folder: Path, contexts: frozenset[str]) -> Iterator[Ehmi]:
    ca = SandboxCa.create(folder / "ca")
    services = EhmiServices(ca).start()
    try:
        pair = ca.client(CLIENT_ID)
        services.enrol(Enrolment(CLIENT_ID, pair.fingerprint(), DEVICE, contexts))
        settings = EhmiSettings(pair.cert, pair.key, ca.ca, services.url + "/auth/token",
                                CLIENT_ID, DEVICE, services.url + "/eds",
                                services.url + "/eer", timeout=10)
        with httpx.Client(verify=settings.tls(), timeout=settings.timeout) as http:
            tokens = TokenSource(http, settings.token_url, CLIENT_ID)
            yield Ehmi(services, ca, settings, http, tokens,
                       EdsClient(http, settings.eds_url or "", tokens))
    finally:
        services.stop()

"""The clients of EHMI's services, made once from the operator's settings."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from medcom_adapter.ehmi_client.eds import EdsClient
from medcom_adapter.ehmi_client.eer import EerClient
from medcom_adapter.ehmi_client.oauth import TokenSource
from medcom_adapter.ehmi_client.settings import EhmiSettings


@dataclass
class EhmiClients:
    http: httpx.Client
    tokens: TokenSource
    eds: EdsClient | None
    eer: EerClient | None

    def close(self) -> None:
        self.http.close()


def connect(settings: EhmiSettings) -> EhmiClients:
    """One mutual-TLS HTTP client (connections reused) and the service clients over it."""
    http = httpx.Client(verify=settings.tls(), timeout=settings.timeout)
    tokens = TokenSource(http, settings.token_url, settings.client_id)
    return EhmiClients(http, tokens,
                       EdsClient(http, settings.eds_url, tokens) if settings.eds_url else None,
                       EerClient(http, settings.eer_url, tokens) if settings.eer_url else None)

"""How the adapter reaches EHMI's central services: read from the environment.

``MEDCOM_EHMI_CLIENT_CERT`` / ``MEDCOM_EHMI_CLIENT_KEY``  the system certificate and key
    (PEM) the adapter presents in mutual TLS; the token is bound to it
``MEDCOM_EHMI_CA``              the CA bundle to trust for EHMI's servers (default: the
                                system's)
``MEDCOM_EHMI_TOKEN_URL``       the authorisation server's token endpoint
``MEDCOM_EHMI_CLIENT_ID``       the client id the adapter is enrolled under
``MEDCOM_EHMI_DEVICE_ID``       the Device id EER registers the adapter under (EDS reports
                                name it as their observer)
``MEDCOM_EDS_URL``              EDS's FHIR base (``.../AuditEvent`` is appended)
``MEDCOM_EER_URL``              EER's FHIR base
``MEDCOM_EHMI_TIMEOUT``         seconds a call may take (default 10)
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from medcom_adapter.errors import InvalidConfiguration

_NAMES = {"cert": "MEDCOM_EHMI_CLIENT_CERT", "key": "MEDCOM_EHMI_CLIENT_KEY",
          "ca": "MEDCOM_EHMI_CA", "token_url": "MEDCOM_EHMI_TOKEN_URL",
          "client_id": "MEDCOM_EHMI_CLIENT_ID", "device": "MEDCOM_EHMI_DEVICE_ID",
          "eds_url": "MEDCOM_EDS_URL", "eer_url": "MEDCOM_EER_URL",
          "timeout": "MEDCOM_EHMI_TIMEOUT"}


@dataclass(frozen=True, slots=True)
class EhmiSettings:
    cert: Path
    key: Path
    ca: Path | None
    token_url: str
    client_id: str
    device: str
    eds_url: str | None = None
    eer_url: str | None = None
    timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EhmiSettings | None:
        """The settings, None when no client certificate is configured (EHMI is off)."""
        if not env.get(_NAMES["cert"]):
            return None
        missing = [_NAMES[n] for n in ("key", "token_url", "client_id", "device")
                   if not env.get(_NAMES[n])]
        if missing:
            raise InvalidConfiguration("EHMI needs " + ", ".join(missing) + " beside "
                                       + _NAMES["cert"])
        raw = env.get(_NAMES["timeout"]) or "10"
        try:
            timeout = float(raw)
        except ValueError:
            timeout = math.nan
        if not math.isfinite(timeout) or timeout <= 0:
            raise InvalidConfiguration(f"{_NAMES['timeout']} is a positive number of "
                                       f"seconds, not {raw!r}")
        ca = env.get(_NAMES["ca"])
        return cls(Path(env[_NAMES["cert"]]), Path(env[_NAMES["key"]]), Path(ca) if ca else None,
                   env[_NAMES["token_url"]], env[_NAMES["client_id"]], env[_NAMES["device"]],
                   env.get(_NAMES["eds_url"]) or None, env.get(_NAMES["eer_url"]) or None,
                   timeout)

    def tls(self) -> ssl.SSLContext:
        """The mutual-TLS context: EHMI's servers checked against ``ca``, our pair shown."""
        try:
            context = ssl.create_default_context(
                cafile=str(self.ca) if self.ca is not None else None)
            context.load_cert_chain(str(self.cert), str(self.key))
        except (OSError, ssl.SSLError) as exc:
            raise InvalidConfiguration(f"the EHMI client certificate {self.cert} or its key "
                                       f"cannot be used: {exc}") from None
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context

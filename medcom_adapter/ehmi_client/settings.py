"""How the adapter reaches EHMI: read from the environment, checked before anything runs.

``MEDCOM_EHMI_CLIENT_CERT`` / ``MEDCOM_EHMI_CLIENT_KEY``  the system certificate and key
    (PEM) the adapter presents in mutual TLS; the token is bound to it. Unset: EHMI is off
``MEDCOM_EHMI_CA``              the CA bundle to trust for EHMI's servers (default: the
                                system's)
``MEDCOM_EHMI_TOKEN_URL``       the authorisation server's token endpoint
``MEDCOM_EHMI_CLIENT_ID``       the client id the adapter is enrolled under
``MEDCOM_EHMI_DEVICE_ID``       the Device id EER registers the adapter under (EDS reports
                                name it as their observer)
``MEDCOM_EDS_URL``              EDS's FHIR base (``.../AuditEvent`` is appended)
``MEDCOM_EER_URL``              EER's FHIR base
``MEDCOM_EHMI_TIMEOUT``         seconds a call may take (default 10)
``MEDCOM_EHMI_AP_URL``          the access point's HTTPS hand-over (``transport.ehmi_ap``)
``MEDCOM_EHMI_GLN``             the location number whose SBDHs the adapter takes from it
``MEDCOM_EHMI_AP_OUT`` / ``MEDCOM_EHMI_AP_IN``  or: the folder pair the access point picks
                                SBDHs up from and drops them into (``transport.ehmi_folders``)
``MEDCOM_EHMI_EER_TTL``         seconds an EER answer is kept (default 3600)

Every URL is https; every file and folder must exist. A wrong value is an
InvalidConfiguration naming the variable, raised when the settings are read.
"""

from __future__ import annotations

import math
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from medcom_adapter.errors import InvalidConfiguration

CERT, KEY, CA = "MEDCOM_EHMI_CLIENT_CERT", "MEDCOM_EHMI_CLIENT_KEY", "MEDCOM_EHMI_CA"
TOKEN_URL, CLIENT_ID = "MEDCOM_EHMI_TOKEN_URL", "MEDCOM_EHMI_CLIENT_ID"
DEVICE, TIMEOUT = "MEDCOM_EHMI_DEVICE_ID", "MEDCOM_EHMI_TIMEOUT"
EDS_URL, EER_URL = "MEDCOM_EDS_URL", "MEDCOM_EER_URL"
AP_URL, GLN = "MEDCOM_EHMI_AP_URL", "MEDCOM_EHMI_GLN"
AP_OUT, AP_IN = "MEDCOM_EHMI_AP_OUT", "MEDCOM_EHMI_AP_IN"
EER_TTL = "MEDCOM_EHMI_EER_TTL"
_GLN = re.compile(r"\d{13}")


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
    ap_url: str | None = None  # the HTTPS hand-over, or
    ap_out: Path | None = None  # the folder pair
    ap_in: Path | None = None
    gln: str | None = None  # whose SBDHs are taken from the HTTPS access point
    eer_ttl: float = 3600.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EhmiSettings | None:
        """The settings, None when no client certificate is configured (EHMI is off)."""
        if not env.get(CERT):
            return None
        missing = [n for n in (KEY, TOKEN_URL, CLIENT_ID, DEVICE) if not env.get(n)]
        if missing:
            raise InvalidConfiguration("EHMI needs " + ", ".join(missing) + " beside " + CERT)
        ap_url, ap_out, ap_in = (env.get(n) or None for n in (AP_URL, AP_OUT, AP_IN))
        if ap_url and (ap_out or ap_in):
            raise InvalidConfiguration(f"{AP_URL} and {AP_OUT}/{AP_IN} are two forms of one "
                                       f"hand-over: set one")
        if (ap_out is None) != (ap_in is None):
            raise InvalidConfiguration(f"{AP_OUT} and {AP_IN} go together (the folder the "
                                       f"access point picks SBDHs up from, and the one it "
                                       f"drops them into)")
        gln = env.get(GLN) or None
        if gln is not None and not _GLN.fullmatch(gln):
            raise InvalidConfiguration(f"{GLN} is a 13-digit location number, not {gln!r}")
        if ap_url and gln is None:
            raise InvalidConfiguration(f"{AP_URL} needs {GLN}: the location number whose "
                                       f"SBDHs the adapter takes from the access point")
        ca = env.get(CA) or None
        token_url = _https(env, TOKEN_URL)
        assert token_url is not None  # required above
        return cls(
            _file(env, CERT), _file(env, KEY), None if ca is None else _file(env, CA),
            token_url, env[CLIENT_ID], env[DEVICE],
            _https(env, EDS_URL), _https(env, EER_URL), _seconds(env, TIMEOUT, 10.0),
            _https(env, AP_URL), _folder(env, AP_OUT), _folder(env, AP_IN), gln,
            _seconds(env, EER_TTL, 3600.0))

    def tls(self) -> ssl.SSLContext:
        """The mutual-TLS context: EHMI's servers checked against ``ca``, our pair shown."""
        try:
            context = ssl.create_default_context(
                cafile=str(self.ca) if self.ca is not None else None)
        except (OSError, ssl.SSLError) as exc:
            raise InvalidConfiguration(f"{CA}: {self.ca} is not a CA bundle: {exc}") from None
        try:
            context.load_cert_chain(str(self.cert), str(self.key))
        except (OSError, ssl.SSLError) as exc:
            raise InvalidConfiguration(f"{CERT}/{KEY}: the EHMI client certificate "
                                       f"{self.cert} or its key cannot be used: {exc}") from None
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context

    def check_lease(self, lease_seconds: float) -> None:
        """Refuse a worker lease that a call may outlast: a claim taken over while its call
        is still under way would be worked twice."""
        if lease_seconds <= self.timeout:
            raise InvalidConfiguration(
                f"the worker lease ({lease_seconds:g} s, --lease or MEDCOM_OUTBOX_LEASE) must "
                f"be longer than {TIMEOUT} ({self.timeout:g} s)")


def _file(env: Mapping[str, str], name: str) -> Path:
    path = Path(env[name])
    if not path.is_file():
        raise InvalidConfiguration(f"{name}: no file {path}")
    return path


def _folder(env: Mapping[str, str], name: str) -> Path | None:
    if not env.get(name):
        return None
    path = Path(env[name])
    if not path.is_dir():
        raise InvalidConfiguration(f"{name}: no folder {path}")
    return path


def _https(env: Mapping[str, str], name: str) -> str | None:
    url = env.get(name) or None
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidConfiguration(f"{name} must be an https URL, not {url!r}")
    return url


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name) or str(default)
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidConfiguration(f"{name} is a positive number of seconds, not {raw!r}")
    return seconds

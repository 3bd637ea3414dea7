"""OAuth2 client-credentials tokens for EHMI, over mutual TLS (``tls_client_auth``).

EHMI's authorisation server issues a token per organisational context: the scope names the
service and operation and, for EDS registrations, the unit's SOR code and location number
(``EDS system/AuditEvent.crs SOR:... GLN:...``). The token is sender-constrained (bound to
our client certificate), so it travels only over the same TLS client. Tokens are kept until
shortly before ``expires_in`` runs out; a service that answers 401 makes the caller
:meth:`forget` the token and ask once more.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx

from medcom_adapter.ehmi_client.http import call, json_of
from medcom_adapter.errors import EhmiAuthRefused, EhmiUnavailable
from medcom_adapter.journal.clock import utc_now

SKEW = timedelta(seconds=30)  # a token this close to its end is not used any more
LONGEST = timedelta(days=1)  # the longest a token is kept, whatever expires_in says


class TokenSource:
    def __init__(self, client: httpx.Client, token_url: str, client_id: str, *,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._client, self._url, self._id, self._clock = client, token_url, client_id, clock
        self._held: dict[str, tuple[str, datetime]] = {}
        self._lock = threading.Lock()
        self.fetched = 0  # tokens asked for (the cache's effect, for tests and metrics)

    def token(self, scope: str) -> str:
        with self._lock:
            held = self._held.get(scope)
            if held is not None and self._clock() < held[1] - SKEW:
                return held[0]
        token, expires = self._fetch(scope)
        with self._lock:
            self._held[scope] = (token, expires)
        return token

    def forget(self, scope: str) -> None:
        with self._lock:
            self._held.pop(scope, None)

    def _fetch(self, scope: str) -> tuple[str, datetime]:
        now = self._clock()
        response = call(self._client, "POST", self._url, what="the EHMI token endpoint",
                        data={"grant_type": "client_credentials", "scope": scope,
                              "client_id": self._id})
        self.fetched += 1
        if response.status_code in (400, 401, 403):
            error = _json(response).get("error", f"HTTP {response.status_code}")
            raise EhmiAuthRefused(f"the EHMI token endpoint refused client {self._id} for "
                                  f"scope {scope!r}: {error}")
        if response.status_code != 200:
            raise EhmiUnavailable(f"the EHMI token endpoint answered HTTP "
                                  f"{response.status_code}")
        body = _json(response)
        token, lifetime = body.get("access_token"), body.get("expires_in", 300)
        if (not isinstance(token, str) or not token or isinstance(lifetime, bool)
                or not isinstance(lifetime, int | float) or not 0 < lifetime < math.inf):
            raise EhmiUnavailable("the EHMI token endpoint gave no usable access token "
                                  "(no token, or no positive finite expires_in)")
        # a lifetime beyond a day is kept for a day: a 401 asks for a new one in any case
        return token, now + timedelta(seconds=min(float(lifetime), LONGEST.total_seconds()))


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        body = json_of(response, "the EHMI token endpoint")
    except EhmiUnavailable:
        return {}
    return body if isinstance(body, dict) else {}

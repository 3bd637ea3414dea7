"""One HTTP call to an EHMI service, its failures turned into the typed errors."""

from __future__ import annotations

from typing import Any

import httpx

from medcom_adapter.errors import EhmiAuthRefused, EhmiRefused, EhmiUnavailable


def call(client: httpx.Client, method: str, url: str, *, what: str,
         **kwargs: Any) -> httpx.Response:
    """The response (any status); EhmiUnavailable when there is none."""
    try:
        return client.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise EhmiUnavailable(f"{what}: no answer in time") from None
    except httpx.TransportError as exc:  # refused connection, TLS handshake, reset
        raise EhmiUnavailable(f"{what}: {type(exc).__name__}: {exc}") from None
    except httpx.HTTPError as exc:  # a body we cannot decode (says gzip, is not), redirects
        raise EhmiUnavailable(f"{what}: an answer we cannot read ({type(exc).__name__})"
                              ) from None


def json_of(response: httpx.Response, what: str) -> object:
    """The JSON of ``response``; EhmiUnavailable when it is none we can read (not JSON,
    nested deeper than Python parses)."""
    try:
        return response.json()
    except (ValueError, RecursionError) as exc:
        raise EhmiUnavailable(f"{what}: the answer is not JSON ({type(exc).__name__})"
                              ) from None


def check(response: httpx.Response, what: str) -> httpx.Response:
    """``response`` when 2xx; otherwise the error its status says (never its body, which may
    repeat the patient data we sent)."""
    status = response.status_code
    if status < 300:
        return response
    if status in (401, 403):
        raise EhmiAuthRefused(f"{what}: HTTP {status}, our certificate or token is refused")
    if status in (408, 429) or status >= 500:
        raise EhmiUnavailable(f"{what}: HTTP {status}, try again later")
    raise EhmiRefused(f"{what}: HTTP {status} {response.reason_phrase}")

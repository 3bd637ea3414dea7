"""The EDS client: registers AuditEvents (``POST [base]/AuditEvent``) and finds one it may
have registered before (``GET [base]/AuditEvent?entityIdentifier=...&subtype=...``).

Registrations carry a token for the unit's organisational context, which EDS checks
against the AuditEvent's SOR code, location number and device. A 401 (the token expired
or was revoked) gets one new token and one more try.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from medcom_adapter.ehmi_client.http import call, check, json_of
from medcom_adapter.ehmi_client.oauth import TokenSource
from medcom_adapter.errors import EhmiAuthRefused, EhmiUnavailable

FHIR_JSON = "application/fhir+json"
Json = dict[str, Any]


def scope_for(context: str) -> str:
    """The token scope of an EDS registration for ``context`` (``SOR:... GLN:...``)."""
    return f"EDS system/AuditEvent.crs {context}"


class EdsClient:
    def __init__(self, client: httpx.Client, base_url: str, tokens: TokenSource) -> None:
        self._client, self._base, self._tokens = client, base_url.rstrip("/"), tokens

    def register(self, event: bytes, context: str) -> str | None:
        """Register one AuditEvent; the id EDS keeps it under (from Location), if given."""
        response = check(self._authorised("POST", "/AuditEvent", context, content=event,
                                          headers={"Content-Type": FHIR_JSON}),
                         "EDS registration")
        return _id_of(response.headers.get("Location"), response)

    def find(self, event: bytes, context: str) -> str | None:
        """The id of an AuditEvent EDS already holds for the same transport envelope, event
        and reporting device as ``event``; None when there is none."""
        mine = json.loads(event)
        envelope = next(e["what"]["identifier"]["value"] for e in mine["entity"]
                        if e["type"]["code"] == "ehmiTransportEnvelope")
        subtype = mine["subtype"][0]["code"]
        observer = mine["source"]["observer"]["reference"]
        bundle = self.search([("entityIdentifier", envelope), ("subtype", subtype)], context)
        entries = bundle.get("entry", [])
        if not isinstance(entries, list):
            raise EhmiUnavailable("EDS search: the Bundle's entry is not a list")
        for entry in entries:
            found = _field(entry, "resource")
            if _field(_field(_field(found, "source"), "observer"), "reference") == observer:
                id = _field(found, "id")
                return str(id) if id else ""
        return None

    def search(self, params: list[tuple[str, str]], context: str) -> Json:
        """EDS's search Bundle of AuditEvents (EDS's search parameters: entityIdentifier,
        subtype, date, outcome, cpr, ehmiMessageType, senderOrg, receiverOrg, ...)."""
        response = check(self._authorised("GET", "/AuditEvent", context, params=params),
                         "EDS search")
        bundle = json_of(response, "EDS search")
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise EhmiUnavailable("EDS search: the answer is not a FHIR Bundle")
        return bundle

    def _authorised(self, method: str, path: str, context: str,
                    **kwargs: Any) -> httpx.Response:
        scope = scope_for(context)
        for second in (False, True):
            headers = {"Accept": FHIR_JSON, **kwargs.pop("headers", {}),
                       "Authorization": f"Bearer {self._tokens.token(scope)}"}
            kwargs["headers"] = headers
            response = call(self._client, method, self._base + path, what="EDS", **kwargs)
            if response.status_code != 401:
                return response
            self._tokens.forget(scope)  # expired or revoked: one new token, one more try
            if second:
                break
        raise EhmiAuthRefused("EDS refused a fresh access token (HTTP 401): check the "
                              "client's enrolment for " + scope)


def _id_of(location: str | None, response: httpx.Response) -> str | None:
    if location:  # [base]/AuditEvent/<id>/_history/<n>
        parts = location.rstrip("/").split("/")
        return parts[parts.index("AuditEvent") + 1] if "AuditEvent" in parts[:-1] else parts[-1]
    try:
        found = _field(response.json(), "id")
    except (ValueError, RecursionError):
        return None
    return str(found) if found else None


def _field(value: object, name: str) -> object:
    """``value[name]`` of a JSON object; None for anything else (EDS's answer is checked
    before it is trusted)."""
    return value.get(name) if isinstance(value, dict) else None

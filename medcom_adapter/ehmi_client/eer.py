"""The EER client: a location number's Endpoints (``GET [base]/Endpoint?identifier=
https://www.gs1.org/gln|<GLN>``, IHE mCSD ITI-90 as EER profiles it), for
:class:`~medcom_adapter.ehmi.eer.EerCache` to turn into capabilities.

In the pilot EHMI's addressing service (EAS) is EER's only system client; pointed at EER
(or at EAS, which answers the same searches) the adapter looks receivers up itself, with
the read scope EER enrols system clients with.
"""

from __future__ import annotations

from typing import Any

import httpx

from medcom_adapter.ehmi.eer import GLN_SYSTEM
from medcom_adapter.ehmi_client.http import call, check, json_of
from medcom_adapter.ehmi_client.oauth import TokenSource
from medcom_adapter.errors import EhmiAuthRefused, EhmiUnavailable

SCOPE = "EER system/Endpoint.rs system/Organization.rs"
Json = dict[str, Any]


class EerClient:
    def __init__(self, client: httpx.Client, base_url: str, tokens: TokenSource) -> None:
        self._client, self._base, self._tokens = client, base_url.rstrip("/"), tokens

    def endpoints(self, gln: str) -> Json:
        """EER's search Bundle of the Endpoints of location number ``gln``."""
        for second in (False, True):
            response = call(self._client, "GET", self._base + "/Endpoint", what="EER",
                            params={"identifier": f"{GLN_SYSTEM}|{gln}"},
                            headers={"Accept": "application/fhir+json",
                                     "Authorization": f"Bearer {self._tokens.token(SCOPE)}"})
            if response.status_code != 401:
                break
            self._tokens.forget(SCOPE)
            if second:
                raise EhmiAuthRefused("EER refused a fresh access token (HTTP 401)")
        check(response, f"EER search for {gln}")
        bundle = json_of(response, "EER")
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise EhmiUnavailable("EER answered with something that is not a FHIR Bundle")
        return bundle

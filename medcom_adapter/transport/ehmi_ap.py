"""The hand-over between the adapter's MSH and its EHMI access point, over HTTPS.

The access point does AS4; the adapter hands it whole ehmiSBDHs and takes the ones that
arrived for its location numbers:

- ``POST [ap]/outbound`` with the SBDH and an ``Idempotency-Key`` (the journal's identity and
  the outbound entry's key): handing the same parcel over again after a crash publishes it
  once;
- ``GET [ap]/inbound?receiver=<GLN>``: the ids of SBDHs waiting, oldest first;
  ``GET [ap]/inbound/<id>``: one; ``DELETE [ap]/inbound/<id>``: settled (after the journal
  committed it), so a crash before that means it is simply received again.

Mutual TLS with the operator's client certificate, as to every EHMI service.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx

from medcom_adapter.ehmi_client.http import call, check, json_of
from medcom_adapter.errors import EhmiUnavailable
from medcom_adapter.transport.interface import Parcel, Received

_log = logging.getLogger(__name__)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,199}")  # not "..": starts with no dot


class AccessPointTransport:
    def __init__(self, client: httpx.Client, base_url: str, gln: str, *,
                 publisher: str = "") -> None:
        self._client, self._base, self._gln = client, base_url.rstrip("/"), gln
        self._publisher = publisher  # the journal's identity: keys are unique across journals

    def send(self, parcel: Parcel) -> None:
        """Hand ``parcel`` over; EhmiRefused when the access point refuses it for good (the
        outbox fails it), EhmiUnavailable when it may take it later."""
        response = call(self._client, "POST", self._base + "/outbound",
                        what="the access point", content=parcel.data,
                        headers={"Content-Type": "application/xml",
                                 "Idempotency-Key": f"{self._publisher}:{parcel.key}"})
        if response.status_code in (404, 405):  # the URL's fault, not the parcel's: it waits
            raise EhmiUnavailable(f"hand-over to the access point: HTTP "
                                  f"{response.status_code}, no hand-over at "
                                  f"{self._base}/outbound (MEDCOM_EHMI_AP_URL)")
        check(response, "hand-over to the access point")

    def receive(self) -> Iterator[Received]:
        listing = check(call(self._client, "GET", self._base + "/inbound", what="the access "
                             "point", params={"receiver": self._gln}), "the access point")
        for id in _ids(json_of(listing, "the access point's inbox listing")):
            response = call(self._client, "GET", self._url(id), what="the access point")
            if response.status_code == 404:
                continue  # settled by another reader meanwhile
            yield Received(check(response, "the access point").content, id, id)

    def settle(self, received: Received) -> None:
        response = call(self._client, "DELETE", self._url(str(received.handle)),
                        what="the access point")
        if response.status_code != 404:
            check(response, "the access point")

    def pending(self, received: Received) -> bool:
        response = call(self._client, "GET", self._url(str(received.handle)),
                        what="the access point")
        return response.status_code == 200

    def _url(self, id: str) -> str:
        return f"{self._base}/inbound/{quote(id, safe='')}"  # checked, and escaped anyway


def _ids(listing: object) -> list[str]:
    """The ids of an inbox listing: a JSON list (EhmiUnavailable otherwise) of strings or
    integers, each a plain token, never a path or a query. An entry that is none is passed
    over with a warning, so it never keeps the others from being taken."""
    if not isinstance(listing, list):
        raise EhmiUnavailable("the access point's inbox listing is not a JSON list")
    ids = []
    for n, id in enumerate(listing):
        if isinstance(id, bool) or not isinstance(id, str | int) or not _ID.fullmatch(str(id)):
            _log.warning("the access point's inbox listing: entry %d is not an id (letters, "
                         "digits and . _ : - only); passed over", n)
            continue
        ids.append(str(id))
    return ids

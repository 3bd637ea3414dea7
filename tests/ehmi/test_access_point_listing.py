"""What the access point lists as waiting is taken only as plain ids: a listing that is no
list is a typed error, and an id that is a path or a query is never put into a URL."""

from __future__ import annotations

import httpx
import pytest

from medcom_adapter.errors import EhmiUnavailable
from medcom_adapter.transport.ehmi_ap import AccessPointTransport


def _access_point(listing: object) -> tuple[AccessPointTransport, list[str]]:
    asked: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        asked.append(f"{request.method} {request.url.raw_path.decode()}")
        if request.url.path == "/inbound":
            return httpx.Response(200, json=listing)
        return httpx.Response(200, content=b"<sbdh/>")

    client = httpx.Client(transport=httpx.MockTransport(serve))
    return AccessPointTransport(client, "https://ap", "5790000000012"), asked


@pytest.mark.parametrize("listing", ["../outbound", {"ids": ["a"]}, 5, True])
def test_a_listing_that_is_no_list_is_a_typed_error(listing: object) -> None:
    transport, asked = _access_point(listing)
    with pytest.raises(EhmiUnavailable, match="not a JSON list"):
        list(transport.receive())
    assert asked == ["GET /inbound?receiver=5790000000012"]


def test_ids_that_are_paths_or_queries_are_passed_over_and_the_rest_taken() -> None:
    transport, asked = _access_point(["../outbound", "x?receiver=1", "a/b", "..", "", None,
                                      True, 1.5, ["a"], "env-1", 42])
    received = list(transport.receive())
    assert [r.handle for r in received] == ["env-1", "42"]
    for r in received:
        transport.settle(r)
    assert asked == ["GET /inbound?receiver=5790000000012", "GET /inbound/env-1",
                     "GET /inbound/42", "DELETE /inbound/env-1", "DELETE /inbound/42"]

"""``Idempotency-Key`` on the API's sends: a repeat answers as the first did and sends
nothing; another request under the key is refused; racing sends queue once."""

from __future__ import annotations

import httpx2
import pytest

from medcom_adapter.journal.interface import Query
from medcom_adapter.service import idempotency
from medcom_adapter.service.problems import MEDIA_TYPE
from tests.service.conftest import CPR, Harness, issue_key
from tests.service.test_api import km_body, referral_body

KEY = "2f1c6a0e-5b7d-4c1e-9a3f-8e2d4b6c0a11"


def _queued(harness: Harness) -> list[int]:
    return [m.id for m in harness.journal.find(Query(limit=100))]


def _post(harness: Harness, body: dict[str, object], key: str | None = KEY,
          path: str = "/api/referrals", secret: str | None = None) -> httpx2.Response:
    headers = {**harness.auth(secret), **({idempotency.HEADER: key} if key else {})}
    return harness.client.post(path, json=body, headers=headers)


def test_a_repeat_answers_as_the_first_did_and_queues_nothing(harness: Harness) -> None:
    first = _post(harness, referral_body())
    assert first.status_code == 201, first.text
    assert idempotency.REPLAYED not in first.headers
    queued = _queued(harness)
    assert len(queued) == 2  # the referral and its form
    again = _post(harness, dict(reversed(list(referral_body().items()))))  # fields reordered
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers[idempotency.REPLAYED] == "true"
    assert _queued(harness) == queued


def test_the_same_key_with_another_request_is_refused(harness: Harness) -> None:
    assert _post(harness, referral_body()).status_code == 201
    queued = _queued(harness)
    for body, path in ((referral_body(reason="Noget andet"), "/api/referrals"),
                       (km_body(), "/api/km")):
        refused = _post(harness, body, path=path)
        assert refused.status_code == 422
        assert refused.headers["content-type"] == MEDIA_TYPE
        problem = refused.json()
        assert problem["code"] == "api.idempotency-mismatch"
        assert CPR not in refused.text
    assert _queued(harness) == queued


def test_keys_belong_to_their_api_key(harness: Harness) -> None:
    _, other = issue_key(harness.journal, "nexus-test")
    one = _post(harness, referral_body())
    two = _post(harness, referral_body(), secret=other)
    assert one.status_code == two.status_code == 201
    assert idempotency.REPLAYED not in two.headers
    assert one.json()["id"] != two.json()["id"]
    assert len(_queued(harness)) == 4


def test_without_a_key_every_post_queues(harness: Harness) -> None:
    for _ in range(2):
        assert _post(harness, referral_body(), key=None).status_code == 201
    assert len(_queued(harness)) == 4


def test_a_refused_send_is_not_remembered(harness: Harness) -> None:
    refused = _post(harness, referral_body(receiver_sor="123456789012345678"))
    assert refused.status_code == 422
    assert _queued(harness) == []
    assert _post(harness, referral_body()).status_code == 201
    assert len(_queued(harness)) == 2


@pytest.mark.parametrize("key", [b"", b"mellem rum", b"x" * 256, "æøå".encode()])
def test_a_malformed_key_is_refused_naming_the_header(harness: Harness, key: bytes) -> None:
    headers = {k.encode(): v.encode() for k, v in harness.auth().items()}
    refused = harness.client.post("/api/referrals", json=referral_body(), headers={
        **headers, idempotency.HEADER.encode(): key})
    assert refused.status_code == 422
    assert [(e["in"], e["path"]) for e in refused.json()["errors"]] == [
        ("header", idempotency.HEADER)]
    assert _queued(harness) == []


def test_a_km_repeat_answers_as_the_first_did(harness: Harness) -> None:
    body = km_body(category="carecoordination")
    first = _post(harness, body, path="/api/km")
    assert first.status_code == 201, first.text
    again = _post(harness, body, path="/api/km")
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers[idempotency.REPLAYED] == "true"
    assert _queued(harness) == first.json()["ids"]

"""An EER answer that is JSON but not shaped as FHIR shapes a search Bundle of Endpoints is
a typed error (the look-up falls back on the directory), never a bare Python exception out
of the channel choice that would stop the outbox's run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from medcom_adapter.ehmi import eer
from medcom_adapter.errors import MalformedMessage
from tests.ehmi.test_eer import CC, GP, endpoint

GOOD = endpoint("EerMessagingEdelivery", CC)


@pytest.mark.parametrize("answer", [
    {"resourceType": "Bundle", "entry": None},
    {"resourceType": "Bundle", "entry": 5},
    {"resourceType": "Bundle", "entry": [5]},
    {"resourceType": "Bundle", "entry": [{"resource": "Endpoint"}]},
    {**GOOD, "identifier": 5},
    {**GOOD, "identifier": [5]},
    {**GOOD, "payloadType": 5},
    {**GOOD, "payloadType": [{"coding": 5}]},
    {**GOOD, "period": "2025"},
    {**GOOD, "period": {"start": "not a date"}},
])
def test_an_answer_of_the_wrong_shape_is_malformed(answer: dict[str, Any]) -> None:
    with pytest.raises(MalformedMessage, match="EER"):
        eer.capabilities(answer)


def test_the_cache_passes_the_typed_error_on_and_asks_again_next_time() -> None:
    answers: list[dict[str, Any]] = [{"resourceType": "Bundle", "entry": None},
                                     {"resourceType": "Bundle", "entry": [{"resource": GOOD}]}]
    cache = eer.EerCache(lambda gln: answers.pop(0), ttl=timedelta(hours=1),
                         clock=lambda: datetime(2026, 3, 2, tzinfo=UTC))
    with pytest.raises(MalformedMessage):
        cache.lookup(GP)
    [found] = cache.lookup(GP)
    assert found.channel == "ehmi" and found.gln == GP

"""Schema fuzzing of the OpenAPI document: no generated request may cause a server error,
and every error is a problem (application/problem+json with a code).

Requests run with a valid key (so they reach the handlers) and, for a share of examples,
none. Examples are bounded to keep the suite fast.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from medcom_adapter.journal.memory import MemoryJournal
from medcom_adapter.service import Settings, create_app
from tests.service.conftest import issue_key
from tests.service.inbound import inbound_care_communication

_settings = Settings(max_upload_bytes=64 * 1024)
_journal = MemoryJournal()
_key = issue_key(_journal, "fuzz")[1]
inbound_care_communication(_journal)  # something to read, export and poll
app = create_app(_journal, _settings)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_no_server_errors(case: Any) -> None:
    response = case.call(headers={"Authorization": f"Bearer {_key}"})
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
    _is_problem_if_error(response)
    unauthenticated = case.call(headers={"Authorization": "Bearer mca_x_y"})
    assert 400 <= unauthenticated.status_code < 500, unauthenticated.status_code
    _is_problem_if_error(unauthenticated)


def _is_problem_if_error(response: Any) -> None:
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type")
    content_type = content_type[0] if isinstance(content_type, list) else content_type
    assert content_type == "application/problem+json", (response.status_code, content_type)
    body = response.json()
    assert body["status"] == response.status_code, body
    assert body["code"].startswith(("api.", "local.", "remote.")), body

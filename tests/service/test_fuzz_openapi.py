"""Schema fuzzing of the OpenAPI document: no generated request may cause a server error.

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
    unauthenticated = case.call(headers={"Authorization": "Bearer mca_x_y"})
    assert 400 <= unauthenticated.status_code < 500, unauthenticated.status_code

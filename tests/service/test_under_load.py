"""What keeps the service's slow requests few under concurrent clients: a request waiting
for the journal never holds up the event loop, and the heap start-up built is set aside
from the garbage collector before the service takes requests."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from medcom_adapter.cli import main
from medcom_adapter.journal.factory import DATA_DIR_ENV
from medcom_adapter.journal.interface import Query
from medcom_adapter.journal.sqlstore import SqlJournal
from medcom_adapter.oioxml import schemas
from medcom_adapter.service import Settings, create_app
from medcom_adapter.service.heap import settle
from medcom_adapter.service.server import protocol
from tests.service.conftest import BUP, CONTEXT, PDF, b64, issue_key
from tests.service.live import serving

REFERRAL = {**CONTEXT, "receiver_sor": BUP, "reason": "Angst og skolevægring",
            "form": {"title": "Henvisningsskema", "data_base64": b64(PDF)}}


def _entered(journal: SqlJournal, name: str) -> threading.Event:
    """Set when a request calls the shared store's ``name`` (before it reads the journal)."""
    entered = threading.Event()
    real: Callable[..., Any] = getattr(journal.shared, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        return real(*args, **kwargs)

    setattr(journal.shared, name, spy)
    return entered


def test_a_send_waiting_for_the_journal_does_not_hold_up_other_requests(
        sqlite_journal: SqlJournal) -> None:
    """While another writer's transaction holds the SQLite journal, a send waits for its turn
    (first to look its API key up) in a worker thread; the event loop answers meanwhile."""
    _, key = issue_key(sqlite_journal)
    looked_up = _entered(sqlite_journal, "key")
    with serving(create_app(sqlite_journal, Settings()), http=protocol()) as base, \
            ThreadPoolExecutor(1) as pool:
        with sqlite_journal.db.transaction(write=True):  # a commit in progress, elsewhere
            send = pool.submit(httpx.post, f"{base}/api/referrals", json=REFERRAL,
                               headers={"Authorization": f"Bearer {key}"}, timeout=60)
            assert looked_up.wait(30)
            assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
            assert not send.done()  # still waiting for the journal
        answer = send.result(timeout=60)
    assert answer.status_code == 201, answer.text
    assert [m.id for m in sqlite_journal.find(Query(id=answer.json()["id"]))] == [
        answer.json()["id"]]


def test_settle_loads_what_requests_load_lazily_and_freezes_the_heap() -> None:
    schemas.schema.cache_clear()
    try:
        settle()
        assert gc.get_freeze_count() > 0
        assert "pypdf.generic" in sys.modules
        oioxml = [f.name for f in schemas.xsd_dir().iterdir() if (f / "emessage.xsd").is_file()]
        assert oioxml and schemas.schema.cache_info().currsize == len(oioxml) + 2  # envelopes
    finally:
        gc.unfreeze()


def test_serve_settles_the_heap_once_the_app_is_built_and_before_it_serves(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uvicorn

    frozen_at_run: list[int] = []

    def run(app: Any, **_: Any) -> None:
        assert app.state.service is not None  # the application, built
        frozen_at_run.append(gc.get_freeze_count())

    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert gc.get_freeze_count() == 0
    try:
        assert main(["serve", "--journal", "memory:", "--no-workers", "--port", "0"]) == 0
    finally:
        gc.unfreeze()
    assert len(frozen_at_run) == 1 and frozen_at_run[0] > 0

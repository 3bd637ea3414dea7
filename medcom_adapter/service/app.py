"""The ASGI application: pages for PPR staff and the JSON API for case systems."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Protocol

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from medcom_adapter.journal.interface import Journal
from medcom_adapter.service import (
    api,
    henvisninger_api,
    mailbox,
    operations,
    pages,
    pages_126a,
    printing,
    status_pages,
)
from medcom_adapter.service.apikeys import ApiKeys
from medcom_adapter.service.correlation import RequestId
from medcom_adapter.service.drafts import Drafts
from medcom_adapter.service.kept import KeptFiles
from medcom_adapter.service.marks import Marks
from medcom_adapter.service.problems import KeepSubmitted
from medcom_adapter.service.quarantine import QuarantineFolder
from medcom_adapter.service.security import BodyLimit, SecurityHeaders
from medcom_adapter.service.sessions import Sessions
from medcom_adapter.service.settings import Settings
from medcom_adapter.service.state import ServiceState
from medcom_adapter.service.tokens import LaunchTokens
from medcom_adapter.workers.checked import Checked

STATIC = Path(__file__).with_name("static")


class Workers(Protocol):
    """What runs beside the service (``node.WorkerLoop``): the service only starts and stops
    it, so which network the workers use is decided where they are wired, not here."""

    def start(self) -> None: ...

    def stop(self, timeout: float = ...) -> None: ...

    @property
    def running(self) -> bool: ...


def create_app(journal: Journal, settings: Settings | None = None, *,
               workers: Workers | None = None, checked: Checked | None = None,
               quarantine: QuarantineFolder | None = None) -> FastAPI:
    """The application on ``journal``; ``workers`` (see :mod:`medcom_adapter.node`) run while it
    is up, so that what it queues is sent and the answers come in. ``checked``: their node's
    record of what was validated as it was built, told of what the service queues.
    ``quarantine``: the mailbox whose put-aside received files the pages show to the units
    they are for."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if workers is not None:
            workers.start()
        try:
            yield
        finally:
            if workers is not None:
                workers.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="medcom-adapter",
        summary="Henvisninger og korrespondancemeddelelser fra PPR via MedCom",
        version="1",
        docs_url=None, redoc_url=None,  # the interactive pages need scripts our CSP forbids
    )
    keys = ApiKeys(journal.shared, settings.clock)
    app.state.service = ServiceState(
        journal, settings, keys,
        LaunchTokens(journal.shared, settings.secret, settings.launch_ttl_seconds,
                     settings.clock),
        Sessions(journal.shared, settings.session_ttl_seconds, settings.clock,
                 longest_seconds=settings.session_longest_seconds,
                 live=lambda key_id: keys.live(key_id) is not None),
        Drafts(journal.shared),
        KeptFiles(journal.shared, settings.clock),
        Marks(journal.shared),
        checked,
        quarantine,
    )
    app.state.workers = workers
    app.state.metrics = operations.registry(journal)
    app.include_router(api.router)
    app.include_router(operations.router)
    app.include_router(henvisninger_api.router)
    app.include_router(pages_126a.router)
    app.include_router(pages.router)
    app.include_router(status_pages.router)
    app.include_router(mailbox.router)
    app.include_router(printing.router)
    pages.install_error_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    body_limit = settings.max_upload_bytes * (settings.max_attachments + 1) * 4 // 3 + 2**20
    app.add_middleware(KeepSubmitted)
    app.add_middleware(BodyLimit, max_bytes=body_limit)
    app.add_middleware(SecurityHeaders, https=settings.https)
    app.add_middleware(RequestId)
    return app

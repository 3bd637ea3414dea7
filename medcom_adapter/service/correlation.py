"""A request id for every request: in the ``X-Request-Id`` answer header, in a problem's
``instance`` and in every log line written while the request is served, including the
access line this middleware writes when the answer has gone."""

from __future__ import annotations

import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medcom_adapter.logs import correlation

REQUEST_ID = "medcom.request_id"
access = logging.getLogger("medcom_adapter.access")


class RequestId:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Always our own: a caller's id could carry anything into our logs.
        request_id = str(uuid.uuid4())
        scope[REQUEST_ID] = request_id

        started, status = time.perf_counter(), 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        with correlation(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                # the path only: no path of ours holds a person id, and queries are not
                # logged; a launch token is cut out (it opens a child's page once)
                path = "/launch/…" if scope["path"].startswith("/launch/") else scope["path"]
                access.info("%s %s %d", scope["method"], path, status, extra={
                    "fields": {"method": scope["method"], "path": path,
                               "status": status,
                               "ms": round((time.perf_counter() - started) * 1000, 1)}})

"""A request id for every request: in the ``X-Request-Id`` answer header, in a problem's
``instance`` and in every log line written while the request is served."""

from __future__ import annotations

import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medcom_adapter.logs import correlation

REQUEST_ID = "medcom.request_id"


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

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        with correlation(request_id=request_id):
            await self.app(scope, receive, send_with_id)

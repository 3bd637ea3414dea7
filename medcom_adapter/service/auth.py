"""API-key authentication for case systems: ``Authorization: Bearer mca_<id>_<secret>``."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from medcom_adapter.service.apikeys import ApiKey
from medcom_adapter.service.problems import ApiProblem
from medcom_adapter.service.state import state

_bearer = HTTPBearer(auto_error=False,
                     description="API key issued by `medcom-adapter api-key add NAME`")


def require(scope: str) -> Callable[..., Coroutine[Any, Any, ApiKey]]:
    """A dependency giving the caller's key: 401 without a live key, 403 without ``scope``."""

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> ApiKey:
        keys = state(request).keys
        # in a worker thread: the look-up reads the journal, which on SQLite waits its turn
        # behind another request's durable commit, and on the loop would stall every request
        key = (await run_in_threadpool(keys.find, credentials.credentials)
               if credentials is not None else None)
        if key is None:
            raise ApiProblem("api.unauthorized", headers={"WWW-Authenticate": "Bearer"})
        if scope not in key.scopes:
            raise ApiProblem("api.forbidden", detail=f"this API key lacks the scope {scope!r}")
        return key

    return dependency

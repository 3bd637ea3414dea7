"""What the service is configured with; one value object shared by the CLI, tests and benchmarks."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.requests import Request

from medcom_adapter.addressing.directory import Directory
from medcom_adapter.resources import EXAMPLE_RECEIVERS


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Settings:
    """``secret`` signs launch tokens (random per process unless given, so a restart voids
    outstanding URLs). ``https`` marks cookies Secure and sends HSTS: set it whenever the
    service is reached over TLS (directly or behind a proxy)."""

    directory: Directory = field(default_factory=lambda: Directory.load(EXAMPLE_RECEIVERS))
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    launch_ttl_seconds: float = 300.0  # a launch URL must be opened within minutes
    session_ttl_seconds: float = 1800.0  # a worker's page session, idle timeout
    session_longest_seconds: float = 12 * 3600.0  # and however busy, a working day at most
    max_upload_bytes: int = 10 * 1024 * 1024
    max_attachments: int = 5
    https: bool = False
    # where people reach the service (MEDCOM_PUBLIC_URL), e.g. https://medcom.kommune.example;
    # launch URLs are made from it, never from the request's Host header
    public_url: str | None = None
    clock: Callable[[], datetime] = _now


def public_url(settings: Settings, request: Request, path: str) -> str:
    """``path`` under the configured public address; without one (tests, embedded use) the
    request's own base, which ``serve`` never relies on (it always configures one)."""
    base = settings.public_url or str(request.base_url)
    return base.rstrip("/") + path

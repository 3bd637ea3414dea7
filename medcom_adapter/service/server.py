"""How ``serve`` runs uvicorn: headers must arrive in time, and logs carry no launch token.

uvicorn closes idle keep-alive connections but waits for a request's headers for as long
as the client trickles them, so a few hundred slow connections hold the server. The
protocol here gives each request ``header_timeout`` seconds to finish its headers (from
the connection's start, or the end of the previous response) and closes it otherwise.
Bodies are bounded separately, while they stream (``security.BodyLimit``).

The access log shows paths only; a launch path is cut to its reference's first characters
so a log reader cannot use a link that was not yet opened.
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from medcom_adapter.service.tokens import redact

HEADER_TIMEOUT = 10.0


def protocol(header_timeout: float = HEADER_TIMEOUT) -> type[asyncio.Protocol]:
    """uvicorn's HTTP/1.1 protocol, closing connections whose headers come too slowly."""

    class HeadersInTime(H11Protocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            self._header_timer = self.loop.call_later(header_timeout, self._too_slow)

        def _too_slow(self) -> None:
            # their_state leaves IDLE once a request's headers are complete
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

    return HeadersInTime


class RedactLaunchTokens(logging.Filter):
    """Cuts launch tokens out of uvicorn's access log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def quiet_access_log() -> None:
    logging.getLogger("uvicorn.access").addFilter(RedactLaunchTokens())

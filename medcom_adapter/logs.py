"""Structured logs: one JSON object a line, with the correlation ids of what is being done.

``correlation(request_id=..., journal_id=..., envelope_id=...)`` adds ids to every line
logged inside it (a context variable, so it follows a request through threads and tasks).
Lines never carry a CPR number: anything shaped like one (ten digits, with or without the
hyphen) is masked on the way out, whatever a message said.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_ids: ContextVar[Mapping[str, str] | None] = ContextVar("medcom_correlation", default=None)
_CPR_SHAPED = re.compile(r"(?<![0-9])[0-9]{6}-?[0-9]{4}(?![0-9])")


@contextmanager
def correlation(**ids: object) -> Iterator[None]:
    token = _ids.set({**(_ids.get() or {}),
                      **{k: str(v) for k, v in ids.items() if v is not None}})
    try:
        yield
    finally:
        _ids.reset(token)


def mask(text: str) -> str:
    return _CPR_SHAPED.sub("xxxxxx-xxxx", text)


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name,
            "message": mask(record.getMessage()), **(_ids.get() or {}),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, Mapping):
            line.update({k: mask(str(v)) if isinstance(v, str) else v for k, v in extra.items()})
        if record.exc_info and record.exc_info[0] is not None:
            # the type only: an exception's text may quote the message it was reading
            line["error"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: int = logging.INFO) -> None:
    """JSON lines on stderr for the root logger (and uvicorn's, which keep their own)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True

"""Our own checks, strict when we build and warnings when we read.

The model's value types enforce every rule when constructed, which is right for what we
build. Some of those rules are ours, not MedCom's (a kommunenummer's 3 digits, a CPR number's
date part). While a peer's message is read (inside :func:`reading`), such a rule records a
warning and lets the value through instead of refusing it, so a message MedCom accepts is
never refused for our arithmetic.
"""

from __future__ import annotations

from contextvars import ContextVar
from types import TracebackType

from medcom_adapter.errors import Issue, MedComError

_FOUND: ContextVar[list[Issue] | None] = ContextVar("medcom_own_check_warnings", default=None)


class reading:  # lower case: used like a function, ``with reading() as found:``
    """Collects our own checks' findings as warnings instead of raising them."""

    __slots__ = ("_token", "found")

    def __enter__(self) -> list[Issue]:
        self.found: list[Issue] = []
        self._token = _FOUND.set(self.found)
        return self.found

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        _FOUND.reset(self._token)


def lenient() -> bool:
    """Whether our own checks are warnings just now (a peer's message is being read)."""
    return _FOUND.get() is not None


def own_check(code: str, error: MedComError) -> None:
    """Raise ``error`` when building; record it as warning ``code`` when reading."""
    found = _FOUND.get()
    if found is None:
        raise error
    where = error.location
    found.append(Issue(str(code), error.message, where.path if where else None,
                       where.line if where else None, warning=True))


def mark() -> int:
    """How many warnings were recorded so far (for :func:`locate`)."""
    found = _FOUND.get()
    return 0 if found is None else len(found)


def locate(since: int, path: str | None, line: int | None) -> None:
    """Give the warnings recorded since ``since`` that have no location this one."""
    found = _FOUND.get()
    if found is None:
        return
    for i in range(since, len(found)):
        issue = found[i]
        if issue.path is None:
            found[i] = Issue(issue.code, issue.message, path, line, warning=True)

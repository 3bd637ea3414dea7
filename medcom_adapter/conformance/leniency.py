"""Our own checks, strict when we build and warnings when we read.

The model's value types enforce every rule when constructed, which is right for what we
build. Some of those rules are ours, not MedCom's (a kommunenummer's 3 digits, a CPR number's
date part). While a peer's message is read (inside :func:`reading`), such a rule records a
warning and lets the value through instead of refusing it, so a message MedCom accepts is
never refused for our arithmetic.
"""

from __future__ import annotations

import dataclasses
from contextvars import ContextVar
from types import TracebackType
from typing import TypeVar

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


def recorded() -> list[Issue] | None:
    """The warnings recorded so far while reading (None when building): a reader that
    converts many values asks once per value, not twice as :func:`mark` would."""
    return _FOUND.get()


def locate(since: int, path: str | None, line: int | None) -> None:
    """Give the warnings recorded since ``since`` that have no location this one."""
    found = _FOUND.get()
    if found is None:
        return
    for i in range(since, len(found)):
        issue = found[i]
        if issue.path is None:
            found[i] = Issue(issue.code, issue.message, path, line, warning=True)


def model_warnings(value: object) -> list[Issue]:
    """The warnings our own checks give on a model made elsewhere (read from a peer, say),
    found by running its values' checks again, without writing or reading any bytes."""
    with reading() as found:
        _recheck(value)
    return found


# per type: the names of its dataclass fields (none: not a dataclass, nothing to walk)
_FIELDS: dict[type, tuple[str, ...]] = {}
# types without dataclass fields, met so far: nothing in them to walk
_LEAVES: set[type] = {str, int, bool, type(None), bytes}
# the value types whose construction runs one of our own checks
_CHECKED: set[type] = set()

T = TypeVar("T", bound=type)


def has_own_checks(cls: T) -> T:
    """Marks a value type whose construction runs our own checks (model_warnings reruns
    them)."""
    _CHECKED.add(cls)
    return cls


def _recheck(value: object) -> None:
    kind = type(value)
    if kind is tuple or kind is list:
        for item in value:  # type: ignore[attr-defined]
            if type(item) not in _LEAVES:
                _recheck(item)
        return
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = (tuple(f.name for f in dataclasses.fields(kind))
                                 if dataclasses.is_dataclass(kind) else ())
        if not names:
            _LEAVES.add(kind)
    if not names:
        return
    if kind in _CHECKED:
        value.__post_init__()  # type: ignore[attr-defined]  # idempotent: it passed once
    for name in names:
        item = getattr(value, name)
        if type(item) not in _LEAVES:  # most values (str, date, enum) are not walked into
            _recheck(item)

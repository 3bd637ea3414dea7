"""Bytes built and validated in this process: the proof travels with the bytes.

A :class:`Built` is the bytes a builder serialised from a message it validated (schema and
our own rules for OIOXML, the profiles for FHIR), with their SHA-256 computed once. Only
:func:`seal`, called by those builders after their validation passed, makes one: calling
``Built(...)`` refuses, slicing or copying gives plain ``bytes``, and a Built pickled out of
the process comes back as plain ``bytes``. So whoever holds a Built knows, without looking
again, that these exact bytes were validated here, and their digest without hashing them
again (the journal's chain and the node's :class:`~medcom_adapter.workers.checked.Checked`
use it). Bytes read from anywhere (the journal, a peer, a file) are never a Built.

A builder that wrote an object's base64 text into the bytes says where (:class:`Placed`),
so the journal, which keeps such an object as a reference into the body, need not decode
the text to prove it is there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from medcom_adapter.errors import Issue, OutboundInvalid

_SEAL = object()  # the builders' key to make a Built: a constant, not state


@dataclass(frozen=True, slots=True)
class Placed:
    """``data``'s base64 text lies at ``start:end`` of the bytes, exactly as
    ``pybase64.encodebytes(data)`` writes it (76-character lines, each ending in LF), so it
    can be cut out and written back byte for byte. ``data`` is immutable bytes, the very
    object encoded."""

    start: int
    end: int
    data: bytes


class Built(bytes):
    """Validated outbound bytes and their SHA-256 (hex), as :func:`seal` made them, and
    where the builder wrote objects' base64 text into them."""

    digest: str
    placed: tuple[Placed, ...]

    def __new__(cls, *args: Any, **kwargs: Any) -> Built:
        if kwargs.pop("_seal", None) is not _SEAL:
            raise TypeError("a Built comes from a validating builder (seal), never from bytes")
        return super().__new__(cls, *args, **kwargs)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("a Built is immutable")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("a Built is immutable")

    def __reduce__(self) -> tuple[type[bytes], tuple[bytes]]:
        return bytes, (bytes(self),)  # the proof holds in this process only


def seal(data: bytes, issues: Sequence[Issue], placed: Sequence[Placed] = ()) -> Built:
    """``data`` as a Built, for the builder that validated exactly these bytes and found
    ``issues``: refused (``OutboundInvalid``) when any of them is an error. ``placed``: the
    objects whose base64 the builder wrote into ``data``, and where."""
    if any(not issue.warning for issue in issues):
        raise OutboundInvalid(list(issues))
    for p in placed:  # a mutable buffer could change after; a wrong place is a builder bug
        if (type(p.data) is not bytes or not 0 <= p.start <= p.end <= len(data)
                or p.end - p.start != _encoded_size(len(p.data))):
            raise ValueError("a placed object must be bytes whose base64 lines fill their "
                             "place within the built bytes")
    built = Built(data, _seal=_SEAL)
    object.__setattr__(built, "digest", hashlib.sha256(built).hexdigest())
    object.__setattr__(built, "placed", tuple(placed))
    return built


def _encoded_size(n: int) -> int:
    """Bytes of ``pybase64.encodebytes`` of ``n`` bytes: 77 per line of 57 (with its LF),
    then the last line's padded quads and LF."""
    whole, rest = divmod(n, 57)
    return whole * 77 + ((rest + 2) // 3 * 4 + 1 if rest else 0)


def digest(data: bytes) -> str:
    """SHA-256 (hex) of ``data``: a Built's own, computed when it was sealed."""
    return data.digest if isinstance(data, Built) else hashlib.sha256(data).hexdigest()

"""Who the audit log names: typed actors, so a name someone chooses never passes for
another kind of actor.

An actor is ``system`` or ``<kind>:<name>``, and the journal refuses any other text before
it writes an audit row, a message's ``stored_by`` or a henvisning's ``recorded_by``:

- ``system``: the adapter itself (its reads are not audited, see ``journal.interface``);
- ``worker:<name>``: one of the adapter's own parts that reads on its own, from
  :data:`WORKERS`;
- ``api-key:<id>``: a case system, by its API key's id (never the name an operator gave it);
- ``page-session:<key id>:<worker>``: a PPR worker in a page session that key launched;
  the worker's name is as the launch gave it, percent-encoded, so it holds no ``:`` and no
  line break;
- ``cli:<user>``: an operator at the command line, by a login-like name.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from medcom_adapter.errors import JournalError
from medcom_adapter.journal.interface import SYSTEM

WORKERS = frozenset({"webhook", "demo", "inbox", "outbox"})
KINDS = ("worker", "api-key", "page-session", "cli")

_USER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_KEY_ID = re.compile(r"[A-Za-z0-9]{1,64}")
_ENCODED = re.compile(r"(?:[A-Za-z0-9._~-]|%[0-9A-F]{2}){1,600}")


class InvalidActor(JournalError):
    """An audit actor that is not one of the typed forms (see the module docstring)."""

    code = "local.journal-actor"


def worker(name: str) -> str:
    return check(f"worker:{name}")


def api_key(key_id: str) -> str:
    return check(f"api-key:{key_id}")


def page_session(key_id: str, worker_name: str) -> str:
    return check(f"page-session:{key_id}:{quote(worker_name.strip(), safe='')}")


def cli(user: str) -> str:
    return check(f"cli:{user}")


def check(actor: str) -> str:
    """``actor`` when it is one of the typed forms; ``InvalidActor`` naming what is wrong
    otherwise."""
    if actor == SYSTEM:
        return actor
    kind, _, name = actor.partition(":")
    if kind == "worker":
        ok = name in WORKERS
    elif kind == "api-key":
        ok = _KEY_ID.fullmatch(name) is not None
    elif kind == "page-session":
        key_id, _, encoded = name.partition(":")
        ok = _KEY_ID.fullmatch(key_id) is not None and _ENCODED.fullmatch(encoded) is not None
    elif kind == "cli":
        ok = _USER.fullmatch(name) is not None
    else:
        raise InvalidActor(
            f"audit actor {actor[:80]!r} is of no known kind: write {SYSTEM!r} or one of "
            + ", ".join(f"'{k}:...'" for k in KINDS))
    if not ok:
        raise InvalidActor(f"audit actor {actor[:80]!r} is not a valid {kind} actor"
                           + (f" (workers: {', '.join(sorted(WORKERS))})"
                              if kind == "worker" else ""))
    return actor


def kind(actor: str) -> str:
    """The kind of a stored actor (``system`` for the adapter; ``other`` for rows written
    before actors were typed)."""
    if actor == SYSTEM:
        return SYSTEM
    found = actor.partition(":")[0]
    return found if found in KINDS else "other"

"""One validation run over one message Bundle: its entries, reference resolution, findings.

References resolve the way FHIR says references inside a Bundle do: an absolute URL or
``urn:uuid:`` must equal an entry's ``fullUrl``; a relative ``Type/id`` is first read against
the base of the referring entry's RESTful ``fullUrl`` (``https://x/y/MessageHeader/1`` refers
to ``Organization/2`` as ``https://x/y/Organization/2``), then matched against the resource
type and id of the entries. ``_history`` suffixes are ignored.

Which profiles apply to which entry accumulates during the run: a reference whose element
names a target profile asks for its target to be validated against that profile too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from medcom_adapter.errors import Issue
from medcom_adapter.fhir.profile_engine.model import Json, MessageRow, Profile, Registry

_RESTFUL = re.compile(r"^(?P<base>.*/)?(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})$")


@dataclass(slots=True)
class Entry:
    index: int
    full_url: str | None
    resource: Json | None
    type: str | None
    id: str | None
    path: str  # Bundle.entry[3].resource(Communication)


def entries_of(bundle: Json) -> list[Entry]:
    raw = bundle.get("entry")
    out: list[Entry] = []
    if not isinstance(raw, list):
        return out
    for i, item in enumerate(raw):
        item = item if isinstance(item, dict) else {}
        full_url = item.get("fullUrl")
        resource = item.get("resource")
        if not isinstance(resource, dict):
            out.append(Entry(i, _str(full_url), None, None, None, f"Bundle.entry[{i}].resource"))
            continue
        rtype = _str(resource.get("resourceType"))
        out.append(Entry(i, _str(full_url), resource, rtype, _str(resource.get("id")),
                         f"Bundle.entry[{i}].resource({rtype})"))
    return out


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(slots=True)
class Context:
    registry: Registry
    row: MessageRow
    bundle: Json
    entries: list[Entry]
    issues: list[Issue] = field(default_factory=list)
    error_count: int = 0
    _by_url: dict[str, Entry] = field(default_factory=dict)
    _by_type_id: dict[str, Entry] = field(default_factory=dict)
    _applied: dict[int, list[Profile]] = field(default_factory=dict)
    _pending: list[tuple[int, str]] = field(default_factory=list)
    _errors_under: dict[tuple[int, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for entry in self.entries:
            if entry.full_url is not None:
                self._by_url.setdefault(entry.full_url, entry)
            if entry.type is not None and entry.id is not None:
                self._by_type_id.setdefault(f"{entry.type}/{entry.id}", entry)

    # -- findings ---------------------------------------------------------------------------

    def issue(self, code: str, path: str, message: str, *, warning: bool = False) -> None:
        self.issues.append(Issue(code, message, path, warning=warning))
        if not warning:
            self.error_count += 1

    # -- the Bundle -------------------------------------------------------------------------

    @property
    def header(self) -> Entry | None:
        first = self.entries[0] if self.entries else None
        return first if first is not None and first.type == "MessageHeader" else None

    def of_type(self, resource_type: str) -> list[Entry]:
        return [e for e in self.entries if e.type == resource_type]

    def resolve(self, reference: Any, origin: int | None) -> Entry | None:
        """The entry a reference (a Reference object or its ``reference`` string) points at."""
        if isinstance(reference, dict):
            reference = reference.get("reference")
        if not isinstance(reference, str) or not reference:
            return None
        ref = reference.split("/_history/", 1)[0]
        found = self._by_url.get(ref)
        if found is not None or ref.startswith(("urn:", "#")) or "://" in ref:
            return found
        if origin is not None:
            base = self.entries[origin].full_url
            match = _RESTFUL.match(base) if base else None
            if match and match.group("base"):
                found = self._by_url.get(match.group("base") + ref)
                if found is not None:
                    return found
        return self._by_type_id.get(ref)

    # -- profiles ---------------------------------------------------------------------------

    def want(self, index: int, profile_url: str) -> None:
        """Ask for entry ``index`` to be validated against ``profile_url`` (once)."""
        self._pending.append((index, profile_url))

    def take_pending(self) -> list[tuple[int, str]]:
        pending, self._pending = self._pending, []
        return pending

    def start(self, index: int, profile: Profile) -> bool:
        """Record that ``profile`` applies to entry ``index``; False if already covered."""
        applied = self._applied.setdefault(index, [])
        if any(profile.url in done.lineage for done in applied):
            return False
        applied.append(profile)
        return True

    def record(self, index: int, profile: Profile, errors: int) -> None:
        self._errors_under[(index, profile.url)] = errors

    def errors_under(self, index: int, profile_url: str) -> int | None:
        """Errors found validating entry ``index`` against a profile; None if never applied."""
        return self._errors_under.get((index, profile_url))

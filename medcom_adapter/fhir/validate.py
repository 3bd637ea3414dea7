"""Validate a MedCom FHIR message Bundle against our profiles: ``validate_message(bundle)``.

The Bundle is the FHIR JSON object model (what ``json.loads`` gives, or ``wire.load_xml``).
What it is comes from its MessageHeader (the first entry): ``eventCoding`` names the message
(``care-communication-message``, ``acknowledgement-message``, ``empty-message``) and
``definition`` (``...MedComCareCommunicationMessageDefinition|5.0``) or a versioned
``meta.profile`` claim (``...|5.0.2``) its version. Without a version statement the current
version is assumed. A version we do not support (CareCommunication 4.x, say) gives exactly one
error, ``fhir.unsupported-version``, naming the version found: it is never validated as 5.0.

Then each resource is checked against the profiles that apply to it: the one it claims in
``meta.profile`` (when we know it), the message's profile for its role (the MessageHeader,
or by resource type), and the target profile of every reference that points at it. Finally
the Bundle itself: its profile, which resources it carries, and the message-level invariants.

Issue codes: an invariant's id (``cc-5``, ``medcom-uuidv4``), or one of ``fhir.cardinality``,
``fhir.fixed-value`` (fixed and pattern values), ``fhir.binding``, ``fhir.reference``,
``fhir.slice``, ``fhir.type``, ``fhir.datatype``, ``fhir.entry-count``, ``fhir.entry-type``
(warning), ``fhir.profile``, ``fhir.unknown-profile`` (warning), ``fhir.duplicate-fullurl``,
``fhir.not-a-message``, ``fhir.message-header``, ``fhir.unsupported-message`` and
``fhir.unsupported-version``.
"""

from __future__ import annotations

from typing import Any

from medcom_adapter.errors import Issue
from medcom_adapter.fhir.profile_engine.compiler import strip_version
from medcom_adapter.fhir.profile_engine.context import Context, Entry, entries_of
from medcom_adapter.fhir.profile_engine.model import Entries, Json, MessageRow, Registry
from medcom_adapter.fhir.profile_engine.walker import check_value
from medcom_adapter.fhir.profiles import registry


def validate_message(bundle: Json) -> list[Issue]:
    """Every finding in a message Bundle; no errors (warnings allowed) means valid."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        found = bundle.get("resourceType") if isinstance(bundle, dict) else type(bundle).__name__
        return [Issue("fhir.not-a-message", f"a MedCom message is a FHIR Bundle, not {found!r}",
                      "Bundle")]
    reg = registry()
    entries = entries_of(bundle)
    row = detect(bundle, entries, reg)
    if isinstance(row, Issue):
        return [row]
    ctx = Context(reg, row, bundle, entries)
    _check_resources(ctx)
    _check_bundle(ctx)
    return _ordered(ctx.issues)


def detect(bundle: Json, entries: list[Entry], reg: Registry) -> MessageRow | Issue:
    """The supported message kind and version this Bundle is, or the one issue saying why not."""
    header = next((e for e in entries if e.type == "MessageHeader"), None)
    if header is None or header.resource is None:
        return Issue("fhir.message-header", "a message Bundle starts with its MessageHeader; "
                     "this Bundle has none", "Bundle.entry[0]")
    resource = header.resource
    event = _get(resource, "eventCoding", "code")
    rows = [r for r in reg.messages if r.event == event]
    if not rows:  # no (known) event: a profile claim may still say what it is
        claimed = {strip_version(p) for p in _profiles(resource) + _profiles(bundle)}
        rows = [r for r in reg.messages if {r.header.url, r.bundle.url} & claimed]
    if not rows:
        supported = ", ".join(r.event for r in reg.messages)
        what = f"{event!r} is" if event else "no eventCoding.code: this is"
        return Issue("fhir.unsupported-message", f"MessageHeader.eventCoding {what} not a "
                     f"message we validate (supported: {supported})", f"{header.path}.eventCoding")
    statements = _version_statements(bundle, header, rows, reg)
    for version, where, how in statements:  # every statement must name a supported version
        if version == "legacy" or not any(r.major == version.split(".")[0] for r in rows):
            supported = ", ".join(f"{r.kind} {r.major}.x" for r in rows)
            return Issue("fhir.unsupported-version", f"{how}: {rows[0].kind} "
                         f"{how.rpartition('|')[2]} is not supported (supported: {supported})",
                         where)
    if statements:
        major = statements[0][0].split(".")[0]
        return next(r for r in rows if r.major == major)
    return rows[0]


def _version_statements(bundle: Json, header: Entry, rows: list[MessageRow],
                        reg: Registry) -> list[tuple[str, str, str]]:
    """(version, path, what says so) for each statement of the message's version."""
    found: list[tuple[str, str, str]] = []
    definition = _get(header.resource, "definition")
    if isinstance(definition, str) and "|" in definition:
        base, _, version = definition.rpartition("|")
        how = f"MessageHeader.definition {definition}"
        where = f"{header.path}.definition"
        if any(r.definition == base for r in rows):
            found.append((version, where, how))
        elif any(legacy.definition == base and legacy.event == rows[0].event
                 for legacy in reg.legacy):
            found.append(("legacy", where, how))
    kind = rows[0].kind
    for owner, path in ((bundle, "Bundle"), (header.resource, header.path)):
        for i, claim in enumerate(_profiles(owner)):
            url, bar, version = claim.partition("|")
            if bar and reg.profile_versions.get(url) == kind:
                found.append((version, f"{path}.meta.profile[{i}]", f"meta.profile {claim}"))
    return found


def _check_resources(ctx: Context) -> None:
    reg, row = ctx.registry, ctx.row
    for entry in ctx.entries:
        if entry.resource is None:
            ctx.issue("fhir.cardinality", entry.path, "each entry must hold a resource")
            continue
        known = False
        for i, claim in enumerate(_profiles(entry.resource)):
            profile = reg.profiles.get(strip_version(claim))
            where = f"{entry.path}.meta.profile[{i}]"
            if profile is None:
                ctx.issue("fhir.unknown-profile", where,
                          f"{claim} is not a profile we know; not checked against it",
                          warning=True)
            elif profile.type != entry.type:
                ctx.issue("fhir.profile", where, f"{claim} profiles {profile.type}, "
                          f"not {entry.type}")
            else:
                known = True
                ctx.want(entry.index, profile.url)
        if entry.index == 0 and entry.type == "MessageHeader":
            ctx.want(0, row.header.url)
        elif not known and entry.type in row.roles:
            ctx.want(entry.index, row.roles[entry.type].url)
    while pending := ctx.take_pending():
        for index, url in pending:
            profile = reg.profiles[url]
            entry = ctx.entries[index]
            if entry.resource is None or not ctx.start(index, profile):
                continue
            before = ctx.error_count
            check_value(ctx, profile.root, entry.resource, entry.path, None, index)
            ctx.record(index, profile, ctx.error_count - before)


def _check_bundle(ctx: Context) -> None:
    profile = ctx.row.bundle
    seen: dict[str, int] = {}
    for entry in ctx.entries:
        if entry.full_url is None:
            continue
        if entry.full_url in seen:  # FHIR bdl-7
            ctx.issue("fhir.duplicate-fullurl", f"Bundle.entry[{entry.index}].fullUrl",
                      f"fullUrl {entry.full_url} is also entry[{seen[entry.full_url]}]'s")
        seen.setdefault(entry.full_url, entry.index)
    if profile.entries is not None:
        _check_entries(ctx, profile.entries)
    check_value(ctx, profile.root, ctx.bundle, "Bundle", None, None)


def _check_entries(ctx: Context, spec: Entries) -> None:
    kind = f"a {ctx.row.kind} {ctx.row.version} message"
    if spec.first and (not ctx.entries or ctx.entries[0].type != spec.first):
        found = ctx.entries[0].type if ctx.entries else "nothing"
        ctx.issue("fhir.message-header", "Bundle.entry[0]",
                  f"{kind} starts with its {spec.first}; the first entry is {found}")
    counts: dict[str | None, int] = {}
    for entry in ctx.entries:
        counts[entry.type] = counts.get(entry.type, 0) + 1
    known = {rule.resource_type for rule in spec.rules}
    for rule in spec.rules:
        n = counts.get(rule.resource_type, 0)
        if n < rule.min or (rule.max is not None and n > rule.max):
            many = "*" if rule.max is None else rule.max
            ctx.issue("fhir.entry-count", "Bundle.entry", f"{kind} carries {rule.min}..{many} "
                      f"{rule.resource_type}, found {n}")
    for entry in ctx.entries:
        if entry.type is not None and entry.type not in known:
            ctx.issue("fhir.entry-type", entry.path, f"{entry.type} is not part of {kind}; "
                      "it was not checked", warning=True)


def _ordered(issues: list[Issue]) -> list[Issue]:
    """Bundle-level findings first, then by entry, each once, in the order found."""
    unique = list(dict.fromkeys(issues))
    return sorted(unique, key=lambda i: _entry_number(i.path))


def _entry_number(path: str | None) -> int:
    if path and path.startswith("Bundle.entry["):
        digits = path[len("Bundle.entry["):].split("]", 1)[0]
        if digits.isdigit():
            return int(digits)
    return -1


def _profiles(resource: Any) -> list[str]:
    found = _get(resource, "meta", "profile")
    return [p for p in found if isinstance(p, str)] if isinstance(found, list) else []


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


__all__ = ["detect", "validate_message"]

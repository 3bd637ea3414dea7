"""Our declarative MedCom FHIR profiles in ``profiles/``: read and compiled once per process.

``profiles/`` holds one YAML file per profile and version (``carecommunication-5.0/
communication.yaml``), the code lists of required bindings (``terminology/``) and the table
of messages we validate (``messages.yaml``); ``profiles/README.md`` describes the format.
Nothing is read at import time: the first call to :func:`registry` loads and compiles
everything (a few tens of milliseconds) and keeps it for the life of the process.
"""

from __future__ import annotations

import functools
import importlib
import os
from pathlib import Path
from typing import Any

from medcom_adapter import resources
from medcom_adapter.fhir.profile_engine.compiler import Compiler, ProfileError, strip_version
from medcom_adapter.fhir.profile_engine.model import (
    Binding,
    InvariantFn,
    Json,
    LegacyRow,
    MessageRow,
    Profile,
    Registry,
)

PROFILES_DIR_ENV = "MEDCOM_PROFILES_DIR"
MESSAGES_FILE = "messages.yaml"
TERMINOLOGY_DIR = "terminology"


def profiles_dir() -> Path:
    """Where our profiles are: ``$MEDCOM_PROFILES_DIR`` or the package's ``profiles/``."""
    override = os.environ.get(PROFILES_DIR_ENV)
    return Path(override) if override else resources.profiles()


def read_yaml(path: Path) -> Any:
    # Imported when profiles are first needed, and untyped on purpose: PyYAML ships no type
    # hints and we use two calls of it.
    yaml: Any = importlib.import_module("yaml")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader when there is one
    with path.open(encoding="utf-8") as stream:
        return yaml.load(stream, Loader=loader)


def profile_files(root: Path | None = None) -> dict[str, Json]:
    """Every profile file, parsed, by its path under ``profiles/`` (``core-3.0/patient.yaml``)."""
    root = root or profiles_dir()
    files: dict[str, Json] = {}
    for path in sorted(root.rglob("*.yaml")):
        relative = path.relative_to(root).as_posix()
        if relative == MESSAGES_FILE or relative.startswith(f"{TERMINOLOGY_DIR}/"):
            continue
        data = read_yaml(path)
        if not isinstance(data, dict) or "url" not in data or "type" not in data:
            raise ProfileError(f"{relative}: not a profile file (needs url and type)")
        files[relative] = data
    return files


def value_sets(root: Path | None = None) -> dict[str, Binding]:
    """The code lists in ``profiles/terminology/``, by ValueSet url (no version)."""
    root = root or profiles_dir()
    found: dict[str, Binding] = {}
    for path in sorted((root / TERMINOLOGY_DIR).glob("*.yaml")):
        for spec in read_yaml(path).get("valueSets") or []:
            pairs = frozenset(
                (str(inc["system"]), str(code))
                for inc in spec.get("include") or [] for code in inc.get("codes") or []
            )
            url = strip_version(str(spec["url"]))
            found[url] = Binding(url, pairs, frozenset(code for _, code in pairs))
    return found


def _invariant_fn(inv_id: str, pointer: str) -> InvariantFn:
    from medcom_adapter.fhir import invariants

    for fn in invariants.REGISTERED.get(inv_id, []):
        if f"{fn.__module__}.{fn.__name__}" == pointer:
            return fn
    raise ProfileError(f"invariant {inv_id}: no function {pointer} registered under that id")


@functools.cache
def registry() -> Registry:
    """Everything in ``profiles/``, compiled (cached for the life of the process)."""
    root = profiles_dir()
    files = profile_files(root)
    terminology = value_sets(root)
    compiler = Compiler(files, terminology, _invariant_fn)
    profiles = compiler.all()
    by_file = {p.file: p for p in profiles.values()}
    table = read_yaml(root / MESSAGES_FILE)

    def at(file: str) -> Profile:
        try:
            return by_file[file]
        except KeyError:
            raise ProfileError(f"{MESSAGES_FILE}: no profile file {file}") from None

    messages = tuple(
        MessageRow(
            kind=str(row["kind"]), version=str(row["version"]), event=str(row["event"]),
            definition=row.get("definition"), bundle=at(row["bundle"]), header=at(row["header"]),
            roles={rtype: at(file) for rtype, file in (row.get("roles") or {}).items()},
        )
        for row in table["messages"]
    )
    legacy = tuple(
        LegacyRow(str(row["kind"]), str(row["event"]), str(row["definition"]))
        for row in table.get("legacy") or []
    )
    return Registry(profiles, by_file, messages, legacy,
                    dict(table.get("profile-versions") or {}), terminology)

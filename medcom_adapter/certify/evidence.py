"""The evidence pack of a scenario run: what a vendor hands MedCom or keeps for audit.

A zip with every file exchanged (as sent and as received, envelopes included), the JUnit
and HTML reports, the environment (adapter, catalogue and MedCom material versions) and a
``manifest.json`` naming every other file with its SHA-256. ``verify`` recomputes them.
File names carry scenario ids and counters, never person data.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import re
import zipfile
from collections.abc import Sequence
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from medcom_adapter.certify.protocol import Exchanged

MANIFEST = "manifest.json"
# the MedCom material the scenarios are written from
MEDCOM_MATERIAL = {
    "CareCommunication": "5.0 (IG 5.0.2)", "Acknowledgement": "2.0 (IG 2.0.3)",
    "CareCommunication TestScripts": "5.0.0", "Acknowledgement TestScripts": "2.0.0",
    "Acknowledgement Testprotocol Receive": "2.0.4", "VANSEnvelope": "1.0.4",
}


def _adapter_version() -> str:
    try:
        return version("medcom-adapter")
    except PackageNotFoundError:
        return "unknown (not installed)"


def environment(catalogue: Path, *, started: datetime) -> dict[str, Any]:
    manifest = catalogue / "manifest.json"
    digest = hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.is_file() else None
    return {"adapter": _adapter_version(), "catalogue_manifest_sha256": digest,
            "medcom_material": MEDCOM_MATERIAL, "python": platform.python_version(),
            "platform": platform.platform(), "started": started.isoformat()}


def _suffix(data: bytes) -> str:
    head = bytes(data[:64]).lstrip()
    return "json" if head[:1] == b"{" else "xml" if head[:1] == b"<" else "edi"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)[:80] or "before-first-scenario"


def pack(exchanged: Sequence[Exchanged], *, junit: bytes, html: str,
         env: dict[str, Any]) -> bytes:
    files: dict[str, bytes] = {}
    for n, item in enumerate(exchanged, 1):
        files[f"messages/{n:04d}-{_safe(item.scenario)}-{item.way}.{_suffix(item.data)}"] = \
            item.data
    files["report.junit.xml"] = junit
    files["report.html"] = html.encode()
    files["environment.json"] = json.dumps(env, ensure_ascii=False, indent=1).encode()
    manifest = {"files": [{"name": name, "sha256": hashlib.sha256(data).hexdigest(),
                           "bytes": len(data)} for name, data in sorted(files.items())]}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
    return buffer.getvalue()


def verify(path: Path) -> list[str]:
    """Problems with a pack: a file missing, changed, added, or a manifest that does not
    read. Empty: it holds what its manifest says, byte for byte."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist()) - {MANIFEST}
            listed = json.loads(archive.read(MANIFEST))["files"]
            problems = []
            for entry in listed:
                name = entry["name"]
                if name not in names:
                    problems.append(f"{name}: listed in the manifest, missing from the pack")
                    continue
                if hashlib.sha256(archive.read(name)).hexdigest() != entry["sha256"]:
                    problems.append(f"{name}: does not match its SHA-256 in the manifest")
            problems += [f"{n}: in the pack, not in the manifest"
                         for n in sorted(names - {e["name"] for e in listed})]
            return problems
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        return [f"not an evidence pack: {exc}"]

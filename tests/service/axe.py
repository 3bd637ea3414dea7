"""axe-core for the browser tests: installed from the npm registry at test time into a cache
directory, injected into each page under Selenium, asked for WCAG 2.1 A and AA violations.

axe-core (MPL-2.0) is not vendored: ``npm install`` fetches the pinned version once into
``$MEDCOM_AXE_CACHE`` (default ``~/.cache/medcom-adapter/axe-core-<version>``); later runs
reuse it. Without npm or the registry the caller skips, saying why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

VERSION = "4.14.1"
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "medcom-adapter" / f"axe-core-{VERSION}"
    return Path(os.environ.get("MEDCOM_AXE_CACHE", default))


def source() -> str | None:
    """axe.min.js, installing it first when it is not in the cache; None if it cannot be
    had (no npm, no registry)."""
    script = cache_dir() / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            return None
        cache_dir().mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run([npm, "install", "--prefix", str(cache_dir()), "--no-save",
                            "--no-audit", "--no-fund", "--loglevel=error",
                            f"axe-core@{VERSION}"], check=True, timeout=180,
                           capture_output=True)
        except (subprocess.SubprocessError, OSError):
            return None
    return script.read_text(encoding="utf-8") if script.exists() else None


RUN = (
    "const done = arguments[arguments.length - 1];"
    "axe.run(document, {runOnly: {type: 'tag', values: " + json.dumps(list(TAGS)) + "},"
    " resultTypes: ['violations']})"
    ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
    " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))))"
    ".catch(e => done([{id: 'axe-failed', impact: 'critical', help: String(e), nodes: []}]));"
)


def violations(driver: Any, axe_source: str) -> list[dict[str, Any]]:
    """WCAG 2.1 A/AA violations on the page the driver shows (an empty list: none)."""
    driver.execute_script(axe_source)
    result: list[dict[str, Any]] = driver.execute_async_script(RUN)
    return result

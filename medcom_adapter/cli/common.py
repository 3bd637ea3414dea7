"""What every command shares: exit codes and small argument readers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def read_json(path: Path) -> object | None:
    """The JSON in ``path``, or None after saying on stderr why it is not JSON."""
    try:
        result: object = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        print(f"medcom-adapter: {path}: not JSON: {exc}", file=sys.stderr)
        return None
    return result

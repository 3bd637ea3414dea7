"""Coverage-guided fuzzing of one target with atheris (libFuzzer).

    python -m tests.fuzz.atheris_run TARGET [CORPUS_DIR] [libFuzzer options]
    make fuzz                      # every target, 5 minutes each

TARGET is a name from ``tests.fuzz.targets.TARGETS``. The corpus directory (a fresh temporary
one when omitted) is seeded with the target's seeds. Any exception other than our
documented errors, a hang beyond ``-timeout`` seconds or memory beyond ``-rss_limit_mb``
is a finding: libFuzzer stops, writes the input to ``-artifact_prefix`` and exits non-zero.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["medcom_adapter"]):
    from medcom_adapter.errors import MedComError
    from tests.fuzz.targets import TARGETS

DEFAULTS = ["-timeout=10", "-rss_limit_mb=2048", "-max_len=65536"]


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: python -m tests.fuzz.atheris_run {{{','.join(TARGETS)}}} [options]")
    target = TARGETS[argv[1]]
    options = argv[2:]
    if not any(not o.startswith("-") for o in options):
        corpus = Path(tempfile.mkdtemp(prefix=f"fuzz-{target.name}-"))
        options.append(str(corpus))
    else:
        corpus = Path(next(o for o in options if not o.startswith("-")))
    corpus.mkdir(parents=True, exist_ok=True)
    for number, seed in enumerate(target.seeds()):
        (corpus / f"seed-{number}").write_bytes(seed)

    def one_input(data: bytes) -> None:
        with contextlib.suppress(MedComError):
            target.run(data)

    atheris.Setup([argv[0], *DEFAULTS, *options], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)

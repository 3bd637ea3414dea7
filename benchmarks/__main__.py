"""``python -m benchmarks``: run every benchmark, print each report and write RESULTS.md.

Each benchmark module has a ``main()`` that prints its report: the floor it measured in the
same run, our figure as a ratio to that floor, absolute medians for information, and whether
its target was met. ``RESULTS.md`` collects those reports with the machine and the date, so
it can be regenerated at any time (``make bench``). ``--only NAME`` runs a subset.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from benchmarks import (
    allocator,
    edifact_parse,
    end_to_end,
    fhir_validate,
    journal,
    memory,
    referral_build_validate,
    service,
    startup,
    workers,
    writers,
)
from medcom_adapter import allocator as allocator_settings

BENCHMARKS: tuple[ModuleType, ...] = (
    referral_build_validate,
    fhir_validate,
    edifact_parse,
    journal,
    end_to_end,
    memory,
    allocator,
    service,
    startup,
    workers,
    writers,
)

RESULTS = Path(__file__).with_name("RESULTS.md")


class _Tee(io.StringIO):
    """Keeps what a benchmark prints for the report while showing it on the terminal."""

    def write(self, text: str) -> int:
        if sys.__stdout__ is not None:
            sys.__stdout__.write(text)
            sys.__stdout__.flush()
        return super().write(text)


def _targets(name: str, report: str) -> list[str]:
    """The report's lines that name a target, each under the heading (``== ...``) above it."""
    found, heading = [], ""
    for line in report.splitlines():
        if line.startswith("=="):
            heading = line.strip("= ").split("  ")[0].split(":")[0]
        elif "target" in line:
            found.append(f"- `{name}` ({heading}): {' '.join(line.split())}")
    return found


def _name(module: ModuleType) -> str:
    return module.__name__.rpartition(".")[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", action="append", choices=[_name(b) for b in BENCHMARKS],
                        help="run only this benchmark (repeatable); RESULTS.md is not written")
    args = parser.parse_args(argv)
    tuned = allocator_settings.tune()  # as the CLI and workers start (see benchmarks/allocator)
    load_before = os.getloadavg()[0]
    chosen = [b for b in BENCHMARKS if not args.only or _name(b) in args.only]
    sections = []
    targets: list[str] = []
    for bench in chosen:
        # what the last benchmark wrote (the journal's loads: hundreds of MB) goes to disk
        # now, not during the next one's timed syncs
        os.sync()
        tee = _Tee()
        started = time.perf_counter()
        with contextlib.redirect_stdout(tee):
            bench.main()
        took = time.perf_counter() - started
        doc = (bench.__doc__ or "").strip().split("\n")[0]
        targets += _targets(_name(bench), tee.getvalue())
        sections.append(f"## {_name(bench)}\n\n{doc}\n\n```\n{tee.getvalue().rstrip()}\n```\n"
                        f"\n(run took {took:.0f} s)\n")
    if not args.only:
        head = (f"# Benchmark results\n\nWritten by `make bench` (`python -m benchmarks`) on "
                f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {platform.python_implementation()} "
                f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cpu, "
                f"{platform.platform(terse=True)}; glibc malloc thresholds "
                f"{'set as the CLI and workers set them' if tuned else 'left at their defaults'}"
                f".\n\nEvery figure is a ratio to a floor measured "
                f"in the same run; absolute medians are for information only.\n")
        load = max(load_before, os.getloadavg()[0])
        head += (f"\nLoad average (1 minute) {load_before:.1f} at the start, "
                 f"{os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} CPUs.")
        if load > (os.cpu_count() or 1):
            head += (" The machine was busy with other work during this run: absolute "
                     "figures are slower than on a quiet machine, and timed ratios move with "
                     "the load (each floor is sampled in turn with what it is compared to, "
                     "which keeps them comparable, not exact).")
        head += "\n"
        summary = ("## Targets\n\nEvery line of the reports below that names a target, "
                   "with its verdict:\n\n" + "\n".join(targets) + "\n")
        RESULTS.write_text("\n".join([head, summary, *sections]), encoding="utf-8")
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

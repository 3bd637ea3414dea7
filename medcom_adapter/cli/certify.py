"""``certify PATH...``: validate a vendor's message files and report (text, JUnit, HTML).

``certify --scenarios send|receive --mailbox DIR`` lists MedCom's test-protocol scenarios
the kit plays; playing them over a VANS mailbox needs the transport, and says so.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from medcom_adapter.cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    certify = commands.add_parser(
        "certify", help="check message files (or rehearse MedCom's test protocol)")
    certify.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                         help="message files, or folders to search for them")
    certify.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML")
    certify.add_argument("--html", type=Path, metavar="FILE", help="also write an HTML report")
    certify.add_argument("--scenarios", choices=("send", "receive"),
                         help="play MedCom's send or receive test cases over a mailbox")
    certify.add_argument("--mailbox", type=Path, metavar="DIR",
                         help="the VANS mailbox folder pair (DIR/in, DIR/out) for --scenarios")
    certify.set_defaults(run=_certify)


def _certify(args: argparse.Namespace) -> int:
    if args.scenarios:
        return _scenarios(args)
    if not args.paths:
        print("medcom-adapter: certify needs PATH... (or --scenarios)", file=sys.stderr)
        return EXIT_USAGE
    from medcom_adapter.certify import reports
    from medcom_adapter.certify.runner import certify

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        print(f"medcom-adapter: no such file or folder: {missing[0]}", file=sys.stderr)
        return EXIT_USAGE
    results = certify(args.paths)
    sys.stdout.write(reports.text(results))
    if args.junit:
        args.junit.write_bytes(reports.junit(results))
    if args.html:
        args.html.write_text(reports.html_report(results, generated=datetime.now()),
                             encoding="utf-8")
    return EXIT_OK if all(r.valid for r in results) else EXIT_INVALID


def _scenarios(args: argparse.Namespace) -> int:
    from medcom_adapter.certify.scenarios import SCENARIOS, Direction

    direction = Direction(args.scenarios)
    chosen = [s for s in SCENARIOS if s.direction is direction]
    print(f"{len(chosen)} {direction.value} scenarios:")
    for s in chosen:
        print(f"  {s.id:14} {s.title}")
    print("medcom-adapter: playing scenarios over a mailbox needs the VANS mailbox transport, "
          "which this installation does not have yet", file=sys.stderr)
    return EXIT_USAGE

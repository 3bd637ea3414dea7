"""``stats``: a period's traffic, answer times and §126a henvisninger, small numbers hidden.

Reads the journal (audited under ``--actor``) and prints text, JSON or a standalone HTML
page with SVG charts. Counts from 1 to 4 are shown as ``<5`` in every format.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from medcom_adapter.cli.common import EXIT_OK


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from medcom_adapter.cli.journal import _login
    from medcom_adapter.cli.network import RECEIVERS

    stats = commands.add_parser("stats", help="a period's traffic and henvisninger, aggregated")
    stats.add_argument("--from", dest="since", required=True, type=date.fromisoformat,
                       metavar="YYYY-MM-DD")
    stats.add_argument("--to", dest="until", required=True, type=date.fromisoformat,
                       metavar="YYYY-MM-DD")
    stats.add_argument("--format", choices=("text", "json", "html"), default="text")
    stats.add_argument("--out", type=Path, metavar="FILE", help="default: standard output")
    stats.add_argument("--unit-ean", metavar="EAN", help="only this unit's messages")
    stats.add_argument("--unit-sor", metavar="SOR", help="only this unit's henvisninger")
    stats.add_argument("--journal", metavar="URL", help="journal URL (default "
                       "$MEDCOM_JOURNAL_URL or SQLite in $MEDCOM_DATA_DIR)")
    stats.add_argument("--receivers", type=Path, default=RECEIVERS, metavar="FILE")
    stats.add_argument("--actor", default=_login(), help="who reads, for the audit log")
    stats.set_defaults(run=_stats)


def _stats(args: argparse.Namespace) -> int:
    from medcom_adapter.addressing.directory import Directory
    from medcom_adapter.cli.journal import open_audited
    from medcom_adapter.errors import InvalidValue
    from medcom_adapter.stats import collect, report

    if args.until < args.since:
        raise InvalidValue("--to is before --from")
    directory = Directory.load(args.receivers)
    journal = open_audited(args)
    try:
        found = collect.figures(journal, directory, since=args.since, until=args.until,
                                actor=args.actor, unit_ean=args.unit_ean,
                                unit_sor=args.unit_sor)
    finally:
        journal.close()
    render = {"text": report.as_text, "json": report.as_json, "html": report.as_html}
    text = render[args.format](found)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    return EXIT_OK

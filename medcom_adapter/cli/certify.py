"""``certify PATH...``: validate a vendor's message files and report (text, JUnit, HTML).

``certify --scenarios send|receive --mailbox DIR`` plays MedCom's test protocol against a
vendor's system over a VANS mailbox folder pair (DIR/out is read by the vendor's system,
DIR/in written by it), showing progress, with the same reports; with ``--sandbox`` DIR is
the vendor's own mailbox on the sandbox VANS network (it writes DIR/out, reads DIR/in) and
the sandbox's counterparts (GP systems, DNHF, BUP departments) answer what it sends, the
kit judging; ``--evidence FILE.zip``
also writes the evidence pack. ``--list-scenarios`` lists every scenario (MedCom's cases
by MedCom's ids), ``--verify-evidence FILE.zip`` checks a pack against its manifest.
``--integration URL --key KEY`` checks the button-integration contract against a running
service (``certify.integration``).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from medcom_adapter.cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from medcom_adapter.resources import fixtures

if TYPE_CHECKING:
    from medcom_adapter.certify.protocol import Line

DEFAULT_CATALOGUE = fixtures() / "catalogue"


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
                         help="the VANS mailbox folder pair for --scenarios: the vendor's "
                              "system reads DIR/out and writes DIR/in")
    certify.add_argument("--sandbox", action="store_true",
                         help="play through the sandbox VANS network: DIR is the vendor's "
                              "own mailbox (it writes DIR/out, reads DIR/in) and the "
                              "sandbox's counterparts answer what it sends")
    certify.add_argument("--as", dest="ean", default=None, metavar="EAN",
                         help="with --sandbox: the vendor's location number (default "
                              "5790000121526, the GP the catalogue's messages go to)")
    certify.add_argument("--receivers", type=Path, default=None, metavar="FILE",
                         help="with --sandbox: the directory the network routes by")
    certify.add_argument("--timeout", type=float, metavar="SECONDS",
                         help="how long to wait for each scenario's answers or message "
                              "(default 60 for receive, 600 for send)")
    certify.add_argument("--quiet", type=float, default=3.0, metavar="SECONDS",
                         help="then how long to listen for answers that must not come "
                              "(default 3)")
    certify.add_argument("--only", action="append", metavar="ID",
                         help="play only this scenario (repeatable)")
    certify.add_argument("--catalogue", type=Path, default=DEFAULT_CATALOGUE, metavar="DIR",
                         help="the fixture catalogue the scenarios deliver from")
    certify.add_argument("--list-scenarios", action="store_true",
                         help="list every scenario: id, title, kind, direction, source")
    certify.add_argument("--format", choices=("text", "json"), default="text",
                         help="for --list-scenarios")
    certify.add_argument("--evidence", type=Path, metavar="FILE.zip",
                         help="with --scenarios: also write the evidence pack")
    certify.add_argument("--integration", metavar="URL",
                         help="check the button-integration contract against the service "
                              "running at URL (use a test or sandbox service: it sends)")
    certify.add_argument("--key", metavar="KEY",
                         help="with --integration: the case system's API key (default "
                              "$MEDCOM_API_KEY)")
    certify.add_argument("--other-key", metavar="KEY",
                         help="with --integration: a key of another case system or unit, "
                              "for the tenancy check")
    certify.add_argument("--verify-evidence", type=Path, metavar="FILE.zip",
                         help="check an evidence pack against its manifest")
    certify.set_defaults(run=_certify)


def _certify(args: argparse.Namespace) -> int:
    if args.list_scenarios:
        return _list(args)
    if args.verify_evidence:
        return _verify(args.verify_evidence)
    if args.integration:
        return _integration(args)
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


def _list(args: argparse.Namespace) -> int:
    import json

    from medcom_adapter.certify.protocol import every_scenario

    rows = [s.describe() for s in every_scenario()]
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    for row in rows:
        print(f"{row['id']:<66} {row['direction']:<8} {row['kind']:<18} {row['title']}")
    print(f"{len(rows)} scenarios")
    return EXIT_OK


def _verify(path: Path) -> int:
    from medcom_adapter.certify.evidence import verify

    problems = verify(path)
    for problem in problems:
        print(f"  {problem}")
    print(f"{path}: " + ("intact, every file matches the manifest" if not problems
                         else f"BROKEN, {len(problems)} problem(s)"))
    return EXIT_OK if not problems else EXIT_INVALID


def _scenarios(args: argparse.Namespace) -> int:
    from medcom_adapter.certify import reports
    from medcom_adapter.certify.protocol import ScenarioRunner, Timing, chosen
    from medcom_adapter.certify.scenarios import Direction, Scenario
    from medcom_adapter.model.carecommunication import CareCommunication
    if args.mailbox is None:
        print("medcom-adapter: --scenarios needs --mailbox DIR", file=sys.stderr)
        return EXIT_USAGE
    if not (args.catalogue / "manifest.json").is_file():
        print(f"medcom-adapter: no fixture catalogue in {args.catalogue} (give --catalogue)",
              file=sys.stderr)
        return EXIT_USAGE
    direction = Direction(args.scenarios)
    scenarios = chosen(direction)
    if args.only:
        unknown = set(args.only) - {s.id for s in scenarios}
        if unknown:
            print(f"medcom-adapter: no {direction.value} scenario {sorted(unknown)[0]}",
                  file=sys.stderr)
            return EXIT_USAGE
        scenarios = [s for s in scenarios if s.id in args.only]
    timeout = args.timeout or (60.0 if direction is Direction.RECEIVE else 600.0)

    line = _line(args)
    if line is None:
        return EXIT_USAGE
    where = line.in_dir

    def progress(line: str) -> None:
        print(line, flush=True)

    def prompt(scenario: Scenario, ours: CareCommunication | None) -> None:
        about = (f" (our message {ours.message_id}, thread {ours.thread_id})"
                 if ours is not None else "")
        print(f"    >>> {scenario.ask}{about}", flush=True)
        print(f"        waiting up to {timeout:g} s for it in {where}", flush=True)

    runner = ScenarioRunner(line, args.catalogue,
                            timing=Timing(timeout=timeout, quiet=args.quiet),
                            progress=progress)
    started = datetime.now().astimezone()
    over = "the sandbox VANS network" if args.sandbox else args.mailbox
    print(f"playing {len(scenarios)} {direction.value} scenarios over {over}")
    if direction is Direction.RECEIVE:
        results = runner.receive(scenarios)
    else:
        results = runner.send(scenarios, prompt)
    sys.stdout.write(reports.scenario_text(results))
    rows = reports.scenario_rows(results)
    junit = reports.junit(rows, suite=f"medcom-{direction.value}-protocol")
    html = reports.html_report(rows, title=f"MedCom test protocol: {direction.value}",
                               generated=datetime.now(), words=reports.SCENARIO_WORDS)
    if args.junit:
        args.junit.write_bytes(junit)
    if args.html:
        args.html.write_text(html, encoding="utf-8")
    if args.evidence:
        from medcom_adapter.certify import evidence

        args.evidence.write_bytes(evidence.pack(
            runner.exchanged, junit=junit, html=html,
            env=evidence.environment(args.catalogue, started=started)))
        print(f"wrote the evidence pack {args.evidence}")
    return EXIT_OK if all(r.passed for r in results) else EXIT_INVALID


def _integration(args: argparse.Namespace) -> int:
    import os

    from medcom_adapter.certify import integration, reports

    key = args.key or os.environ.get("MEDCOM_API_KEY")
    if not key:
        print("medcom-adapter: --integration needs --key KEY (or MEDCOM_API_KEY)",
              file=sys.stderr)
        return EXIT_USAGE
    contract = integration.Contract(args.integration, key, other_key=args.other_key,
                                    timeout=args.timeout or 60.0)
    print(f"checking the integration contract against {args.integration}")
    results = contract.run(lambda line: print(line, flush=True))
    sys.stdout.write(integration.text(results))
    rows = integration.rows(results)
    if args.junit:
        args.junit.write_bytes(reports.junit(rows, suite="medcom-integration-contract"))
    if args.html:
        args.html.write_text(reports.html_report(
            rows, title="Button-integration contract", generated=datetime.now(),
            words=("contract items", "kept", "broken")), encoding="utf-8")
    return EXIT_OK if not any(r.failures for r in results) else EXIT_INVALID


def _line(args: argparse.Namespace) -> Line | None:
    """The mailbox folder pair, or the sandbox network with the vendor's mailbox on it."""
    from medcom_adapter.transport.vans_mailbox import VansMailbox

    if not args.sandbox:
        if args.ean or args.receivers:
            print("medcom-adapter: --as and --receivers go with --sandbox", file=sys.stderr)
            return None
        return VansMailbox(args.mailbox)
    from medcom_adapter.addressing.directory import Directory
    from medcom_adapter.certify.sandbox_line import VENDOR_EAN, folder_line
    from medcom_adapter.resources import EXAMPLE_RECEIVERS

    directory = Directory.load(args.receivers or EXAMPLE_RECEIVERS)
    try:
        return folder_line(args.mailbox, directory, ean=args.ean or VENDOR_EAN)
    except ValueError as exc:
        print(f"medcom-adapter: --as: {exc}", file=sys.stderr)
        return None

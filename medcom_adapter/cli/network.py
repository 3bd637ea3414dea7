"""Commands that move messages: ``demo``, ``send``, ``poll``, ``run``, ``resend``, ``sandbox``.

``send`` queues a request and hands what is queued to the VANS mailbox; ``poll`` takes in
what arrived, answers it, delivers it to the hook and sends what is due; ``run`` polls and
sends until stopped. With ``MEDCOM_EHMI_*`` set (``ehmi_client.settings``) they work the
EHMI access point beside the mailbox and deliver the EDS reports that queued. ``sandbox``
plays the VANS network over mailbox folders; ``demo`` runs
the whole flow in-process on the sandbox and prints a summary.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from medcom_adapter.cli.common import EXIT_OK, EXIT_USAGE, read_json
from medcom_adapter.errors import InvalidConfiguration
from medcom_adapter.resources import EXAMPLE_RECEIVERS

RECEIVERS = EXAMPLE_RECEIVERS

def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser("demo", help="the whole flow on the local sandbox network")
    demo.add_argument("--faults", metavar="SPEC", help="e.g. seed=7,duplicate=0.2,reorder=0.2")
    demo.add_argument("--journal", metavar="URL",
                      help="journal URL (default: SQLite in the data directory, see --verbose)")
    demo.add_argument("--no-ehmi", action="store_true",
                      help="VANS only: no EHMI access point, EDS or EER on loopback TLS")
    demo.set_defaults(run=_demo)

    send = commands.add_parser("send", help="queue a request and send what is queued")
    send.add_argument("kind", choices=("referral", "km", "queued"))
    send.add_argument("--request", type=Path, metavar="REQ.json")
    _common(send)
    send.set_defaults(run=_send)

    poll = commands.add_parser("poll", help="take in, answer and deliver what arrived; send")
    _common(poll)
    _hook_options(poll)
    poll.set_defaults(run=_poll)

    run = commands.add_parser("run", help="poll and send until stopped")
    _common(run)
    _hook_options(run)
    run.add_argument("--interval", type=float, default=5.0, metavar="SECONDS")
    run.set_defaults(run=_run)

    resend = commands.add_parser("resend", help="send a timed-out message again (new envelope)")
    resend.add_argument("id", type=int, metavar="JOURNAL_ID")
    resend.add_argument("--envelope", action="store_true",
                        help="EHMI: hand the unchanged message over again in a new ehmiSBDH, "
                        "when its envelope receipt has not come")
    _common(resend)
    resend.set_defaults(run=_resend)

    sandbox = commands.add_parser("sandbox", help="play the VANS network over mailbox folders")
    sandbox.add_argument("--root", type=Path, required=True, metavar="DIR",
                         help="one mailbox folder per location number: DIR/<EAN>/{in,out}")
    sandbox.add_argument("--mailbox", action="append", default=[], metavar="EAN",
                         help="a location number served by a mailbox, not a counterpart")
    sandbox.add_argument("--receivers", type=Path, default=RECEIVERS, metavar="FILE")
    sandbox.add_argument("--faults", metavar="SPEC")
    sandbox.add_argument("--interval", type=float, default=0.5, metavar="SECONDS")
    sandbox.add_argument("--steps", type=int, metavar="N", help="stop after N steps")
    sandbox.set_defaults(run=_sandbox)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mailbox", type=Path, required=True, metavar="DIR",
                        help="the VANS provider client's mailbox folder")
    parser.add_argument("--naming", default="{kind}_{envelope_id}.{ext}", metavar="PATTERN",
                        help="out-file name pattern (%(default)s)")
    parser.add_argument("--layout", default="default", choices=("default", "kmd"))
    parser.add_argument("--journal", metavar="URL", help="journal URL (default: the configured"
                        " store, SQLite in the data directory)")
    parser.add_argument("--receivers", type=Path, default=RECEIVERS, metavar="FILE")
    parser.add_argument("--lease", metavar="SECONDS", help="how long a worker holds a "
                        "message or file it claimed before another may take it over "
                        "(default: $MEDCOM_OUTBOX_LEASE, else 60)")


def _hook_options(parser: argparse.ArgumentParser) -> None:
    hook = parser.add_mutually_exclusive_group()
    hook.add_argument("--hook", metavar="MODULE:FUNCTION", help="Python entry point")
    hook.add_argument("--webhook", metavar="URL",
                      help="POST each delivery as JSON, signed (X-MedCom-Signature) with "
                      "$MEDCOM_WEBHOOK_SECRET_FILE or $MEDCOM_WEBHOOK_SECRET; https only "
                      "(http to this machine only)")
    hook.add_argument("--deliver-to", type=Path, metavar="DIR", help="one file per delivery")


def open_journal(url: str | None) -> Any:
    """The journal ``url`` names; the configured default store (SQLite in the data
    directory) when None."""
    from medcom_adapter.journal.factory import open_journal as open_configured

    return open_configured(url)


def _journal_label(url: str | None) -> str:
    from medcom_adapter.journal.factory import URL_ENV, data_dir

    url = url or os.environ.get(URL_ENV)
    return url.split("@")[-1] if url else f"SQLite in {data_dir() / 'journal.sqlite3'}"


def _setup(args: argparse.Namespace, hook: Any = None) -> Any:
    """The unit's node on the VANS mailbox folder the arguments name, and on EHMI when
    ``MEDCOM_EHMI_*`` configure it (checked before the journal is opened)."""
    from medcom_adapter.addressing.directory import Directory
    from medcom_adapter.ehmi_client.settings import EhmiSettings
    from medcom_adapter.ehmi_client.side import from_settings
    from medcom_adapter.node import wire
    from medcom_adapter.transport.vans_mailbox import LAYOUTS, FileNaming, VansMailbox
    from medcom_adapter.workers.lease import lease_seconds
    from medcom_adapter.workers.outbox import OutboxSettings

    lease = lease_seconds(args.lease, os.environ)
    ehmi = EhmiSettings.from_env(os.environ)
    if ehmi is not None:
        ehmi.check_lease(lease)
    directory = Directory.load(args.receivers)
    mailbox = VansMailbox(args.mailbox, naming=FileNaming(args.naming),
                          layout=LAYOUTS[args.layout])
    journal = open_journal(args.journal)
    side = None if ehmi is None else from_settings(ehmi, journal, lease_seconds=lease)
    return wire(journal, directory, mailbox, hook=hook,
                settings=OutboxSettings(lease_seconds=lease), ehmi=side)


def _hook(args: argparse.Namespace) -> Any:
    from medcom_adapter.workers.hooks import FolderHook, Webhook, python_hook, webhook_secret

    if args.hook:
        return python_hook(args.hook)
    if args.webhook:
        return Webhook(args.webhook, secret=webhook_secret())
    if args.deliver_to:
        return FolderHook(args.deliver_to)
    raise InvalidConfiguration("say where deliveries go: --hook, --webhook or --deliver-to")


def _send(args: argparse.Namespace) -> int:
    from medcom_adapter.workers.submit import queue_km, queue_referral

    node = _setup(args)
    journal, directory = node.journal, node.directory
    if args.kind != "queued":
        if args.request is None:
            print("medcom-adapter: send referral|km needs --request", file=sys.stderr)
            return EXIT_USAGE
        raw = read_json(args.request)
        if raw is None:
            return EXIT_USAGE
        queue = queue_referral if args.kind == "referral" else queue_km
        queued = queue(journal, directory, raw, files=args.request.parent,
                       checked=node.checked)
        print(f"queued {', '.join(f'#{i}' for i in queued.ids)} for {queued.receiver}"
              + (f" via {queued.via}" if queued.via else ""))
    result = node.outbox.run_once()
    print(f"sent {result.sent}, failed {result.failed}, deferred {result.deferred}")
    return EXIT_OK


def _poll_once(node: Any) -> str:
    taken, sent, overdue = node.round()
    return (f"delivered {taken.delivered}, receipts {taken.receipts}, duplicates"
            f" {taken.duplicates}, refused {taken.refused}, deferred {taken.deferred};"
            f" sent {sent.sent}, failed {sent.failed}; timed out {overdue}")


def _poll(args: argparse.Namespace) -> int:
    print(_poll_once(_setup(args, _hook(args))))
    return EXIT_OK


BACKOFF_MOST = 300.0  # seconds between tries while a resource stays lost


def _run(args: argparse.Namespace) -> int:
    """Poll until stopped. A resource fault (full disk, lost database) is said once per
    try and tried again after a back-off that doubles up to five minutes: every write is
    one transaction, so retrying is safe."""
    from medcom_adapter.errors import ResourceFault

    node = _setup(args, _hook(args))
    stop = _stop_flag()
    wait = args.interval
    while not stop:
        try:
            line = _poll_once(node)
        except (ResourceFault, OSError) as exc:
            wait = min(max(wait * 2, args.interval, 1.0), BACKOFF_MOST)
            said = f"{exc.code}: {exc}" if isinstance(exc, ResourceFault) else \
                f"local.resource: {exc.strerror or exc}: {exc.filename or ''}"
            print(f"medcom-adapter: {said}; trying again in {wait:.0f} s", file=sys.stderr,
                  flush=True)
        else:
            wait = args.interval
            if not line.startswith("delivered 0, receipts 0, duplicates 0, refused 0, "
                                   "deferred 0; sent 0, failed 0; timed out 0"):
                print(line, flush=True)
        _sleep(wait, stop)
    return EXIT_OK


def _sleep(seconds: float, stop: list[bool]) -> None:
    """Sleep, waking early on a stop signal."""
    until = time.monotonic() + seconds
    while not stop and time.monotonic() < until:
        time.sleep(min(0.2, until - time.monotonic()))


def _resend(args: argparse.Namespace) -> int:
    outbox = _setup(args).outbox
    new_id = outbox.resend_envelope(args.id) if args.envelope else outbox.resend(args.id)
    print(f"#{args.id} resent as #{new_id}")
    return EXIT_OK


def _sandbox(args: argparse.Namespace) -> int:
    from medcom_adapter.addressing.directory import Directory
    from medcom_adapter.sandbox.faults import FaultPlan
    from medcom_adapter.sandbox.standard import standard_network
    from medcom_adapter.transport.vans_mailbox import VansMailbox

    directory = Directory.load(args.receivers)
    eans = args.mailbox or [directory.receivers[0].ean]
    mailboxes = {ean: VansMailbox(args.root / ean).provider for ean in eans}
    faults = FaultPlan.parse(args.faults) if args.faults else None
    network = standard_network(directory, mailboxes, faults=faults)
    print(f"sandbox VANS network: mailboxes {', '.join(eans)} under {args.root};"
          f" counterparts for the other {len(directory.receivers)} directory entries", flush=True)
    stop = _stop_flag()
    steps = 0
    while not stop and (args.steps is None or steps < args.steps):
        seen = len(network.trace)
        network.step()
        steps += 1
        for hop in network.trace[seen:]:
            print(f"{hop.kind} {hop.envelope_id} {hop.sender} -> {hop.receiver}: {hop.fate}",
                  flush=True)
        if args.steps is None:
            time.sleep(args.interval)
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from medcom_adapter.sandbox.demo import run_demo, summary
    from medcom_adapter.sandbox.faults import FaultPlan

    journal = open_journal(args.journal)
    faults = FaultPlan.parse(args.faults) if args.faults else None
    print("medcom-adapter demo: a PPR unit on the local sandbox VANS network"
          + ("" if args.no_ehmi else " and EHMI (access point, EDS, EER on loopback TLS)")
          + f" (journal: {_journal_label(args.journal)})")
    ehmi = None
    if not args.no_ehmi:
        from medcom_adapter.sandbox.demo import UNIT_EAN, UNIT_SOR
        from medcom_adapter.sandbox.ehmi_network import EhmiSandbox

        ehmi = EhmiSandbox.start(gln=UNIT_EAN, sor=UNIT_SOR)
    try:
        summary(run_demo(journal, faults=faults, ehmi=ehmi), sys.stdout)
    finally:
        if ehmi is not None:
            ehmi.stop()
    return EXIT_OK


def _stop_flag() -> list[bool]:
    """A list that becomes truthy on SIGTERM or SIGINT (a clean stop between polls)."""
    flag: list[bool] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        flag.append(True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return flag


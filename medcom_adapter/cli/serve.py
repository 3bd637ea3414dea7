"""``serve``: the HTTP service for case systems and PPR staff; ``api-key``: its keys.

API keys live hashed in the journal's shared store (``--journal URL`` or
``MEDCOM_JOURNAL_URL``; by default the embedded SQLite journal in ``MEDCOM_DATA_DIR``), so
every ``serve`` process on that journal sees a new or revoked key on its next request; a
new key is printed once and never stored. Each key names the units it acts for.
``MEDCOM_PUBLIC_URL`` is the address people reach the service at (behind a proxy, its
public https address): launch URLs are made from it, never from a request's Host header.
``MEDCOM_SERVICE_SECRET`` (hex) fixes the launch-token secret, so several processes behind
one address accept each other's URLs; without it each process makes its own.

``serve`` also runs the outbox and inbox workers in the background: on the in-process
sandbox network by default (as the unit with location number ``--unit``), over the VANS
provider client's mailbox folder with ``--mailbox DIR``, or not at all with ``--no-workers``
(when ``medcom-adapter run`` does that job in a process of its own). With
``MEDCOM_EHMI_*`` set (``ehmi_client.settings``) the workers also work the EHMI access
point, deliver EDS reports and look receivers up in EER, as the demo does on the sandbox; a
wrong setting stops ``serve`` at start with an error naming it.

At start ``serve`` logs (JSON lines on stderr) what it runs as: version, unit, journal
(without password), network, number of API keys and the public URL; with no live key it
warns, since no case system can call it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medcom_adapter.cli.common import EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from medcom_adapter.journal.interface import Journal

SECRET_ENV = "MEDCOM_SERVICE_SECRET"
PUBLIC_URL_ENV = "MEDCOM_PUBLIC_URL"  # where people reach the service: launch URLs use it


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="run the HTTP service (API and pages)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--journal", metavar="URL",
                       help="journal URL (sqlite:///..., postgresql://..., memory:); "
                            "default MEDCOM_JOURNAL_URL or the embedded SQLite journal")
    serve.add_argument("--receivers", type=Path, metavar="FILE",
                       help="receivers directory (JSON); default the bundled example")
    serve.add_argument("--https", action="store_true",
                       help="served over TLS (directly or by a proxy): Secure cookies, HSTS")
    serve.add_argument("--certfile", type=Path, metavar="PEM",
                       help="serve TLS with this certificate (chain); implies --https")
    serve.add_argument("--keyfile", type=Path, metavar="PEM",
                       help="the certificate's private key")
    serve.add_argument("--public-url", metavar="URL",
                       help="the address case systems and browsers reach the service at "
                            "(default MEDCOM_PUBLIC_URL, else http(s)://HOST:PORT); launch "
                            "URLs start with it")
    serve.add_argument("--log-format", choices=("json", "text"), default="json",
                       help="JSON lines (default) or plain text on stderr")
    network = serve.add_mutually_exclusive_group()
    network.add_argument("--mailbox", type=Path, metavar="DIR",
                         help="send and receive over this VANS mailbox folder "
                              "(default: the in-process sandbox network)")
    network.add_argument("--no-workers", action="store_true",
                         help="queue only; another process sends and receives")
    serve.add_argument("--unit", default=None, metavar="EAN",
                       help="on the sandbox: the unit's location number (default: the "
                            "example directory's PPR unit)")
    serve.set_defaults(run=_serve)

    keys = commands.add_parser("api-key", help="manage the service's API keys")
    actions = keys.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="make a key for a case system (printed once)")
    add.add_argument("name", help="the case system, e.g. sbsys-eksempel-kommune")
    add.add_argument("--unit", action="append", dest="units", metavar="SOR[:EAN]",
                     required=True, help="a unit the key acts for (repeatable)")
    add.add_argument("--scope", action="append", dest="scopes", metavar="SCOPE",
                     help="launch, send, read, export, inbound, journal (repeatable; default "
                          "all but journal)")
    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    listing = actions.add_parser("list", help="list keys (ids, names, scopes; never secrets)")
    webhook = actions.add_parser(
        "webhook", help="push received correspondence to a case system's URL, signed")
    webhook.add_argument("key_id")
    webhook.add_argument("url", nargs="?", help="omit to stop pushing")
    for p in (add, revoke, listing, webhook):
        p.add_argument("--journal", metavar="URL", help="journal URL (default "
                       "MEDCOM_JOURNAL_URL or the embedded SQLite journal)")
    keys.set_defaults(run=_keys)


def _keys(args: argparse.Namespace) -> int:
    from medcom_adapter.journal.factory import open_journal

    journal = open_journal(args.journal)
    try:
        return _key_action(args, journal)
    finally:
        journal.close()


def _key_action(args: argparse.Namespace, journal: Journal) -> int:
    from medcom_adapter.journal.shared import Unit
    from medcom_adapter.service.apikeys import DEFAULT_SCOPES, ApiKeys

    store = ApiKeys(journal.shared)
    if args.action == "list":
        for key in store.all():
            state = "revoked" if key.revoked else "active"
            acts_for = " ".join(str(u) for u in key.units)
            print(f"{key.id}  {key.name}  {','.join(key.scopes)}  {acts_for}  {state}")
        return EXIT_OK
    if args.action == "webhook":
        try:
            secret = store.set_webhook(args.key_id, args.url)
        except KeyError:
            print(f"medcom-adapter: no API key {args.key_id}")
            return EXIT_USAGE
        except ValueError as exc:
            print(f"medcom-adapter: {exc}")
            return EXIT_USAGE
        if secret is None:
            print(f"no webhook for {args.key_id}")
        else:
            print(f"webhook {args.url} for {args.key_id}; the signing secret, shown once:")
            print(secret)
        return EXIT_OK
    if args.action == "revoke":
        try:
            store.revoke(args.key_id)
        except KeyError:
            print(f"medcom-adapter: no API key {args.key_id}")
            return EXIT_USAGE
        print(f"revoked {args.key_id}")
        return EXIT_OK
    try:
        units = tuple(Unit.parse(u) for u in args.units)
        key, secret = store.add(args.name, units, tuple(args.scopes or DEFAULT_SCOPES))
    except ValueError as exc:
        print(f"medcom-adapter: {exc}")
        return EXIT_USAGE
    print(f"key id {key.id} for {key.name} ({', '.join(key.scopes)}; units "
          f"{' '.join(str(u) for u in key.units)}); the key, shown once:")
    print(secret)
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from medcom_adapter.addressing.directory import Directory
    from medcom_adapter.ehmi_client.settings import EhmiSettings
    from medcom_adapter.ehmi_client.side import from_settings
    from medcom_adapter.journal.factory import URL_ENV, open_journal
    from medcom_adapter.journal.memory import MemoryJournal
    from medcom_adapter.logs import configure
    from medcom_adapter.node import WorkerLoop, mailbox_loop, sandbox_loop
    from medcom_adapter.sandbox.demo import UNIT_EAN
    from medcom_adapter.service import Settings, create_app
    from medcom_adapter.service.apikeys import ApiKeys
    from medcom_adapter.service.heap import settle
    from medcom_adapter.service.server import protocol
    from medcom_adapter.service.webhook import CaseSystemWebhooks
    from medcom_adapter.transport.vans_mailbox import VansMailbox
    from medcom_adapter.workers.lease import lease_seconds
    from medcom_adapter.workers.outbox import OutboxSettings

    if (args.certfile is None) != (args.keyfile is None):
        print("medcom-adapter: --certfile and --keyfile go together", file=sys.stderr)
        return EXIT_USAGE
    configure(json_lines=args.log_format == "json")
    tls = args.certfile is not None
    scheme = "https" if tls else "http"
    # launch URLs are made from the public address, never from a request's Host header
    public = args.public_url or os.environ.get(PUBLIC_URL_ENV) or (
        None if args.host in ("0.0.0.0", "::") else f"{scheme}://{args.host}:{args.port}")
    settings = Settings(https=args.https or tls, sandbox=not args.mailbox and not args.no_workers,
                        public_url=public)
    if args.receivers:
        settings.directory = Directory.load(args.receivers)
    if os.environ.get(SECRET_ENV):
        settings.secret = bytes.fromhex(os.environ[SECRET_ENV])
    # EHMI's settings are checked before anything opens: a wrong one is named, typed
    ehmi = EhmiSettings.from_env(os.environ)
    lease = lease_seconds(env=os.environ)
    if ehmi is not None and not args.no_workers:
        ehmi.check_lease(lease)
    journal = open_journal(args.journal)
    workers: WorkerLoop | None = None
    if not args.no_workers:
        # the workers' own connection; an in-memory journal can only be shared
        own = journal if isinstance(journal, MemoryJournal) else open_journal(args.journal)
        hook = CaseSystemWebhooks(ApiKeys(own.shared), own)
        side = None if ehmi is None else from_settings(ehmi, own, lease_seconds=lease)
        if args.mailbox:
            workers = mailbox_loop(own, settings.directory, mailbox=args.mailbox, hook=hook,
                                   close=own is not journal, ehmi=side,
                                   settings=OutboxSettings(lease_seconds=lease))
        else:
            workers = sandbox_loop(own, settings.directory, unit_ean=args.unit or UNIT_EAN,
                                   hook=hook, close=own is not journal, ehmi=side)
    _log_start(args, ApiKeys(journal.shared),
               journal_url=args.journal or os.environ.get(URL_ENV),
               url=public or f"{scheme}://{args.host}:{args.port} (no --public-url)",
               unit=args.unit or (UNIT_EAN if settings.sandbox else None))
    try:
        app = create_app(journal, settings, workers=workers,
                         checked=workers.checked if workers else None,
                         quarantine=VansMailbox(args.mailbox) if args.mailbox else None)
        settle()  # start-up's heap set aside from the collector (see service.heap)
        # The access log is the application's own (service.correlation): with request ids,
        # launch tokens cut out.
        uvicorn.run(app, host=args.host,
                    port=args.port, server_header=False, log_config=None, access_log=False,
                    http=protocol(), ssl_certfile=args.certfile, ssl_keyfile=args.keyfile)
    finally:
        journal.close()
    return EXIT_OK


def _log_start(args: argparse.Namespace, keys: Any, *, journal_url: str | None, url: str,
               unit: str | None) -> None:
    import logging
    from importlib.metadata import version

    from medcom_adapter.ehmi_client.side import describe
    from medcom_adapter.journal.factory import data_dir, public_url

    log = logging.getLogger("medcom_adapter.serve")
    if args.mailbox:
        network = f"VANS mailbox {Path(args.mailbox).absolute()}"
    elif args.no_workers:
        network = "none in this process (--no-workers)"
    else:
        network = "sandbox (the in-process test network; no real mailbox)"
    ehmi = None if args.no_workers else describe(os.environ)
    if ehmi is not None:
        network += f"; {ehmi}"
    live = sum(1 for k in keys.all() if not k.revoked)
    facts = {"version": version("medcom-adapter"), "unit": unit, "network": network,
             "journal": public_url(journal_url), "data_directory": str(data_dir()),
             "api_keys": live, "public_url": url, "tls": args.certfile is not None}
    log.info("medcom-adapter %s serving at %s; unit %s; journal %s; network %s; API keys: %d",
             facts["version"], url, unit or "-", facts["journal"], network, live,
             extra={"fields": facts})
    if live == 0:
        log.warning("no live API key: case systems cannot call the API until one is made "
                    "with `medcom-adapter api-key add NAME --unit SOR`")

"""``medcom-adapter``: MedCom messaging for municipal units: messages, network, journal, service.

Exit codes: 0 success (all files valid), 1 a file is invalid or a request was refused,
2 usage or I/O error, or a resource fault (full or read-only disk, lost database
connection: nothing half-written, safe to run again). Errors are one line on stderr,
never a traceback.

Each command group lives in its own module with a ``register(commands)`` function; this
module only assembles them and turns errors into exit codes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from medcom_adapter import allocator
from medcom_adapter.cli import (
    certify,
    convert,
    journal,
    launch,
    messages,
    network,
    serve,
    sor,
    stats,
)
from medcom_adapter.cli.common import EXIT_INVALID, EXIT_USAGE
from medcom_adapter.errors import MedComError, ResourceFault

COMMAND_GROUPS = (
    messages,
    convert,
    sor,
    network,
    certify,
    journal,
    stats,
    serve,
    launch,
)


def main(argv: Sequence[str] | None = None) -> int:
    allocator.tune()  # before any message is handled: see the module
    args = _parser().parse_args(argv)
    if args.verbose:
        _say_where()
    try:
        result: int = args.run(args)
        return result
    except ResourceFault as exc:  # the disk or the database, not the input: exit 2
        print(f"medcom-adapter: {exc.code}: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_USAGE
    except MedComError as exc:
        print(f"medcom-adapter: {exc.code}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as exc:
        print(f"medcom-adapter: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return EXIT_USAGE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="medcom-adapter", description=__doc__.split("\n\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="say on stderr which data directory and journal are used")
    commands = parser.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.register(commands)
    return parser


def _say_where() -> None:
    import os

    from medcom_adapter.journal.factory import URL_ENV, data_dir, public_url

    print(f"medcom-adapter: data directory {data_dir()}", file=sys.stderr)
    print(f"medcom-adapter: journal {public_url(os.environ.get(URL_ENV))} (unless --journal)",
          file=sys.stderr)

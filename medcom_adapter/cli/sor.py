"""``sor import FILE``: keep a local copy of the SOR register for conversions.

The file is the CSV documented in ``medcom_adapter/addressing/sor.py`` (ean, sor, name,
department, phone). The register replaces the previous one in ``$MEDCOM_DATA_DIR``
(``sor-register.json``), where ``convert`` finds it; ``sor show EAN`` prints one entry.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from medcom_adapter.cli.common import EXIT_INVALID, EXIT_OK

REGISTER_FILE = "sor-register.json"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sor = commands.add_parser("sor", help="the local copy of the SOR register")
    actions = sor.add_subparsers(dest="sor_command", required=True)
    load = actions.add_parser("import", help="import a SOR register CSV (replaces the copy)")
    load.add_argument("file", type=Path, metavar="FILE")
    load.add_argument("--register", type=Path, metavar="FILE",
                      help=f"where to keep it (default: $MEDCOM_DATA_DIR/{REGISTER_FILE})")
    load.set_defaults(run=_import)
    show = actions.add_parser("show", help="one location number's entry")
    show.add_argument("ean", metavar="EAN")
    show.add_argument("--register", type=Path, metavar="FILE")
    show.set_defaults(run=_show)


def register_path(given: Path | None) -> Path:
    from medcom_adapter.journal.factory import data_dir

    return given or data_dir() / REGISTER_FILE


def _import(args: argparse.Namespace) -> int:
    from medcom_adapter.addressing.sor import SorRegister

    text = args.file.read_bytes().decode("utf-8-sig")
    imported = SorRegister.from_csv(text, where=str(args.file))  # InvalidConfiguration names it
    target = register_path(args.register)
    imported.save(target)
    print(f"imported {len(imported)} locations into {target}")
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    from medcom_adapter.addressing.sor import SorRegister

    entry = SorRegister.load(register_path(args.register)).by_ean(args.ean)
    if entry is None:
        print(f"medcom-adapter: location number {args.ean} is not in the SOR register")
        return EXIT_INVALID
    print(f"{entry.ean}  SOR {entry.sor}  {entry.label}  {entry.phone or ''}".rstrip())
    return EXIT_OK

"""``convert FILE --to TARGET``: the same message in another syntax.

Conversions are rows of ``CONVERTERS``: (input kind, target) -> a function from the file's
bytes to the files it becomes. One file goes to stdout, several need ``--out DIR``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from medcom_adapter.cli.common import EXIT_OK, EXIT_USAGE
from medcom_adapter.convert import edifact_oioxml

Converter = Callable[[bytes], tuple[tuple[str, bytes], ...]]

CONVERTERS: dict[tuple[str, str], Converter] = {
    ("edifact", "oioxml"): edifact_oioxml.to_oioxml_files,
    ("oioxml", "edifact"): edifact_oioxml.to_edifact_files,
}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    convert = commands.add_parser("convert", help="convert a message to another syntax")
    convert.add_argument("file", type=Path, metavar="FILE")
    convert.add_argument("--to", required=True, choices=sorted({t for _, t in CONVERTERS}))
    convert.add_argument("--out", type=Path, metavar="DIR",
                         help="write the result(s) here instead of to stdout")
    convert.set_defaults(run=_convert)


def input_kind(data: bytes) -> str:
    """edifact, oioxml or fhir: what ``CONVERTERS`` is keyed on."""
    from medcom_adapter.detect import FHIR_NAMESPACE, Syntax, sniff

    syntax = sniff(data)
    if syntax is Syntax.EDIFACT:
        return "edifact"
    if syntax is Syntax.FHIR_JSON or FHIR_NAMESPACE in bytes(data[:2048]):
        return "fhir"
    return "oioxml"


def _convert(args: argparse.Namespace) -> int:
    data = args.file.read_bytes()
    kind = input_kind(data)
    converter = CONVERTERS.get((kind, args.to))
    if converter is None:
        print(f"medcom-adapter: cannot convert {kind} to {args.to}", file=sys.stderr)
        return EXIT_USAGE
    files = converter(data)
    if args.out is None:
        if len(files) != 1:
            print(f"medcom-adapter: the conversion gives {len(files)} files: use --out DIR",
                  file=sys.stderr)
            return EXIT_USAGE
        sys.stdout.buffer.write(files[0][1])
        return EXIT_OK
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in files:
        (args.out / name).write_bytes(content)
        print(f"wrote {args.out / name}  {len(content)} bytes")
    return EXIT_OK

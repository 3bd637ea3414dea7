"""``convert FILE --to TARGET``: one message into its other form, after MedCom's mappings.

Which conversions exist is one table, ``CONVERTERS``: (kind of the input as ``detect``
names it, target) -> a function from the read input to the output files. Adding a
conversion is adding a row. One output goes to stdout unless ``--out DIR`` is given; more
than one (an XDIS91 with its XBIN01s) needs ``--out DIR``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medcom_adapter.cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from medcom_adapter.kinds import Kind
from medcom_adapter.oioxml.versions import current


@dataclass(frozen=True, slots=True)
class Options:
    """What a conversion may need beyond the input file."""

    sor: dict[str, str] = field(default_factory=dict)  # GLN -> SOR id
    binaries: tuple[Any, ...] = ()  # read XBIN01 Documents for an XDIS91's BIN references
    original_envelope: str | None = None
    original_version: str = current(Kind.CORRESPONDENCE).code
    fhir_format: str = "json"
    encoding: str = "ISO-8859-1"


@dataclass(frozen=True, slots=True)
class Source:
    """The input: its kind as ``detect`` names it, the model read from it, its bytes."""

    kind: str
    message: Any
    data: bytes


@dataclass(frozen=True, slots=True)
class Output:
    name: str  # a file name without personal data
    data: bytes


Converter = Callable[[Source, Options], list[Output]]


def _fhir_bytes(bundle: dict[str, Any], options: Options) -> tuple[str, bytes]:
    from medcom_adapter.fhir import wire

    if options.fhir_format == "xml":
        return "xml", wire.dump_xml(bundle)
    return "json", wire.dump_json(bundle)


def _xdis91_to_fhir(source: Source, options: Options) -> list[Output]:
    from medcom_adapter.convert.xdis91_fhir import sor_in_letter, to_fhir
    from medcom_adapter.fhir.carecommunication import to_bundle
    from medcom_adapter.model.parties import Organisation

    def sor_of(org: Organisation) -> str | None:
        return options.sor.get(str(org.ean)) or sor_in_letter(org)

    binaries = [letter for b in options.binaries for letter in b.message.letters]
    cc = to_fhir(source.message.message, binaries, sor_of=sor_of)
    ext, data = _fhir_bytes(to_bundle(cc), options)
    return [Output(f"CareCommunication_{cc.bundle_id}.{ext}", data)]


def _xctl_to_fhir(source: Source, options: Options) -> list[Output]:
    from medcom_adapter.convert.xctl_ack import to_fhir
    from medcom_adapter.fhir.acknowledgement import to_bundle

    ack = to_fhir(source.message.message, sor_of=options.sor.get)
    ext, data = _fhir_bytes(to_bundle(ack), options)
    return [Output(f"Acknowledgement_{ack.bundle_id}.{ext}", data)]


def _care_communication_to_oioxml(source: Source, options: Options) -> list[Output]:
    from medcom_adapter.convert.xdis91_fhir import to_oioxml
    from medcom_adapter.oioxml.emessage import build

    result = to_oioxml(source.message)
    km = result.correspondence
    out = [Output(f"XDIS91_{km.envelope.identifier}.xml",
                  build(km, current(Kind.CORRESPONDENCE), encoding=options.encoding))]
    out += [Output(f"XBIN01_{b.envelope.identifier}.xml",
                   build(b, current(Kind.BINARY), encoding=options.encoding))
            for b in result.binaries]
    return out


def _ack_to_oioxml(source: Source, options: Options) -> list[Output]:
    from medcom_adapter.convert.xctl_ack import RECEIPT_VERSION, Original, to_oioxml
    from medcom_adapter.convert.xdis91_fhir import ConversionError
    from medcom_adapter.model.receipts import Receipt
    from medcom_adapter.oioxml.emessage import build

    if options.original_envelope is None:
        raise ConversionError("an XCTL02/03 names the envelope id of the acknowledged OIOXML "
                              "message, which FHIR does not carry: give --original-envelope ID")
    original = Original(options.original_envelope, options.original_version)
    message = to_oioxml(source.message, original)
    receipt = message.letters[0]
    assert isinstance(receipt, Receipt)
    return [Output(f"{receipt.kind.value}_{message.envelope.identifier}.xml",
                   build(message, RECEIPT_VERSION[receipt.kind], encoding=options.encoding))]


def _edifact_to_oioxml(source: Source, options: Options) -> list[Output]:
    from medcom_adapter.convert.edifact_oioxml import to_oioxml_files

    return [Output(name, data) for name, data in to_oioxml_files(source.data)]


def _oioxml_to_edifact(source: Source, options: Options) -> list[Output]:
    from medcom_adapter.convert.edifact_oioxml import to_edifact_files

    return [Output(name, data) for name, data in to_edifact_files(source.data)]


_EDIFACT_TWINS = {"REF01": "XREF01", "BIN01": "XBIN01", "DIS91": "XDIS91",
                  "CTL01": "XCTL01", "CTL02": "XCTL02", "CTL03": "XCTL03"}

# (input kind as medcom_adapter.detect names it, target) -> converter
CONVERTERS: dict[tuple[str, str], Converter] = {
    ("XDIS91", "fhir"): _xdis91_to_fhir,
    ("XCTL03", "fhir"): _xctl_to_fhir,
    ("XCTL02", "fhir"): _xctl_to_fhir,
    ("CareCommunication", "oioxml"): _care_communication_to_oioxml,
    ("Acknowledgement", "oioxml"): _ack_to_oioxml,
    **{(edifact, "oioxml"): _edifact_to_oioxml for edifact in _EDIFACT_TWINS},
    **{(oioxml, "edifact"): _oioxml_to_edifact for oioxml in _EDIFACT_TWINS.values()},
}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    convert = commands.add_parser(
        "convert", help="convert a message to its other form (MedCom's mappings)")
    convert.add_argument("file", type=Path, metavar="FILE")
    convert.add_argument("--to", required=True, dest="target",
                         choices=sorted({target for _, target in CONVERTERS}))
    convert.add_argument("--out", type=Path, metavar="DIR",
                         help="write the result(s) here instead of stdout")
    convert.add_argument("--with", dest="binaries", type=Path, action="append", default=[],
                         metavar="XBIN.xml", help="an XBIN01 the XDIS91 refers to (repeatable)")
    convert.add_argument("--sor", action="append", default=[], metavar="GLN=SOR",
                         help="the SOR id of a location number, for FHIR (repeatable)")
    convert.add_argument("--original-envelope", metavar="ID",
                         help="envelope id of the acknowledged OIOXML message "
                              "(ack -> XCTL03/XCTL02)")
    convert.add_argument("--original-version", default=current(Kind.CORRESPONDENCE).code,
                         metavar="CODE",
                         help="VersionCode of the acknowledged letter (default %(default)s)")
    convert.add_argument("--fhir-format", choices=("json", "xml"), default="json")
    convert.add_argument("--encoding", default="ISO-8859-1", choices=("ISO-8859-1", "UTF-8"))
    convert.set_defaults(run=_convert)


def _convert(args: argparse.Namespace) -> int:
    sor: dict[str, str] = {}
    for pair in args.sor:
        gln, sep, sor_id = pair.partition("=")
        if not sep or not gln or not sor_id:
            print(f"medcom-adapter: --sor wants GLN=SOR, not {pair!r}", file=sys.stderr)
            return EXIT_USAGE
        sor[gln] = sor_id
    source = _read(args.file)
    if source is None:
        return EXIT_INVALID
    kind = source.kind
    converter = CONVERTERS.get((kind, args.target))
    if converter is None:
        known = ", ".join(sorted({k for k, t in CONVERTERS if t == args.target}))
        print(f"medcom-adapter: {args.file}: a {kind} message has no {args.target} form here "
              f"(converts to {args.target}: {known})", file=sys.stderr)
        return EXIT_USAGE
    binaries = []
    for path in args.binaries:
        binary = _read(path)
        if binary is None:
            return EXIT_INVALID
        binaries.append(binary.message)
    options = Options(sor=sor, binaries=tuple(binaries),
                      original_envelope=args.original_envelope,
                      original_version=args.original_version,
                      fhir_format=args.fhir_format, encoding=args.encoding)
    outputs = converter(source, options)
    if args.out is None:
        if len(outputs) > 1:
            print(f"medcom-adapter: {args.file} converts to {len(outputs)} messages "
                  "(one per attachment too): give --out DIR", file=sys.stderr)
            return EXIT_USAGE
        sys.stdout.buffer.write(outputs[0].data)
        return EXIT_OK
    args.out.mkdir(parents=True, exist_ok=True)
    for output in outputs:
        (args.out / output.name).write_bytes(output.data)
        print(f"wrote {args.out / output.name}  {len(output.data)} bytes")
    return EXIT_OK


def _read(path: Path) -> Source | None:
    """Kind, read model and bytes of a valid message file; None after saying why not."""
    from medcom_adapter.detect import check

    data = path.read_bytes()
    report = check(data)
    if not report.valid or report.message is None or report.kind is None:
        print(f"medcom-adapter: {path}: not a valid message to convert", file=sys.stderr)
        for issue in report.issues:
            if not issue.warning:
                print(f"    {issue}", file=sys.stderr)
        return None
    return Source(report.kind, report.message, data)

"""``convert FILE --to TARGET``: one message into its other form, after MedCom's mappings.

Which conversions exist is one table, ``CONVERTERS``: (kind of the input as ``detect``
names it, target) -> a function from the read input to the output files. Adding a
conversion is adding a row. One output goes to stdout unless ``--out DIR`` is given; more
than one (an XDIS91 with its XBIN01, or an XCTL per letter) needs ``--out DIR``.

SOR ids (FHIR names every organisation by one) come from ``--sor GLN=SOR``, the receivers
directory (``--receivers``) and the SOR register ``sor import`` keeps; an unknown location
number is an error that names it. A receipt in one form names the other form's ids:
``--record FILE`` keeps a conversion's both sides, ``--link FILE`` gives them back, or
``--original FILE`` names the acknowledged message itself.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from medcom_adapter.cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from medcom_adapter.errors import UnknownReceiver
from medcom_adapter.kinds import Kind
from medcom_adapter.oioxml.versions import current


@dataclass(frozen=True, slots=True)
class Options:
    """What a conversion may need beyond the input file."""

    sor: dict[str, str] = field(default_factory=dict)  # GLN -> SOR id, from --sor
    register: Any = None  # addressing.sor.SorRegister, imported with `sor import`
    directory: Any = None  # the receivers directory
    companions: tuple[Any, ...] = ()  # Sources given with --with (XBIN01s, further XCTLs)
    originals: tuple[Any, ...] = ()  # Sources given with --original
    link: Any = None  # convert.links.Link given with --link
    incomplete: bool = False
    fhir_format: str = "json"
    encoding: str = "ISO-8859-1"

    def sor_of_gln(self, gln: str) -> str | None:
        """A location number's SOR id: --sor, the receivers directory, the SOR register."""
        if gln in self.sor:
            return self.sor[gln]
        if self.directory is not None:
            try:
                return str(self.directory.by_ean(gln).sor)
            except UnknownReceiver:
                pass
        entry = self.register.by_ean(gln) if self.register is not None else None
        return entry.sor if entry is not None else None

    def phone_of_gln(self, gln: str) -> str | None:
        entry = self.register.by_ean(gln) if self.register is not None else None
        return entry.phone if entry is not None else None

    def name_of_sor(self, sor: str) -> str | None:
        entry = self.register.by_sor(sor) if self.register is not None else None
        if entry is not None:
            return str(entry.label)
        if self.directory is not None:
            try:
                return str(self.directory.by_sor(sor).label)
            except UnknownReceiver:
                pass
        return None


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
    record: dict[str, Any] | None = None  # the conversion's Link, for --record


Converter = Callable[[Source, Options], list[Output]]


def _fhir_bytes(bundle: dict[str, Any], options: Options) -> tuple[str, bytes]:
    from medcom_adapter.fhir import wire

    if options.fhir_format == "xml":
        return "xml", wire.dump_xml(bundle)
    return "json", wire.dump_json(bundle)


def _xdis91_to_fhir(source: Source, options: Options) -> list[Output]:
    from medcom_adapter.convert.xdis91_fhir import sor_in_letter, to_fhir_linked
    from medcom_adapter.fhir.carecommunication import to_bundle
    from medcom_adapter.model.parties import Organisation

    def sor_of(org: Organisation) -> str | None:
        return sor_in_letter(org) or options.sor_of_gln(str(org.ean))

    def phone_of(org: Organisation) -> str | None:
        return options.phone_of_gln(str(org.ean))

    binaries = [c.message.message for c in options.companions]
    cc, link = to_fhir_linked(source.message.message, binaries, sor_of=sor_of,
                              phone_of=phone_of, incomplete=options.incomplete)
    ext, data = _fhir_bytes(to_bundle(cc), options)
    return [Output(f"CareCommunication_{cc.bundle_id}.{ext}", data, link.to_json())]


def _xctl_to_fhir(source: Source, options: Options) -> list[Output]:
    from medcom_adapter.convert.xctl_ack import to_fhir
    from medcom_adapter.fhir.acknowledgement import to_bundle

    acknowledged = next((o.message for o in options.originals
                         if o.kind == Kind.CARE_COMMUNICATION), None)
    receipts = [source.message.message, *(c.message.message for c in options.companions)]
    ack = to_fhir(receipts, link=options.link, acknowledged=acknowledged,
                  sor_of=options.sor_of_gln, now=datetime.now(UTC))
    ext, data = _fhir_bytes(to_bundle(ack), options)
    return [Output(f"Acknowledgement_{ack.bundle_id}.{ext}", data)]


def _care_communication_to_oioxml(source: Source, options: Options) -> list[Output]:
    from medcom_adapter.convert.xdis91_fhir import to_oioxml
    from medcom_adapter.oioxml.emessage import build

    def name_of(party: Any) -> str | None:
        return options.name_of_sor(party.sor)

    result = to_oioxml(source.message, name_of=name_of)
    km = result.correspondence
    record = result.link.to_json()
    out = [Output(f"XDIS91_{km.envelope.identifier}.xml",
                  build(km, current(Kind.CORRESPONDENCE), encoding=options.encoding), record)]
    out += [Output(f"XBIN01_{b.envelope.identifier}.xml",
                   build(b, current(Kind.BINARY), encoding=options.encoding))
            for b in result.binaries]
    return out


def _ack_to_oioxml(source: Source, options: Options) -> list[Output]:
    from medcom_adapter.convert.xctl_ack import RECEIPT_VERSION, link_to_oioxml, to_oioxml
    from medcom_adapter.convert.xdis91_fhir import ConversionError
    from medcom_adapter.model.receipts import Receipt
    from medcom_adapter.oioxml.emessage import build

    ack = source.message
    link = options.link
    if link is None:
        originals = [o.message.message for o in options.originals
                     if o.kind in (Kind.CORRESPONDENCE, Kind.BINARY)]
        if not originals:
            raise ConversionError(
                "an XCTL names the acknowledged XDIS91's (and XBIN01's) envelope and letter "
                "ids, which an Acknowledgement does not carry: give --original XDIS91.xml "
                "[--original XBIN01.xml] or the conversion's --link record")
        link = link_to_oioxml(originals, ack)
    out = []
    for message in to_oioxml(ack, link):
        receipt = message.letters[0]
        assert isinstance(receipt, Receipt)
        out.append(Output(f"{receipt.kind.value}_{message.envelope.identifier}.xml",
                          build(message, RECEIPT_VERSION[receipt.kind],
                                encoding=options.encoding)))
    return out


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
    ("XCTL01", "fhir"): _xctl_to_fhir,
    ("CareCommunication", "oioxml"): _care_communication_to_oioxml,
    ("Acknowledgement", "oioxml"): _ack_to_oioxml,
    **{(edifact, "oioxml"): _edifact_to_oioxml for edifact in _EDIFACT_TWINS},
    **{(oioxml, "edifact"): _oioxml_to_edifact for oioxml in _EDIFACT_TWINS.values()},
}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    convert = commands.add_parser(
        "convert", help="convert a message to its other form (MedCom's conversion rules)")
    convert.add_argument("file", type=Path, metavar="FILE")
    convert.add_argument("--to", required=True, dest="target",
                         choices=sorted({target for _, target in CONVERTERS}))
    convert.add_argument("--out", type=Path, metavar="DIR",
                         help="write the result(s) here instead of stdout")
    convert.add_argument("--with", dest="companions", type=Path, action="append", default=[],
                         metavar="FILE", help="the XBIN01 of an XDIS91, or the other XCTL of "
                         "an XDIS91 + XBIN01 pair (repeatable)")
    convert.add_argument("--incomplete", action="store_true",
                         help="XDIS91 -> FHIR when its XBIN01 did not come within 60 minutes "
                              "or was invalid: attachments without data and title (S1.A2)")
    convert.add_argument("--original", dest="originals", type=Path, action="append",
                         default=[], metavar="FILE",
                         help="the acknowledged message in its other form: the "
                              "CareCommunication an XCTL answers, or the XDIS91 (and "
                              "XBIN01) an Acknowledgement answers (repeatable)")
    convert.add_argument("--link", type=Path, metavar="FILE",
                         help="the conversion record --record wrote (instead of --original)")
    convert.add_argument("--record", type=Path, metavar="FILE",
                         help="write the conversion record (both sides' ids) here")
    convert.add_argument("--sor", action="append", default=[], metavar="GLN=SOR",
                         help="the SOR id of a location number (repeatable; the receivers "
                              "directory and the imported SOR register are asked first)")
    convert.add_argument("--receivers", type=Path, metavar="FILE",
                         help="the receivers directory (default: the sandbox's)")
    convert.add_argument("--sor-register", type=Path, metavar="FILE",
                         help="an imported SOR register (default: $MEDCOM_DATA_DIR/"
                              "sor-register.json when present)")
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
    companions: list[Source] = []
    originals: list[Source] = []
    for paths, into in ((args.companions, companions), (args.originals, originals)):
        for path in paths:
            read = _read(path)
            if read is None:
                return EXIT_INVALID
            into.append(read)
    options = Options(sor=sor, register=_register(args.sor_register),
                      directory=_directory(args.receivers), companions=tuple(companions),
                      originals=tuple(originals), link=_link(args.link),
                      incomplete=args.incomplete, fhir_format=args.fhir_format,
                      encoding=args.encoding)
    outputs = converter(source, options)  # a MedComError is reported by main, with its code
    if args.record is not None:
        record = next((o.record for o in outputs if o.record is not None), None)
        if record is not None:
            args.record.write_text(json.dumps(record, indent=1, ensure_ascii=False),
                                   encoding="utf-8")
    if args.out is None:
        if len(outputs) > 1:
            print(f"medcom-adapter: {args.file} converts to {len(outputs)} messages "
                  "(an XBIN01 or a receipt per letter too): give --out DIR", file=sys.stderr)
            return EXIT_USAGE
        sys.stdout.buffer.write(outputs[0].data)
        return EXIT_OK
    args.out.mkdir(parents=True, exist_ok=True)
    for output in outputs:
        (args.out / output.name).write_bytes(output.data)
        print(f"wrote {args.out / output.name}  {len(output.data)} bytes")
    return EXIT_OK


def _register(path: Path | None) -> Any:
    from medcom_adapter.addressing.sor import SorRegister
    from medcom_adapter.cli.sor import register_path

    chosen = register_path(path)
    if path is None and not chosen.exists():
        return None
    return SorRegister.load(chosen)


def _directory(path: Path | None) -> Any:
    from medcom_adapter.addressing.directory import Directory
    from medcom_adapter.resources import EXAMPLE_RECEIVERS

    return Directory.load(path or EXAMPLE_RECEIVERS)


def _link(path: Path | None) -> Any:
    from medcom_adapter.convert.links import Link

    return None if path is None else Link.from_json(json.loads(path.read_text("utf-8")))


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

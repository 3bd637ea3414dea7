"""Commands on message files: ``validate``, ``show``, ``build referral``, ``build km``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from medcom_adapter.cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, read_json
from medcom_adapter.errors import Issue


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = commands.add_parser("validate", help="validate message files")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate.add_argument("--format", choices=("text", "json"), default="text")
    _max_bytes_option(validate)
    validate.set_defaults(run=_validate)

    show = commands.add_parser("show", help="show a message for a person to read")
    show.add_argument("file", type=Path, metavar="FILE")
    show.add_argument("--reveal", action="store_true", help="show full CPR numbers")
    _max_bytes_option(show)
    show.set_defaults(run=_show)

    build = commands.add_parser("build", help="build messages from a request")
    kinds = build.add_subparsers(dest="kind", required=True)
    referral = kinds.add_parser("referral", help="XREF01 referral (+ XBIN per attachment)")
    referral.add_argument("--request", type=Path, required=True, metavar="REQ.json")
    referral.add_argument("--out", type=Path, required=True, metavar="DIR")
    referral.add_argument("--attach", type=Path, action="append", default=[],
                          metavar="FILE.pdf", help="add a PDF attachment (repeatable)")
    referral.add_argument("--encoding", default="ISO-8859-1", choices=("ISO-8859-1", "UTF-8"))
    referral.set_defaults(run=_build_referral)

    km = kinds.add_parser("km", help="correspondence: XDIS91 (+ XBIN01s) or FHIR CareCommunication")
    km.add_argument("--request", type=Path, required=True, metavar="REQ.json")
    km.add_argument("--out", type=Path, required=True, metavar="DIR")
    km.add_argument("--format", choices=("xdis91", "fhir"), default="xdis91")
    km.add_argument("--encoding", default="ISO-8859-1", choices=("ISO-8859-1", "UTF-8"))
    km.set_defaults(run=_build_km)


def _max_bytes_option(parser: argparse.ArgumentParser) -> None:
    from medcom_adapter.safe_xml import DEFAULT_MAX_BYTES

    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, metavar="N",
                        help="refuse larger messages (default %(default)s, as on VANS)")


def _validate(args: argparse.Namespace) -> int:
    from medcom_adapter.detect import check

    worst = EXIT_OK
    for path in args.files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            _report_io(args.format, path, exc)
            worst = EXIT_USAGE
            continue
        result = check(data, max_bytes=args.max_bytes)
        kind, version = result.kind, result.version
        if args.format == "json":
            print(json.dumps({
                "file": str(path), "valid": result.valid, "kind": kind, "version": version,
                "errors": [_issue_json(i) for i in result.issues],
            }, ensure_ascii=False))
        else:
            verdict = "valid  " if result.valid else "INVALID"
            print(f"{verdict} {path}  {kind or '?'} {version or ''}".rstrip())
            for issue in result.issues:
                print(f"    {'warning: ' if issue.warning else ''}{issue}")
        if not result.valid and worst == EXIT_OK:
            worst = EXIT_INVALID
    return worst


def _report_io(fmt: str, path: Path, exc: OSError) -> None:
    message = exc.strerror or str(exc)
    if fmt == "json":
        print(json.dumps({"file": str(path), "valid": False, "kind": None, "version": None,
                          "errors": [{"code": "io", "path": None, "line": None,
                                      "message": message}]}))
    else:
        print(f"ERROR   {path}: {message}", file=sys.stderr)


def _issue_json(issue: Issue) -> dict[str, object]:
    return {"code": issue.code, "path": issue.path, "line": issue.line,
            "message": issue.message, "severity": "warning" if issue.warning else "error"}


def _show(args: argparse.Namespace) -> int:
    from medcom_adapter.detect import parse
    from medcom_adapter.render import text as render

    message = parse(args.file.read_bytes(), max_bytes=args.max_bytes)
    sys.stdout.write(render.any_message(message, reveal=args.reveal))
    return EXIT_OK


def _build_referral(args: argparse.Namespace) -> int:
    from medcom_adapter.compose.referral import Attachment, build_referral
    from medcom_adapter.model.codes import ObjectCode, ObjectExtensionCode
    from medcom_adapter.model.ids import IdSource
    from medcom_adapter.model.request import referral_request
    from medcom_adapter.workers.attachment_files import attachment_bytes

    try:
        raw = json.loads(args.request.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        print(f"medcom-adapter: {args.request}: not JSON: {exc}", file=sys.stderr)
        return EXIT_USAGE
    ids = IdSource()
    request = referral_request(raw, now=datetime.now(), letter_id=ids.letter_id())
    base = args.request.parent
    attachments = [
        Attachment(a.description, attachment_bytes(base, a.file, field=f"attachments[{n}].file",
                                                   extension=a.extension),
                   a.extension, a.object_code)
        for n, a in enumerate(request.attachments)
    ] + [
        Attachment(path.stem, _attached_pdf(path), ObjectExtensionCode.PDF, ObjectCode.IMAGE)
        for path in args.attach
    ]
    package = build_referral(
        request.referral, tuple(attachments),
        referral_version=request.referral_version, binary_version=request.binary_version,
        acknowledgement=request.acknowledgement, ids=ids, encoding=args.encoding,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    for file in package.files:
        target = args.out / file.file_name
        target.write_bytes(file.data)
        print(f"wrote {target}  {file.version.type_code} {file.version.code}"
              f"  envelope {file.envelope_id}  letter {file.letter_id}  {len(file.data)} bytes")
    return EXIT_OK


def _attached_pdf(path: Path) -> bytes:
    """An ``--attach`` file: the operator named it, but it must still be a harmless PDF."""
    from medcom_adapter.model.codes import ObjectExtensionCode
    from medcom_adapter.workers.attachment_files import check_content

    data = path.read_bytes()
    check_content(data, ObjectExtensionCode.PDF, f"--attach {path.name}")
    return data


def _build_km(args: argparse.Namespace) -> int:
    from medcom_adapter.compose.km import build_km, compose_km, km_as_fhir
    from medcom_adapter.fhir.carecommunication import to_bundle
    from medcom_adapter.model.ids import IdSource
    from medcom_adapter.model.km_request import km_request
    from medcom_adapter.workers.attachment_files import attachment_bytes

    raw = read_json(args.request)
    if raw is None:
        return EXIT_USAGE
    ids = IdSource()
    request = km_request(raw, now=datetime.now(), letter_id=ids.letter_id())
    files = {a.file: attachment_bytes(args.request.parent, a.file,
                                      field=f"attachments[{n}].file", extension=a.extension)
             for n, a in enumerate(request.attachments)}
    if args.format == "xdis91":
        package = build_km(request, files, ids=ids, encoding=args.encoding)
        out = [(f.file_name, f.data) for f in package.files]
    else:
        message, binaries = compose_km(request, files, ids)
        cc = km_as_fhir(request, message, binaries)
        out = [(f"CareCommunication_{cc.bundle_id}.json",
                json.dumps(to_bundle(cc), ensure_ascii=False, indent=1).encode("utf-8"))]
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in out:
        (args.out / name).write_bytes(data)
        print(f"wrote {args.out / name}  {len(data)} bytes")
    return EXIT_OK

"""``journal ...``: list, show, verify, export, purge and re-key the local journal.

The journal is the one ``--journal URL`` or ``MEDCOM_JOURNAL_URL`` names (default: SQLite in
``MEDCOM_DATA_DIR``). Reads and exports are audited under ``--actor`` (default: the login
name; ``system`` is reserved for the adapter's own workers, whose reads are not audited).
Person ids are masked in listings unless ``--reveal``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from medcom_adapter.cli.common import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from medcom_adapter.errors import JournalError
from medcom_adapter.journal import export
from medcom_adapter.journal.eds_queue import ReportState
from medcom_adapter.journal.interface import (
    SYSTEM,
    Direction,
    Journal,
    Query,
    Status,
    StoredMessage,
)
from medcom_adapter.private_files import write_private

RETENTION_ENV = "MEDCOM_JOURNAL_RETENTION_DAYS"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("journal", help="the local journal of messages sent and received")
    group.add_argument("--journal", metavar="URL", help="journal URL (default $MEDCOM_JOURNAL_URL "
                       "or SQLite in $MEDCOM_DATA_DIR)")
    group.add_argument("--actor", default=_login(), help="who reads, for the audit log")
    sub = group.add_subparsers(dest="journal_command", required=True)

    listing = sub.add_parser("list", help="messages matching the filters, oldest first")
    listing.add_argument("--patient", metavar="CPR")
    listing.add_argument("--episode", metavar="FORLOEBS-ID")
    listing.add_argument("--status", choices=[s.value for s in Status])
    listing.add_argument("--kind", metavar="KIND", help="XREF01, XDIS91, XCTL01, ...")
    listing.add_argument("--direction", choices=[d.value for d in Direction])
    listing.add_argument("--from", dest="since", type=date.fromisoformat, metavar="YYYY-MM-DD")
    listing.add_argument("--to", dest="until", type=date.fromisoformat, metavar="YYYY-MM-DD")
    listing.add_argument("--limit", type=int, default=1000)
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.add_argument("--reveal", action="store_true", help="show full CPR numbers")
    listing.set_defaults(run=_list)

    show = sub.add_parser("show", help="one message: fields, attachments, receipts, history")
    show.add_argument("id", type=int, metavar="ID")
    show.add_argument("--reveal", action="store_true", help="show full CPR numbers")
    show.set_defaults(run=_show)

    check = sub.add_parser("verify", help="recompute digests, seals and the keyed chains")
    check.add_argument("--against", metavar="CHECKPOINT",
                       help="a line 'journal checkpoint' printed earlier: also detect rows "
                            "cut off after it or rewritten before it")
    check.set_defaults(run=_verify)
    sub.add_parser("checkpoint", help="print the chains' heads, to keep outside the journal"
                   ).set_defaults(run=_checkpoint)

    out = sub.add_parser("export", help="everything about one child, as a zip for filing")
    out.add_argument("--patient", required=True, metavar="CPR")
    out.add_argument("--out", required=True, type=Path, metavar="FILE.zip",
                     help="made readable by its owner only; never named by the CPR")
    out.add_argument("--force", action="store_true", help="replace FILE if it exists")
    out.set_defaults(run=_export)

    report = sub.add_parser("export-classifications",
                            help="§126a henvisninger of a period, one row each, by date")
    report.add_argument("--from", dest="since", required=True, type=date.fromisoformat)
    report.add_argument("--to", dest="until", required=True, type=date.fromisoformat)
    report.add_argument("--format", choices=("csv", "json"), default="csv")
    report.add_argument("--out", type=Path, metavar="FILE",
                        help="default: standard output; made readable by its owner only")
    report.add_argument("--force", action="store_true", help="replace FILE if it exists")
    report.set_defaults(run=_export_classifications)

    from medcom_adapter.cli import henvisning

    henvisning.register(sub)

    purge = sub.add_parser("purge", help="erase messages older than the retention period")
    purge.add_argument("--before", type=date.fromisoformat, metavar="YYYY-MM-DD",
                       help=f"cut-off date (default: today minus ${RETENTION_ENV} days)")
    purge.add_argument("--dry-run", action="store_true", help="say what would be erased")
    purge.set_defaults(run=_purge)

    sub.add_parser("rotate-key", help="re-encrypt every row under a new key").set_defaults(
        run=_rotate_key)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def open_audited(args: argparse.Namespace) -> Journal:
    from medcom_adapter.journal.factory import open_journal

    if args.actor == SYSTEM:
        raise JournalError(f"--actor {SYSTEM} is reserved for the adapter's own workers, "
                           "whose reads are not audited: name who is reading")
    from medcom_adapter.journal import actors

    args.actor = actors.cli(args.actor)  # audited as cli:<name>; refused unless login-like
    return open_journal(args.journal)


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def _list(args: argparse.Namespace) -> int:
    from medcom_adapter.model.parties import person_id

    query = Query(
        patient=person_id(args.patient) if args.patient else None, episode_id=args.episode,
        status=Status(args.status) if args.status else None, kind=args.kind,
        direction=Direction(args.direction) if args.direction else None,
        since=_start(args.since) if args.since else None,
        until=_start(args.until + timedelta(days=1)) if args.until else None, limit=args.limit)
    journal = open_audited(args)
    try:
        found = journal.find(query, actor=args.actor)
        quarantined = journal.quarantined()
    finally:
        journal.close()
    done = _quarantined(quarantined)
    if args.format == "json":
        for stored in found:
            print(json.dumps(export.describe(stored, reveal=args.reveal), ensure_ascii=False))
        return done
    rows = []
    for s in found:
        m = s.message
        who = export.person(str(m.patient), reveal=args.reveal) if m.patient else "-"
        classes = ",".join(h.value for h in m.classification.classes) if m.classification else ""
        rows.append((str(s.id), f"{s.stored_at:%Y-%m-%d %H:%M:%S}", m.direction.value[:3],
                     m.kind, s.status.value, export.channel(s) or "-", who, m.envelope_id,
                     classes))
    for line in _table(("ID", "STORED (UTC)", "DIR", "KIND", "STATUS", "CHANNEL", "PATIENT",
                        "ENVELOPE", "HENVISNING"), rows):
        print(line)
    return done


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    """Columns as wide as their widest cell (kinds run from XCTL to CareCommunication, envelope
    ids from 14 characters to a UUID); the id right-aligned, the last column left ragged."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: tuple[str, ...]) -> str:
        first, *middle, last = cells
        return "  ".join([first.rjust(widths[0]),
                          *(c.ljust(w) for c, w in zip(middle, widths[1:-1], strict=True)),
                          last]).rstrip()
    return [line(header), *(line(r) for r in rows)]


def _quarantined(rows: Sequence[tuple[int, str]]) -> int:
    """Say on stderr which rows are left out because they fail to decrypt; exit 1 if any."""
    for id, why in rows:
        print(f"medcom-adapter: journal entry {id} is quarantined: {why}", file=sys.stderr)
    return EXIT_INVALID if rows else EXIT_OK


def _show(args: argparse.Namespace) -> int:
    journal = open_audited(args)
    try:
        try:
            stored = journal.get(args.id, actor=args.actor)
        except KeyError:
            print(f"medcom-adapter: no message {args.id} in the journal", file=sys.stderr)
            return EXIT_INVALID
        receipts = [journal.get(id, actor=args.actor) for id in stored.answered_by]
        reports = journal.eds.of_message(stored.message.message_id)
    finally:
        journal.close()
    sys.stdout.write(_details(stored, receipts, reveal=args.reveal, reports=reports))
    return EXIT_OK


def _details(stored: StoredMessage, receipts: list[StoredMessage], *, reveal: bool,
             reports: Sequence[ReportState] = ()) -> str:
    m = stored.message
    lines = [f"Message {stored.id}: {m.direction.value} {m.kind} {m.version}, "
             f"status {stored.status.value}",
             f"  envelope {m.envelope_id}  letter {m.message_id}",
             f"  from EAN {m.sender_ean or '-'} SOR {m.sender_sor or '-'}"
             f"  to EAN {m.receiver_ean or '-'} SOR {m.receiver_sor or '-'}",
             f"  patient {export.person(str(m.patient), reveal=reveal) if m.patient else '-'}"
             f"  forløb {m.episode_id or '-'}",
             f"  stored {stored.stored_at.isoformat()}  sha256 {stored.digest}"]
    if m.answers is not None:
        lines.append(f"  answers message {m.answers}")
    if stored.purged_at is not None:
        lines.append(f"  purged {stored.purged_at.isoformat()} (content erased by retention)")
    if m.classification is not None:
        lines.append("  henvisning: " + "; ".join(h.display for h in m.classification.classes)
                     + f" (forløb {m.classification.course_id}, "
                       f"{m.classification.referred_on.isoformat()})")
    lines.append("Status history:")
    lines += [f"  {h.at.isoformat()}  {h.status.value}" + (f"  {h.reason}" if h.reason else "")
              for h in stored.history]
    lines.append("Attachments:" if m.attachments else "Attachments: none")
    lines += [f"  {a.object_id}  {a.content_type}  {len(a.data)} bytes  {a.title or ''}"
              for a in m.attachments]
    lines.append("Receipts:" if receipts else "Receipts: none")
    lines += [f"  message {r.id}: {r.message.kind} {r.stored_at.isoformat()}"
              + (f"  {r.history[0].reason}" if r.history[0].reason else "") for r in receipts]
    if reports:  # EHMI: the delivery-status reports to EDS
        lines.append("EDS reports:")
        lines += [f"  {r.subtype}  {r.status.value}"
                  + (f" {r.delivered_at.isoformat()} as AuditEvent/{r.location}"
                     if r.delivered_at else f" since {r.queued_at.isoformat()}")
                  + (f"  attempts {r.attempts}" if r.attempts > 1 else "")
                  + (f"  {r.last_error}" if r.last_error else "") for r in reports]
    return "\n".join(lines) + "\n\n" + export.rendering(stored, reveal=reveal)


def _verify(args: argparse.Namespace) -> int:
    from medcom_adapter.journal.interface import Checkpoint

    try:
        against = Checkpoint.parse(args.against) if args.against else None
    except ValueError as exc:
        print(f"medcom-adapter: {exc}", file=sys.stderr)
        return EXIT_USAGE
    journal = open_audited(args)
    try:
        report = journal.verify(against)
        quarantined = journal.quarantined()  # after verify: rows that open again are back
    finally:
        journal.close()
    if quarantined:
        print(f"quarantined (left out of reads and sends): "
              f"{', '.join(str(id) for id, _ in quarantined)}")
    if report.intact:
        print(f"intact: {report.checked} entries, every digest and chain link holds")
        return EXIT_OK
    where = (f"message {report.first_broken}" if report.first_broken is not None
             else report.problems[0])
    print(f"BROKEN: first break: {where} ({report.checked} entries checked)")
    for problem in report.problems:
        print(f"  {problem}")
    return EXIT_INVALID


def _checkpoint(args: argparse.Namespace) -> int:
    journal = open_audited(args)
    try:
        point = journal.checkpoint()
    finally:
        journal.close()
    print(point)
    print(f"(message {point.messages}, audit row {point.audit}: keep this line outside the "
          "journal and its backups; check with 'journal verify --against LINE')",
          file=sys.stderr)
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from medcom_adapter.model.parties import person_id

    patient = person_id(args.patient)
    digits = "".join(c for c in str(patient.value) if c.isdigit())
    if digits and digits in "".join(c for c in args.out.name if c.isdigit()):
        print("medcom-adapter: journal export --out: a file name must not carry the CPR "
              "number; name it by the case instead", file=sys.stderr)
        return EXIT_USAGE
    if _taken(args):
        return EXIT_USAGE
    journal = open_audited(args)
    try:
        found = journal.export(patient, actor=args.actor)
    finally:
        journal.close()
    write_private(args.out, export.patient_zip(found), replace=args.force)
    print(f"wrote {args.out}: {len(found)} messages")
    return EXIT_OK


def _taken(args: argparse.Namespace) -> bool:
    """Whether ``--out`` exists and ``--force`` was not given (said on stderr): checked
    before the journal is read, so a refused export reads nothing."""
    if args.out is None or args.force or not os.path.lexists(args.out):
        return False
    print(f"medcom-adapter: {args.out} exists; give --force to replace it", file=sys.stderr)
    return True


def _export_classifications(args: argparse.Namespace) -> int:
    if _taken(args):
        return EXIT_USAGE
    journal = open_audited(args)
    try:
        found = journal.henvisninger(since=args.since, until=args.until, actor=args.actor)
    finally:
        journal.close()
    write = export.classifications_csv if args.format == "csv" else export.classifications_json
    if args.out is None:
        sys.stdout.write(write(found))
    else:
        write_private(args.out, write(found).encode("utf-8"), replace=args.force)
    return EXIT_OK


def _purge(args: argparse.Namespace) -> int:
    before = args.before
    if before is None:
        days = os.environ.get(RETENTION_ENV)
        if not days:
            print(f"medcom-adapter: journal purge needs --before or ${RETENTION_ENV}",
                  file=sys.stderr)
            return EXIT_INVALID
        before = datetime.now(UTC).date() - timedelta(days=int(days))
    journal = open_audited(args)
    try:
        report = journal.purge(_start(before), dry_run=args.dry_run, actor=args.actor)
    finally:
        journal.close()
    verb = "would erase" if report.dry_run else "erased"
    print(f"{verb} {len(report.purged)} messages stored before {before.isoformat()}; "
          f"kept {len(report.kept)} still awaiting a receipt or not finished")
    if report.kept:
        print("  kept: " + ", ".join(map(str, report.kept)))
    return EXIT_OK


def _rotate_key(args: argparse.Namespace) -> int:
    from medcom_adapter.journal.rekey import rotate_configured_key

    for line in rotate_configured_key(args.journal):
        print(line)
    return EXIT_OK

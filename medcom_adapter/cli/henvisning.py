"""``journal henvisning ...``: record, correct, withdraw and list a course's henvisninger.

For henvisninger that travel without a MedCom message (civil society, another
municipality's §126a offer, another home-municipality offer) and for corrections of any
henvisning: a correction is a new record, the old one is kept. Person ids are masked in
listings unless ``--reveal``.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from uuid import UUID

from medcom_adapter.cli.common import EXIT_OK
from medcom_adapter.journal import export
from medcom_adapter.model.henvisninger import HenvisningRecord, henvisning_class
from medcom_adapter.model.identifiers import SorId
from medcom_adapter.model.parties import person_id


def register(journal: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = journal.add_parser("henvisning", help="§126a henvisninger of a course")
    sub = group.add_subparsers(dest="henvisning_command", required=True)
    add = sub.add_parser("add", help="record a henvisning that travels without a message")
    _fields(add, required=True)
    add.set_defaults(run=_add)
    correct = sub.add_parser("correct", help="record a corrected version of a henvisning")
    correct.add_argument("id", metavar="ID", help="the record it corrects (see list --versions)")
    _fields(correct, required=False)
    correct.set_defaults(run=_correct)
    withdraw = sub.add_parser("withdraw", help="withdraw a henvisning recorded in error")
    withdraw.add_argument("id", metavar="ID")
    withdraw.set_defaults(run=_withdraw)
    listing = sub.add_parser("list", help="a course's henvisninger in force")
    listing.add_argument("--course", required=True, type=UUID, metavar="FORLOEBS-ID")
    listing.add_argument("--versions", action="store_true", help="corrected ones too")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.add_argument("--reveal", action="store_true", help="show full CPR numbers")
    listing.set_defaults(run=_list)


def _fields(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--course", required=required, type=UUID, metavar="FORLOEBS-ID")
    parser.add_argument("--class", dest="klasse", required=required, metavar="KLASSE",
                        help="civilsamfund, 126a-anden-kommune, andet-hjemkommune, almen-praksis,"
                             " boerne-ungdomspsykiatri, andet (or the Danish term)")
    parser.add_argument("--date", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="the henvisning's date (default today)")
    parser.add_argument("--patient", required=required, metavar="CPR")
    parser.add_argument("--unit", required=required, metavar="SOR",
                        help="the reporting unit's SOR id")


def _record(args: argparse.Namespace, base: HenvisningRecord | None = None) -> HenvisningRecord:
    """The record the options give; a correction keeps what it does not name."""
    if base is None:
        return HenvisningRecord(args.course, args.date or date.today(),
                                henvisning_class(args.klasse), person_id(args.patient),
                                SorId(args.unit))
    return HenvisningRecord(
        args.course or base.course_id, args.date or base.referred_on,
        henvisning_class(args.klasse) if args.klasse else base.henvisning,
        person_id(args.patient) if args.patient else base.patient,
        SorId(args.unit) if args.unit else base.unit)


def _add(args: argparse.Namespace) -> int:
    from medcom_adapter.cli.journal import open_audited

    record = _record(args)
    journal = open_audited(args)
    try:
        id = journal.record_henvisning(record, actor=args.actor)
    finally:
        journal.close()
    print(f"recorded henvisning {id}: {record.henvisning.display}, "
          f"{record.referred_on.isoformat()}, forløb {record.course_id}")
    return EXIT_OK


def _supersede(args: argparse.Namespace, *, withdrawn: bool) -> tuple[str, HenvisningRecord]:
    """Record a new version of henvisning ``args.id`` (corrected from the options, or
    withdrawn); the new record's id and content."""
    from medcom_adapter.cli.journal import open_audited
    from medcom_adapter.errors import JournalError

    journal = open_audited(args)
    try:
        known = {r.id: r for r in journal.henvisninger(actor=args.actor, versions=True)}
        if args.id not in known:
            raise JournalError(f"no henvisning {args.id} in the journal")
        record = known[args.id].record if withdrawn else _record(args, known[args.id].record)
        id = journal.record_henvisning(record, actor=args.actor, supersedes=args.id,
                                       withdrawn=withdrawn)
    finally:
        journal.close()
    return id, record


def _correct(args: argparse.Namespace) -> int:
    id, record = _supersede(args, withdrawn=False)
    print(f"recorded henvisning {id}, correcting {args.id}: {record.henvisning.display}, "
          f"{record.referred_on.isoformat()}")
    return EXIT_OK


def _withdraw(args: argparse.Namespace) -> int:
    id, _ = _supersede(args, withdrawn=True)
    print(f"withdrew henvisning {args.id} (record {id})")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from medcom_adapter.cli.journal import open_audited

    journal = open_audited(args)
    try:
        found = journal.henvisninger(actor=args.actor, course_id=args.course,
                                     versions=args.versions)
    finally:
        journal.close()
    if args.format == "json":
        for r in found:
            row = export.henvisning(r)
            row["cpr"] = export.person(row["cpr"], reveal=args.reveal)
            print(json.dumps(row | {"supersedes": r.supersedes, "withdrawn": r.withdrawn},
                             ensure_ascii=False))
        return EXIT_OK
    print(f"{'DATE':<10}  {'HENVISNING':<30}  {'PATIENT':<10}  {'MESSAGE':<16}  ID")
    for r in found:
        via = f"{r.carrier.kind} #{r.carrier.journal_id}" if r.carrier else "-"
        note = " (withdrawn)" if r.withdrawn else ""
        print(f"{r.record.referred_on.isoformat():<10}  {r.record.henvisning.display:<30}  "
              f"{export.person(str(r.record.patient), reveal=args.reveal):<10}  {via:<16}  "
              f"{r.id}{note}")
    return EXIT_OK

"""Command line for the register store: ``python -m data COMMAND ...``.

Each command lives in the module that owns it; this file only parses arguments.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

from data import db


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data", description="Attendance register store")
    sub = parser.add_subparsers(dest="command", required=True)

    imp = sub.add_parser("import", help="import MIS exports (CSV or Excel)")
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--db", help="database file (default: $ATTENDANCE_DB or data/attendance.duckdb)")
    imp.add_argument("--school", help="school id (URN); needed only when the database holds several schools")
    imp.add_argument(
        "--year", help="academic year of a pupils file without one, e.g. 2025/26 (default: the current one)"
    )
    imp.add_argument("--json", action="store_true", help="print the outcome as JSON")

    qual = sub.add_parser("quality", help="data quality report")
    qual.add_argument("--db")
    qual.add_argument("--school")
    qual.add_argument("--json", action="store_true")

    sample = sub.add_parser("load-sample", help="load the generated sample school")
    sample.add_argument("--db")
    sample.add_argument("--primary", action="store_true", help="the small primary school (Reception-Year 6)")
    sample.add_argument("--if-empty", action="store_true", help="only when the database has no marks yet")

    users = sub.add_parser("users", help="local accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=["admin", "leader", "pastoral", "governor"])
    add.add_argument("--schools", help="comma-separated school ids (default: every school)")
    add.add_argument("--years", help="comma-separated year groups, e.g. 7,8")
    add.add_argument("--forms", help="comma-separated forms, e.g. 9A,9B")
    add.add_argument("--password", help="initial password (prompted for when omitted)")
    add.add_argument("--db")
    lst = users_sub.add_parser("list")
    lst.add_argument("--db")
    lst.add_argument("--json", action="store_true")
    rm = users_sub.add_parser("remove")
    rm.add_argument("email")
    rm.add_argument("--db")
    reset = users_sub.add_parser("reset-password")
    reset.add_argument("email")
    reset.add_argument("--password")
    reset.add_argument("--db")

    delete = sub.add_parser("delete-pupil", help="erase one pupil's data (audited)")
    delete.add_argument("upn")
    delete.add_argument("--school")
    delete.add_argument("--by", default="command line", help="who asked (recorded in the audit log)")
    delete.add_argument("--db")

    purge = sub.add_parser("purge", help="delete academic years older than the retention period")
    purge.add_argument("--keep-years", type=int, default=6, help="academic years to keep (registers: at least 6)")
    purge.add_argument("--db")

    schools = sub.add_parser("schools", help="name the schools: URN, name, phase, local authority, trust")
    schools_sub = schools.add_subparsers(dest="schools_command", required=True)
    load = schools_sub.add_parser("load", help="a CSV: URN, Name, Phase, LA code, LA name, Trust")
    load.add_argument("file")
    load.add_argument("--db")
    school_set = schools_sub.add_parser("set", help="one school's details (blank options keep what is stored)")
    school_set.add_argument("urn")
    school_set.add_argument("--name")
    school_set.add_argument("--phase", help="primary, secondary or special")
    school_set.add_argument("--la-code", help="local authority code, new (E09000030) or old (211)")
    school_set.add_argument("--la-name", help="local authority name, e.g. Tower Hamlets")
    school_set.add_argument("--trust")
    school_set.add_argument("--db")
    school_list = schools_sub.add_parser("list")
    school_list.add_argument("--db")
    school_list.add_argument("--json", action="store_true")

    restore = sub.add_parser("restore", help="put back a copy taken before an import (default: the newest)")
    restore.add_argument("backup", nargs="?", help="the copy's name (see --list)")
    restore.add_argument("--list", action="store_true", help="list the kept copies, newest first")
    restore.add_argument("--db")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except (db.DatabaseProblem, OSError, duckdb.Error) as exc:
        # A full disk, a read-only or damaged file: one sentence with what to do, never a traceback.
        message = db.explain(exc, getattr(args, "db", None))
        if message is None:
            raise
        print(f"python -m data {args.command}: {message}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "import":
        from data import importer

        return importer.cli(args)
    if args.command == "quality":
        from data import quality

        return quality.cli(args)
    if args.command == "load-sample":
        from data import sample

        return sample.cli(args)
    if args.command in ("users", "delete-pupil", "purge"):
        from data import admin

        return admin.cli(args)
    if args.command == "schools":
        from data import schools

        return schools.cli(args)
    if args.command == "restore":
        from data import backups

        return backups.cli(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())

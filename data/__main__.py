"""Command line for the register store: ``python -m data COMMAND ...``.

Each command lives in the module that owns it; this file only parses arguments.
"""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data", description="Attendance register store")
    sub = parser.add_subparsers(dest="command", required=True)

    imp = sub.add_parser(
        "import", help="import MIS exports (CSV, text or Excel): registers, pupils, terms, interventions"
    )
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.add_argument("--db", help="database file (default: $ATTENDANCE_DB or data/attendance.duckdb)")
    imp.add_argument("--school", help="school id (URN); needed only when the database holds several schools")
    imp.add_argument(
        "--year",
        help="academic year of a pupils file without one, e.g. 2025/26 (default: the year all the batch's marks "
        "fall in, else the current one)",
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
    return 2


if __name__ == "__main__":
    sys.exit(main())

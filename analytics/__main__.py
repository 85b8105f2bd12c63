"""Command line for scripts and reports: ``python -m analytics COMMAND ...``."""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analytics", description="Attendance measures")
    sub = parser.add_subparsers(dest="command", required=True)

    summ = sub.add_parser("summary", help="DfE measures, whole school or by group")
    summ.add_argument("--db")
    summ.add_argument("--school")
    summ.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    summ.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    summ.add_argument(
        "--by", choices=["school", "fsm", "sen", "eal", "cin", "lac", "year_group", "form", "gender", "ethnicity"]
    )
    summ.add_argument("--json", action="store_true")

    risk = sub.add_parser("risk-report", help="backtest of the at-risk model against the simple rules")
    risk.add_argument("--db")
    risk.add_argument("--cutoff", metavar="YYYY-MM-DD")
    risk.add_argument("--school")
    risk.add_argument("--json", action="store_true")

    imp = sub.add_parser("impact", help="attendance before and after each intervention type, against matched pupils")
    imp.add_argument("--db")
    imp.add_argument("--weeks", type=int, default=6, help="school weeks before and after (default 6)")
    imp.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "summary":
        from analytics import cli

        return cli.summary(args)
    if args.command == "risk-report":
        from analytics import risk

        return risk.cli(args)
    if args.command == "impact":
        from analytics import cli

        return cli.impact(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())

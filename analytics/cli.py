"""``python -m analytics summary``: the DfE measures for scripts and reports.

    python -m analytics summary [--db PATH] [--school ID] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
                                [--by school|fsm|sen|eal|cin|lac|year_group|form|gender|ethnicity] [--json]

Without ``--by``: one JSON object. With ``--by``: a JSON list, one object per
group value with a ``group`` key. Every object holds exactly
``measures.MEASURE_KEYS`` (rates as percentages 0-100, null where there are no
possible sessions); with ``--by`` each also holds ``INTERVAL_KEYS``: the 95%
interval of its overall absence rate, ``overall_absence_rate_low`` and
``overall_absence_rate_high``, and ``beyond_chance``, true when the group's
overall absence differs from the rest of the pupils beyond what chance
explains at 95% (pupils, not sessions, are the unit: analytics/uncertainty/). Exact figures: no small-group suppression here. The
database is opened read-only; problems with the arguments exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date

import duckdb

from analytics import measures, trust
from analytics.filters import Filter
from data import db

# Each group's 95% interval (pupils as the unit) and whether it differs from the rest of the school beyond chance.
INTERVAL_KEYS = ("overall_absence_rate_low", "overall_absence_rate_high", "beyond_chance")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class UsageError(Exception):
    """A problem with the command's arguments, reported in one line with exit status 2."""


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        if not _ISO_DATE.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: not a date in the form YYYY-MM-DD: {text!r}") from None


def _filter(args: argparse.Namespace) -> Filter:
    date_from = _date(args.date_from, "--from")
    date_to = _date(args.date_to, "--to")
    if date_from and date_to and date_from > date_to:
        raise UsageError("--from is after --to")
    return Filter(school_ids=(args.school,) if args.school else (), date_from=date_from, date_to=date_to)


def summary_records(con, f: Filter, by: str | None) -> dict | list[dict]:
    """The command's output as plain Python: one dict, or one dict per group with ``group`` first.

    Without ``--school`` the figures pool every school; ``--by school`` gives one row per school
    (``group`` = its URN as a string).
    """
    if by is None:
        return measures.measures_record(measures.summary(con, f))
    rows = trust.summary_by_school_records(con, f) if by == "school" else measures.summary_by_records(con, f, by)
    return [
        {"group": row["group"], **measures.measures_record(row), **{k: row[k] for k in INTERVAL_KEYS}} for row in rows
    ]


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _table(result: dict | list[dict]) -> str:
    """A plain-text table for people reading a terminal."""
    if isinstance(result, dict):
        width = max(len(k) for k in result)
        return "\n".join(f"{k.ljust(width)}  {_cell(v)}" for k, v in result.items())
    if not result:
        return "No enrolments match."
    headers = list(result[0])
    cells = [[_cell(r[h]) for h in headers] for r in result]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def summary(args: argparse.Namespace) -> int:
    """Run ``summary``: print JSON (``--json``) or a table; 0 on success, 2 on a usage problem."""
    try:
        f = _filter(args)
        path = db.db_path(args.db)
        if not path.exists():
            raise UsageError(db.missing_message(path))
        try:
            # The reader lock: an import running meanwhile works on its own copy and swaps it in
            # only between readers, so this answers from the registers as they were (or after), never half.
            with db.connection(path, read_only=True) as con:
                if (
                    args.school
                    and not con.execute("SELECT 1 FROM schools WHERE school_id = ?", [args.school]).fetchone()
                ):
                    raise UsageError(f"no school with id {args.school!r} in {path}")
                result = summary_records(con, f, getattr(args, "by", None))
        except (db.DatabaseProblem, duckdb.Error, OSError) as exc:  # a damaged or unreadable file: say what to do
            raise UsageError(
                db.explain(exc, path) or f"cannot read database {path}: {exc.__class__.__name__}"
            ) from None
    except UsageError as exc:
        print(f"python -m analytics summary: error: {exc}", file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(json.dumps(result, indent=2))
    else:
        print(_table(result))
    return 0


def impact(args: argparse.Namespace) -> int:
    """Run ``impact``: each intervention type's effect beyond matched pupils; JSON exactly as
    ``analytics.impact.impact_record`` (``--json``) or a table with small groups flagged."""
    from analytics import impact as impact_analysis

    try:
        if args.weeks < 1:
            raise UsageError("--weeks must be at least 1")
        path = db.db_path(args.db)
        if not path.exists():
            raise UsageError(f"no database at {path} (import registers first, or pass --db)")
        try:
            con = db.connect(path, read_only=True)
        except Exception as exc:
            raise UsageError(f"cannot open database {path}: {exc.__class__.__name__}") from None
        try:
            df = impact_analysis.intervention_impact(con, Filter(), weeks=args.weeks)
        finally:
            con.close()
    except UsageError as exc:
        print(f"python -m analytics impact: error: {exc}", file=sys.stderr)
        return 2
    result = impact_analysis.impact_record(df, args.weeks)
    if getattr(args, "json", False):
        print(json.dumps(result, indent=2))
        return 0
    if not result["types"]:
        print("No intervention with attendance on both sides of its date.")
        return 0
    print(_table(result["types"]))
    small = [t for t, s in zip(df["type"], df["small"], strict=True) if s]
    if small:
        print(f"Fewer than {impact_analysis.SMALL_GROUP} pupils (treat with care): {', '.join(small)}")
    return 0

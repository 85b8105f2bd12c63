"""The data-quality report: what is stored, and what a data manager should fix.

``report(con)`` is one plain dict that the command line prints (as text or
JSON) and the app renders. It holds counts and small lists only, never a
pupil's name or UPN.
"""

from __future__ import annotations

import json
import sys

import duckdb
import pandas as pd

from data import db, readers
from data.scope import Scope

MISSING_BY_DATE_ROWS = 60  # the dates with most missing marks; a page shows the worst first
LEGACY_CODES = ("H", "J", "Y")  # withdrawn by the 2024 registration rules (now H -> none, J -> J1, Y -> Y1-Y7)
LEGACY_FROM = "2024-08-19"  # the date the new codes came into force


def _scalar(con, sql: str, params: list) -> int:
    return int(con.execute(sql, params).fetchone()[0] or 0)


def _rows(con, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _school_where(school_id: str | None, scope: Scope | None) -> tuple[str, list]:
    """One school or all, never past the schools the user's ``scope`` allows (a predicate on ``school_id``)."""
    where, params = "(? IS NULL OR school_id = ?)", [school_id, school_id]
    if scope is not None and scope.school_ids:
        where += f" AND school_id IN ({', '.join('?' for _ in scope.school_ids)})"
        params += list(scope.school_ids)
    return where, params


def report(
    con: duckdb.DuckDBPyConnection,
    school_id: str | None = None,
    academic_year: int | None = None,
    scope: Scope | None = None,
) -> dict:
    """Counts of stored rows and of the problems in them, for one school or all, one academic year or all.

    The year narrows what is kept by year (enrolments, marks); pupils and the import log are not kept by year.
    ``scope`` (the user's, as on every ``Filter``) keeps "all" to the schools the user may see.
    """
    where, s = _school_where(school_id, scope)
    sy = [*s, academic_year, academic_year]
    ywhere = f"{where} AND (? IS NULL OR academic_year = ?)"
    out: dict = {
        "schools": _scalar(con, f"SELECT count(*) FROM schools WHERE {where}", s),
        "academic_years": [
            db.academic_year_label(r[0])
            for r in con.execute(
                f"SELECT DISTINCT academic_year FROM enrolments WHERE {where} "
                f"UNION SELECT DISTINCT academic_year FROM session_marks WHERE {where} ORDER BY 1",
                s + s,
            ).fetchall()
        ],
        "pupils": _scalar(con, f"SELECT count(*) FROM pupils WHERE {where}", s),
        "enrolments": _scalar(con, f"SELECT count(*) FROM enrolments WHERE {ywhere}", sy),
        "carried_enrolments": _scalar(
            con, f"SELECT count(*) FROM enrolments WHERE {ywhere} AND source = 'carried'", sy
        ),
        "session_marks": _scalar(con, f"SELECT count(*) FROM session_marks WHERE {ywhere}", sy),
        "lesson_marks": _scalar(con, f"SELECT count(*) FROM lesson_marks WHERE {ywhere}", sy),
        "missing_marks": _scalar(con, f"SELECT count(*) FROM session_marks WHERE {ywhere} AND code IS NULL", sy),
        "missing_lesson_marks": _scalar(con, f"SELECT count(*) FROM lesson_marks WHERE {ywhere} AND code IS NULL", sy),
    }
    first, last = con.execute(f"SELECT min(date), max(date) FROM session_marks WHERE {ywhere}", sy).fetchone()
    out["first_date"] = first.isoformat() if first else None
    out["last_date"] = last.isoformat() if last else None
    out["missing_by_date"] = [
        {**r, "date": r["date"].isoformat()}
        for r in _rows(
            con,
            f"""SELECT date, count(*) FILTER (WHERE code IS NULL) AS missing, count(*) AS marks
                FROM session_marks WHERE {ywhere}
                GROUP BY date HAVING count(*) FILTER (WHERE code IS NULL) > 0
                ORDER BY missing DESC, date LIMIT {MISSING_BY_DATE_ROWS}""",
            sy,
        )
    ]
    out["missing_by_form"] = [
        {**r, "academic_year": db.academic_year_label(r["academic_year"])}
        for r in _rows(
            con,
            f"""SELECT m.academic_year, coalesce(e.form, '(no form)') AS form,
                       count(*) FILTER (WHERE m.code IS NULL) AS missing, count(*) AS marks
                FROM (SELECT * FROM session_marks WHERE {ywhere}) m
                LEFT JOIN enrolments e
                  ON e.school_id = m.school_id AND e.upn = m.upn AND e.academic_year = m.academic_year
                GROUP BY ALL HAVING count(*) FILTER (WHERE m.code IS NULL) > 0
                ORDER BY m.academic_year, missing DESC, form""",
            sy,
        )
    ]
    # Marks the measures cannot count: no enrolment that year, or before admission / after leaving.
    out["marks_outside_enrolment"] = _scalar(
        con,
        f"""SELECT count(*) FROM (SELECT * FROM session_marks WHERE {ywhere}) m
            LEFT JOIN enrolments e
              ON e.school_id = m.school_id AND e.upn = m.upn AND e.academic_year = m.academic_year
            WHERE e.upn IS NULL OR m.date < e.admission_date OR m.date > e.leaving_date""",
        sy,
    )
    # A pupil the group breakdowns cannot place: no year group, FSM, SEN or EAL in some enrolment.
    out["pupils_without_characteristics"] = _scalar(
        con,
        f"""SELECT count(DISTINCT upn) FROM enrolments WHERE {ywhere}
              AND (year_group IS NULL OR fsm IS NULL OR sen IS NULL OR eal IS NULL)""",
        sy,
    )
    out["pupils_without_enrolment"] = _scalar(
        con,
        f"""SELECT count(*) FROM (SELECT * FROM pupils WHERE {where}) p
            WHERE NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.school_id = p.school_id AND e.upn = p.upn)""",
        s,
    )
    # A UPN whose first letter is not its check letter (DfE algorithm): mistyped, kept, never refused.
    out["upns_with_wrong_check_letter"] = sum(
        1
        for (upn,) in con.execute(f"SELECT upn FROM pupils WHERE {where}", s).fetchall()
        if readers.upn_check_letter_ok(upn) is False
    )
    out["unknown_codes"] = _scalar(
        con,
        f"""SELECT count(*) FROM (
                SELECT code FROM session_marks WHERE {ywhere}
                UNION ALL SELECT code FROM lesson_marks WHERE {ywhere}) m
            WHERE m.code IS NOT NULL AND m.code NOT IN (SELECT code FROM codes)""",
        sy + sy,
    )
    out["legacy_codes"] = legacy_codes(con, school_id, scope)
    last_rows = _rows(
        con,
        f"""SELECT file_name, kind, rows, outcome, imported_at FROM import_log WHERE {where}
            ORDER BY imported_at DESC, import_id DESC LIMIT 1""",
        s,
    )
    out["last_import"] = {**last_rows[0], "imported_at": str(last_rows[0]["imported_at"])} if last_rows else None
    return out


def legacy_codes(
    con: duckdb.DuckDBPyConnection, school_id: str | None = None, scope: Scope | None = None
) -> list[dict]:
    """Marks still using a code withdrawn on 19 August 2024 (``H``, ``J``, ``Y`` without a digit) on or after it.

    One row per code: ``code``, ``marks``, ``first_date``, ``last_date``, over
    session and lesson marks; the MIS should map them to the current codes.
    """
    where, params = _school_where(school_id, scope)
    rows = _rows(
        con,
        f"""SELECT code, count(*) AS marks, min(date) AS first_date, max(date) AS last_date FROM (
                SELECT code, date FROM session_marks WHERE {where}
                UNION ALL SELECT code, date FROM lesson_marks WHERE {where})
            WHERE code IN ({", ".join("?" for _ in LEGACY_CODES)}) AND date >= ?::DATE
            GROUP BY code ORDER BY code""",
        params + params + list(LEGACY_CODES) + [LEGACY_FROM],
    )
    return [{**r, "first_date": r["first_date"].isoformat(), "last_date": r["last_date"].isoformat()} for r in rows]


def import_log(
    con: duckdb.DuckDBPyConnection, school_id: str | None = None, limit: int = 200, scope: Scope | None = None
) -> pd.DataFrame:
    """Every recorded import, newest first: what was read, how many rows, and whether it was refused and why.

    Rows without a school (a file refused before its school was known) are
    shown for every school, so a refused file is never hidden from the data manager.
    """
    where, params = _school_where(school_id, scope)
    return con.execute(
        f"""SELECT import_id, imported_at, file_name, kind, school_id, rows, outcome, message
            FROM import_log
            WHERE ({where}) OR school_id IS NULL
            ORDER BY imported_at DESC, import_id DESC
            LIMIT ?""",
        [*params, int(limit)],
    ).df()


def _text(r: dict) -> str:
    lines = [
        f"Schools: {r['schools']}    Academic years: {', '.join(r['academic_years']) or 'none'}",
        f"Pupils: {r['pupils']:,}    Enrolments: {r['enrolments']:,} ({r['carried_enrolments']:,} carried from another year)",
        f"Session marks: {r['session_marks']:,} ({r['first_date'] or '-'} to {r['last_date'] or '-'})"
        f"    Lesson marks: {r['lesson_marks']:,}",
        f"Missing session marks: {r['missing_marks']:,}    Missing lesson marks: {r['missing_lesson_marks']:,}",
        f"Marks outside a pupil's enrolment: {r['marks_outside_enrolment']:,}",
        f"Pupils without characteristics: {r['pupils_without_characteristics']:,}"
        f"    Pupils without an enrolment: {r['pupils_without_enrolment']:,}",
        f"Unknown codes: {r['unknown_codes']:,}",
        f"UPNs whose check letter is wrong (check them in the MIS): {r['upns_with_wrong_check_letter']:,}",
    ]
    lines += [
        f"Legacy code {c['code']} used after 19 August 2024: {c['marks']:,} marks ({c['first_date']} to {c['last_date']})"
        for c in r["legacy_codes"]
    ]
    if r["missing_by_date"]:
        lines.append("Dates with most missing marks:")
        lines += [f"  {m['date']}: {m['missing']:,} of {m['marks']:,}" for m in r["missing_by_date"][:10]]
    if r["missing_by_form"]:
        lines.append("Forms with missing marks:")
        lines += [
            f"  {m['academic_year']} {m['form']}: {m['missing']:,} of {m['marks']:,}" for m in r["missing_by_form"][:10]
        ]
    li = r["last_import"]
    lines.append(
        f"Last import: {li['file_name']} ({li['kind']}, {li['rows']:,} rows, {li['outcome']}) at {li['imported_at']}"
        if li
        else "Last import: none"
    )
    return "\n".join(lines)


def cli(args) -> int:
    """``python -m data quality [--db PATH] [--school ID] [--json]``."""
    try:
        with db.connection(args.db, read_only=True) as con:
            result = report(con, getattr(args, "school", None))
    except duckdb.IOException as exc:
        print(f"cannot open the database: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2, default=str) if args.json else _text(result))
    return 0

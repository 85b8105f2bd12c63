"""The on-roll registers: every mark inside its pupil's enrolment, with its category from the code table.

``session_marks`` and ``lesson_marks`` hold what schools imported, including
marks outside a pupil's enrolment (reported by the quality checks, never
counted). Every measure needs the same two steps over every mark: keep it
only between the enrolment's admission and leaving dates, and look its code
up in the code table. At trust scale (11 million marks) those two joins were
most of the cost of every question, so they are done once, when the registers
change, into ``on_roll_sessions`` and ``on_roll_lessons``; the analytics read
those (``analytics.measures.marks_sql``).

They are derived, never imported, and always rebuilt from the stored marks for
the school and academic years a change touches: an import (``data.importer``),
erasing a pupil or purging old years (``data.admin``), and once for a file
written by an older version (``data.db.ensure_schema``).
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

# Bump when the derivation below changes: files written before are rebuilt when next opened.
VERSION = 1

# Stored marks -> their on-roll table, and the columns each carries beyond the common ones.
TABLES = {
    "session_marks": ("on_roll_sessions", ""),
    "lesson_marks": ("on_roll_lessons", "m.period, m.period_number, m.subject, m.minutes_late, "),
}

# The flags every measure is built on, derived from the code table (data/reference/attendance_codes.csv).
FLAGS_SQL = """
       m.code IS NULL                                      AS missing,
       coalesce(c.counts_as_possible_session, FALSE)       AS possible,
       coalesce(c.counts_as_attendance, FALSE)             AS attended,
       coalesce(c.category = 'present', FALSE)             AS present,
       coalesce(c.category = 'approved_activity', FALSE)   AS approved,
       coalesce(c.category = 'authorised', FALSE)          AS authorised,
       coalesce(c.category = 'unauthorised', FALSE)        AS unauthorised,
       coalesce(c.category IN ('authorised', 'unauthorised'), FALSE) AS absent,
       coalesce(m.code = 'L', FALSE)                       AS late_l,
       coalesce(m.code = 'U', FALSE)                       AS late_u,
       coalesce(c.category, 'missing')                     AS category"""


def _where(school_id: str | None, years: Iterable[int] | None, upns: Iterable[str] | None) -> tuple[str, list]:
    clauses, params = ["TRUE"], []
    if school_id is not None:
        clauses.append("school_id = ?")
        params.append(school_id)
    for column, values in (("academic_year", years), ("upn", upns)):
        if values is not None:
            values = sorted(set(values))
            if not values:
                return "FALSE", []
            clauses.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
    return " AND ".join(clauses), params


def refresh(
    con: duckdb.DuckDBPyConnection,
    school_id: str | None = None,
    years: Iterable[int] | None = None,
    upns: Iterable[str] | None = None,
) -> None:
    """Rebuild the on-roll registers for one school (or all), some academic years (or all), some pupils (or all).

    Runs inside the caller's transaction when there is one, so an import and
    its on-roll rows land together or not at all.
    """
    years = None if years is None else list(years)
    upns = None if upns is None else list(upns)
    where, params = _where(school_id, years, upns)
    for source, (target, extra) in TABLES.items():
        con.execute(f"DELETE FROM {target} WHERE {where}", params)
        # Written in date order within each school and year: a term or a date range then reads
        # only the row groups whose dates it covers.
        con.execute(
            f"""INSERT INTO {target}
                SELECT m.enrolment_id, m.school_id, m.upn, m.academic_year, m.date, m.session, {extra}m.code,
                       {FLAGS_SQL}
                FROM (SELECT * FROM {source} WHERE {where}) m
                JOIN enrolments e ON e.enrolment_id = m.enrolment_id
                LEFT JOIN codes c ON c.code = m.code
                WHERE m.date BETWEEN coalesce(e.admission_date, DATE '0001-01-01')
                                 AND coalesce(e.leaving_date, DATE '9999-12-31')
                ORDER BY m.school_id, m.academic_year, m.date""",
            params,
        )


def remove(con: duckdb.DuckDBPyConnection, where: str, params: list) -> None:
    """Delete on-roll rows matching a predicate over school_id, upn and academic_year (erasure, purge)."""
    for target, _ in TABLES.values():
        con.execute(f"DELETE FROM {target} WHERE {where}", params)

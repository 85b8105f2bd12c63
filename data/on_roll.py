"""The on-roll registers: every mark inside its pupil's enrolment, with its category from the code table.

``session_marks`` and ``lesson_marks`` hold what schools imported, including
marks outside a pupil's enrolment (reported by the quality checks, never
counted). Every measure needs the same two steps over every mark: keep it
only between the enrolment's admission and leaving dates, and look its code
up in the code table. At trust scale (11 million marks) those two joins were
most of the cost of every question, so they are done once, when the registers
change, into ``on_roll_sessions`` and ``on_roll_lessons``; the analytics read
those (``analytics.measures.marks_sql``). Spells of absence need every pupil's
marks in order, the costliest question of all, so each enrolment's spells over
its whole year are kept too (``on_roll_spells``).

They are derived, never imported, and always rebuilt from the stored marks for
the school and academic years a change touches: an import (``data.importer``),
erasing a pupil or purging old years (``data.admin``), and once for a file
written by an older version (``data.db.ensure_schema``).
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

# Bump when the derivation below changes: files written before are rebuilt when next opened.
VERSION = 2

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
    marks: Iterable[str] = tuple(TABLES),
) -> None:
    """Rebuild the on-roll registers for one school (or all), some academic years (or all), some pupils (or all).

    ``marks`` names the stored tables whose marks changed (default both; a
    change of enrolments touches both). Spells follow the session marks.
    Runs inside the caller's transaction when there is one, so an import and
    its on-roll rows land together or not at all.
    """
    years = None if years is None else list(years)
    upns = None if upns is None else list(upns)
    marks = set(marks)
    where, params = _where(school_id, years, upns)
    for source, (target, extra) in TABLES.items():
        if source not in marks:
            continue
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
    if "session_marks" not in marks:
        return
    con.execute(f"DELETE FROM on_roll_spells WHERE {where}", params)
    spells = spells_sql(f"SELECT * FROM on_roll_sessions WHERE {where}")
    con.execute(f"INSERT INTO on_roll_spells {spells}", params)


def remove(con: duckdb.DuckDBPyConnection, where: str, params: list) -> None:
    """Delete on-roll rows matching a predicate over school_id, upn and academic_year (erasure, purge)."""
    for target in (*(t for t, _ in TABLES.values()), "on_roll_spells"):
        con.execute(f"DELETE FROM {target} WHERE {where}", params)


def spells_sql(marks: str, across_years: bool = False, codes: bool = True) -> str:
    """Spells of absence: runs of consecutive absent sessions per pupil, over possible sessions only.

    ``marks`` is a SELECT of on-roll session marks (``enrolment_id``,
    ``school_id``, ``date``, ``session``, ``code``, ``possible``, ``absent``,
    ``unauthorised``). A spell belongs to one enrolment, or with
    ``across_years`` to the pupil at the school, so that a spell may run on
    from July to September (it is then reported against their first enrolment).
    Sessions that are not possible (``#``, ``D``, ``X``, ``Y``...) and missing
    marks are left out before numbering, so they neither break nor extend a run.

    Columns: enrolment_id, school_id, upn, academic_year, start_date,
    start_session, end_date, end_session, sessions, unauthorised_sessions and
    codes (the distinct codes, space-separated; NULL with ``codes=False``).

    A spell's id is the number of the pupil's attended (possible, not absent)
    sessions before it. Numbering every mark of every pupil in date order is a
    sort of all 11 million marks at trust scale, so the id is derived instead:
    for a pupil with exactly one mark in every session the school held between
    their first and last mark (nearly everyone), the sessions up to a mark are
    its position in the school's own session list, and only the rare marks
    (absent or not possible) need numbering. Any other pupil (a gap or a
    duplicate in their marks) is numbered the direct way. Same result, a small
    fraction of the work.
    """
    if across_years:
        pupil_key = "pk.pupil_key"
        key_join = """JOIN (SELECT enrolment_id, min(enrolment_id) OVER (PARTITION BY school_id, upn) AS pupil_key
                            FROM enrolments) pk ON pk.enrolment_id = m.enrolment_id"""
    else:
        pupil_key, key_join = "m.enrolment_id", ""
    # Sessions as integers in time order (sorting dates and strings is slower).
    # (INTEGER, not BIGINT: its sum is then accumulated in 64 bits rather than 128.)
    k = "(date_diff('day', DATE '2000-01-01', m.date) * 2 + (m.session = 'PM')::INTEGER)::INTEGER"
    sql = f"""
        WITH x AS NOT MATERIALIZED (
            SELECT {pupil_key} AS pkey, m.school_id, {k} AS k, m.possible, m.absent,
                   -- what a spell reports, kept for the (few) absent marks only
                   CASE WHEN m.absent THEN m.code END AS code,
                   m.absent AND m.unauthorised AS unauthorised
            FROM ({marks}) m {key_join}
        ),
        -- Every session the school held (any pupil in the filter has a mark), numbered in order.
        school_sessions AS (
            SELECT school_id, k, row_number() OVER w AS si, sum(k) OVER w AS k_sum
            FROM (SELECT DISTINCT school_id, k FROM x)
            WINDOW w AS (PARTITION BY school_id ORDER BY k)
        ),
        per_pupil AS (
            SELECT pkey, count(*) AS n, sum(k) AS k_sum,
                   min(k) AS k_first, max(k) AS k_last
            FROM x GROUP BY pkey
        ),
        -- complete: one mark in each school session from the pupil's first to last (count and sum agree).
        cover AS (
            SELECT p.pkey, e.school_id, s0.si AS si_first,
                   s1.si - s0.si + 1 = p.n AND s1.k_sum - s0.k_sum + s0.k = p.k_sum AS complete
            FROM per_pupil p JOIN enrolments e ON e.enrolment_id = p.pkey  -- the pupil's school
            JOIN school_sessions s0 ON s0.school_id = e.school_id AND s0.k = p.k_first
            JOIN school_sessions s1 ON s1.school_id = e.school_id AND s1.k = p.k_last
        ),
        -- The rare marks (absent, or not possible) of complete pupils, numbered in order.
        -- (Each is placed in the school's sessions before numbering, so the numbering sorts integers only.)
        rare AS (
            SELECT x.pkey, x.k, x.absent, x.code, x.unauthorised, ss.si - c.si_first AS since_first,
                   row_number() OVER (PARTITION BY x.pkey ORDER BY x.k) AS rare_so_far
            FROM x JOIN cover c ON c.pkey = x.pkey AND c.complete
            JOIN school_sessions ss ON ss.school_id = x.school_id AND ss.k = x.k
            WHERE x.absent OR NOT x.possible
        ),
        seq AS (
            -- attended so far = marks so far (school sessions since the first) - rare marks so far
            SELECT r.pkey, r.k, r.code, r.unauthorised, r.since_first + 1 - r.rare_so_far AS island
            FROM rare r
            WHERE r.absent
            UNION ALL
            SELECT pkey, k, code, unauthorised, island
            FROM (
                SELECT x.*, count(*) FILTER (WHERE NOT x.absent) OVER (
                           PARTITION BY x.pkey ORDER BY x.k ROWS UNBOUNDED PRECEDING) AS island
                FROM x WHERE x.possible AND x.pkey IN (SELECT pkey FROM cover WHERE NOT complete)
            ) WHERE absent
        ),
        spells AS (
            SELECT pkey, min(k) AS k_start, max(k) AS k_end,
                   count(*) AS sessions, count_if(unauthorised)::BIGINT AS unauthorised_sessions,
                   {"array_to_string(list_sort(list_distinct(list(code))), ' ')" if codes else "NULL"} AS codes
            FROM seq GROUP BY pkey, island
        )
        SELECT e.enrolment_id, e.school_id, e.upn, e.academic_year,
               DATE '2000-01-01' + (s.k_start // 2)::INTEGER AS start_date,
               CASE WHEN s.k_start % 2 = 0 THEN 'AM' ELSE 'PM' END AS start_session,
               DATE '2000-01-01' + (s.k_end // 2)::INTEGER AS end_date,
               CASE WHEN s.k_end % 2 = 0 THEN 'AM' ELSE 'PM' END AS end_session,
               s.sessions, s.unauthorised_sessions, s.codes
        FROM spells s JOIN enrolments e ON e.enrolment_id = s.pkey
    """
    return sql

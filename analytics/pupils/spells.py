"""Spells of absence: each pupil's runs of consecutive absent sessions, and their longest."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.filters import Filter, require_pupil_level
from analytics.measures import (
    SESSIONS_PER_DAY,
    marks_sql,
)
from analytics.pupils.profile import latest_enrolments_sql
from data import on_roll


def spells_sql(f: Filter, codes: bool = True, stored: bool | None = None) -> tuple[str, list]:
    """Spells of absence per pupil in the filter (``data.on_roll.spells_sql`` has the definition).

    A question about whole academic years (no dates, term, weekdays or
    sessions) reads each enrolment's spells as stored when the registers
    changed (``stored``: None = whenever the filter allows); any other is
    worked out from the filter's marks. Both give the same spells.
    """
    whole_years = f.academic_year is not None and not (f.date_from or f.date_to or f.term or f.weekdays or f.sessions)
    if stored is None:
        stored = whole_years
    if stored:
        if not whole_years:
            raise ValueError("stored spells answer whole academic years only")
        where, params = f.where("s", "e", "p")
        sql = f"""
            SELECT s.* FROM on_roll_spells s
            JOIN enrolments e ON e.enrolment_id = s.enrolment_id
            LEFT JOIN pupils p ON p.school_id = s.school_id AND p.upn = s.upn
            WHERE {where}
        """
        return sql, params
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    return on_roll.spells_sql(marks, across_years=f.academic_year is None, codes=codes), params


def absence_spells(
    con: duckdb.DuckDBPyConnection, f: Filter, upn: str | None = None, min_sessions: int = 1
) -> pd.DataFrame:
    """Spells of absence: runs of consecutive absent sessions in each pupil's own possible sessions.

    One row per spell with start and end (date and session), its length in
    sessions, unauthorised sessions within it and the codes used. For one pupil
    (``upn``) in date order; otherwise longest first.
    """
    require_pupil_level(f)
    g = f.replace(upns=(upn,)) if upn else f
    spells, params = spells_sql(g)
    latest, e_params = latest_enrolments_sql(f)
    order = "s.start_date, s.start_session" if upn else "s.sessions DESC, s.start_date, s.upn"
    sql = f"""
        SELECT s.upn, p.surname, p.forename, e.year_group, e.form, s.start_date, s.start_session,
               s.end_date, s.end_session, s.sessions, s.sessions / {SESSIONS_PER_DAY} AS days,
               s.unauthorised_sessions, s.codes
        FROM ({spells}) s
        JOIN pupils p ON p.school_id = s.school_id AND p.upn = s.upn
        LEFT JOIN ({latest}) e ON e.school_id = s.school_id AND e.upn = s.upn
        WHERE s.sessions >= ?
        ORDER BY {order}
    """
    # Trust-wide this is every spell of every pupil (hundreds of thousands of rows): fetched through
    # Arrow, whose text columns reach pandas without a Python object per value (a fresh cursor,
    # because a relation may not start while the connection holds an unfinished result).
    with con.cursor() as cur:
        table = cur.sql(sql, params=[*params, *e_params, int(min_sessions)]).to_arrow_table()
    return table.to_pandas(date_as_object=False)


def longest_streak(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Per pupil with any absence: the longest spell (sessions, start, end) and the number of spells."""
    require_pupil_level(f)
    spells, params = spells_sql(f, codes=False)
    sql = f"""
        SELECT s.upn, any_value(p.surname) AS surname, any_value(p.forename) AS forename,
               max(s.sessions) AS longest_spell_sessions,
               arg_max(s.start_date, s.sessions * 100000 - epoch(s.start_date) / 86400) AS longest_start_date,
               arg_max(s.end_date, s.sessions * 100000 - epoch(s.start_date) / 86400) AS longest_end_date,
               count(*) AS spells,
               count(*) FILTER (WHERE s.sessions >= 2) AS spells_of_two_or_more,
               sum(s.sessions)::BIGINT AS absence_sessions,
               s.school_id
        FROM ({spells}) s JOIN pupils p ON p.school_id = s.school_id AND p.upn = s.upn
        GROUP BY s.school_id, s.upn
    """
    latest, e_params = latest_enrolments_sql(f)
    sql = f"""
        SELECT t.upn, t.surname, t.forename, e.year_group, e.form, t.* EXCLUDE (upn, surname, forename, school_id)
        FROM ({sql}) t
        LEFT JOIN ({latest}) e
          ON e.school_id = t.school_id AND e.upn = t.upn
        ORDER BY t.longest_spell_sessions DESC, t.spells DESC, t.upn
    """
    return con.execute(sql, [*params, *e_params]).df()

"""What there is to filter on: schools, years, year groups, forms, ethnicities, terms.

The sidebar and the pages call these to fill their widgets. Every lookup
respects the user's scope carried in the filter: a user scoped to one school
never sees another school's name, years or forms, and a pastoral lead scoped
to Year 8 sees only Year 8's forms.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from analytics.filters import Filter, Scope

# How a half-term is named on a page ('Autumn 1'), from the calendar table's columns.
HALF_TERM_LABEL_SQL = "upper(left(term, 1)) || substr(term, 2) || ' ' || half_term"


def _enrolment_where(f: Filter, alias: str = "e", pupils: str | None = None) -> tuple[str, list]:
    """School, academic year and scope of ``f`` as a predicate over an enrolments alias.

    Only these axes: a list of forms must not shrink to the form already chosen.
    """
    narrowed = Filter(school_ids=f.school_ids, academic_year=f.academic_year, scope=f.scope)
    return narrowed.where(alias, alias, pupils or "p")


def _school_where(f: Filter, column: str) -> tuple[str, list]:
    """The filter's schools and the scope's schools over one ``school_id`` column."""
    clauses, params = [], []
    for ids in (f.school_ids, f.scope.school_ids):
        if ids:
            clauses.append(f"{column} IN ({', '.join('?' for _ in ids)})")
            params.extend(ids)
    return (" AND ".join(clauses) or "TRUE"), params


def schools(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Schools the user may see (``school_id``, ``name``, ``phase``, ``la_code``, ``is_sample``), by name.

    Only the scope restricts this list: it offers the choice, so the school
    already chosen in ``f`` does not narrow it.
    """
    where, params = _school_where(Filter(scope=f.scope), "school_id")
    return con.execute(
        f"SELECT school_id, name, phase, la_code, is_sample FROM schools WHERE {where} ORDER BY name, school_id",
        params,
    ).df()


def school_name(con: duckdb.DuckDBPyConnection, f: Filter) -> str:
    """The name of the filter's school (or schools, comma-separated), within the user's scope."""
    where, params = _school_where(f.replace(academic_year=None), "school_id")
    names = [r[0] for r in con.execute(f"SELECT name FROM schools WHERE {where} ORDER BY name", params).fetchall()]
    return ", ".join(names) or "No school loaded"


def academic_years(con: duckdb.DuckDBPyConnection, f: Filter) -> list[int]:
    """Academic years (start year) with enrolments or marks for the filter's schools, newest first."""
    where, params = _school_where(f, "school_id")
    rows = con.execute(
        f"""
        SELECT DISTINCT academic_year FROM (
            SELECT school_id, academic_year FROM enrolments
            UNION SELECT DISTINCT school_id, academic_year FROM session_marks
        ) WHERE {where}
        ORDER BY academic_year DESC
        """,
        params,
    ).fetchall()
    return [r[0] for r in rows]


def _enrolment_values(con: duckdb.DuckDBPyConnection, f: Filter, column: str, year_groups=()) -> list:
    """The distinct known values of an enrolment column (a name from this module, never user text), sorted."""
    where, params = _enrolment_where(f)
    if year_groups:
        where += f" AND e.year_group IN ({', '.join('?' for _ in year_groups)})"
        params = [*params, *year_groups]
    sql = f"SELECT DISTINCT e.{column} FROM enrolments e WHERE e.{column} IS NOT NULL AND {where} ORDER BY 1"
    return [r[0] for r in con.execute(sql, params).fetchall()]


def year_groups(con: duckdb.DuckDBPyConnection, f: Filter) -> list[int]:
    """Year groups on roll in the filter's schools and year (within the scope), lowest first."""
    return _enrolment_values(con, f, "year_group")


def forms(con: duckdb.DuckDBPyConnection, f: Filter) -> list[str]:
    """Registration forms in the filter's schools and year, within the chosen year groups and the scope."""
    return _enrolment_values(con, f, "form", year_groups=f.year_groups)


def ethnicities(con: duckdb.DuckDBPyConnection, f: Filter) -> list[str]:
    """Ethnicity codes of pupils on roll in the filter's schools and year (within the scope)."""
    where, params = _enrolment_where(f)
    rows = con.execute(
        f"""
        SELECT DISTINCT p.ethnicity
        FROM enrolments e JOIN pupils p ON p.school_id = e.school_id AND p.upn = e.upn
        WHERE p.ethnicity IS NOT NULL AND {where}
        ORDER BY 1
        """,
        params,
    ).fetchall()
    return [r[0] for r in rows]


def calendar(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Terms and half-terms for the filter's schools and year, in date order.

    Columns: ``school_id``, ``academic_year``, ``term``, ``half_term``,
    ``start_date``, ``end_date``, ``source`` (derived | imported), ``label``
    ('Autumn 1').
    """
    where, params = _school_where(f, "school_id")
    if f.academic_year is not None:
        where += " AND academic_year = ?"
        params = [*params, f.academic_year]
    return con.execute(
        f"""
        SELECT school_id, academic_year, term, half_term, start_date, end_date, source,
               {HALF_TERM_LABEL_SQL} AS label
        FROM calendar WHERE {where}
        ORDER BY school_id, academic_year, start_date, half_term
        """,
        params,
    ).df()


def latest_date(con: duckdb.DuckDBPyConnection, f: Filter) -> date | None:
    """The last date with any session mark for the filter's schools (and year): 'data up to'."""
    where, params = _school_where(f, "school_id")
    if f.academic_year is not None:
        where += " AND academic_year = ?"
        params = [*params, f.academic_year]
    return con.execute(f"SELECT max(date) FROM session_marks WHERE {where}", params).fetchone()[0]


def phase_of(con: duckdb.DuckDBPyConnection, school_id: str) -> str | None:
    """'primary', 'secondary' or 'special' as recorded for the school; None if unknown."""
    row = con.execute("SELECT phase FROM schools WHERE school_id = ?", [school_id]).fetchone()
    return row[0] if row else None


def half_terms_sql(f: Filter) -> tuple[str, list]:
    """Every half-term of the filter's schools (and academic year when set), from the calendar table.

    The calendar is the school's own (imported) or derived once from its marks
    when they are imported (``data.calendar``): every page, pack and the model
    read the same half-terms. Columns: school_id, academic_year, term,
    half_term, label, start_date, end_date, seq (order of the half-term within
    its school, across years).
    """
    sf = Filter(school_ids=f.school_ids, academic_year=f.academic_year, scope=Scope(school_ids=f.scope.school_ids))
    cal_where, cal_params = sf.where("cal")
    sql = f"""
        SELECT school_id, academic_year, term, half_term,
               {HALF_TERM_LABEL_SQL} AS label,
               start_date, end_date,
               row_number() OVER (PARTITION BY school_id ORDER BY start_date) AS seq
        FROM calendar cal WHERE {cal_where}
    """
    return sql, cal_params

"""Who the pupil is: finding them, their profile and calendar, and their figures beside their year group and school."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.filters import Filter, require_pupil_level, year_group_label
from analytics.measures import (
    enrolment_measures,
    flag_rate_sql,
    marks_sql,
    session_counts_sql,
)
from analytics.patterns import LESSON_COUNTS_SQL, post_registration_sql, weekday_names


def enrolment_where(f: Filter) -> tuple[str, list]:
    """The filter as a predicate over enrolments ``e`` and pupils ``p`` (no dates, weekdays or sessions)."""
    g = f.replace(date_from=None, date_to=None, term=None, half_term=None, weekdays=(), sessions=())
    return g.where("e", "e", "p")


def latest_enrolments_sql(f: Filter) -> tuple[str, list]:
    """Each pupil's latest enrolment the filter allows: where year group and form come from."""
    where, params = enrolment_where(f)
    sql = f"""
        SELECT e.* FROM enrolments e JOIN pupils p ON p.school_id = e.school_id AND p.upn = e.upn
        WHERE {where}
        QUALIFY row_number() OVER (PARTITION BY e.school_id, e.upn ORDER BY e.academic_year DESC) = 1
    """
    return sql, params


def enrolment_of(con: duckdb.DuckDBPyConnection, f: Filter, upn: str) -> dict:
    """The pupil's enrolment the filter is about (its academic year, else their latest), or {}."""
    where, params = enrolment_where(f)
    cur = con.execute(
        f"""
        SELECT e.*, p.surname, p.forename, p.date_of_birth, p.gender, p.ethnicity, p.language
        FROM enrolments e JOIN pupils p ON p.school_id = e.school_id AND p.upn = e.upn
        WHERE e.upn = ? AND {where}
        ORDER BY e.academic_year DESC, e.school_id LIMIT 1
        """,
        [upn, *params],
    )
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else {}


def pupil_filter(f: Filter, enrolment: dict) -> Filter:
    """The filter narrowed to one pupil's enrolment."""
    return f.replace(
        upns=(enrolment["upn"],), school_ids=(enrolment["school_id"],), academic_year=enrolment["academic_year"]
    )


def find_pupils(con: duckdb.DuckDBPyConnection, f: Filter, query: str, limit: int = 50) -> pd.DataFrame:
    """Pupils whose name or UPN contains every word of ``query`` (case-insensitive), latest enrolment each.

    An empty query lists pupils alphabetically. Exact UPN matches come first.
    """
    require_pupil_level(f)
    where, params = enrolment_where(f)
    words = [w.lower() for w in str(query or "").split()]
    match = "".join(
        " AND contains(lower(concat_ws(' ', p.forename, p.surname, p.upn)), ?)" for _ in words
    )  # bound parameters: a name like O'Brien or 100% is just text
    sql = f"""
        SELECT e.upn, p.surname, p.forename, e.year_group, e.form, e.school_id, e.academic_year,
               e.admission_date, e.leaving_date
        FROM enrolments e JOIN pupils p ON p.school_id = e.school_id AND p.upn = e.upn
        WHERE {where} {match}
        QUALIFY row_number() OVER (PARTITION BY e.school_id, e.upn ORDER BY e.academic_year DESC) = 1
        ORDER BY lower(e.upn) = ? DESC, lower(p.surname), lower(p.forename), e.upn
        LIMIT ?
    """
    return con.execute(sql, [*params, *words, str(query or "").strip().lower(), int(limit)]).df()


def pupil_profile(con: duckdb.DuckDBPyConnection, f: Filter, upn: str) -> dict:
    """Who the pupil is, their enrolment and their measures over the filter's period ({} if not visible).

    Keys: upn, surname, forename, date_of_birth, gender, ethnicity, language (the family's,
    from the pupils file), school_id, academic_year, year_group, form, fsm, sen, eal, cin, lac,
    admission_date, leaving_date, and ``measures`` (the ``enrolment_measures`` row as a dict, or
    None when the pupil has no possible session in the period).
    """
    require_pupil_level(f)
    enrolment = enrolment_of(con, f, upn)
    if not enrolment:
        return {}
    enrolment.pop("source", None)
    enrolment.pop("enrolment_id", None)  # an internal key, not part of the profile
    rows = enrolment_measures(con, pupil_filter(f, enrolment))
    enrolment["measures"] = rows.iloc[0].to_dict() if len(rows) else None
    return enrolment


def pupil_calendar(con: duckdb.DuckDBPyConnection, f: Filter, upn: str) -> pd.DataFrame:
    """Every session of the pupil in the filter: date, weekday, session, code, meaning, category.

    ``category`` is 'missing' for a mark not taken, so a heatmap can show it.
    """
    require_pupil_level(f)
    marks, params = marks_sql(f.replace(upns=(upn,)), pupils=False, enrolments=False)
    sql = f"""
        SELECT m.date, isodow(m.date) AS weekday, m.session, m.code, c.meaning, m.category,
               m.possible, m.absent, m.academic_year
        FROM ({marks}) m LEFT JOIN codes c ON c.code = m.code
        ORDER BY m.date, m.session
    """
    return weekday_names(con.execute(sql, params).df())


def _rates_sql(marks: str) -> str:
    return f"""
        SELECT {session_counts_sql("possible_sessions")},
               {flag_rate_sql("attended")} AS attendance_rate,
               {flag_rate_sql("absent")} AS absence_rate,
               {flag_rate_sql("authorised")} AS authorised_rate,
               {flag_rate_sql("unauthorised")} AS unauthorised_rate,
               {session_counts_sql("late_before_close", "late_after_close")},
               {flag_rate_sql("late_l OR late_u")} AS lateness_rate
        FROM ({marks}) m
    """


def pupil_vs_year_group(con: duckdb.DuckDBPyConnection, f: Filter, upn: str) -> pd.DataFrame:
    """The pupil's attendance, authorised, unauthorised absence and lateness beside their year group and school.

    Year group and school are the same period and school(s) within the user's
    scope, without the filter's pupil groups: the pupil is compared with
    everyone, not only with pupils like them.
    """
    require_pupil_level(f)
    enrolment = enrolment_of(con, f, upn)
    if not enrolment:
        return pd.DataFrame(columns=["comparison", "label", "possible_sessions", "attendance_rate"])
    base = f.period_only().replace(school_ids=(enrolment["school_id"],), academic_year=enrolment["academic_year"])
    year_label = "Year group" if enrolment["year_group"] is None else year_group_label(enrolment["year_group"])
    rows = [
        ("pupil", f"{enrolment['forename'] or ''} {enrolment['surname'] or ''}".strip(), base.replace(upns=(upn,))),
        ("year group", year_label, base.replace(year_groups=(enrolment["year_group"],))),
        ("school", "Whole school", base),
    ]
    parts, params = [], []
    for kind, label, g in rows:
        marks, p = marks_sql(g, pupils=False, enrolments=False)
        parts.append(f"SELECT ? AS comparison, ? AS label, * FROM ({_rates_sql(marks)})")
        params += [kind, label, *p]
    return con.execute(" UNION ALL ".join(parts), params).df()


def pupil_lesson_absence_by_subject(con: duckdb.DuckDBPyConnection, f: Filter, upn: str) -> pd.DataFrame:
    """One pupil's lessons by subject: possible, absent (authorised, unauthorised), late, post-registration."""
    require_pupil_level(f)

    base, params = post_registration_sql(f.replace(upns=(upn,)))
    sql = f"""
        SELECT coalesce(subject, 'Unknown') AS subject,
               {LESSON_COUNTS_SQL},
               count(*) FILTER (WHERE post_registration) AS post_registration_absences,
               {flag_rate_sql("absent")} AS absence_rate
        FROM ({base}) x
        GROUP BY 1
        HAVING count(*) FILTER (WHERE possible) > 0
        ORDER BY absence_rate DESC, subject
    """
    return con.execute(sql, params).df()

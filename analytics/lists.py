"""Lists a pastoral lead acts on: who is persistently or severely absent, at risk, newly below a line,
at the penalty-notice threshold, and the pupils behind any chart cell.

Each list is one row per pupil with ``upn, surname, forename, year_group, form``
first, then the figures, sorted with the pupils needing attention first.
Measures come from ``measures.enrolment_totals_sql`` and the trajectory from
``pupils.half_term_attendance_sql``; the filtering happens in DuckDB.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from analytics.filters import WEEKDAYS, Filter, require_pupil_level, school_filter
from analytics.measures import (
    AT_RISK_ATTENDANCE,
    PENALTY_SESSIONS,
    PENALTY_WEEKS,
    PERSISTENT_LINE,
    enrolment_rates_sql,
    marks_sql,
    persistent_sql,
    severe_sql,
)
from analytics.pupils import half_term_attendance_sql

FALLING_POINTS = 2.0  # a fall of 2 points half-term on half-term is worth a look
BAND = f"{PERSISTENT_LINE:g}-{AT_RISK_ATTENDANCE:g}%"  # the at-risk band, as the reason says it


def _pupil_measures_sql(f: Filter) -> tuple[str, list]:
    """``measures.enrolment_rates_sql`` with the pupil's name: the frame behind every list."""
    rates, params = enrolment_rates_sql(f)
    sql = f"""
        SELECT t.upn, p.surname, p.forename, t.year_group, t.form, t.school_id, t.academic_year,
               -- count_if gives HUGEINT: plain integers for the pages
               t.possible_sessions::BIGINT AS possible_sessions, t.attendance_sessions::BIGINT AS attendance_sessions,
               t.absence_sessions::BIGINT AS absence_sessions, t.authorised_sessions::BIGINT AS authorised_sessions,
               t.unauthorised_sessions::BIGINT AS unauthorised_sessions,
               t.late_before_close::BIGINT AS late_before_close, t.late_after_close::BIGINT AS late_after_close,
               t.attendance_rate, t.absence_rate, t.authorised_rate, t.unauthorised_rate,
               t.absence_sessions / 2 AS days_missed
        FROM ({rates}) t JOIN pupils p ON p.school_id = t.school_id AND p.upn = t.upn
    """
    return sql, params


def _measures_list(con: duckdb.DuckDBPyConnection, f: Filter, condition: str) -> pd.DataFrame:
    require_pupil_level(f)
    sql, params = _pupil_measures_sql(f)
    return con.execute(
        f"SELECT * FROM ({sql}) x WHERE {condition} ORDER BY absence_rate DESC, absence_sessions DESC, upn", params
    ).df()


def persistent_absentees(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Enrolments missing 10% or more of their possible sessions in the filter's period, most absent first.

    The DfE judges persistent absence year to date: pass a whole-year filter for the official list.
    """
    return _measures_list(con, f, persistent_sql())


def severe_absentees(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Enrolments missing 50% or more of their possible sessions, most absent first."""
    return _measures_list(con, f, severe_sql())


def at_risk(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Pupils not yet persistently absent who are at risk: 90-95% year to date, or falling 2+ points.

    Year to date is attendance from the start of the academic year to the latest
    mark in the filter; falling compares this half-term with the previous one
    (``pupils.trajectory``). Pupils already below 90% are on the persistent
    absence list instead. ``reason`` says which rule (or both) put them here.
    """
    require_pupil_level(f)
    sql, params = half_term_attendance_sql(con, f)
    sql = f"""
        SELECT upn, surname, forename, year_group, form, school_id,
               ytd_now AS attendance_ytd, attendance_this, attendance_previous, change, possible_ytd,
               ytd_now < ? AS in_band, coalesce(change <= -?, FALSE) AS falling,
               concat_ws('; ',
                   CASE WHEN ytd_now < ? THEN 'attendance ' || printf('%.1f', ytd_now) || '% ({BAND})' END,
                   CASE WHEN change <= -? THEN 'down ' || printf('%.1f', -change) || ' points since ' || previous_half_term
                   END) AS reason
        FROM ({sql}) x
        WHERE ytd_now >= ? AND (ytd_now < ? OR change <= -?)
        ORDER BY ytd_now ASC, change ASC NULLS LAST, upn
    """
    band = [AT_RISK_ATTENDANCE, FALLING_POINTS, AT_RISK_ATTENDANCE, FALLING_POINTS]
    tail = [PERSISTENT_LINE, AT_RISK_ATTENDANCE, FALLING_POINTS]
    return con.execute(sql, band + params + tail).df()


def newly_below(con: duckdb.DuckDBPyConnection, f: Filter, threshold: float = PERSISTENT_LINE) -> pd.DataFrame:
    """Pupils whose year-to-date attendance was at or above ``threshold`` at the end of last half-term and is below now."""
    require_pupil_level(f)
    sql, params = half_term_attendance_sql(con, f)
    sql = f"""
        SELECT upn, surname, forename, year_group, form, school_id,
               ytd_previous AS attendance_ytd_previous, ytd_now AS attendance_ytd,
               ytd_now - ytd_previous AS change_ytd, attendance_this, attendance_previous,
               half_term, previous_half_term
        FROM ({sql}) x
        WHERE ytd_previous >= ? AND ytd_now < ?
        ORDER BY ytd_now ASC, upn
    """
    return con.execute(sql, [*params, threshold, threshold]).df()


def penalty_notice_threshold(con: duckdb.DuckDBPyConnection, f: Filter, as_of: date | None = None) -> pd.DataFrame:
    """Pupils with 10 or more unauthorised sessions within a rolling 10 school weeks.

    School weeks are weeks (Monday start) in which the school recorded any
    session marks, so holidays are not counted and a window runs across terms
    and across the end of the school year: counting looks back 10 school weeks
    before the filter's first mark. Pupils are those in the filter; their
    unauthorised sessions (category 'unauthorised': G N O U) are counted in
    every enrolment at the school. For each pupil the latest window reaching the
    threshold is shown (``window_start`` = Monday of its first school week,
    ``window_end`` = Friday of its last), with ``current`` = it ends within the
    last 10 school weeks up to ``as_of`` (default: the filter's latest mark).
    """
    require_pupil_level(f)
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    bounds = con.execute(f"SELECT min(date), max(date) FROM ({marks}) m", params).fetchone()
    first, last = bounds
    end = as_of or last
    if first is None or end is None:
        return _empty_penalty()
    sf = school_filter(f)
    weeks_where, w_params = sf.where("sm")
    # Look back far enough for 10 school weeks before the first mark (holidays included: at most ~25 weeks).
    lookback_from = date.fromordinal(first.toordinal() - 7 * 30)
    counting, c_params = marks_sql(sf.replace(date_from=lookback_from, date_to=end), pupils=False, enrolments=False)
    sql = f"""
        WITH fm AS ({marks}),
        pupils_in AS (SELECT school_id, upn, max(academic_year) AS academic_year FROM fm GROUP BY school_id, upn),
        weeks AS (
            SELECT school_id, week_start, row_number() OVER (PARTITION BY school_id ORDER BY week_start) AS week_no
            FROM (SELECT DISTINCT sm.school_id, date_trunc('week', sm.date)::DATE AS week_start
                  FROM session_marks sm WHERE {weeks_where} AND sm.date BETWEEN ? AND ?)
        ),
        ends AS (
            SELECT school_id,
                   min(week_no) FILTER (WHERE week_start >= date_trunc('week', ?::DATE)::DATE) AS first_no,
                   max(week_no) AS end_no
            FROM weeks GROUP BY school_id
        ),
        counts AS (
            SELECT c.school_id, c.upn, w.week_no, count(*) AS sessions
            FROM ({counting}) c
            JOIN pupils_in USING (school_id, upn)
            JOIN weeks w ON w.school_id = c.school_id AND w.week_start = date_trunc('week', c.date)::DATE
            JOIN ends e ON e.school_id = c.school_id
            WHERE c.unauthorised AND w.week_no >= e.first_no - {PENALTY_WEEKS - 1}
            GROUP BY ALL
        ),
        windows AS (
            SELECT *, sum(sessions) OVER (PARTITION BY school_id, upn ORDER BY week_no
                                          RANGE BETWEEN {PENALTY_WEEKS - 1} PRECEDING AND CURRENT ROW)::BIGINT
                                          AS in_window
            FROM counts
        ),
        reached AS (
            SELECT w.*, e.end_no, e.first_no,
                   count(*) OVER (PARTITION BY w.school_id, w.upn) AS windows_reached,
                   max(in_window) OVER (PARTITION BY w.school_id, w.upn) AS most_in_a_window
            FROM windows w JOIN ends e USING (school_id)
            WHERE in_window >= {PENALTY_SESSIONS} AND week_no >= e.first_no
            QUALIFY row_number() OVER (PARTITION BY w.school_id, w.upn ORDER BY week_no DESC) = 1
        )
        SELECT r.upn, p.surname, p.forename, e.year_group, e.form, r.school_id,
               ws.week_start AS window_start, we.week_start + 4 AS window_end,
               r.in_window AS unauthorised_sessions, r.most_in_a_window,
               r.week_no > r.end_no - {PENALTY_WEEKS} AS current
        FROM reached r
        JOIN pupils p ON p.school_id = r.school_id AND p.upn = r.upn
        JOIN pupils_in pi ON pi.school_id = r.school_id AND pi.upn = r.upn
        LEFT JOIN enrolments e ON e.school_id = r.school_id AND e.upn = r.upn AND e.academic_year = pi.academic_year
        JOIN weeks we ON we.school_id = r.school_id AND we.week_no = r.week_no
        JOIN weeks ws ON ws.school_id = r.school_id AND ws.week_no = greatest(r.week_no - {PENALTY_WEEKS - 1}, 1)
        ORDER BY current DESC, unauthorised_sessions DESC, r.upn
    """
    all_params = params + w_params + [lookback_from, end, first] + c_params
    return con.execute(sql, all_params).df()


def _empty_penalty() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "upn",
            "surname",
            "forename",
            "year_group",
            "form",
            "school_id",
            "window_start",
            "window_end",
            "unauthorised_sessions",
            "most_in_a_window",
            "current",
        ]
    )


def pupils_behind(con: duckdb.DuckDBPyConnection, f: Filter, limit: int = 200) -> pd.DataFrame:
    """The pupils behind a chart cell: their sessions and absence in exactly the filter's sessions, most absent first.

    A drill-down filter (say Year 9, FSM, Fridays, PM) counts only those
    sessions, so ``absence_sessions`` is how many Friday afternoons each missed.
    Pupils who missed none of those sessions are left out.
    """
    require_pupil_level(f)
    sql, params = _pupil_measures_sql(f)
    sql = f"""
        SELECT * FROM ({sql}) x
        WHERE absence_sessions > 0
        ORDER BY absence_sessions DESC, absence_rate DESC, upn
        LIMIT ?
    """
    return con.execute(sql, [*params, int(limit)]).df()


ONE_DAY_ALPHA = 0.05  # the chance of naming a pupil whose absence falls on one day only by chance
ONE_DAY_MIN_POSSIBLE = 10  # days or sessions in a slot before it is tested (a month of Fridays is not enough)
ONE_DAY_MIN_ABSENCES = 3  # one Monday off, or two, is never a pattern


def absence_on_one_day(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Pupils whose absence falls on one weekday, or on mornings or afternoons, more than chance would explain.

    The same test as a pupil's own Patterns tab (``pupils.pupil_patterns``), for every pupil at once: each
    weekday in days (a day counts as absent if any possible session was missed) and each session (AM, PM)
    against the pupil's own absence rate in the same unit; a one-sided binomial test where the slot has at
    least ``ONE_DAY_MIN_POSSIBLE`` possible and ``ONE_DAY_MIN_ABSENCES`` absences, Holm-adjusted across the
    pupil's slots. One row per pupil (their strongest slot): ``slot`` (e.g. "Fridays"), ``slot_absences``,
    ``slot_possible``, ``slot_rate``, ``pupil_rate`` (percentages), ``p_adjusted``, with ``absence_rate``
    for the period, the strongest evidence first.
    """
    from scipy.stats import binom  # here: scipy.stats takes a second or two to import, and only this list needs it

    require_pupil_level(f)
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    rates, rate_params = _pupil_measures_sql(f)
    slots = con.execute(
        f"""
        WITH s AS ({marks}),
        days AS (
            SELECT enrolment_id, date, bool_or(possible) AS possible, bool_or(absent) AS absent
            FROM s GROUP BY enrolment_id, date
        ),
        slots AS (
            SELECT enrolment_id, 'weekday' AS kind, CAST(isodow(date) AS VARCHAR) AS value, 'days' AS unit,
                   count(*) FILTER (WHERE possible) AS possible, count(*) FILTER (WHERE absent) AS absences
            FROM days GROUP BY ALL
            UNION ALL
            SELECT enrolment_id, 'session', session, 'sessions',
                   count(*) FILTER (WHERE possible), count(*) FILTER (WHERE absent)
            FROM s GROUP BY ALL
        ),
        overall AS (
            SELECT enrolment_id, unit, sum(possible)::BIGINT AS all_possible, sum(absences)::BIGINT AS all_absences
            FROM slots GROUP BY ALL
        )
        SELECT e.school_id, e.upn, slots.kind, slots.value, slots.unit,
               slots.possible::BIGINT AS possible, slots.absences::BIGINT AS absences,
               overall.all_possible, overall.all_absences
        FROM slots JOIN overall USING (enrolment_id, unit) JOIN enrolments e USING (enrolment_id)
        WHERE slots.possible >= ? AND slots.absences >= ? AND overall.all_possible > 0
        """,
        [*params, ONE_DAY_MIN_POSSIBLE, ONE_DAY_MIN_ABSENCES],
    ).df()
    columns = ["slot", "slot_absences", "slot_possible", "slot_rate", "pupil_rate", "p_adjusted"]
    if slots.empty:
        return pd.DataFrame(columns=["upn", "surname", "forename", "year_group", "form", *columns])
    expected = (slots["all_absences"] / slots["all_possible"]).clip(0.0, 1.0)
    slots["p_value"] = binom.sf(slots["absences"] - 1, slots["possible"], expected)  # P(this many or more)
    # Holm within each pupil: the k-th smallest of m p-values is multiplied by (m - k + 1), kept non-decreasing.
    slots = slots.sort_values(["school_id", "upn", "p_value"])
    pupil = slots.groupby(["school_id", "upn"])
    step = (pupil["p_value"].transform("size") - pupil.cumcount()) * slots["p_value"]
    slots["p_adjusted"] = step.clip(upper=1.0).groupby([slots["school_id"], slots["upn"]]).cummax()
    slots["slot_rate"] = 100.0 * slots["absences"] / slots["possible"]
    slots["pupil_rate"] = 100.0 * slots["all_absences"] / slots["all_possible"]
    found = slots[(slots["p_adjusted"] < ONE_DAY_ALPHA) & (slots["slot_rate"] > slots["pupil_rate"])]
    found = found.drop_duplicates(["school_id", "upn"], keep="first")  # the pupil's strongest slot
    found = found.assign(
        slot=[_slot_name(k, v) for k, v in zip(found["kind"], found["value"], strict=True)],
        slot_absences=found["absences"],
        slot_possible=found["possible"],
    )[["school_id", "upn", *columns]]
    pupils = con.execute(f"SELECT * FROM ({rates}) x", rate_params).df()
    out = pupils.merge(found, on=["school_id", "upn"], how="inner")
    return out.sort_values(["p_adjusted", "slot_rate", "upn"], ascending=[True, False, True]).reset_index(drop=True)


def _slot_name(kind: str, value: str) -> str:
    if kind == "weekday":
        return f"{WEEKDAYS[int(value) - 1]}s"
    return {"AM": "Mornings", "PM": "Afternoons"}.get(value, value)

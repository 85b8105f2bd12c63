"""Where and when absence happens: weekdays and sessions, weeks, holidays, reasons, lessons.

Every function builds on ``measures.marks_sql`` (session marks, or lesson marks
with ``table="lesson_marks"``), so the code table alone says what counts as
possible, absent, authorised, unauthorised or late. Grouping happens in DuckDB;
each function returns the few rows a chart or table needs. Weekdays are ISO
numbers (1 = Monday) with a ``weekday_name``; rates are percentages (0-100).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics import uncertainty
from analytics.filters import WEEKDAYS, Filter, Scope, require_pupil_level
from analytics.measures import flag_rate_sql, marks_sql, rate_sql, session_counts_sql
from analytics.periods import SAME_POINT_LAST_YEAR
from analytics.school import half_terms_sql

# Names schools use for the break that follows each half-term.
HOLIDAY_NAMES = {
    ("autumn", 1): "October half-term",
    ("autumn", 2): "Christmas holiday",
    ("spring", 1): "February half-term",
    ("spring", 2): "Easter holiday",
    ("summer", 1): "May half-term",
    ("summer", 2): "Summer holiday",
}
# Lessons counted by what happened in them: the columns every table of lessons shares.
LESSON_COUNTS_SQL = """count(*) FILTER (WHERE possible) AS possible_lessons,
               count(*) FILTER (WHERE absent) AS absent_lessons,
               count(*) FILTER (WHERE authorised) AS authorised_lessons,
               count(*) FILTER (WHERE unauthorised) AS unauthorised_lessons,
               count(*) FILTER (WHERE late_l OR late_u) AS late_lessons"""
# Sessions counted by what happened in them: the columns the weekday and weekly tables share.
WEEKDAY_COUNTS = ("possible_sessions", "absence_sessions", "authorised_sessions", "unauthorised_sessions")
REASON_PERIODS = {"week": "week", "month": "month", "quarter": "quarter", "year": "year"}
POST_REGISTRATION_BY = ("subject", "pupil", "period", "pupil_subject")


def academic_week(day: str, year: str) -> str:
    """SQL for the week of the academic year: week 1 (Monday start) holds the first weekday on or after 1 September.

    Aligning weeks this way lines one year's chart up with the last.
    """
    anchor = f"date_trunc('week', make_date({year}, 9, 1) + 2)::DATE"
    return f"(1 + (date_trunc('week', {day})::DATE - {anchor}) // 7)"


def weekday_names(df: pd.DataFrame, column: str = "weekday") -> pd.DataFrame:
    """Add ``weekday_name`` beside an ISO weekday column (small frames only)."""
    if column in df.columns:
        df.insert(df.columns.get_loc(column) + 1, "weekday_name", [WEEKDAYS[int(d) - 1] for d in df[column]])
    return df


def school_filter(f: Filter) -> Filter:
    """Only the school part of a filter (schools and the user's schools): for school-wide facts."""
    return Filter(school_ids=f.school_ids, scope=Scope(school_ids=f.scope.school_ids))


def absence_by_weekday_session(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Weekday x AM/PM: possible sessions, absence (authorised, unauthorised) and lateness.

    Lateness is shown separately: ``late_before_close`` (L, counts as present)
    and ``late_after_close`` (U, counts as unauthorised absence), and
    ``lateness_rate`` = (L + U) / possible sessions.
    """
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    sql = f"""
        SELECT isodow(date) AS weekday, session,
               {session_counts_sql(*WEEKDAY_COUNTS, "late_before_close", "late_after_close")},
               {flag_rate_sql("absent")} AS absence_rate,
               {flag_rate_sql("authorised")} AS authorised_rate,
               {flag_rate_sql("unauthorised")} AS unauthorised_rate,
               {flag_rate_sql("late_l OR late_u")} AS lateness_rate
        FROM ({marks}) m
        GROUP BY ALL
        HAVING count(*) FILTER (WHERE possible) > 0
        ORDER BY weekday, session
    """
    return weekday_names(con.execute(sql, params).df())


def _weekly_sql(f: Filter, series: str) -> tuple[str, list]:
    """Week-by-week measures for one academic year, with the week of the academic year."""
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    ht, ht_params = half_terms_sql(f)
    sql = f"""
        WITH w AS (
            SELECT date_trunc('week', date)::DATE AS week_start, any_value(academic_year) AS academic_year,
                   min(school_id) AS school_id, {session_counts_sql(*WEEKDAY_COUNTS)}
            FROM ({marks}) m
            GROUP BY 1
            HAVING count(*) FILTER (WHERE possible) > 0
        ),
        ht AS ({ht})
        SELECT '{series}' AS series, w.academic_year,
                              {academic_week("w.week_start", "w.academic_year")} AS academic_week,
               w.week_start, w.possible_sessions, w.absence_sessions,
               w.authorised_sessions, w.unauthorised_sessions,
               {rate_sql("w.absence_sessions", "w.possible_sessions")} AS absence_rate,
               100.0 - {rate_sql("w.absence_sessions", "w.possible_sessions")} AS attendance_rate,
               {rate_sql("w.authorised_sessions", "w.possible_sessions")} AS authorised_rate,
               {rate_sql("w.unauthorised_sessions", "w.possible_sessions")} AS unauthorised_rate,
               (SELECT min(ht.term) FROM ht WHERE ht.academic_year = w.academic_year
                  AND ht.start_date <= w.week_start + 4 AND ht.end_date >= w.week_start) AS term,
               (SELECT min(ht.label) FROM ht WHERE ht.academic_year = w.academic_year
                  AND ht.start_date <= w.week_start + 4 AND ht.end_date >= w.week_start) AS half_term
        FROM w
        ORDER BY w.week_start
    """
    return sql, params + ht_params


def _latest_year(con: duckdb.DuckDBPyConnection, f: Filter) -> int | None:
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    return con.execute(f"SELECT max(academic_year) FROM ({marks}) m", params).fetchone()[0]


def weekly_trend(con: duckdb.DuckDBPyConnection, f: Filter, compare_last_year: bool = True) -> pd.DataFrame:
    """Week by week (weeks start on Monday): possible sessions and rates, term and half-term.

    ``series`` is 'this year' or 'last year'; both are aligned on
    ``academic_week`` (see ``academic_week``), so a chart can draw them on
    one axis. Last year is the same filter one year earlier (a date range is
    moved back 52 weeks so weekdays line up).
    """
    year = f.academic_year if f.academic_year is not None else _latest_year(con, f)
    if year is None:
        sql, params = _weekly_sql(f, "this year")
        return con.execute(sql, params).df()
    this = f.replace(academic_year=year)
    sql, params = _weekly_sql(this, "this year")
    if compare_last_year:
        shift = SAME_POINT_LAST_YEAR
        last = this.replace(
            academic_year=year - 1,
            date_from=f.date_from - shift if f.date_from else None,
            date_to=f.date_to - shift if f.date_to else None,
        )
        last_sql, last_params = _weekly_sql(last, "last year")
        sql, params = f"SELECT * FROM ({sql}) UNION ALL SELECT * FROM ({last_sql})", params + last_params
        sql += " ORDER BY series DESC, week_start"
    return con.execute(sql, params).df()


def weekly_control(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """This year's weeks with control limits, so a week beyond ordinary week-to-week variation stands out.

    Limits are Laney's p' chart (``uncertainty.control_limits``): three sigma
    around the year's rate, widened by how much weeks really vary (pupils'
    absences come in runs, so sessions are not independent). Each week also
    carries the same week of last year (``last_year_absence_rate``, by week of
    the academic year), the known seasonal pattern to read it against.
    Columns: ``week_start``, ``academic_week``, ``half_term``,
    ``possible_sessions``, ``absence_sessions``, ``absence_rate``, ``centre``,
    ``low``, ``high`` (percentages), ``signal`` ('high', 'low' or None),
    ``last_year_absence_rate``.
    """
    weekly = weekly_trend(con, f)
    columns = [
        "week_start",
        "academic_week",
        "half_term",
        "possible_sessions",
        "absence_sessions",
        "absence_rate",
        "centre",
        "low",
        "high",
        "signal",
        "last_year_absence_rate",
    ]
    if weekly.empty:
        return pd.DataFrame(columns=columns)
    this = weekly[weekly["series"] == "this year"].sort_values("week_start").reset_index(drop=True)
    last = weekly[weekly["series"] == "last year"].set_index("academic_week")["absence_rate"]
    limits = uncertainty.control_limits(this["absence_sessions"], this["possible_sessions"])
    out = this.assign(
        centre=100 * limits["centre"],
        low=100 * limits["low"],
        high=100 * limits["high"],
        signal=limits["signal"].to_numpy(),
        last_year_absence_rate=this["academic_week"].map(last.groupby(level=0).first()),
    )
    return out[columns]


def term_boundaries(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Half-term start and end dates (with the academic week of each) for shading a weekly chart."""
    ht, params = half_terms_sql(f)
    sql = f"""
        SELECT academic_year, term, half_term, label, min(start_date) AS start_date, max(end_date) AS end_date,
               {academic_week("min(start_date)", "academic_year")} AS start_week,
               {academic_week("max(end_date)", "academic_year")} AS end_week
        FROM ({ht}) ht
        GROUP BY academic_year, term, half_term, label
        ORDER BY start_date
    """
    return con.execute(sql, params).df()


def holiday_effect(con: duckdb.DuckDBPyConnection, f: Filter, days: int = 5) -> pd.DataFrame:
    """Absence in the last ``days`` school days before each holiday and the first ``days`` after it.

    A holiday is the gap between one half-term and the next in the school's
    calendar (within an academic year). School days are the days on which the
    school has any session marks. ``overall_rate`` is the absence rate over the
    filter's marks outside every before/after window; ``difference`` is the
    window's rate minus it, in points.
    """
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    ht, ht_params = half_terms_sql(f)
    sf_where, sf_params = school_filter(f).where("sm")
    sql = f"""
        WITH marks AS ({marks}),
        ht AS ({ht}),
        breaks AS (
            SELECT school_id, academic_year, term, half_term, end_date AS last_day, next_start AS first_day
            FROM (SELECT *, lead(start_date) OVER (PARTITION BY school_id, academic_year ORDER BY start_date)
                            AS next_start FROM ht)
            WHERE next_start IS NOT NULL
        ),
        school_days AS (
            SELECT DISTINCT sm.school_id, sm.date FROM session_marks sm WHERE {sf_where}
        ),
        windows AS (
            SELECT b.school_id, b.academic_year, b.term, b.half_term, 'before' AS side, d.date,
                   row_number() OVER (PARTITION BY b.school_id, b.academic_year, b.term, b.half_term
                                      ORDER BY d.date DESC) AS n
            FROM breaks b JOIN school_days d ON d.school_id = b.school_id AND d.date <= b.last_day
                                             AND d.date > b.last_day - 60
            UNION ALL
            SELECT b.school_id, b.academic_year, b.term, b.half_term, 'after' AS side, d.date,
                   row_number() OVER (PARTITION BY b.school_id, b.academic_year, b.term, b.half_term
                                      ORDER BY d.date) AS n
            FROM breaks b JOIN school_days d ON d.school_id = b.school_id AND d.date >= b.first_day
                                             AND d.date < b.first_day + 60
        ),
        -- Marks counted per school day first: which window a mark falls in depends on its school
        -- and date only, so days (thousands) are tagged rather than marks (millions).
        days AS (
            SELECT school_id, date, count(*) FILTER (WHERE possible) AS possible, count(*) FILTER (WHERE absent) AS absent
            FROM marks GROUP BY school_id, date
        ),
        tagged AS (
            SELECT d.possible, d.absent, w.academic_year, w.term, w.half_term, w.side, w.date AS window_day
            FROM days d LEFT JOIN (SELECT * FROM windows WHERE n <= ?) w
              ON w.school_id = d.school_id AND w.date = d.date
        ),
        overall AS (
            SELECT {rate_sql("sum(absent)::BIGINT", "sum(possible)::BIGINT")} AS overall_rate
            FROM tagged WHERE side IS NULL
        )
        SELECT academic_year, term, half_term, side,
               min(window_day) AS start_date, max(window_day) AS end_date,
               sum(possible)::BIGINT AS possible_sessions,
               sum(absent)::BIGINT AS absence_sessions,
               {rate_sql("sum(absent)::BIGINT", "sum(possible)::BIGINT")} AS absence_rate,
               any_value(overall.overall_rate) AS overall_rate,
               {rate_sql("sum(absent)::BIGINT", "sum(possible)::BIGINT")} - any_value(overall.overall_rate) AS difference
        FROM tagged, overall
        WHERE side IS NOT NULL
        GROUP BY academic_year, term, half_term, side
        HAVING sum(possible) > 0
        ORDER BY academic_year, min(window_day)
    """
    df = con.execute(sql, params + ht_params + sf_params + [days]).df()
    names = [
        HOLIDAY_NAMES.get((t, h), f"Break after {t} {h}") for t, h in zip(df["term"], df["half_term"], strict=True)
    ]
    df.insert(0, "holiday", names)
    return df.drop(columns=["term", "half_term"])


def reasons_over_time(
    con: duckdb.DuckDBPyConnection, f: Filter, freq: str = "month", absence_only: bool = True
) -> pd.DataFrame:
    """Sessions by code per period (``freq``: week, month, quarter or year), with meaning and category.

    ``rate`` is the code's sessions per 100 possible sessions in the period;
    ``share_of_absence`` its share of the period's absence sessions. With
    ``absence_only`` (the default) only absence codes are listed.
    """
    if freq not in REASON_PERIODS:
        raise ValueError(f"unknown period {freq!r}: choose from {', '.join(REASON_PERIODS)}")
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    # One pass: marks counted per period and code; a code is absence or not by its category, so
    # "only absence codes" keeps whole code rows, and the period's totals are sums of its rows.
    only = "WHERE b.absent" if absence_only else "WHERE b.code IS NOT NULL"
    sql = f"""
        WITH by_code AS (
            SELECT date_trunc('{REASON_PERIODS[freq]}', date)::DATE AS period, code,
                   any_value(category) AS category, count(*) AS sessions,
                   count(*) FILTER (WHERE possible) AS possible, count(*) FILTER (WHERE absent) AS absences,
                   bool_and(absent) AS absent
            FROM ({marks}) x
            GROUP BY 1, 2
        ),
        totals AS (
            SELECT period, sum(possible)::BIGINT AS possible_sessions, sum(absences)::BIGINT AS absence_sessions
            FROM by_code GROUP BY period
        )
        SELECT b.period, b.code, c.meaning, b.category, b.sessions, t.possible_sessions,
               {rate_sql("b.sessions", "t.possible_sessions")} AS rate,
               CASE WHEN b.absent THEN {rate_sql("b.sessions", "t.absence_sessions")} END AS share_of_absence
        FROM by_code b JOIN totals t USING (period) LEFT JOIN codes c ON c.code = b.code
        {only}
        ORDER BY b.period, b.sessions DESC, b.code
    """
    return con.execute(sql, params).df()


def lesson_absence_by_period_weekday(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Lesson registers, weekday x period: possible lessons, absent lessons, lateness, rates.

    ``period`` is the period number where the export gave one, else the period as exported.
    """
    marks, params = marks_sql(f, table="lesson_marks", pupils=False, enrolments=False)
    sql = f"""
        SELECT isodow(date) AS weekday,
               coalesce(CAST(period_number AS VARCHAR), period) AS period,
               min(period_number) AS period_number,
               {LESSON_COUNTS_SQL},
               {flag_rate_sql("absent")} AS absence_rate,
               {flag_rate_sql("late_l OR late_u")} AS lateness_rate
        FROM ({marks}) m
        GROUP BY 1, 2
        HAVING count(*) FILTER (WHERE possible) > 0
        ORDER BY weekday, min(period_number) NULLS LAST, period
    """
    return weekday_names(con.execute(sql, params).df())


def lesson_absence_by_subject(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Lesson registers by subject: possible and absent lessons, lateness and average minutes late."""
    marks, params = marks_sql(f, table="lesson_marks", pupils=False, enrolments=False)
    sql = f"""
        SELECT coalesce(subject, 'Unknown') AS subject,
               count(DISTINCT upn) FILTER (WHERE possible) AS pupils,
               {LESSON_COUNTS_SQL},
               avg(minutes_late) FILTER (WHERE minutes_late > 0) AS average_minutes_late,
               {flag_rate_sql("absent")} AS absence_rate,
               {flag_rate_sql("late_l OR late_u")} AS lateness_rate
        FROM ({marks}) m
        GROUP BY 1
        HAVING count(*) FILTER (WHERE possible) > 0
        ORDER BY absence_rate DESC, subject
    """
    return con.execute(sql, params).df()


def post_registration_sql(f: Filter) -> tuple[str, list]:
    """Each lesson mark beside its pupil's session mark for that date and session.

    ``present_at_registration``: the session register shows the pupil present
    (``/``, ``\\`` or ``L``): approved off-site activity is not "in school".
    ``post_registration``: that, and the lesson marked with an absence code.
    """
    lessons, l_params = marks_sql(f, table="lesson_marks", pupils=False)
    sessions, s_params = marks_sql(f, pupils=False, enrolments=False)
    sql = f"""
        SELECT l.*, coalesce(s.present, FALSE) AS present_at_registration,
               coalesce(s.present, FALSE) AND l.absent AS post_registration
        FROM ({lessons}) l
        LEFT JOIN ({sessions}) s  -- the same pupil's enrolment: one integer rather than school and UPN
          ON s.enrolment_id = l.enrolment_id AND s.date = l.date AND s.session = l.session
    """
    return sql, l_params + s_params


def post_registration_absence(con: duckdb.DuckDBPyConnection, f: Filter, by: str = "subject") -> pd.DataFrame:
    """Lessons missed after being marked present at registration, by subject, pupil, period or pupil x subject.

    ``rate`` = post-registration absences / lessons the pupil was present at
    registration for (per 100). Pupil rows (``by`` = pupil or pupil_subject)
    carry names and are sorted by the count, most first.
    """
    if by not in POST_REGISTRATION_BY:
        raise ValueError(f"unknown breakdown {by!r}: choose from {', '.join(POST_REGISTRATION_BY)}")
    base, params = post_registration_sql(f)
    keys = {
        "subject": ["coalesce(subject, 'Unknown') AS subject"],
        "period": ["coalesce(CAST(period_number AS VARCHAR), period) AS period"],
        "pupil": ["school_id", "upn"],
        "pupil_subject": ["school_id", "upn", "coalesce(subject, 'Unknown') AS subject"],
    }[by]
    names = ""
    if by.startswith("pupil"):
        require_pupil_level(f)
        names = """, any_value(p.surname) AS surname, any_value(p.forename) AS forename,
                   any_value(x.year_group) AS year_group, any_value(x.form) AS form"""
    else:
        names = ", count(DISTINCT x.upn) FILTER (WHERE post_registration) AS pupils"
    cols = ", ".join(k if " AS " in k else f"x.{k} AS {k}" for k in keys)
    join = "LEFT JOIN pupils p ON p.school_id = x.school_id AND p.upn = x.upn" if by.startswith("pupil") else ""
    order = "post_registration_absences DESC, rate DESC" + (", surname, forename" if by.startswith("pupil") else "")
    if by == "period":
        order = "min(period_number) NULLS LAST, period"
    sql = f"""
        SELECT {cols}{names},
               count(*) FILTER (WHERE x.possible) AS possible_lessons,
               count(*) FILTER (WHERE x.possible AND x.present_at_registration) AS lessons_present_at_registration,
               count(*) FILTER (WHERE x.post_registration) AS post_registration_absences,
               100.0 * count(*) FILTER (WHERE x.post_registration)
                     / nullif(count(*) FILTER (WHERE x.possible AND x.present_at_registration), 0) AS rate
        FROM ({base}) x {join}
        GROUP BY {", ".join(str(i + 1) for i in range(len(keys)))}
        {"HAVING count(*) FILTER (WHERE x.post_registration) > 0" if by.startswith("pupil") else "HAVING count(*) FILTER (WHERE x.possible) > 0"}
        ORDER BY {order}
    """
    df = con.execute(sql, params).df()
    if by.startswith("pupil"):
        lead = ["upn", "surname", "forename", "year_group", "form"]
        df = df[lead + [c for c in df.columns if c not in lead]]
    return df

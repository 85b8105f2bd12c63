"""One pupil at a time, and per-pupil analysis for pastoral work.

Finding a pupil, their profile and calendar, figures against their year group,
spells of absence, patterns tested against the pupil's own rate, trajectory
half-term on half-term, and time lost in days and lessons for conversations
with parents. Every function here returns rows about individual pupils, so
each calls ``require_pupil_level`` first; marks come from ``measures.marks_sql``
so the user's scope applies to every query.
"""

from __future__ import annotations

import math
from datetime import date

import duckdb
import pandas as pd
from scipy.stats import binomtest

from analytics.filters import WEEKDAYS, Filter, require_pupil_level, year_group_label
from analytics.measures import AT_RISK_ATTENDANCE, PERSISTENT_LINE, enrolment_measures, marks_sql
from analytics.patterns import half_terms_sql, post_registration_sql, school_filter, weekday_names
from data import on_roll

SESSIONS_PER_YEAR = 380  # DfE: a full school year is 380 possible sessions (190 days)
SESSIONS_PER_DAY = 2  # AM and PM registers
DEFAULT_LESSON_MINUTES = 60  # when the lesson length cannot be inferred from the periods in a day
TEACHING_MINUTES_PER_DAY = 300  # about five hours of lessons in a secondary school day
RULE_OF_THREE_DAYS = 3  # three days off in a half-term averages 90% attendance
PUPIL_COLUMNS = ["upn", "surname", "forename", "year_group", "form"]
SESSION_WORDS = {"AM": "morning", "PM": "afternoon"}
NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _enrolment_where(f: Filter) -> tuple[str, list]:
    """The filter as a predicate over enrolments ``e`` and pupils ``p`` (no dates, weekdays or sessions)."""
    g = f.replace(date_from=None, date_to=None, term=None, half_term=None, weekdays=(), sessions=())
    return g.where("e", "e", "p")


def _latest_enrolments_sql(f: Filter) -> tuple[str, list]:
    """Each pupil's latest enrolment the filter allows: where year group and form come from."""
    where, params = _enrolment_where(f)
    sql = f"""
        SELECT e.* FROM enrolments e JOIN pupils p ON p.school_id = e.school_id AND p.upn = e.upn
        WHERE {where}
        QUALIFY row_number() OVER (PARTITION BY e.school_id, e.upn ORDER BY e.academic_year DESC) = 1
    """
    return sql, params


def _pupil_first(df: pd.DataFrame) -> pd.DataFrame:
    """Put the columns a page needs to show and open a pupil first."""
    lead = [c for c in PUPIL_COLUMNS if c in df.columns]
    return df[lead + [c for c in df.columns if c not in lead]]


def _enrolment(con: duckdb.DuckDBPyConnection, f: Filter, upn: str) -> dict:
    """The pupil's enrolment the filter is about (its academic year, else their latest), or {}."""
    where, params = _enrolment_where(f)
    cur = con.execute(
        f"""
        SELECT e.*, p.surname, p.forename, p.date_of_birth, p.gender, p.ethnicity
        FROM enrolments e JOIN pupils p ON p.school_id = e.school_id AND p.upn = e.upn
        WHERE e.upn = ? AND {where}
        ORDER BY e.academic_year DESC, e.school_id LIMIT 1
        """,
        [upn, *params],
    )
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else {}


def _pupil_filter(f: Filter, enrolment: dict) -> Filter:
    """The filter narrowed to one pupil's enrolment."""
    return f.replace(
        upns=(enrolment["upn"],), school_ids=(enrolment["school_id"],), academic_year=enrolment["academic_year"]
    )


def find_pupils(con: duckdb.DuckDBPyConnection, f: Filter, query: str, limit: int = 50) -> pd.DataFrame:
    """Pupils whose name or UPN contains every word of ``query`` (case-insensitive), latest enrolment each.

    An empty query lists pupils alphabetically. Exact UPN matches come first.
    """
    require_pupil_level(f)
    where, params = _enrolment_where(f)
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

    Keys: upn, surname, forename, date_of_birth, gender, ethnicity, school_id,
    academic_year, year_group, form, fsm, sen, eal, cin, lac, admission_date,
    leaving_date, and ``measures`` (the ``enrolment_measures`` row as a dict, or
    None when the pupil has no possible session in the period).
    """
    require_pupil_level(f)
    enrolment = _enrolment(con, f, upn)
    if not enrolment:
        return {}
    enrolment.pop("source", None)
    enrolment.pop("enrolment_id", None)  # an internal key, not part of the profile
    rows = enrolment_measures(con, _pupil_filter(f, enrolment))
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
        SELECT count(*) FILTER (WHERE possible) AS possible_sessions,
               100.0 * count(*) FILTER (WHERE attended) / nullif(count(*) FILTER (WHERE possible), 0)
                   AS attendance_rate,
               100.0 * count(*) FILTER (WHERE absent) / nullif(count(*) FILTER (WHERE possible), 0) AS absence_rate,
               100.0 * count(*) FILTER (WHERE authorised) / nullif(count(*) FILTER (WHERE possible), 0)
                   AS authorised_rate,
               100.0 * count(*) FILTER (WHERE unauthorised) / nullif(count(*) FILTER (WHERE possible), 0)
                   AS unauthorised_rate,
               count(*) FILTER (WHERE late_l) AS late_before_close,
               count(*) FILTER (WHERE late_u) AS late_after_close,
               100.0 * count(*) FILTER (WHERE late_l OR late_u) / nullif(count(*) FILTER (WHERE possible), 0)
                   AS lateness_rate
        FROM ({marks}) m
    """


def pupil_vs_year_group(con: duckdb.DuckDBPyConnection, f: Filter, upn: str) -> pd.DataFrame:
    """The pupil's attendance, authorised, unauthorised absence and lateness beside their year group and school.

    Year group and school are the same period and school(s) within the user's
    scope, without the filter's pupil groups: the pupil is compared with
    everyone, not only with pupils like them.
    """
    require_pupil_level(f)
    enrolment = _enrolment(con, f, upn)
    if not enrolment:
        return pd.DataFrame(columns=["comparison", "label", "possible_sessions", "attendance_rate"])
    base = Filter(
        school_ids=(enrolment["school_id"],),
        academic_year=enrolment["academic_year"],
        date_from=f.date_from,
        date_to=f.date_to,
        term=f.term,
        half_term=f.half_term,
        scope=f.scope,
    )
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


def _spells_sql(f: Filter, codes: bool = True, stored: bool | None = None) -> tuple[str, list]:
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
    spells, params = _spells_sql(g)
    latest, e_params = _latest_enrolments_sql(f)
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
    spells, params = _spells_sql(f, codes=False)
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
    latest, e_params = _latest_enrolments_sql(f)
    sql = f"""
        SELECT t.upn, t.surname, t.forename, e.year_group, e.form, t.* EXCLUDE (upn, surname, forename, school_id)
        FROM ({sql}) t
        LEFT JOIN ({latest}) e
          ON e.school_id = t.school_id AND e.upn = t.upn
        ORDER BY t.longest_spell_sessions DESC, t.spells DESC, t.upn
    """
    return con.execute(sql, [*params, *e_params]).df()


def _slots_sql(f: Filter) -> tuple[str, list]:
    """Per slot (weekday in days, session, subject, period in lessons): possible and absent, plus the overall."""
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    lessons, l_params = marks_sql(f, table="lesson_marks", pupils=False, enrolments=False)
    sql = f"""
        WITH s AS ({marks}),
        days AS (
            SELECT date, bool_or(possible) AS possible, bool_or(absent) AS absent FROM s GROUP BY date
        ),
        l AS ({lessons}),
        slots AS (
            SELECT 'weekday' AS kind, CAST(isodow(date) AS VARCHAR) AS value, 'days' AS unit,
                   count(*) FILTER (WHERE possible) AS possible, count(*) FILTER (WHERE absent) AS absences
            FROM days GROUP BY 2
            UNION ALL
            SELECT 'session', session, 'sessions', count(*) FILTER (WHERE possible), count(*) FILTER (WHERE absent)
            FROM s GROUP BY 2
            UNION ALL
            SELECT 'subject', coalesce(subject, 'Unknown'), 'lessons',
                   count(*) FILTER (WHERE possible), count(*) FILTER (WHERE absent)
            FROM l GROUP BY 2
            UNION ALL
            SELECT 'period', coalesce(CAST(period_number AS VARCHAR), period), 'lessons',
                   count(*) FILTER (WHERE possible), count(*) FILTER (WHERE absent)
            FROM l GROUP BY 2
        ),
        overall AS (
            SELECT unit, sum(possible)::BIGINT AS all_possible, sum(absences)::BIGINT AS all_absences
            FROM slots WHERE kind IN ('weekday', 'session', 'subject') GROUP BY unit
        )
        SELECT slots.*, overall.all_possible, overall.all_absences
        FROM slots JOIN overall USING (unit)
        WHERE slots.possible > 0
    """
    return sql, params + l_params


def _holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment: controls the chance of any false pattern across the slots tested."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def _slot_words(kind: str, value: str) -> str:
    if kind == "weekday":
        return WEEKDAYS[int(value) - 1] + "s"
    if kind == "session":
        return f"{SESSION_WORDS.get(value, value)} sessions"
    if kind == "subject":
        return f"{value} lessons"
    return f"period {value} lessons"


def pupil_patterns(
    con: duckdb.DuckDBPyConnection, f: Filter, upn: str, min_sessions: int = 10, alpha: float = 0.05
) -> pd.DataFrame:
    """Does the pupil's absence concentrate on a weekday, a session, a subject or a period beyond chance?

    For each slot, the pupil's absence rate there against their own overall
    rate in the same unit: weekdays in days (a day counts as absent if any
    possible session was missed, so one day off is one event, not two), AM/PM
    in sessions, subjects and periods in lessons. A one-sided binomial test
    ("more absence here than overall") runs only where the slot has at least
    ``min_sessions`` possible units and at least 3 absences; p-values are
    Holm-adjusted across every slot tested, and ``significant`` means the
    adjusted p-value is below ``alpha``. One Monday off is therefore never a
    pattern. Sorted with significant slots first.
    """
    require_pupil_level(f)
    sql, params = _slots_sql(f.replace(upns=(upn,)))
    df = con.execute(sql, params).df()
    columns = ["kind", "value", "label", "unit", "possible", "absences", "rate", "pupil_rate"]
    columns += ["tested", "p_value", "p_adjusted", "significant", "evidence"]
    if df.empty:
        return pd.DataFrame(columns=columns)
    df["rate"] = 100.0 * df["absences"] / df["possible"]
    df["pupil_rate"] = 100.0 * df["all_absences"] / df["all_possible"]
    df["label"] = [
        WEEKDAYS[int(v) - 1]
        if k == "weekday"
        else f"Period {v}"
        if k == "period"
        else SESSION_WORDS.get(v, v).capitalize()
        if k == "session"
        else v
        for k, v in zip(df["kind"], df["value"], strict=True)
    ]
    df["tested"] = (df["possible"] >= min_sessions) & (df["absences"] >= 3)
    p_values = [
        binomtest(int(k), int(n), min(max(p / 100.0, 0.0), 1.0), alternative="greater").pvalue if t else math.nan
        for k, n, p, t in zip(df["absences"], df["possible"], df["pupil_rate"], df["tested"], strict=True)
    ]
    df["p_value"] = p_values
    tested = [i for i, t in enumerate(df["tested"]) if t]
    adjusted = [math.nan] * len(df)
    for i, a in zip(tested, _holm([p_values[i] for i in tested]), strict=True):
        adjusted[i] = a
    df["p_adjusted"] = adjusted
    df["significant"] = df["tested"] & (df["p_adjusted"] < alpha) & (df["rate"] > df["pupil_rate"])
    df["evidence"] = [
        f"Absent {k} of {n} {_slot_words(kind, v)} ({r:.0f}%) against {pr:.0f}% of all {unit}"
        for kind, v, unit, n, k, r, pr in zip(
            df["kind"],
            df["value"],
            df["unit"],
            df["possible"],
            df["absences"],
            df["rate"],
            df["pupil_rate"],
            strict=True,
        )
    ]
    kind_order = {"weekday": 0, "session": 1, "subject": 2, "period": 3}
    df["_k"] = df["kind"].map(kind_order)
    df = df.sort_values(
        ["significant", "p_value", "_k", "value"], ascending=[False, True, True, True], na_position="last"
    )
    return df[columns].reset_index(drop=True)


def _latest_date(con: duckdb.DuckDBPyConnection, f: Filter) -> tuple[date | None, int | None]:
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    return con.execute(f"SELECT max(date), max(academic_year) FROM ({marks}) m", params).fetchone()


def trajectory_sql(con: duckdb.DuckDBPyConnection, f: Filter) -> tuple[str, list]:
    """Per pupil: attendance this half-term and last, and year-to-date attendance now and at the last half-term's end.

    "This" half-term is the one (from the school's calendar) holding the latest
    mark in the filter; "previous" is the half-term before it, which may be in
    the previous academic year. ``ytd_now`` is attendance from the start of the
    academic year to the latest mark; ``ytd_previous`` the same at the end of
    the previous half-term (within that half-term's own academic year). The
    "newly below" flags use these year-to-date figures, because that is what
    persistent absence is judged on and a single half-term is too short (a week
    of flu would move it ten points).
    """
    latest, year = _latest_date(con, f)
    marks, m_params = marks_sql(f, pupils=False, enrolments=False)
    ht, ht_params = half_terms_sql(f.replace(academic_year=None))
    # Marks of the same pupils from the start of the previous academic year, whatever their enrolment
    # then (last year's Year 8 is this year's Year 9): pupils come from the filter, marks from the school.
    start = date(year or 1900, 9, 1)
    if latest is not None:
        # Reach into last year only when the latest mark is in this year's first half-term.
        earlier = con.execute(
            f"SELECT count(*) FROM ({ht}) h WHERE academic_year = ? AND start_date <= ?", [*ht_params, year, latest]
        ).fetchone()[0]
        if earlier < 2:
            start = date(year - 1, 9, 1)
    wide = school_filter(f).replace(date_from=start, date_to=latest, weekdays=f.weekdays, sessions=f.sessions)
    all_marks, a_params = marks_sql(wide, pupils=False, enrolments=False)
    # One pass over the marks, per pupil, with a FILTER for each period. Pupils are keyed by one
    # integer so no join or grouping runs on the UPN: within one academic year a pupil's enrolment
    # id; across years their first enrolment's id at the school.
    same_year = f.academic_year is not None and start.year == f.academic_year

    def keyed(alias: str) -> tuple[str, str]:
        if same_year:
            return f"{alias}.enrolment_id", ""
        return f"pk_{alias}.pkey", f"JOIN pk pk_{alias} ON pk_{alias}.enrolment_id = {alias}.enrolment_id"

    fm_key, fm_join = keyed("fm")
    a_key, a_join = keyed("a")
    # A mark counts up to its school's latest mark: tested inside each count, because as a WHERE
    # it becomes a range condition inside the join, the slow path over every mark.
    upto = "a.date <= b.latest"
    sql = f"""
        WITH pk AS (
            SELECT enrolment_id, min(enrolment_id) OVER (PARTITION BY school_id, upn) AS pkey FROM enrolments
        ),
        -- The pupils the filter covers, grouped on the integer key alone (the key's enrolment row
        -- names the school and pupil: within a year it is the enrolment, across years the first).
        pupils_in AS (
            SELECT k.pkey, e.school_id, e.upn, k.academic_year, k.latest
            FROM (SELECT {fm_key} AS pkey, max(fm.academic_year) AS academic_year, max(fm.date) AS latest
                  FROM ({marks}) fm {fm_join} GROUP BY 1) k
            JOIN enrolments e ON e.enrolment_id = k.pkey
        ),
        latest AS (SELECT school_id, max(latest) AS latest FROM pupils_in GROUP BY school_id),
        ht AS ({ht}),
        cur AS (
            SELECT ht.*, l.latest FROM ht JOIN latest l USING (school_id)
            WHERE ht.start_date <= l.latest
            QUALIFY row_number() OVER (PARTITION BY ht.school_id ORDER BY ht.start_date DESC) = 1
        ),
        prev AS (SELECT ht.* FROM ht JOIN cur ON cur.school_id = ht.school_id AND ht.seq = cur.seq - 1),
        -- The periods are the school's: this half-term, the previous one, and the two years to date.
        bounds AS (
            SELECT cur.school_id, cur.latest, cur.label AS half_term, prev.label AS previous_half_term,
                   cur.start_date AS cur_start, cur.academic_year AS cur_year,
                   prev.start_date AS prev_start, prev.end_date AS prev_end, prev.academic_year AS prev_year
            FROM cur LEFT JOIN prev ON prev.school_id = cur.school_id
        ),
        -- Each mark's period tests are computed once (four flags), then counted per pupil. Marks meet
        -- their school's periods (a join to a row per school, not per pupil: the per-pupil join was
        -- most of the cost at trust scale), and pupils outside the filter are dropped after counting.
        per_pupil AS (
            SELECT pkey,
                   count_if(possible AND is_this)::BIGINT AS possible_this,
                   count_if(attended AND is_this)::BIGINT AS attended_this,
                   count_if(possible AND is_prev)::BIGINT AS possible_previous,
                   count_if(attended AND is_prev)::BIGINT AS attended_previous,
                   count_if(possible AND is_ytd)::BIGINT AS possible_ytd,
                   count_if(attended AND is_ytd)::BIGINT AS attended_ytd,
                   count_if(possible AND is_ytd_prev)::BIGINT AS possible_ytd_previous,
                   count_if(attended AND is_ytd_prev)::BIGINT AS attended_ytd_previous
            FROM (
                SELECT {a_key} AS pkey, a.possible, a.attended,
                       {upto} AND a.date >= b.cur_start AS is_this,
                       {upto} AND a.date BETWEEN b.prev_start AND b.prev_end AS is_prev,
                       {upto} AND a.academic_year = b.cur_year AS is_ytd,
                       {upto} AND a.academic_year = b.prev_year AND a.date <= b.prev_end AS is_ytd_prev
                FROM ({all_marks}) a {a_join}
                JOIN bounds b ON b.school_id = a.school_id
            )
            GROUP BY pkey
        )
        SELECT pi.upn, p.surname, p.forename, e.year_group, e.form, pi.school_id,
               b.half_term, b.previous_half_term, t.possible_this, t.possible_previous,
               100.0 * t.attended_this / nullif(t.possible_this, 0) AS attendance_this,
               100.0 * t.attended_previous / nullif(t.possible_previous, 0) AS attendance_previous,
               100.0 * t.attended_this / nullif(t.possible_this, 0)
                 - 100.0 * t.attended_previous / nullif(t.possible_previous, 0) AS change,
               100.0 * t.attended_ytd / nullif(t.possible_ytd, 0) AS ytd_now,
               100.0 * t.attended_ytd_previous / nullif(t.possible_ytd_previous, 0) AS ytd_previous,
               t.possible_ytd
        FROM per_pupil t
        JOIN pupils_in pi ON pi.pkey = t.pkey
        JOIN bounds b ON b.school_id = pi.school_id
        JOIN pupils p ON p.school_id = pi.school_id AND p.upn = pi.upn
        LEFT JOIN enrolments e ON e.school_id = pi.school_id AND e.upn = pi.upn AND e.academic_year = pi.academic_year
        WHERE t.possible_this > 0 OR t.possible_ytd > 0
    """
    return sql, m_params + ht_params + a_params


def trajectory(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Each pupil's attendance this half-term against the previous, and who has newly fallen below 95% or 90%.

    ``change`` is in percentage points (this minus previous half-term).
    ``newly_below_95`` / ``newly_below_90``: year-to-date attendance was at or
    above the line at the end of the previous half-term and is below it now
    (see ``trajectory_sql``). Biggest falls first.
    """
    require_pupil_level(f)
    sql, params = trajectory_sql(con, f)
    sql = f"""
        SELECT *,
               coalesce(ytd_previous >= ? AND ytd_now < ?, FALSE) AS newly_below_95,
               coalesce(ytd_previous >= ? AND ytd_now < ?, FALSE) AS newly_below_90
        FROM ({sql}) x
        ORDER BY change ASC NULLS LAST, ytd_now ASC, upn
    """
    lines = [AT_RISK_ATTENDANCE, AT_RISK_ATTENDANCE, PERSISTENT_LINE, PERSISTENT_LINE]
    return con.execute(sql, [*lines, *params]).df()


def _lesson_minutes(con: duckdb.DuckDBPyConnection, f: Filter) -> tuple[int, str]:
    """Lesson length: five hours of teaching shared across the usual number of periods in a day, else 60.

    The usual number is the most common count of distinct periods the pupil has
    in a day in their lesson registers (5 periods -> 60 minutes, 6 -> 50).
    """
    marks, params = marks_sql(f, table="lesson_marks", pupils=False, enrolments=False)
    periods = con.execute(
        f"""
        SELECT mode(n) FROM (SELECT count(DISTINCT coalesce(CAST(period_number AS VARCHAR), period)) AS n
                             FROM ({marks}) m GROUP BY school_id, upn, date)
        """,
        params,
    ).fetchone()[0]
    if periods and 4 <= periods <= 8:
        minutes = int(5 * round(TEACHING_MINUTES_PER_DAY / periods / 5))
        return minutes, f"{periods} lessons a day, about {minutes} minutes each"
    return DEFAULT_LESSON_MINUTES, f"{DEFAULT_LESSON_MINUTES} minutes a lesson assumed"


def _year_sessions(con: duckdb.DuckDBPyConnection, school_id: str, year: int, latest: date) -> tuple[int, str]:
    """Sessions in the school year: from the calendar when it runs to the summer, else the DfE's 380."""
    row = con.execute(
        """
        SELECT max(end_date), sum((SELECT count(*) FROM range(start_date, end_date + 1, INTERVAL 1 DAY) r(d)
                                   WHERE isodow(d) <= 5))
        FROM calendar WHERE school_id = ? AND academic_year = ?
        """,
        [school_id, year],
    ).fetchone()
    end, weekdays = row
    if end is not None and end > latest and end.month in (6, 7, 8) and weekdays:
        return int(weekdays) * SESSIONS_PER_DAY, "the school calendar"
    return SESSIONS_PER_YEAR, "a standard 190-day year"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _days_text(days: float) -> str:
    whole = math.floor(days + 1e-9)
    half = days - whole >= 0.5 - 1e-9
    text = f"{whole}½" if half and whole else ("½" if half else str(whole))
    return f"{text} day" + ("" if days == 1 else "s")


def _weeks_text(days: float) -> str:
    weeks = math.floor(days / 5 + 1e-9)
    if weeks < 1:
        return ""
    word = NUMBER_WORDS[weeks] if weeks < len(NUMBER_WORDS) else str(weeks)
    plural = "s" if weeks > 1 else ""
    exact = abs(days - 5 * weeks) < 1e-9
    return f", {'exactly' if exact else 'more than'} {word} school week{plural}"


def time_lost(con: duckdb.DuckDBPyConnection, f: Filter, upn: str) -> dict:
    """Time missed, for conversations with parents: days, lessons and hours, so far and projected to July.

    Days = absence sessions / 2. Lessons: absent lesson marks where the school
    keeps lesson registers; hours assume the lesson length from
    ``_lesson_minutes``. The projection applies the pupil's absence rate so far
    to the sessions left in the year: the year's sessions (calendar, else 380)
    minus the sessions the school has held so far, as long as the pupil is on
    roll. Returns {} when the pupil has no possible session in the year.
    """
    require_pupil_level(f)
    enrolment = _enrolment(con, f, upn)
    if not enrolment:
        return {}
    # The year so far: from 1 September to the filter's end date, or to the latest mark.
    g = _pupil_filter(f, enrolment).replace(date_from=None, term=None, half_term=None, weekdays=(), sessions=())
    marks, params = marks_sql(g, pupils=False, enrolments=False)
    lessons, l_params = marks_sql(g, table="lesson_marks", pupils=False, enrolments=False)
    row = con.execute(
        f"""
        WITH m AS (
            SELECT count(*) FILTER (WHERE possible) AS possible, count(*) FILTER (WHERE absent) AS absent,
                   count(*) FILTER (WHERE authorised) AS authorised,
                   count(*) FILTER (WHERE unauthorised) AS unauthorised, max(date) AS latest
            FROM ({marks}) m
        ),
        l AS (SELECT count(*) FILTER (WHERE possible) AS possible, count(*) FILTER (WHERE absent) AS absent
              FROM ({lessons}) l)
        SELECT m.*,
               -- sessions the school has held so far: a calendar fact, not a measure, so the raw marks
               (SELECT count(DISTINCT (sm.date, sm.session)) FROM session_marks sm
                 WHERE sm.school_id = ? AND sm.academic_year = ? AND sm.date <= m.latest),
               l.possible, l.absent
        FROM m, l
        """,
        [*params, *l_params, enrolment["school_id"], enrolment["academic_year"]],
    ).fetchone()
    possible, absent, authorised, unauthorised, latest, held, possible_lessons, absent_lessons = row
    if not possible:
        return {}
    year_sessions, year_basis = _year_sessions(con, enrolment["school_id"], enrolment["academic_year"], latest)
    leaving = enrolment.get("leaving_date")
    remaining = 0 if leaving is not None and leaving <= latest else max(year_sessions - held, 0)
    rate = absent / possible
    projected_sessions = absent + rate * remaining
    days = absent / SESSIONS_PER_DAY
    projected_days = projected_sessions / SESSIONS_PER_DAY
    result = {
        "upn": upn,
        "academic_year": enrolment["academic_year"],
        "as_of": latest,
        "possible_sessions": possible,
        "absence_sessions": absent,
        "authorised_sessions": authorised,
        "unauthorised_sessions": unauthorised,
        "attendance_rate": 100.0 * (possible - absent) / possible,
        "days_missed": days,
        "sessions_held_so_far": held,
        "year_sessions": year_sessions,
        "year_basis": year_basis,
        "remaining_sessions": remaining,
        "projected_absence_sessions": projected_sessions,
        "projected_days_missed": projected_days,
        "projected_weeks_missed": projected_days / 5,
        "lessons_missed": None,
        "lesson_minutes": None,
        "lesson_basis": None,
        "hours_missed": None,
        "projected_lessons_missed": None,
        "projected_hours_missed": None,
    }
    name = enrolment.get("forename") or "This pupil"
    sentences = [
        f"{name} has missed {_days_text(days)} so far this year"
        + (
            f"; at this rate that will be {_days_text(round(projected_days * 2) / 2)} by July"
            f"{_weeks_text(round(projected_days * 2) / 2)}."
            if remaining
            else "."
        )
    ]
    if possible_lessons:
        minutes, basis = _lesson_minutes(con, g)
        lesson_rate = absent_lessons / possible_lessons
        # Lessons left in the year: the pupil's lessons per session so far, over the sessions left.
        lessons_left = remaining * possible_lessons / possible
        result.update(
            lessons_missed=absent_lessons,
            lesson_minutes=minutes,
            lesson_basis=basis,
            hours_missed=absent_lessons * minutes / 60,
            projected_lessons_missed=absent_lessons + lesson_rate * lessons_left,
            projected_hours_missed=(absent_lessons + lesson_rate * lessons_left) * minutes / 60,
        )
        sentences.append(
            f"That is {absent_lessons} lesson{'s' if absent_lessons != 1 else ''}, "
            f"about {_plural(round(absent_lessons * minutes / 60), 'hour')} of learning."
        )
    attendance = result["attendance_rate"]
    if absent:
        every = possible / absent  # sessions per session missed = school days per day missed
        sentences.append(f"Attendance of {attendance:.1f}% is about one day missed every {every:.0f} school days.")
    result["sentences"] = sentences
    return result


def rule_of_three(con: duckdb.DuckDBPyConnection, f: Filter, upn: str) -> pd.DataFrame:
    """Days off in each half-term of the year against the 90% line ("Rule of 3").

    Three days off in a six- or seven-week half-term averages 90% attendance.
    ``status``: 'under' (fewer than 3 days), 'at' (exactly 3), 'over' (more:
    below 90% if it continues); ``in_progress`` marks the half-term still running.
    """
    require_pupil_level(f)
    enrolment = _enrolment(con, f, upn)
    columns = ["half_term", "term", "start_date", "end_date", "possible_sessions", "absence_sessions", "days_off"]
    if not enrolment:
        return pd.DataFrame(columns=[*columns, "attendance_rate", "status", "in_progress"])
    g = _pupil_filter(f, enrolment).replace(date_from=None, term=None, half_term=None, weekdays=(), sessions=())
    marks, params = marks_sql(g, pupils=False, enrolments=False)
    ht, ht_params = half_terms_sql(g)
    sql = f"""
        WITH m AS ({marks}), ht AS ({ht})
        SELECT ht.label AS half_term, ht.term, ht.start_date, ht.end_date,
               count(*) FILTER (WHERE m.possible) AS possible_sessions,
               count(*) FILTER (WHERE m.absent) AS absence_sessions,
               count(*) FILTER (WHERE m.absent) / {SESSIONS_PER_DAY} AS days_off,
               100.0 - 100.0 * count(*) FILTER (WHERE m.absent) / nullif(count(*) FILTER (WHERE m.possible), 0)
                   AS attendance_rate,
               CASE WHEN count(*) FILTER (WHERE m.absent) < {RULE_OF_THREE_DAYS * SESSIONS_PER_DAY} THEN 'under'
                    WHEN count(*) FILTER (WHERE m.absent) = {RULE_OF_THREE_DAYS * SESSIONS_PER_DAY} THEN 'at'
                    ELSE 'over' END AS status,
               ht.end_date > (SELECT max(date) FROM m) AS in_progress
        FROM ht JOIN m ON m.school_id = ht.school_id AND m.date BETWEEN ht.start_date AND ht.end_date
        WHERE ht.school_id = ? AND ht.academic_year = ?
        GROUP BY ht.label, ht.term, ht.start_date, ht.end_date
        HAVING count(*) FILTER (WHERE m.possible) > 0
        ORDER BY ht.start_date
    """
    return con.execute(sql, [*params, *ht_params, enrolment["school_id"], enrolment["academic_year"]]).df()


def pupil_lesson_absence_by_subject(con: duckdb.DuckDBPyConnection, f: Filter, upn: str) -> pd.DataFrame:
    """One pupil's lessons by subject: possible, absent (authorised, unauthorised), late, post-registration."""
    require_pupil_level(f)

    base, params = post_registration_sql(f.replace(upns=(upn,)))
    sql = f"""
        SELECT coalesce(subject, 'Unknown') AS subject,
               count(*) FILTER (WHERE possible) AS possible_lessons,
               count(*) FILTER (WHERE absent) AS absent_lessons,
               count(*) FILTER (WHERE authorised) AS authorised_lessons,
               count(*) FILTER (WHERE unauthorised) AS unauthorised_lessons,
               count(*) FILTER (WHERE late_l OR late_u) AS late_lessons,
               count(*) FILTER (WHERE post_registration) AS post_registration_absences,
               100.0 * count(*) FILTER (WHERE absent) / nullif(count(*) FILTER (WHERE possible), 0) AS absence_rate
        FROM ({base}) x
        GROUP BY 1
        HAVING count(*) FILTER (WHERE possible) > 0
        ORDER BY absence_rate DESC, subject
    """
    return con.execute(sql, params).df()

"""What the at-risk model knows about each pupil at a cut-off date.

Features are computed in DuckDB over ``measures.marks_sql`` with the filter's
``date_to`` set to the cut-off, so no mark after the cut-off can reach them
(the code-table flags come from there too). Only pupils on roll at the cut-off
are kept. The outcome, persistent absence over the whole year, comes from
``measures.enrolment_measures``.

Cut-offs are positioned inside each academic year either at the end of a
half-term (from the ``calendar`` table, the same half-terms every page and
pack uses) or at the same number of school days into the year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from analytics import measures
from analytics.filters import WEEKDAYS, Filter
from data import calendar

RECENT_WEEKS = 4  # "trend over recent weeks": the last four weeks against the rest of the year to date
WEEKDAY_SHRINK = 10  # weekday concentration is shrunk towards 0 for pupils with few absences
HALF_TERMS = (("autumn", 1), ("autumn", 2), ("spring", 1), ("spring", 2), ("summer", 1))
HALF_TERM_NAMES = {
    ("autumn", 1): "autumn 1",
    ("autumn", 2): "autumn 2",
    ("spring", 1): "spring 1",
    ("spring", 2): "spring 2",
    ("summer", 1): "summer 1",
    ("summer", 2): "summer 2",
}
COMPLETE_FROM = (7, 1)  # a year whose marks reach 1 July has (nearly) all its sessions: its outcome is known

# Features every model uses, with the plain-words name the model page shows.
FEATURES = {
    "absence_rate": "Absence to date (%)",
    "authorised_rate": "Authorised absence to date (%)",
    "unauthorised_rate": "Unauthorised absence to date (%)",
    "spells": "Spells of absence",
    "longest_spell": "Longest spell (sessions)",
    "absence_trend": f"Absence, last {RECENT_WEEKS} weeks minus before (points)",
    "unauthorised_trend": f"Unauthorised absence, last {RECENT_WEEKS} weeks minus before (points)",
    "weekday_index": "Absence concentrated on one weekday",
    "late_l_rate": "Late before registers closed (L, %)",
    "late_u_rate": "Late after registers closed (U, %)",
    "post_registration_rate": "Lessons missed after registering (%)",
    "no_lesson_data": "No lesson registers",
    "last_year_absence_rate": "Absence last year (%)",
    "last_year_pa": "Persistently absent last year",
    "no_last_year": "Not on roll last year",
    "year_group": "Year group",
}
# Optional pupil characteristics (off by default): the model report shows what they add.
CHARACTERISTIC_FEATURES = {
    "fsm": "FSM eligible",
    "sen_support": "SEN support",
    "ehc_plan": "EHC plan",
    "eal": "EAL",
    "cin": "Child in need",
    "lac": "Looked after",
    "male": "Male",
    "ethnicity_asian": "Ethnicity: Asian",
    "ethnicity_black": "Ethnicity: Black",
    "ethnicity_mixed": "Ethnicity: Mixed",
    "ethnicity_other": "Ethnicity: Chinese or other",
}
# DfE ethnicity codes start with their major group letter.
_ETHNIC_MAJOR = {"A": "asian", "B": "black", "M": "mixed", "C": "other", "O": "other"}


def feature_names(use_characteristics: bool = False) -> list[str]:
    return list(FEATURES) + (list(CHARACTERISTIC_FEATURES) if use_characteristics else [])


# ---------------------------------------------------------------- calendar and cut-offs


@dataclass(frozen=True)
class CutoffPoint:
    """Where a cut-off sits inside an academic year: a half-term end, or a number of school days in."""

    half_term: tuple[str, int] | None = None
    school_day: int | None = None

    def describe(self) -> str:
        if self.half_term:
            return f"end of {HALF_TERM_NAMES[self.half_term]}"
        return f"school day {self.school_day} of the year"


def school_days(con: duckdb.DuckDBPyConnection, school_id: str, academic_year: int) -> list[date]:
    """Dates in the year with at least one possible session for the school (closure days are not school days)."""
    marks, params = measures.marks_sql(Filter(school_ids=(school_id,), academic_year=academic_year))
    rows = con.execute(f"SELECT DISTINCT date FROM ({marks}) WHERE possible ORDER BY date", params).fetchall()
    return [r[0] for r in rows]


def half_term_ends(con: duckdb.DuckDBPyConnection, school_id: str, academic_year: int) -> dict[tuple[str, int], date]:
    """The last day of each half-term, from the school's calendar (imported, or derived once from its marks).

    A year whose calendar is missing (a file written before the calendar was
    stored) gets the half-terms ``data.calendar`` would derive, worked out
    here without writing them.
    """
    rows = con.execute(
        "SELECT term, half_term, end_date FROM calendar WHERE school_id = ? AND academic_year = ?",
        [school_id, academic_year],
    ).fetchall()
    if rows:
        return {(t, int(h)): e for t, h, e in rows}
    days = school_days(con, school_id, academic_year)
    return {(term, half): end for term, half, _start, end in calendar.half_terms_of(days)}


def complete_years(con: duckdb.DuckDBPyConnection, school_id: str) -> list[int]:
    """Academic years whose marks run into July: their year-end outcome is known."""
    rows = con.execute(
        "SELECT academic_year, max(date) FROM session_marks WHERE school_id = ? GROUP BY academic_year ORDER BY 1",
        [school_id],
    ).fetchall()
    return [y for y, last in rows if last >= date(y + 1, *COMPLETE_FROM)]


def years_with_marks(con: duckdb.DuckDBPyConnection, school_id: str) -> list[int]:
    rows = con.execute(
        "SELECT DISTINCT academic_year FROM session_marks WHERE school_id = ? ORDER BY 1", [school_id]
    ).fetchall()
    return [r[0] for r in rows]


def point_of(con: duckdb.DuckDBPyConnection, school_id: str, academic_year: int, cutoff: date) -> CutoffPoint:
    """A half-term end when the cut-off is one, else the number of school days up to and including it."""
    for key, end in half_term_ends(con, school_id, academic_year).items():
        if end == cutoff and key in HALF_TERMS:
            return CutoffPoint(half_term=key)
    days = school_days(con, school_id, academic_year)
    return CutoffPoint(school_day=max(1, sum(1 for d in days if d <= cutoff)))


def cutoff_in_year(con: duckdb.DuckDBPyConnection, school_id: str, academic_year: int, point: CutoffPoint) -> date:
    """The date of the same point in another academic year."""
    if point.half_term:
        ends = half_term_ends(con, school_id, academic_year)
        if point.half_term in ends:
            return ends[point.half_term]
        raise ValueError(f"no {HALF_TERM_NAMES[point.half_term]} half-term found in {academic_year}")
    days = school_days(con, school_id, academic_year)
    if not days:
        raise ValueError(f"no school days in {academic_year}")
    return days[min(point.school_day, len(days)) - 1]


def position_in_year(cutoff: date, academic_year: int) -> date:
    """The same month and day inside ``academic_year`` (September-December in its first calendar year)."""
    year = academic_year if cutoff.month >= 9 else academic_year + 1
    day = min(cutoff.day, 28) if cutoff.month == 2 else cutoff.day
    return date(year, cutoff.month, day)


# ---------------------------------------------------------------- features


def _features_sql(f: Filter, cutoff: date) -> tuple[str, list]:
    marks, params = measures.marks_sql(f)
    lessons, lesson_params = measures.marks_sql(f, table="lesson_marks")
    recent_from = cutoff - timedelta(weeks=RECENT_WEEKS)
    sql = f"""
        WITH m AS ({marks}),
        lm AS ({lessons}),
        pos AS (
            SELECT school_id, academic_year, upn, date, session, absent, authorised, unauthorised,
                   late_l, late_u, attended, isodow(date) AS dow,
                   -- gaps and islands: consecutive absent sessions share rn - rn_state
                   row_number() OVER (PARTITION BY upn ORDER BY date, session) AS rn,
                   row_number() OVER (PARTITION BY upn, absent ORDER BY date, session) AS rn_state
            FROM m WHERE possible
        ),
        tot AS (
            SELECT school_id, academic_year, upn,
                   count(*) AS possible_sessions,
                   count_if(absent) AS absence_sessions,
                   count_if(authorised) AS authorised_sessions,
                   count_if(unauthorised) AS unauthorised_sessions,
                   count_if(late_l) AS late_l_sessions,
                   count_if(late_u) AS late_u_sessions,
                   count_if(date > ?) AS recent_possible,
                   count_if(absent AND date > ?) AS recent_absent,
                   count_if(unauthorised AND date > ?) AS recent_unauthorised
            FROM pos GROUP BY school_id, academic_year, upn
        ),
        who AS (
            SELECT upn, any_value(year_group) AS year_group, any_value(form) AS form,
                   any_value(fsm) AS fsm_flag, any_value(sen) AS sen, any_value(eal) AS eal_flag,
                   any_value(cin) AS cin_flag, any_value(lac) AS lac_flag,
                   any_value(gender) AS gender, any_value(ethnicity) AS ethnicity
            FROM m GROUP BY upn
        ),
        runs AS (SELECT upn, count(*) AS run_length FROM pos WHERE absent GROUP BY upn, rn - rn_state),
        spells AS (SELECT upn, count(*) AS spells, max(run_length) AS longest_spell FROM runs GROUP BY upn),
        wd AS (
            SELECT upn, dow, count(*) AS possible_on_day, count_if(absent) AS absent_on_day
            FROM pos GROUP BY upn, dow
        ),
        wdi AS (
            -- chi-square of the pupil's absences by weekday against their own sessions on each weekday
            -- rounded: a parallel float sum adds in no fixed order, and the model must be reproducible
            SELECT wd.upn,
                   round(sum(CASE WHEN t.absence_sessions > 0 THEN
                       power(absent_on_day - t.absence_sessions * possible_on_day / t.possible_sessions, 2)
                       / (t.absence_sessions * possible_on_day / t.possible_sessions) ELSE 0 END), 9) AS weekday_chi2,
                   arg_max(dow, absent_on_day * 8 - dow) AS top_weekday,  -- ties: the earlier weekday
                   max(absent_on_day) AS top_weekday_absences
            FROM wd JOIN tot t ON t.upn = wd.upn GROUP BY wd.upn
        ),
        postreg AS (
            SELECT l.upn, count(*) AS lessons_after_registering,
                   count_if(l.absent) AS lessons_missed_after_registering
            FROM lm l JOIN pos s ON s.upn = l.upn AND s.date = l.date AND s.session = l.session
            WHERE s.attended GROUP BY l.upn
        )
        SELECT t.*, w.year_group, w.form, w.fsm_flag, w.sen, w.eal_flag, w.cin_flag, w.lac_flag,
               w.gender, w.ethnicity,
               coalesce(sp.spells, 0) AS spells, coalesce(sp.longest_spell, 0) AS longest_spell,
               coalesce(wdi.weekday_chi2, 0) AS weekday_chi2, wdi.top_weekday,
               coalesce(wdi.top_weekday_absences, 0) AS top_weekday_absences,
               coalesce(pr.lessons_after_registering, 0) AS lessons_after_registering,
               coalesce(pr.lessons_missed_after_registering, 0) AS lessons_missed_after_registering
        FROM tot t
        JOIN who w ON w.upn = t.upn
        JOIN enrolments e ON e.school_id = t.school_id AND e.upn = t.upn AND e.academic_year = t.academic_year
        LEFT JOIN spells sp ON sp.upn = t.upn
        LEFT JOIN wdi ON wdi.upn = t.upn
        LEFT JOIN postreg pr ON pr.upn = t.upn
        WHERE e.leaving_date IS NULL OR e.leaving_date >= ?
        ORDER BY t.upn
    """
    return sql, [*params, *lesson_params, recent_from, recent_from, recent_from, cutoff]


def features_at(con: duckdb.DuckDBPyConnection, f: Filter, cutoff: date) -> pd.DataFrame:
    """One row per pupil on roll at ``cutoff`` in ``f.academic_year``, with every feature and the raw counts.

    ``f`` chooses the school and pupils; its dates, term, weekdays and sessions are
    replaced: the features always cover the year from its start to the cut-off.
    """
    f = f.replace(date_from=None, date_to=cutoff, term=None, half_term=None, weekdays=(), sessions=(), upns=())
    sql, params = _features_sql(f, cutoff)
    df = con.execute(sql, params).df()
    if df.empty:
        return df
    possible = df["possible_sessions"].astype(float)
    df["absence_rate"] = 100.0 * df["absence_sessions"] / possible
    df["attendance_rate"] = 100.0 - df["absence_rate"]
    df["authorised_rate"] = 100.0 * df["authorised_sessions"] / possible
    df["unauthorised_rate"] = 100.0 * df["unauthorised_sessions"] / possible
    df["late_l_rate"] = 100.0 * df["late_l_sessions"] / possible
    df["late_u_rate"] = 100.0 * df["late_u_sessions"] / possible
    earlier = (df["possible_sessions"] - df["recent_possible"]).astype(float)
    recent = df["recent_possible"].astype(float)
    both = (earlier > 0) & (recent > 0)
    df["recent_absence_rate"] = np.where(recent > 0, 100.0 * df["recent_absent"] / recent.where(recent > 0), np.nan)
    df["earlier_absence_rate"] = np.where(
        earlier > 0, 100.0 * (df["absence_sessions"] - df["recent_absent"]) / earlier.where(earlier > 0), np.nan
    )
    df["recent_unauthorised_rate"] = np.where(
        recent > 0, 100.0 * df["recent_unauthorised"] / recent.where(recent > 0), np.nan
    )
    df["earlier_unauthorised_rate"] = np.where(
        earlier > 0,
        100.0 * (df["unauthorised_sessions"] - df["recent_unauthorised"]) / earlier.where(earlier > 0),
        np.nan,
    )
    df["absence_trend"] = np.where(both, df["recent_absence_rate"] - df["earlier_absence_rate"], 0.0)
    df["unauthorised_trend"] = np.where(both, df["recent_unauthorised_rate"] - df["earlier_unauthorised_rate"], 0.0)
    df["weekday_index"] = df["weekday_chi2"] / (df["absence_sessions"] + WEEKDAY_SHRINK)
    df["top_weekday_share"] = df["top_weekday_absences"] / df["absence_sessions"].where(df["absence_sessions"] > 0)
    lessons = df["lessons_after_registering"].astype(float)
    df["post_registration_rate"] = np.where(
        lessons > 0, 100.0 * df["lessons_missed_after_registering"] / lessons.where(lessons > 0), 0.0
    )
    df["no_lesson_data"] = (lessons == 0).astype(float)
    df["year_group"] = df["year_group"].astype(float)
    df = df.merge(_last_year(con, f, cutoff), on="upn", how="left")
    df["no_last_year"] = df["last_year_absence_rate"].isna().astype(float)
    # Not on roll last year: last year's absence is taken as this year's to date (the indicator says so).
    df["last_year_absence_rate"] = df["last_year_absence_rate"].fillna(df["absence_rate"])
    df["last_year_pa"] = df["last_year_pa"].fillna(False).astype(float)
    _add_characteristics(df)
    return df


def _last_year(con: duckdb.DuckDBPyConnection, f: Filter, cutoff: date) -> pd.DataFrame:
    """Last year's whole-year absence and PA for pupils on roll then (all of it is before the cut-off)."""
    previous = measures.enrolment_measures(con, f.for_year(f.academic_year - 1).whole_year())
    out = pd.DataFrame({"upn": previous["upn"], "last_year_absence_rate": previous["absence_rate"].astype(float)})
    out["last_year_pa"] = previous["persistent"].astype(bool).to_numpy()
    return out


def _add_characteristics(df: pd.DataFrame) -> None:
    def yes(column: str) -> pd.Series:
        return df[column].map(lambda v: 1.0 if v is True or v == 1 else 0.0).astype(float)

    df["fsm"] = yes("fsm_flag")
    df["eal"] = yes("eal_flag")
    df["cin"] = yes("cin_flag")
    df["lac"] = yes("lac_flag")
    df["sen_support"] = (df["sen"] == "K").astype(float)
    df["ehc_plan"] = (df["sen"] == "E").astype(float)
    df["male"] = df["gender"].astype(str).str.upper().str.startswith("M").astype(float)
    major = df["ethnicity"].astype(str).str.strip().str[:1].str.upper().map(_ETHNIC_MAJOR)
    for group in ("asian", "black", "mixed", "other"):
        df[f"ethnicity_{group}"] = (major == group).astype(float)


def outcomes(con: duckdb.DuckDBPyConnection, school_id: str, academic_year: int) -> pd.DataFrame:
    """Persistent absence over each enrolment's whole year (the outcome the model predicts)."""
    em = measures.enrolment_measures(con, Filter(school_ids=(school_id,), academic_year=academic_year))
    return pd.DataFrame({"upn": em["upn"], "persistent": em["persistent"].astype(bool).to_numpy()})


def weekday_name(iso: float | int | None) -> str:
    if iso is None or iso != iso:
        return "one day"
    return WEEKDAYS[int(iso) - 1]

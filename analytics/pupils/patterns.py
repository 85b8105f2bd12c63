"""Does a pupil's absence fall on one weekday, session, subject or period more than chance would?"""

from __future__ import annotations

import math

import duckdb
import pandas as pd
from scipy.stats import binomtest

from analytics.filters import WEEKDAYS, Filter, require_pupil_level
from analytics.measures import (
    marks_sql,
)

SESSION_WORDS = {"AM": "morning", "PM": "afternoon"}


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

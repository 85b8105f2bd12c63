"""Attendance in windows of school weeks around a date, for every pupil at once: the raw material of impact.

School weeks are weeks (Monday start) with any possible session at the school,
so holidays do not count. Around each (school, date): the ``weeks`` school weeks
before it, the second half of those, the weeks from it, and the rest of the year
before. Counted from the on-roll marks (``measures.marks_sql``) per pupil and
day once in DuckDB; each window is then a difference of running totals.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from analytics.filters import Filter, school_filter
from analytics.measures import marks_sql
from data.db import academic_year_of


def _pool_filter(f: Filter) -> Filter:
    """The filter's pupils over every date: windows reach across the filter's own dates and years."""
    return f.replace(academic_year=None, date_from=None, date_to=None, term=None, half_term=None)


def school_weeks(con: duckdb.DuckDBPyConnection, f: Filter) -> dict[str, list[date]]:
    """Monday of every week with any possible session, per school, in order.

    Possible, not merely marked: a holiday a school writes as ``#`` (closed) for every pupil is no
    school week.
    """
    where, params = school_filter(f).where("sm")
    rows = con.execute(
        f"""SELECT DISTINCT sm.school_id, date_trunc('week', sm.date)::DATE AS week_start
            FROM on_roll_sessions sm WHERE {where} AND sm.possible ORDER BY 1, 2""",
        params,
    ).fetchall()
    weeks: dict[str, list[date]] = {}
    for school_id, week_start in rows:
        weeks.setdefault(school_id, []).append(week_start)
    return weeks


WINDOWS = ("before", "after", "recent", "prior")


def _bounds(weeks: list[date], when: date, before: int, after: int | None) -> tuple | None:
    """(before_from, after_to, prior_from, recent_from) for an index date, or None when it is after every school week.

    ``recent_from`` starts the second half of the before-window: a bad spell that is still going on
    when a pupil is picked recovers differently from one that has passed.
    """
    k = next((i for i, w in enumerate(weeks) if w + timedelta(days=6) >= when), None)
    if k is None or not weeks:
        return None
    before_from = weeks[max(k - before, 0)]
    last = len(weeks) - 1 if after is None else min(k + after - 1, len(weeks) - 1)
    after_to = weeks[last] + timedelta(days=6)
    prior_from = date(academic_year_of(when), 9, 1)
    recent_from = weeks[max(k - (before + 1) // 2, 0)]
    return before_from, after_to, min(prior_from, before_from), recent_from


def pupil_windows(
    con: duckdb.DuckDBPyConnection,
    f: Filter,
    index: list[tuple[str, date]],
    weeks: int,
    to_latest: bool = False,
) -> pd.DataFrame:
    """Every pupil's sessions before, after and earlier in the year around each (school, date) in ``index``.

    One row per index date and pupil on roll around it: ``year_group`` (in the date's academic
    year), ``before_*`` (``weeks`` school weeks up to the day before), ``recent_*`` (the second
    half of those), ``after_*`` (from the date, ``weeks`` school weeks, or to the latest mark with
    ``to_latest``), ``prior_*`` (the year before the before-window), each ``_possible`` and
    ``_attended``; ``acted`` = the pupil has a log entry on the date. ``later_type`` is the pupil's
    next logged action after the date inside the after-window (None if none) and ``later_*`` their
    sessions from it to the window's end: the part of the after-window that action may have changed.
    ``earlier_type`` is the pupil's first logged action inside the before-window (before the date)
    and ``earlier_{window}_possible`` their possible sessions in each window (not ``prior``) from
    it on: the part of each window that action may have changed.

    The marks are counted per pupil and day in DuckDB once; each window is then a difference of
    running totals, so a hundred dates cost no more than one.
    """
    columns = ["school_id", "d", "upn", "year_group", "acted", "later_type", "earlier_type"]
    columns += [f"{w}_{c}" for w in (*WINDOWS, "later") for c in ("possible", "attended")]
    columns += [f"earlier_{w}_possible" for w in WINDOWS if w != "prior"]
    weeks_by_school = school_weeks(con, f)
    by_school: dict[str, list[tuple]] = {}
    for school_id, when in sorted(set(index)):
        b = _bounds(weeks_by_school.get(school_id, []), when, weeks, None if to_latest else weeks)
        if b is not None:
            by_school.setdefault(school_id, []).append((when, *b))
    if not by_school:
        return pd.DataFrame(columns=columns)
    # Only the days some window reaches (from the earliest prior-window start to the latest after-window end):
    # a running total over them differs from one over every day by a constant, which each window subtracts.
    first_day = min(b[3] for rows in by_school.values() for b in rows)
    last_day = max(b[2] for rows in by_school.values() for b in rows)
    pool = _pool_filter(f).replace(school_ids=tuple(by_school), date_from=first_day, date_to=last_day)
    marks, params = marks_sql(pool, pupils=False, enrolments=False)
    daily = con.execute(
        f"""SELECT school_id, upn, date, count(*) FILTER (WHERE possible) AS possible,
                   count(*) FILTER (WHERE attended) AS attended
            FROM ({marks}) m GROUP BY ALL HAVING count(*) FILTER (WHERE possible) > 0""",
        params,
    ).df()
    years = con.execute(
        f"SELECT school_id, upn, academic_year, year_group FROM enrolments"
        f" WHERE school_id IN ({', '.join('?' * len(by_school))})",
        list(by_school),
    ).fetchall()
    year_group = {(s, u, y): g for s, u, y, g in years}
    log = con.execute(
        f"""SELECT school_id, upn, date, min(type) AS type FROM interventions
            WHERE school_id IN ({", ".join("?" * len(by_school))}) GROUP BY ALL ORDER BY date, upn""",
        list(by_school),
    ).df()
    frames = []
    for school_id, rows in by_school.items():
        day_rows = daily[daily["school_id"] == school_id]
        if day_rows.empty:
            continue
        p_i, upns = pd.factorize(day_rows["upn"], sort=True)  # row of each pupil, in UPN order
        d_i, days = pd.factorize(day_rows["date"], sort=True)
        upns, days = np.asarray(upns, dtype=object), np.asarray(days, dtype="datetime64[D]")
        totals = {}
        for c in ("possible", "attended"):
            grid = np.zeros((len(upns), len(days) + 1))
            grid[p_i, d_i + 1] = day_rows[c].to_numpy(float)
            totals[c] = np.cumsum(grid, axis=1)  # totals[c][:, n] = sessions on the first n days
        school_log = log[log["school_id"] == school_id]
        log_upn = school_log["upn"].to_numpy()
        log_day = school_log["date"].to_numpy().astype("datetime64[D]")
        log_type = school_log["type"].to_numpy()
        row_of = {u: n for n, u in enumerate(upns)}

        def upto(x: date, days: np.ndarray = days) -> int:
            return int(np.searchsorted(days, np.datetime64(x, "D"), side="left"))

        def first_actions(inside: np.ndarray, log_upn=log_upn, log_day=log_day, log_type=log_type, row_of=row_of):
            """(row, day, type) of each pupil's first logged action among the log rows ``inside`` marks."""
            seen = set()
            for u, day, kind in zip(log_upn[inside], log_day[inside], log_type[inside], strict=True):
                n = row_of.get(u)
                if n is not None and u not in seen:
                    seen.add(u)
                    yield n, day.astype(date), kind

        for when, before_from, after_to, prior_from, recent_from in rows:
            cut = {
                "before": (upto(before_from), upto(when)),
                "recent": (upto(recent_from), upto(when)),
                "after": (upto(when), upto(after_to + timedelta(days=1))),
                "prior": (upto(prior_from), upto(before_from)),
            }
            frame = {"upn": upns}
            for w, (a, b) in cut.items():
                for c in ("possible", "attended"):
                    frame[f"{w}_{c}"] = totals[c][:, b] - totals[c][:, a]
            # The pupil's next logged action inside the after-window, and their sessions from it on.
            later_type = np.full(len(upns), None, dtype=object)
            later = {c: np.zeros(len(upns)) for c in ("possible", "attended")}
            inside = (log_day > np.datetime64(when, "D")) & (log_day <= np.datetime64(after_to, "D"))
            for n, day, kind in first_actions(inside):
                later_type[n] = kind
                a, b = upto(day), upto(after_to + timedelta(days=1))
                for c in later:
                    later[c][n] = totals[c][n, b] - totals[c][n, a]
            frame["later_type"] = later_type
            frame |= {f"later_{c}": v for c, v in later.items()}
            # The pupil's first logged action inside the before-window (before the date), and their
            # possible sessions from it in each window: what it may have changed (as for a later action,
            # to the window's end: help that was still going on at the date goes on after it).
            earlier_type = np.full(len(upns), None, dtype=object)
            earlier = {w: np.zeros(len(upns)) for w in cut if w != "prior"}
            inside = (log_day >= np.datetime64(before_from, "D")) & (log_day < np.datetime64(when, "D"))
            for n, day, kind in first_actions(inside):
                earlier_type[n] = kind
                start = upto(day)
                for w in earlier:
                    a, b = max(cut[w][0], start), cut[w][1]
                    if b > a:
                        earlier[w][n] = totals["possible"][n, b] - totals["possible"][n, a]
            frame["earlier_type"] = earlier_type
            frame |= {f"earlier_{w}_possible": v for w, v in earlier.items()}
            frame = pd.DataFrame(frame)
            frame = frame[(frame["before_possible"] + frame["after_possible"] + frame["prior_possible"]) > 0]
            year = academic_year_of(when - timedelta(days=1))
            frame["year_group"] = [year_group.get((school_id, u, year)) for u in frame["upn"]]
            frame["acted"] = frame["upn"].isin(set(log_upn[log_day == np.datetime64(when, "D")]))
            frame["school_id"], frame["d"] = school_id, when
            frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def attendance_percent(attended, possible):
    """Attendance as the DfE rate, sessions attended / possible x 100 (None, or NaN in a column, without any).

    The one place these windows turn counts into a rate; works on numbers and on columns alike.
    """
    if isinstance(possible, pd.Series):
        return 100.0 * attended / possible.where(possible > 0)
    if isinstance(possible, np.ndarray):
        return 100.0 * attended / np.where(possible > 0, possible, np.nan)
    return 100.0 * attended / possible if possible else None


def window_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Attendance (%) before, after and earlier in the year; earlier falls back to before where unknown."""
    out = df.copy()
    for w in WINDOWS:
        out[w] = attendance_percent(out[f"{w}_attended"], out[f"{w}_possible"])
    for w in ("prior", "recent"):
        out[w] = out[w].fillna(out["before"])
    out["change"] = out["after"] - out["before"]
    return out

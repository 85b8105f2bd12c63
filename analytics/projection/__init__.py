"""Each pupil's road to the end of the school year: what is left, what they can still miss, where they are heading.

For every enrolment in the filter, as of the latest marks (or a given date):

- sessions and school days left in the year, from the school calendar: the
  weekdays of the half-terms still to come (holidays between half-terms are
  not school days), up to the last half-term's end. Where the calendar does not
  reach past the latest mark into a summer term (a calendar derived from the
  marks stops at the latest mark), a standard 380-session year is assumed:
  380 minus the sessions the school has held so far. ``basis`` says which.
  Bank holidays inside a half-term are counted as school days: the calendar
  does not record them.
- the most sessions the pupil can still miss and end the year above the
  target (the persistent-absence line by default: ending on exactly 10%
  absence is persistent absence, so the pupil must stay strictly above 90%);
- the best attendance they can still reach (every remaining session attended);
- at their rate since the current half-term began, the attendance they will
  end on and the date they would reach the penalty-notice threshold
  (``PENALTY_SESSIONS`` unauthorised sessions within ``PENALTY_WEEKS`` school
  weeks, counted as ``lists.penalty_notice_threshold`` does: school weeks are
  Monday weeks with marks, the window runs back across holidays and years);
- the "Rule of 3" left this half-term: the days they can still miss this
  half-term and still average 90% over it (three days in a six-week
  half-term; the half-term's real length is used).

A pupil who joined late, or leaves before the year ends, is judged on their own
sessions: those they have had so far and those left between their admission
and leaving dates. Remaining sessions are assumed to be possible sessions.
Every threshold comes from ``analytics.measures``.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from analytics.filters import Filter, require_pupil_level
from analytics.measures import PERSISTENT_LINE, SESSIONS_PER_DAY
from analytics.projection.outlook_sql import BASIS_CALENDAR, BASIS_STANDARD, outlook_sql

__all__ = [
    "BAD_WEEK_SESSIONS",
    "BASIS_CALENDAR",
    "BASIS_STANDARD",
    "OUTLOOK_COLUMNS",
    "bad_weeks_from_persistent_absence",
    "cannot_avoid_persistent_absence",
    "pupil_outlook",
    "pupil_outlooks",
    "year_end_outlook",
]

BAD_WEEK_SESSIONS = 5 * SESSIONS_PER_DAY  # a "bad week": every session of a five-day school week missed

OUTLOOK_COLUMNS = [
    "school_id",
    "upn",
    "surname",
    "forename",
    "gender",
    "year_group",
    "form",
    "academic_year",
    "admission_date",
    "leaving_date",
    "as_of",
    "basis",
    "year_end",
    "possible_sessions",
    "absence_sessions",
    "unauthorised_sessions",
    "attendance_rate",
    "remaining_sessions",
    "remaining_days",
    "year_end_sessions",
    "target",
    "can_miss_sessions",
    "can_miss_days",
    "cannot_avoid",
    "safe_whatever",
    "bad_weeks_to_line",
    "best_attendance",
    "rate_from",
    "absence_rate_since",
    "unauthorised_rate_since",
    "projected_attendance",
    "unauthorised_last_weeks",
    "penalty_status",
    "penalty_date",
    "half_term_start",
    "half_term_end",
    "half_term_days_off",
    "half_term_days_left",
]


def year_end_outlook(
    con: duckdb.DuckDBPyConnection,
    f: Filter,
    as_of: date | None = None,
    target: float = PERSISTENT_LINE,
    bad_week: int = BAD_WEEK_SESSIONS,
) -> pd.DataFrame:
    """One row per enrolment in the filter with possible sessions so far: its road to the end of the year.

    ``as_of``: the day the figures stand at (default: each school's latest
    mark in the year). ``target``: the attendance (percent) to end the year
    above (default the persistent-absence line). ``bad_week``: the sessions a
    bad week misses. The filter's date range, term, weekdays and sessions are
    ignored: the year is judged whole, from its start to ``as_of``.

    Columns (``OUTLOOK_COLUMNS``): the pupil; ``as_of``; ``basis``
    ('calendar' or 'standard') and ``year_end`` (the last half-term's end,
    None on a standard year); so far: ``possible_sessions``,
    ``absence_sessions``, ``unauthorised_sessions``, ``attendance_rate``; left:
    ``remaining_sessions``, ``remaining_days`` (the pupil's own, between
    admission and leaving), ``year_end_sessions`` (so far + left);
    ``can_miss_sessions`` / ``can_miss_days`` (the most they can still miss and
    end above ``target``, 0 when they cannot), ``cannot_avoid`` (even
    attending every remaining session they end at or below ``target``),
    ``safe_whatever`` (missing every remaining session still ends above it),
    ``bad_weeks_to_line`` (how many bad weeks take them to the line: 1 = the
    next one; 0 when they cannot avoid it, None when they are safe whatever);
    ``best_attendance``; ``rate_from`` (the start of the current half-term),
    ``absence_rate_since`` and ``unauthorised_rate_since`` (percent of
    possible sessions since then), ``projected_attendance`` (ending the year at
    that rate); ``unauthorised_last_weeks`` (unauthorised sessions in the last
    ``PENALTY_WEEKS`` school weeks to ``as_of``), ``penalty_status``
    ('reached': a window ending in the last ``PENALTY_WEEKS`` school weeks
    already holds ``PENALTY_SESSIONS``; 'projected': reached on
    ``penalty_date`` at the rate since half-term; 'not this year' otherwise);
    ``half_term_start`` / ``half_term_end`` of the current half-term,
    ``half_term_days_off`` so far in it and ``half_term_days_left`` (None when
    the calendar does not say when the half-term ends).
    """
    require_pupil_level(f)
    built = outlook_sql(con, f, as_of, target, bad_week)
    if built is None:
        return pd.DataFrame(columns=OUTLOOK_COLUMNS)
    sql, params = built
    return con.execute(f"SELECT {', '.join(OUTLOOK_COLUMNS)} FROM ({sql}) o {_ORDER}", params).df()


_ORDER = "ORDER BY best_attendance, projected_attendance, upn"


def pupil_outlook(con: duckdb.DuckDBPyConnection, f: Filter, upn: str, **kwargs) -> dict:
    """One pupil's row of ``year_end_outlook`` as a dict ({} when they have no possible session this year)."""
    return pupil_outlooks(con, f, [upn], **kwargs).get(upn, {})


def pupil_outlooks(con: duckdb.DuckDBPyConnection, f: Filter, upns: list[str], **kwargs) -> dict[str, dict]:
    """``pupil_outlook`` for several pupils in one query: upn -> row (pupils with no session this year left out)."""
    if not upns:
        return {}
    df = year_end_outlook(con, f.replace(upns=tuple(upns)), **kwargs)
    out: dict[str, dict] = {}
    for row in df.to_dict("records"):  # a pupil in two schools' filter: the first row, as ordered
        out.setdefault(row["upn"], {k: (None if _missing(v) else v) for k, v in row.items()})
    return out


def _outlook_where(
    con: duckdb.DuckDBPyConnection,
    f: Filter,
    condition: str,
    order: str,
    as_of: date | None,
    bad_week: int,
    extra: list,
) -> pd.DataFrame:
    require_pupil_level(f)
    built = outlook_sql(con, f, as_of, PERSISTENT_LINE, bad_week)
    if built is None:
        return pd.DataFrame(columns=OUTLOOK_COLUMNS)
    sql, params = built
    return con.execute(
        f"SELECT {', '.join(OUTLOOK_COLUMNS)} FROM ({sql}) o WHERE {condition} ORDER BY {order}", [*params, *extra]
    ).df()


def cannot_avoid_persistent_absence(
    con: duckdb.DuckDBPyConnection, f: Filter, as_of: date | None = None
) -> pd.DataFrame:
    """Pupils who will end the year persistently absent even if they attend every remaining session.

    Best reachable attendance first (lowest), as ``year_end_outlook`` rows.
    """
    return _outlook_where(con, f, "cannot_avoid", "best_attendance, upn", as_of, BAD_WEEK_SESSIONS, [])


def bad_weeks_from_persistent_absence(
    con: duckdb.DuckDBPyConnection,
    f: Filter,
    weeks: int = 2,
    as_of: date | None = None,
    bad_week: int = BAD_WEEK_SESSIONS,
) -> pd.DataFrame:
    """Pupils who can still avoid persistent absence but would not after ``weeks`` bad weeks or fewer.

    A bad week misses ``bad_week`` sessions (a whole school week by default).
    Fewest bad weeks to the line first, then the fewest sessions to spare.
    """
    return _outlook_where(
        con,
        f,
        "bad_weeks_to_line BETWEEN 1 AND ?",
        "bad_weeks_to_line, can_miss_sessions, upn",
        as_of,
        bad_week,
        [int(weeks)],
    )


def _missing(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False

"""Period arithmetic: the period a review compares with, and the same point a year earlier.

Both answer from the school's calendar and its latest marks, so a page, a pack
and the command line compare a period with the same thing.
"""

from __future__ import annotations

from datetime import timedelta

import duckdb

from analytics import school
from analytics.filters import Filter

SAME_POINT_LAST_YEAR = timedelta(days=364)  # 52 weeks back lands on the same weekday


def previous_period(con: duckdb.DuckDBPyConnection, f: Filter) -> tuple[Filter, str] | None:
    """The period a termly review compares with: the previous half-term or term, or YTD at last term's end.

    Returns the filter for that period and its name ('Autumn 1', 'Autumn term',
    'end of Autumn 2'); None when this year's calendar has no earlier period.
    """
    if f.academic_year is None:
        return None
    cal = school.calendar(con, Filter(school_ids=f.school_ids, scope=f.scope))
    if cal.empty:
        return None
    terms = cal.drop_duplicates(["academic_year", "term", "half_term"]).sort_values("start_date")
    # Within the year only: last year's summer is another cohort at another stage (the first half-term and
    # the autumn term have no earlier period; the same point last year is their comparison).
    terms = terms[terms["academic_year"] == f.academic_year]
    if f.term:
        if f.half_term:
            rows = list(terms[["academic_year", "term", "half_term"]].itertuples(index=False, name=None))
            here = (f.academic_year, f.term, f.half_term)
            if here not in rows or rows.index(here) == 0:
                return None
            year, term, half = rows[rows.index(here) - 1]
            label = f"{term.capitalize()} {half}"
        else:
            order = list(dict.fromkeys(terms[["academic_year", "term"]].itertuples(index=False, name=None)))
            here = (f.academic_year, f.term)
            if here not in order or order.index(here) == 0:
                return None
            (year, term), half = order[order.index(here) - 1], None
            label = f"{term.capitalize()} term"
        return f.replace(academic_year=int(year), term=term, half_term=half), label
    # Year to date (or custom dates): the same measure as it stood at the end of the last finished term.
    latest = school.latest_date(con, f.replace(date_from=None, date_to=None))
    end = f.date_to or latest
    if end is None:
        return None
    finished = terms[terms["end_date"].dt.date < end] if hasattr(terms["end_date"], "dt") else None
    if finished is None or finished.empty:
        return None
    last = finished.iloc[-1]
    return f.replace(date_to=last["end_date"].date()), f"end of {last['label']}"


def same_point_last_year(con: duckdb.DuckDBPyConnection, f: Filter) -> Filter | None:
    """The same period a year earlier: the same term, or the same date range shifted back 52 weeks."""
    if f.academic_year is None:
        return None
    if f.term:
        return f.for_year(f.academic_year - 1).replace(term=f.term, half_term=f.half_term)
    latest = school.latest_date(con, f.replace(date_from=None, date_to=None))
    end = f.date_to or latest
    if end is None:
        return None
    start = f.date_from - SAME_POINT_LAST_YEAR if f.date_from else None
    return f.for_year(f.academic_year - 1).replace(date_from=start, date_to=end - SAME_POINT_LAST_YEAR)

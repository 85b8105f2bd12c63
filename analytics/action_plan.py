"""The trend of the measure an action-plan item is linked to: year to date at the end of each half-term."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics import measures
from analytics.filters import Filter
from analytics.school import half_terms_sql

# Measures an action may be linked to, with the word the page uses.
LINKABLE = {
    "attendance_rate": "Attendance %",
    "overall_absence_rate": "Overall absence %",
    "unauthorised_absence_rate": "Unauthorised absence %",
    "persistent_absence_rate": "Persistent absence %",
    "severe_absence_rate": "Severe absence %",
}


def measure_trend(con: duckdb.DuckDBPyConnection, f: Filter, measure: str) -> pd.DataFrame:
    """``half_term``, ``end_date``, ``value``: the measure year to date at the end of each half-term so far.

    Year to date, because persistent absence is only valid over a long period; whole-school
    figures, so governors may see them.
    """
    if measure not in measures.MEASURE_KEYS:
        raise ValueError(f"unknown measure {measure!r}")
    ht, params = half_terms_sql(f)
    terms = con.execute(f"SELECT label, start_date, end_date FROM ({ht}) h ORDER BY seq", params).fetchall()
    rows = []
    for label, start, end in terms:
        g = f.replace(date_from=None, date_to=end, term=None, half_term=None)
        value = measures.summary(con, g).get(measure)
        if value is not None and measures.summary(
            con, f.replace(date_from=start, date_to=end, term=None, half_term=None)
        ).get("possible_sessions"):
            rows.append({"half_term": label, "end_date": end, "value": value})
    return pd.DataFrame(rows, columns=["half_term", "end_date", "value"])

"""Tables as a person reads them: an empty cell says why ("—", "not published"), never "None" or "nan".

Streamlit draws a missing value as the word "None"; a reader takes it for a
bug. Columns without gaps keep their type (numbers still sort as numbers); a
column with gaps becomes text, its numbers written as they were.
"""

from __future__ import annotations

import pandas as pd

BLANK = "—"  # nothing to show here: the caption or the column says why


def _number(value) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10g}" if isinstance(value, float) else str(value)


def _text(value, blank: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return blank
    if isinstance(value, pd.Timestamp):
        return f"{value:%d/%m/%Y}" if value == value.normalize() else f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, float | int):
        return _number(value)
    return str(value)


def readable(df: pd.DataFrame | None, blanks: dict[str, str] | None = None, blank: str = BLANK):
    """``df`` with every missing value written as the reason it is missing (``blanks`` by column, else ``blank``)."""
    if df is None or df.empty:
        return df
    out = df.copy()
    for column in out.columns:
        series = out[column]
        if not series.isna().any():
            continue
        reason = (blanks or {}).get(column, blank)
        out[column] = series.map(lambda v, r=reason: _text(v, r)).astype(object)
    return out

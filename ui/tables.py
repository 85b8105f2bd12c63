"""Tables as a person reads them: an empty cell says why ("—", "not published"), never "None" or "nan".

Streamlit draws a missing value as the word "None"; a reader takes it for a
bug. Columns without gaps keep their type (numbers still sort as numbers); a
column with gaps becomes text, its numbers written as they were.
"""

from __future__ import annotations

import html

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


HTML_CLASS = "att-table"
HTML_STYLE = f"""<style>
.{HTML_CLASS} {{ width: 100%; border-collapse: collapse; font-size: 14px; color: #1A1A1A; }}
.{HTML_CLASS} th {{ text-align: left; font-weight: 600; color: #555; padding: 6px 8px;
  border-bottom: 1px solid #D5D9E0; white-space: nowrap; }}
.{HTML_CLASS} td {{ padding: 6px 8px; border-bottom: 1px solid #E6E9EF; vertical-align: top; }}
</style>"""


def as_html(df: pd.DataFrame, label: str) -> str:
    """A short table as plain HTML (for ``st.html``): every cell escaped, long text wrapped, ``label`` read out.

    For a few rows read whole (a pupil's action log): the browser draws it with no grid or table code to load,
    and staff's notes wrap instead of being cut off. Missing values should be explained first (``readable``).
    """
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in df.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_text(v, BLANK))}</td>" for v in row) + "</tr>"
        for row in df.itertuples(index=False)
    )
    return (
        f'{HTML_STYLE}<table class="{HTML_CLASS}" aria-label="{html.escape(label)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )

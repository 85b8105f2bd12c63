"""CSV and Excel downloads of any table, safe to open in a spreadsheet, and audited.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
would be run as a formula by Excel or LibreOffice ("CSV injection"): such text
gets a leading apostrophe so it stays text. Numbers stay numbers (a negative
gap of -2.5 is not text), so the figures can still be charted.
"""

from __future__ import annotations

import io
import re

import pandas as pd
import streamlit as st

from ui import auth

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    """One cell made safe: text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell and column name neutralised; numeric columns untouched."""
    out = df.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        out[column] = series.map(neutralise).astype(object)
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    # UTF-8 with a byte-order mark so Excel on Windows shows names with accents correctly.
    return safe_frame(df).to_csv(index=False).encode("utf-8-sig")


def excel_bytes(df: pd.DataFrame, sheet: str = "Data") -> bytes:
    buffer = io.BytesIO()
    frame = safe_frame(df)
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_localize(None)
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet[:31])
    return buffer.getvalue()


def file_stem(name: str) -> str:
    """A safe file name from a table's name: letters, digits, dashes and underscores only."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "table"


def download_table(df: pd.DataFrame, name: str, key: str | None = None) -> None:
    """Two download buttons (CSV, Excel) for a table; each download is recorded in the audit log."""
    if df is None or df.empty:
        return
    stem = file_stem(name)
    key = key or f"export_{stem}"
    # Side by side at their own width: columns would squeeze the labels away in a narrow place (half a page).
    row = st.container(horizontal=True, gap="small")
    row.download_button(
        "CSV",
        data=lambda: csv_bytes(df),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
        on_click=auth.audit,
        args=("export",),
        kwargs={"detail": f"{stem}.csv ({len(df)} rows)"},
    )
    row.download_button(
        "Excel",
        data=lambda: excel_bytes(df),
        file_name=f"{stem}.xlsx",
        mime=EXCEL_MIME,
        key=f"{key}_xlsx",
        icon=":material/download:",
        on_click=auth.audit,
        args=("export",),
        kwargs={"detail": f"{stem}.xlsx ({len(df)} rows)"},
    )

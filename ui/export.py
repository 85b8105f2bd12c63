"""CSV and Excel downloads of any table, safe to open in a spreadsheet, and audited.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
would be run as a formula by Excel or LibreOffice ("CSV injection"): such text
gets a leading apostrophe so it stays text. Numbers stay numbers (a negative
gap of -2.5 is not text), so the figures can still be charted.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import pandas as pd
import streamlit as st

from ui import auth, identity, session

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


def audited(make: Callable[[], bytes], detail: str) -> Callable[[], bytes]:
    """A download's data: the export recorded in the audit log, then the file made, when the file is asked for.

    Streamlit runs it when the button is clicked, outside the script's run (a deferred download), so the
    user is the one this run sees, and the session's limits are the ones it saw: a click on a screen left
    idle past them makes no file (the next click anywhere signs the user out). The button itself reruns
    nothing (``on_click="ignore"``): a rerun started by the click used to race the file's request, and
    under load the file was sometimes never sent.
    """
    user, until = identity.session_user(), identity.valid_until()

    def data() -> bytes:
        if user is not None and not user.demo and identity.over(until):
            raise PermissionError("This session has ended: sign in again to download.")
        auth.audit("export", detail=detail, user=user)  # raises when it cannot be written: no file unaudited
        return make()

    return data


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
        data=audited(lambda: csv_bytes(df), f"{stem}.csv ({len(df)} rows)"),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
        on_click="ignore",
    )
    row.download_button(
        "Excel",
        data=audited(lambda: excel_bytes(df), f"{stem}.xlsx ({len(df)} rows)"),
        file_name=f"{stem}.xlsx",
        mime=EXCEL_MIME,
        key=f"{key}_xlsx",
        icon=":material/download:",
        on_click="ignore",
    )


# --- the packs ------------------------------------------------------------------------------------

PACK_NAMES = {"review": "termly review pack", "governors": "governors' pack"}
PACK_FORMATS = {"review": ("pdf",), "governors": ("pdf", "docx")}
FORMAT_NAMES = {"pdf": "PDF", "docx": "Word"}


@st.cache_data(show_spinner=False, max_entries=16)
def _pack_file(path: str, version: tuple, kind: str, fmt: str, f, day: str) -> bytes:
    """A pack file, made once per data version (so a command-line import shows) and day."""
    from ui import packs

    build = packs.review_pack if kind == "review" else packs.governors_pack
    content = session.cached(build, f)  # the content the page shows, when it was just drawn
    content = replace(content, generated=datetime.now())
    return packs.render(packs.with_charts(content, packs.IMAGE_FORMAT[fmt]), fmt)


def pack_bytes(kind: str, fmt: str, f) -> bytes:
    """The pack file for the filter, cached on the registers' data version and the day it is made.

    A download button runs this when clicked, in a worker thread outside any
    script run: the connection it opens there is closed when it is done, so
    the file is free again for a scheduled import.
    """
    from datetime import date

    # Whether this thread already had its connection open: a script run does (app.py closes it when the run
    # ends); the worker thread that serves a deferred download does not, even where the run's context is
    # copied into it, so the connection opened here is closed here, or the file stays held and the next
    # import waits for it forever.
    had_connection = session.has_connection()
    try:
        return _pack_file(session.db_path(), session.data_version(), kind, fmt, f, date.today().isoformat())
    finally:
        if not had_connection:
            session.release()


def pack_downloads(kind: str, f, school_name: str) -> None:
    """The download buttons of a pack ('review' or 'governors'): PDF, and Word for governors. Each is audited."""
    from ui import packs

    stem = f"{kind if kind == 'governors' else 'termly_review'}_pack_{file_stem(school_name)}"
    formats = PACK_FORMATS[kind]
    columns = st.columns([1] * len(formats) + [1])  # side by side, the last column left empty
    for column, fmt in zip(columns, formats, strict=False):
        suffix, mime = packs.FORMATS[fmt]
        column.download_button(
            f"Download the {PACK_NAMES[kind]} ({FORMAT_NAMES[fmt]})",
            data=audited(
                lambda fmt=fmt: pack_bytes(kind, fmt, f), f"{PACK_NAMES[kind]} ({FORMAT_NAMES[fmt]}): {f.describe()}"
            ),
            file_name=f"{stem}.{suffix}",
            mime=mime,
            key=f"pack_{kind}_{fmt}",
            icon=":material/print:" if fmt == "pdf" else ":material/description:",
            type="primary" if kind == "governors" and fmt == "pdf" else "secondary",
            on_click="ignore",
        )

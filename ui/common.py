"""What every page shares: the way in (``require_page``), cached analytics calls and small rendering helpers.

Pages read widgets, call analytics through ``cached`` and render. The
database connection and the cache live in ``ui/session.py``, sign-in and the
audit log in ``ui/auth.py``, the page list and its roles in ``ui/registry.py``;
the names below are the ones pages use.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from analytics import school
from analytics.filters import Filter, PupilLevelDenied
from ui import auth, export, filters, registry, tables
from ui.session import cached, connection, data_changed, db_path
from ui.typed import as_typed

__all__ = ["cached", "connection", "data_changed", "db_path"]

ROOT = Path(__file__).resolve().parent.parent
EMPTY_MESSAGE = "No pupils match these filters"
NO_PUPIL_LEVEL = "Your role sees figures for groups only, not the pupils behind them."


# --- small rendering helpers ----------------------------------------------------------------------


def is_empty_frame(df) -> bool:
    return df is None or (isinstance(df, pd.DataFrame) and df.empty)


def empty_state(message: str = EMPTY_MESSAGE) -> None:
    st.info(message, icon=":material/info:")


def pct(value, digits: int = 1) -> str:
    """A percentage for a metric or a sentence; a dash where there is nothing to show."""
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    return f"{value:.{digits}f}%"


def as_list(values) -> list:
    """Lookups may return a list or a one-column frame: the values either way."""
    if values is None:
        return []
    if isinstance(values, pd.DataFrame):
        return [] if values.empty else values.iloc[:, 0].tolist()
    if isinstance(values, pd.Series):
        return values.tolist()
    return list(values)


def open_pupil(upn: str) -> None:
    """Go to the pupil page showing this pupil (session state and the query string both carry it)."""
    st.session_state["pupil_upn"] = upn
    params = {k: st.query_params.get(k) for k in st.query_params if k != "upn"}
    st.switch_page(registry.PAGE_BY_KEY["pupils"].path, query_params={**params, "upn": upn})


# --- who is looking ---------------------------------------------------------------------------------


def current_user():
    """The signed-in user (the gate runs first if this run has not passed it: a page opened alone)."""
    return auth.current_user()


def _auth():
    """The sign-in module (pages/import.py asks for it this way; new code imports ui.auth)."""
    return auth


def require_page(key: str):
    """First call on every page: refuses (and stops) when the user's role does not include it.

    Also notes the page: on arriving at a new page the sidebar filters are drawn
    afresh from the kept choices, because Streamlit drops a page's widget values
    when the page changes.
    """
    _leave_folder_mode()
    if st.session_state.get("_page") != key:
        filters.forget_widgets()
        st.session_state["_page"] = key
    return auth.require_page(key)


def _leave_folder_mode() -> None:
    """Make sure app.py (sign-in, navigation) runs, even when the first visit is a bookmarked page.

    Streamlit treats an app with a ``pages/`` folder as an old-style multipage
    app until ``st.navigation`` has run once in the process, so the very first
    request for ``/groups`` would run pages/groups.py on its own, skipping
    app.py. Turn that mode off and rerun: the rerun goes through app.py.
    Renaming the folder (e.g. ``app_pages/``) would make this unnecessary.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def audit(action: str, upn: str | None = None, detail: str | None = None) -> None:
    """Record a pupil view, list view or export in the audit log (draws nothing: safe in a button's callback)."""
    auth.audit(action, upn=upn, detail=detail)


def pupil_level_allowed() -> bool:
    return current_user().scope.pupil_level


def require_pupil_level(what: str) -> None:
    """Stop a page of pupils for a role that sees figures for groups only, saying it does not see ``what``."""
    if not pupil_level_allowed():
        st.info(f"Your role sees figures for groups only, not {what}.")
        st.stop()


def only_sample_schools() -> bool:
    """True when every school in the database is the generated sample (the banner says so)."""
    schools = cached(school.schools, Filter())
    return not schools.empty and bool(schools["is_sample"].fillna(False).all())


# --- drill-down to the pupils behind a figure -------------------------------------------------------

PUPIL_COLUMNS = {
    "upn": "UPN",
    "surname": "Surname",
    "forename": "Forename",
    "year_group": "Year",
    "form": "Form",
    "possible_sessions": "Possible sessions",
    "absence_sessions": "Absence sessions",
    "attendance_rate": "Attendance %",
    "absence_rate": "Absence %",
    "authorised_rate": "Authorised %",
    "unauthorised_rate": "Unauthorised %",
    "unauthorised_sessions": "Unauthorised sessions",
    "late_before_close": "Late (L)",
    "late_after_close": "Late after close (U)",
}


BEHIND_LIMIT = 200  # rows in a drill-down table; the most absent come first
EVERY_PUPIL = 1_000_000  # asked for all, to say how many there are: the query ranks them all anyway
# The drill-down table: who, and how much of exactly the clicked sessions they missed.
BEHIND_COLUMNS = (
    "upn",
    "surname",
    "forename",
    "year_group",
    "form",
    "possible_sessions",
    "absence_sessions",
    "unauthorised_sessions",
    "absence_rate",
    "unauthorised_rate",
    "late_before_close",
    "late_after_close",
)


def pupil_table(df: pd.DataFrame, key: str, name: str, audit_detail: str, blanks: dict | None = None) -> None:
    """A sortable table of pupils; selecting a row opens that pupil. Viewing it is audited.

    ``blanks`` says, by column, why a cell may be empty (else "—").
    """
    audit("list_view", detail=audit_detail)
    shown = df.rename(columns={k: v for k, v in PUPIL_COLUMNS.items() if k in df.columns})
    drawn = tables.readable(shown, blanks)
    event = st.dataframe(
        drawn,
        hide_index=True,
        width="stretch",
        key=key,
        on_select="rerun",
        selection_mode="single-row",
        column_config=_column_formats(drawn),
    )
    st.caption("Select a row to open the pupil.")
    export.download_table(shown, name, key=f"{key}_export")
    rows = event.selection.rows if event is not None else []
    if rows and "upn" in df.columns:
        open_pupil(str(df.iloc[rows[0]]["upn"]))


def _column_formats(df: pd.DataFrame) -> dict:
    """Percentages to one decimal place; dates as dates (never "2026-06-15 00:00:00")."""
    formats = {}
    for c in df.columns:
        if str(c).endswith("%") and pd.api.types.is_numeric_dtype(df[c]):
            formats[c] = st.column_config.NumberColumn(c, format="%.1f")
        elif pd.api.types.is_datetime64_any_dtype(df[c]) or _holds_dates(df[c]):
            formats[c] = st.column_config.DateColumn(c, format="DD/MM/YYYY")
    return formats


def _holds_dates(series: pd.Series) -> bool:
    values = series.dropna()
    return not values.empty and isinstance(values.iloc[0], date)


def pupils_behind(f, key: str, what: str) -> None:
    """The pupils behind a clicked figure, under the chart (never for a role without pupil-level access)."""
    if not pupil_level_allowed():
        st.caption(NO_PUPIL_LEVEL)
        return
    from analytics import lists  # here, not at the top: it brings scipy (1-2 s), which an Overview need not wait for

    try:
        with st.spinner("Finding the pupils..."):
            every = cached(lists.pupils_behind, f, limit=EVERY_PUPIL)
    except PupilLevelDenied:
        st.caption(NO_PUPIL_LEVEL)
        return
    st.markdown(f"**Pupils behind: {as_typed(what)}** ({as_typed(f.describe())})")
    if is_empty_frame(every):
        empty_state()
        return
    df = every.head(BEHIND_LIMIT)
    shown = df[[c for c in BEHIND_COLUMNS if c in df.columns]]
    st.caption(
        f"{len(every):,} pupils missed at least one of these sessions; the {len(df)} who missed most are listed, "
        "most absent first."
        if len(every) > len(df)
        else f"{len(df)} pupils missed at least one of these sessions, most absent first."
    )
    pupil_table(shown, key=key, name=f"pupils_{key}", audit_detail=f"pupils behind {what}: {f.describe()}")

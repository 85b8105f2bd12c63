"""What every page shares: the page registry, the database connection and cached analytics calls.

Pages read widgets, call analytics through ``cached`` and render. Each script
run opens its own connection and closes it when the run ends, so the file is
free between page views for a scheduled import. It is read-write: DuckDB
refuses a read-only and a read-write connection to one file in the same
process, and every page writes to the audit log (see ui/auth.py).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from data import db

ROOT = Path(__file__).resolve().parent.parent
EMPTY_MESSAGE = "No pupils match these filters"
DATA_VERSION_SECONDS = 5  # how stale the registers' fingerprint may be before it is read again


@dataclass(frozen=True)
class PageSpec:
    key: str
    path: str
    title: str
    icon: str
    section: str


# Every page of the dashboard, in navigation order, grouped by who it is for.
PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "pages/overview.py", "Overview", ":material/dashboard:", "Termly review"),
    PageSpec("groups", "pages/groups.py", "Groups", ":material/groups:", "Termly review"),
    PageSpec("patterns", "pages/patterns.py", "Patterns", ":material/calendar_view_week:", "Termly review"),
    PageSpec("model", "pages/model.py", "At-risk model", ":material/model_training:", "Termly review"),
    PageSpec("pupils", "pages/pupils.py", "Pupils", ":material/person_search:", "Pastoral"),
    PageSpec("lists", "pages/lists.py", "Lists", ":material/list_alt:", "Pastoral"),
    PageSpec("risk", "pages/risk.py", "At risk", ":material/warning:", "Pastoral"),
    PageSpec("trust", "pages/trust.py", "Schools side by side", ":material/domain:", "Termly review"),
    PageSpec("governors", "pages/governors.py", "Governors' pack", ":material/account_balance:", "Governors"),
    PageSpec("import", "pages/import_data.py", "Import", ":material/upload_file:", "Data"),
    PageSpec("quality", "pages/quality.py", "Data quality", ":material/fact_check:", "Data"),
    PageSpec("users", "pages/users.py", "Users", ":material/manage_accounts:", "Data"),
    PageSpec("audit", "pages/audit.py", "Audit log", ":material/history:", "Data"),
)
PAGE_BY_KEY = {p.key: p for p in PAGES}
SECTIONS = ("Termly review", "Pastoral", "Governors", "Data")


def page_exists(spec: PageSpec) -> bool:
    return (ROOT / spec.path).exists()


# --- connection ---------------------------------------------------------------------------------


_run = threading.local()


def connection():
    """This script run's connection to the dashboard's database, opened on first use in the run.

    ``release()`` closes it when the run ends (app.py), so the app holds the
    file's lock only while a page is being worked out: DuckDB lets one process
    write at a time, and a scheduled ``python -m data import`` must get its turn
    between page views. Each script thread has its own connection; within the
    process DuckDB shares one database instance between them.
    """
    con = getattr(_run, "con", None)
    if con is None:
        # The reader lock for the length of the run: an import swaps its finished copy in only between
        # runs, so the audit entries and sign-ins this run writes are carried over, never lost (data/staging.py).
        _run.hold = db.reader_lock(db_path())
        try:
            con = _run.con = db.connect(db_path())
        except db.DatabaseProblem as exc:  # full disk, read-only or damaged file: what to do, not a traceback
            _release_hold()
            st.error(f"The dashboard cannot open its database: {exc}", icon=":material/error:")
            st.stop()
        except BaseException:
            _release_hold()
            raise
    return con


def _release_hold() -> None:
    hold = getattr(_run, "hold", None)
    _run.hold = None
    if hold is not None:
        hold.release()


def release() -> None:
    """Close this run's connection (called by app.py when the run ends, however it ends)."""
    con = getattr(_run, "con", None)
    _run.con = None
    try:
        if con is not None:
            con.close()
    finally:
        _release_hold()


def db_path() -> str:
    return str(db.db_path())


def data_changed() -> None:
    """Forget every cached result after an import or a deletion changed the registers."""
    st.cache_data.clear()


# --- cached analytics ---------------------------------------------------------------------------


@st.cache_data(show_spinner=False, ttl=DATA_VERSION_SECONDS)
def _data_version(path: str) -> tuple:
    return db.data_version(connection())


def data_version() -> tuple:
    """The registers' fingerprint, re-read at most every few seconds (one small query, not one per chart)."""
    return _data_version(db_path())


@st.cache_data(show_spinner=False, max_entries=2000)
def _cached_call(path: str, version: tuple, module: str, name: str, f, args: tuple, kwargs: tuple):
    fn = getattr(importlib.import_module(module), name)
    return fn(connection(), f, *args, **dict(kwargs))


def cached(fn: Callable, f, *args, **kwargs):
    """``fn(con, f, *args, **kwargs)`` remembered per database, data version, Filter and arguments.

    Every page run asks for the same figures again (each click reruns the
    script), so a warm page costs lookups, not queries. The key holds the
    registers' fingerprint, so new marks imported from anywhere are picked up.
    The function is looked up by module and name at call time, so a test that
    replaces ``analytics.groups.group_breakdown`` is still honoured.
    """
    key = (db_path(), data_version(), fn.__module__, fn.__name__)
    return _cached_call(*key, f, args, tuple(sorted(kwargs.items())))


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
    st.switch_page(PAGE_BY_KEY["pupils"].path, query_params={"upn": upn})


# --- sign-in (ui/auth.py owns it; these keep pages working in tests before it lands) ---------------


def _auth():
    try:
        from ui import auth
    except ModuleNotFoundError as exc:
        if exc.name != "ui.auth":
            raise
        return None
    return auth


def current_user():
    """The signed-in user, or None when sign-in is not available."""
    auth = _auth()
    return auth.current_user() if auth is not None else None


def require_page(key: str):
    """First call on every page: refuses (and stops) when the user's role does not include it.

    Also notes the page: on arriving at a new page the sidebar filters are drawn
    afresh from the kept choices, because Streamlit drops a page's widget values
    when the page changes.
    """
    _leave_folder_mode()
    if st.session_state.get("_page") != key:
        forget_widgets()
        st.session_state["_page"] = key
    auth = _auth()
    return auth.require_page(key) if auth is not None else None


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


def forget_widgets() -> None:
    """Drop the filter widgets' own values so the next draw seeds them from the kept choices."""
    for name in [k for k in st.session_state if str(k).startswith("flt_")]:
        del st.session_state[name]


def audit(action: str, upn: str | None = None, detail: str | None = None) -> None:
    """Record a pupil view, list view or export in the audit log."""
    auth = _auth()
    if auth is not None:
        auth.audit(action, upn=upn, detail=detail)


def pupil_level_allowed() -> bool:
    user = current_user()
    return user is None or user.scope.pupil_level


def only_sample_schools() -> bool:
    """True when every school in the database is the generated sample (the banner says so)."""
    from analytics import school
    from analytics.filters import Filter

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


def pupil_table(df: pd.DataFrame, key: str, name: str, audit_detail: str) -> None:
    """A sortable table of pupils; selecting a row opens that pupil. Viewing it is audited."""
    from ui import export

    audit("list_view", detail=audit_detail)
    shown = df.rename(columns={k: v for k, v in PUPIL_COLUMNS.items() if k in df.columns})
    event = st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        key=key,
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            c: st.column_config.NumberColumn(c, format="%.1f") for c in shown.columns if str(c).endswith("%")
        },
    )
    st.caption("Select a row to open the pupil.")
    export.download_table(shown, name, key=f"{key}_export")
    rows = event.selection.rows if event is not None else []
    if rows and "upn" in df.columns:
        open_pupil(str(df.iloc[rows[0]]["upn"]))


def pupils_behind(f, key: str, what: str) -> None:
    """The pupils behind a clicked figure, under the chart (never for a role without pupil-level access)."""
    if not pupil_level_allowed():
        st.caption("Your role sees figures for groups only, not the pupils behind them.")
        return
    from analytics import lists
    from analytics.filters import PupilLevelDenied

    try:
        with st.spinner("Finding the pupils..."):
            df = cached(lists.pupils_behind, f, limit=BEHIND_LIMIT)
    except PupilLevelDenied:
        st.caption("Your role sees figures for groups only, not the pupils behind them.")
        return
    st.markdown(f"**Pupils behind: {what}** ({f.describe()})")
    if is_empty_frame(df):
        empty_state()
        return
    shown = df[[c for c in BEHIND_COLUMNS if c in df.columns]]
    st.caption(
        f"The {len(df)} pupils who missed most of these sessions, most absent first."
        if len(df) >= BEHIND_LIMIT
        else f"{len(df)} pupils missed at least one of these sessions, most absent first."
    )
    pupil_table(shown, key=key, name=f"pupils_{key}", audit_detail=f"pupils behind {what}: {f.describe()}")

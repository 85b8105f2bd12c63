"""The alerts schools must act on, as pages show them (figures from ``analytics.alerts``).

Each function is one call from a page: ``stale_data_warning`` (Overview, Data
quality), ``data_alerts`` (Data quality), ``absence_alerts`` (Lists) and
``pupil_absence_notice`` (a pupil's page).
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from analytics import alerts
from data import quality
from ui import common

TEN_DAY_COLUMNS = {
    "upn": "upn",
    "surname": "surname",
    "forename": "forename",
    "year_group": "year_group",
    "form": "form",
    "start_date": "Absent since",
    "school_days": "School days",
    "unauthorised_sessions": "Unauthorised sessions",
    "codes": "Codes",
    "ongoing": "Still absent",
    "unauthorised": "Report to LA",  # the local authority; the whole phrase was cut off in the table's header
}
N_CODE_COLUMNS = {
    "form": "Form",
    "recorded_by": "Register taken by",
    "marks": "N marks",
    "pupils": "Pupils",
    "oldest": "Oldest N mark",
}


def _day(d: date | str) -> str:
    """A date as people write it ("20 November 2026"), from a date or the reports' ISO text."""
    d = date.fromisoformat(d) if isinstance(d, str) else d
    return f"{d.day} {d:%B %Y}"


written_date = _day


def stale_data_warning(con, f) -> None:
    """A warning when the latest marks are more than a few school days old (nothing when they are fresh)."""
    fresh = common.cached(alerts.latest_marks, f, date.today())
    if fresh["stale"]:
        st.warning(
            f"These figures use marks up to {_day(fresh['latest_date'])}, "
            f"{fresh['school_days_since']} school days ago. Import the latest registers to bring them up to date.",
            icon=":material/schedule:",
        )


def data_alerts(con, f) -> None:
    """Data quality: stale marks, legacy codes used after 19 August 2024, and N codes left unresolved."""
    stale_data_warning(con, f)
    school_id = f.school_ids[0] if len(f.school_ids) == 1 else None
    legacy = common.cached(quality.legacy_codes, school_id, scope=f.scope)
    for c in legacy:
        st.warning(
            f"Code {c['code']} has not been in use since 19 August 2024 but marks {_day(c['first_date'])} to "
            f"{_day(c['last_date'])} use it ({c['marks']:,} marks): map it to the current codes in the MIS.",
            icon=":material/history:",
        )
    unresolved_n_codes(con, f)


def unresolved_n_codes(con, f) -> None:
    """N marks (no reason yet) older than five school days, by form and by who took the register."""
    rows = common.cached(alerts.unresolved_n_codes, f)
    if common.is_empty_frame(rows):
        return
    st.subheader("Absences still without a reason")
    st.caption(
        f"N marks more than {alerts.N_CODE_SCHOOL_DAYS} school days old: find the reason, "
        "or record the absence as unauthorised (O)."
    )
    oldest = N_CODE_COLUMNS["oldest"]
    st.dataframe(
        rows.rename(columns=N_CODE_COLUMNS),
        hide_index=True,
        width="stretch",
        column_config={oldest: st.column_config.DateColumn(oldest, format="DD/MM/YYYY")},  # not 00:00:00
    )


def absence_alerts(con, f) -> None:
    """Lists: pupils absent 10 or more school days in a row, and N codes left unresolved."""
    if common.pupil_level_allowed():
        rows = common.cached(alerts.ten_day_absences, f)
        if not common.is_empty_frame(rows):
            ongoing = int(rows["ongoing"].fillna(False).astype(bool).sum())
            st.subheader(f"Absent {alerts.CONTINUOUS_SCHOOL_DAYS} school days or more in a row")
            st.caption(
                f"{len(rows)} runs of absence, {ongoing} still going. Unauthorised absence of "
                f"{alerts.CONTINUOUS_SCHOOL_DAYS} school days or more must be reported to the local authority."
            )
            shown = rows[[c for c in TEN_DAY_COLUMNS if c in rows.columns]].rename(columns=TEN_DAY_COLUMNS)
            common.pupil_table(shown, key="list_ten_days", name="ten_day_absence", audit_detail=f.describe())
    unresolved_n_codes(con, f)


def pupil_absence_notice(con, f, upn: str) -> None:
    """On a pupil's page: "Absent every session since 3 November 2025" while a run of 10+ school days goes on."""
    run = common.cached(alerts.continuing_absence, f, upn)
    if run is None:
        return
    since = _day(run["start_date"]) + (" (afternoon)" if run["start_session"] == "PM" else "")
    days = run["school_days"]
    text = f"Absent every session since {since}: {days:g} school days."
    if run["unauthorised"]:
        text += " All unauthorised: the school must tell the local authority."
    st.error(text, icon=":material/warning:")

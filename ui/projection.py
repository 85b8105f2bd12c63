"""The road to the end of the year in words and tables: for parents, the pupil page, the lists and the At risk page.

Numbers come from ``analytics.projection``; this module only says them.
The words themselves (``parent_sentences``, ``days_text`` ...) are in ``ui.road_words``, plain
Python with no Streamlit, so that letters home say the road the same way.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import projection
from analytics.measures import PERSISTENT_LINE
from ui import common, filters
from ui.road_words import (
    basis_caption,
    date_text,
    days_text,
    field,
    line_text,
    parent_sentences,
    pct_text,
    penalty_when,
    school_days_text,
)

__all__ = ["basis_caption", "days_text", "outlook_lists", "parent_sentences", "road_to_year_end"]

NOTHING = "—"
LIST_COLUMNS = {
    "upn": "upn",
    "surname": "surname",
    "forename": "forename",
    "year_group": "year_group",
    "form": "form",
    "attendance_rate": "Attendance % (year to date)",
    "best_attendance": "Best reachable %",
    "projected_attendance": "At current rate %",
    "can_miss_days": "Days still to spare",
    "bad_weeks_to_line": "Bad weeks to 90%",
    "remaining_days": "School days left",
}


# ---------------------------------------------------------------- pupil page


def road_to_year_end(f, upn: str) -> None:
    """The pupil page's "road to the end of the year": sentences for parents and four figures."""
    row = common.cached(projection.pupil_outlook, f.whole_year(), upn)
    st.markdown("**The road to the end of the year**")
    if not row:
        st.info("No sessions this year for this pupil yet.")
        return
    for column, (label, value, help_text) in zip(st.columns(4), road_figures(row), strict=True):
        column.metric(label, value, help=help_text, border=True)
    for sentence in parent_sentences(row):
        st.markdown(f"- {sentence}")
    st.caption(basis_caption(row))


def road_figures(row) -> list[tuple[str, str, str]]:
    """The four figures above the sentences: (label, value, help)."""
    sessions = int(field(row, "remaining_sessions") or 0)
    days = field(row, "remaining_days") or 0
    spare = field(row, "can_miss_days")
    line = line_text(field(row, "target") or PERSISTENT_LINE)
    if bool(field(row, "cannot_avoid")):
        can_miss = "none"
    elif spare is None:
        can_miss = NOTHING
    else:
        can_miss = days_text(max(float(spare), 0.0))
    projected = field(row, "projected_attendance")
    return [
        ("Left this year", school_days_text(int(days)), f"{sessions} sessions (two a day) left in the school year."),
        ("Can still miss", can_miss, f"The most days the pupil can miss and still end the year above {line}."),
        ("Best reachable", pct_text(float(field(row, "best_attendance"))), "Attending every remaining session."),
        (
            "At current rate",
            NOTHING if projected is None else pct_text(float(projected)),
            "The attendance the pupil ends the year on at their absence rate since half-term.",
        ),
    ]


# ---------------------------------------------------------------- lists page


def outlook_lists(f) -> None:
    """Who can no longer avoid ending the year persistently absent, and who is one or two bad weeks from it."""
    g = f.whole_year()
    cannot = common.cached(projection.cannot_avoid_persistent_absence, g)
    near = common.cached(projection.bad_weeks_from_persistent_absence, g, weeks=2)
    if common.is_empty_frame(cannot) and common.is_empty_frame(near):
        return
    n_cannot, n_near = len(cannot), len(near)
    with st.expander(
        f"End of the year: {n_cannot} pupils cannot now avoid persistent absence; "
        f"{n_near} are one or two bad weeks from it"
    ):
        row = (cannot if n_cannot else near).iloc[0].to_dict()
        st.caption(
            basis_caption(row) + " A bad week is a whole school week missed (10 sessions). "
            "Pupils who joined late or leave early are judged on their own sessions."
        )
        tab_cannot, tab_near = st.tabs([f"Cannot avoid it ({n_cannot})", f"One or two bad weeks from it ({n_near})"])
        with tab_cannot:
            st.caption(
                f"Even attending every remaining session they end the year at or below {line_text(PERSISTENT_LINE)}."
            )
            _list(cannot, "outlook_cannot", "End of year: cannot avoid persistent absence", f)
        with tab_near:
            st.caption(
                "Still able to end above 90%, but one or two bad weeks (a whole week missed each) would take "
                "them to persistent absence. Fewest bad weeks first."
            )
            _list(near, "outlook_near", "End of year: one or two bad weeks from persistent absence", f)


ROAD_COLUMNS = {
    "best_attendance": "Best reachable %",
    "can_miss_days": "Days still to spare",
    "projected_attendance": "At current rate %",
    "penalty_when": "Penalty threshold at this rate",
    "half_term_days_left": "Rule of 3: days left this half-term",
}


def with_road(f, rows: pd.DataFrame) -> pd.DataFrame:
    """A list of pupils with each one's road to the end of the year beside it (``ROAD_COLUMNS``).

    One ``projection.year_end_outlook`` call for the whole year, matched on
    school and UPN; a pupil it does not cover keeps empty cells.
    """
    if common.is_empty_frame(rows) or not {"school_id", "upn"} <= set(rows.columns):
        return rows
    outlook = common.cached(projection.year_end_outlook, f.whole_year())
    if common.is_empty_frame(outlook):
        return rows
    road = outlook.assign(penalty_when=[penalty_when(r) for r in outlook.to_dict("records")])
    road = road[["school_id", "upn", *ROAD_COLUMNS]].drop_duplicates(["school_id", "upn"], keep="last")
    merged = rows.drop(columns=[c for c in ROAD_COLUMNS if c in rows.columns]).merge(
        road, on=["school_id", "upn"], how="left"
    )
    return merged.rename(columns=ROAD_COLUMNS)


def _list(df: pd.DataFrame, key: str, title: str, f) -> None:
    if common.is_empty_frame(df):
        common.empty_state("No pupils on this list.")
        return
    shown = df[[c for c in LIST_COLUMNS if c in df.columns]].rename(columns=LIST_COLUMNS)
    common.pupil_table(shown, key=key, name=key, audit_detail=f"{title}: {filters.describe(f)}")


# ---------------------------------------------------------------- At risk page


def set_aside_beyond_recovery(f, ranked: pd.DataFrame) -> pd.DataFrame:
    """The model's ranking without pupils who can no longer avoid persistent absence, shown in their own section.

    A model's "chance of becoming persistently absent" means nothing for a
    pupil whose best reachable attendance is already at or below 90%: it has
    in effect happened. Those pupils are listed apart, with the reason, and
    the bands count the rest. Pupils in the filter whom the model did not
    score (left before the cut-off, or no sessions by then) are counted and
    explained, so the bands plus these add up to every pupil.
    """
    outlook = common.cached(projection.year_end_outlook, f.whole_year())
    if common.is_empty_frame(outlook) or common.is_empty_frame(ranked):
        return ranked
    key = outlook["school_id"].astype(str) + "|" + outlook["upn"].astype(str)
    ranked_key = ranked["school_id"].astype(str) + "|" + ranked["upn"].astype(str)
    cannot = outlook["cannot_avoid"].astype(bool)
    beyond = outlook[cannot]
    kept = ranked[~ranked_key.isin(set(key[cannot]))]
    unscored = outlook[~key.isin(set(ranked_key)) & ~cannot]
    as_of = outlook["as_of"].max()
    left = unscored["leaving_date"].notna() & (unscored["leaving_date"] <= as_of)
    parts = [f"{len(kept)} pupils are scored by the model below"]
    if len(beyond):
        parts.append(f"{len(beyond)} can no longer avoid persistent absence (listed here, not scored)")
    if left.sum():
        parts.append(f"{int(left.sum())} left the school before {date_text(as_of)} (not scored)")
    if len(unscored) - left.sum():
        parts.append(f"{int(len(unscored) - left.sum())} had no sessions at the model's cut-off (not scored)")
    st.caption(f"Of {len(kept) + len(beyond) + len(unscored)} pupils this year: " + "; ".join(parts) + ".")
    if len(beyond):
        with st.expander(f"Already persistently absent and cannot recover this year ({len(beyond)})"):
            st.caption(
                f"Even attending every remaining session these pupils end the year at or below "
                f"{line_text(PERSISTENT_LINE)}: a prediction adds nothing. They need support now, not a score."
            )
            reason = [
                f"missed {days_text(r.absence_sessions / 2)}; best reachable {pct_text(r.best_attendance)}"
                for r in beyond.itertuples(index=False)
            ]
            table = beyond.assign(why=reason)[
                ["upn", "surname", "forename", "year_group", "form", "attendance_rate", "best_attendance", "why"]
            ].rename(
                columns={
                    "attendance_rate": "Attendance % (year to date)",
                    "best_attendance": "Best reachable %",
                    "why": "Why",
                }
            )
            common.pupil_table(
                table, key="risk_beyond", name="beyond_recovery", audit_detail=f"beyond recovery: {filters.describe(f)}"
            )
    return kept

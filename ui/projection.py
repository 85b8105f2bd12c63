"""The road to the end of the year in words and tables: for parents, the pupil page, the lists and the At risk page.

Numbers come from ``analytics.projection``; this module only says them.
``parent_sentences`` is plain Python (no Streamlit) so that letters can use it.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import streamlit as st

from analytics import projection
from analytics.measures import PENALTY_SESSIONS, PENALTY_WEEKS, PERSISTENT_LINE
from ui import common, filters

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


# ---------------------------------------------------------------- words


def _value(row, key):
    value = row.get(key) if hasattr(row, "get") else None
    try:
        return None if value is None or pd.isna(value) else value
    except (TypeError, ValueError):
        return value


def _date_text(value, year: bool = False) -> str:
    d = pd.Timestamp(value).date() if not isinstance(value, date) else value
    return f"{d.day} {d:%B}" + (f" {d.year}" if year else "")


def days_text(days: float, more: bool = False) -> str:
    """7 -> '7 days', 14.5 -> '14½ days', 0.5 -> 'half a day', 1 -> '1 day'; ``more``: '7 more days'."""
    whole = math.floor(days + 1e-9)
    half = days - whole >= 0.5 - 1e-9
    if whole == 0 and half:
        return "another half day" if more else "half a day"
    text = f"{whole}½" if half else str(whole)
    return f"{text} {'more ' if more else ''}day" + ("" if whole == 1 and not half else "s")


def _school_days(days: int) -> str:
    return f"{days} school day" + ("" if days == 1 else "s")


def _pct(value: float) -> str:
    return f"{value:.1f}%"


def _line(target) -> str:
    return f"{float(target):g}%"


def _they(row) -> dict[str, str]:
    """Pronouns from the recorded gender; 'they' where it is not recorded as F or M."""
    gender = str(_value(row, "gender") or "").upper()
    if gender == "F":
        return {"subj": "she", "poss": "her", "has": "has", "s": "s"}
    if gender == "M":
        return {"subj": "he", "poss": "his", "has": "has", "s": "s"}
    return {"subj": "they", "poss": "their", "has": "have", "s": ""}


def parent_sentences(outlook_row) -> list[str]:
    """The road to the end of the year in sentences a parent can follow (one row of ``year_end_outlook``).

    "Ella can miss 7 more days this year and still end above 90%."
    "At her rate since half-term (3 November) she will end the year on 88.4% and reach the
    penalty-notice threshold around 12 March."
    """
    row = outlook_row
    if row is None or not _value(row, "possible_sessions"):
        return []
    name = _value(row, "forename") or "Your child"
    p = _they(row)
    line = _line(_value(row, "target") or PERSISTENT_LINE)
    left = int(_value(row, "remaining_days") or 0)
    out: list[str] = []

    # What is left.
    leaving, year_end = _value(row, "leaving_date"), _value(row, "year_end")
    if left == 0:
        out.append("There are no school days left this year.")
    elif leaving is not None and (year_end is None or pd.Timestamp(leaving) < pd.Timestamp(year_end)):
        out.append(f"There are {_school_days(left)} left before {name} leaves on {_date_text(leaving)}.")
    elif _value(row, "basis") == projection.BASIS_CALENDAR and year_end is not None:
        out.append(f"There are {_school_days(left)} left this year, to {_date_text(year_end, year=True)}.")
    else:
        out.append(
            f"There are about {_school_days(left)} left this year "
            "(counting a standard 190-day year: the school's calendar does not yet reach the summer)."
        )

    # The line at the end of the year.
    best = float(_value(row, "best_attendance"))
    if bool(_value(row, "cannot_avoid")):
        out.append(
            f"Even attending every remaining day, {name} cannot now end the year above {line}: "
            f"the best {p['subj']} can reach is {_pct(best)}."
        )
    elif left and bool(_value(row, "safe_whatever")):
        out.append(f"{name} will end the year above {line} whatever happens in the days left.")
    elif left:
        spare = float(_value(row, "can_miss_days") or 0)
        if spare > 0:
            out.append(f"{name} can miss {days_text(spare, more=True)} this year and still end above {line}.")
        else:
            out.append(f"{name} cannot miss another day this year and still end above {line}.")
        out.append(f"If {p['subj']} attend{p['s']} every remaining day, {p['subj']} will end the year on {_pct(best)}.")

    # At the rate since half-term.
    if left:
        since = _value(row, "rate_from")
        when = f"since half-term ({_date_text(since)})" if since is not None else "so far this year"
        sentence = (
            f"At {p['poss']} rate {when} {p['subj']} will end the year on "
            f"{_pct(float(_value(row, 'projected_attendance')))}"
        )
        penalty_date = _value(row, "penalty_date")
        if _value(row, "penalty_status") == "projected" and penalty_date is not None:
            sentence += f" and reach the penalty-notice threshold around {_date_text(penalty_date)}"
        out.append(sentence + ".")
    if _value(row, "penalty_status") == "reached":
        out.append(
            f"{name} {p['has']} already reached the penalty-notice threshold: {PENALTY_SESSIONS} or more "
            f"unauthorised sessions within {PENALTY_WEEKS} school weeks."
        )

    # Rule of 3 this half-term.
    ht_left, ht_end, as_of = _value(row, "half_term_days_left"), _value(row, "half_term_end"), _value(row, "as_of")
    if ht_left is not None and ht_end is not None and as_of is not None and pd.Timestamp(ht_end) > pd.Timestamp(as_of):
        rule = f"average {_line(PERSISTENT_LINE)} over the half-term (the Rule of 3)"
        if float(ht_left) > 0:
            out.append(
                f"This half-term (to {_date_text(ht_end)}) {name} can miss {days_text(float(ht_left), more=True)} "
                f"and still {rule}."
            )
        else:
            out.append(f"This half-term (to {_date_text(ht_end)}) {name} cannot miss another day and still {rule}.")
    return out


def basis_caption(row) -> str:
    """Where the days left come from, and the day the figures stand at."""
    as_of = _value(row, "as_of")
    stand = f"Figures to {_date_text(as_of, year=True)}" if as_of is not None else "Figures to the latest marks"
    if _value(row, "basis") == projection.BASIS_CALENDAR:
        return f"{stand}; days left from the school calendar (holidays between half-terms left out)."
    return f"{stand}; days left from a standard 190-day year (the school calendar does not reach the summer)."


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
    sessions = int(_value(row, "remaining_sessions") or 0)
    days = _value(row, "remaining_days") or 0
    spare = _value(row, "can_miss_days")
    line = _line(_value(row, "target") or PERSISTENT_LINE)
    if bool(_value(row, "cannot_avoid")):
        can_miss = "none"
    elif spare is None:
        can_miss = NOTHING
    else:
        can_miss = days_text(max(float(spare), 0.0))
    projected = _value(row, "projected_attendance")
    return [
        ("Left this year", _school_days(int(days)), f"{sessions} sessions (two a day) left in the school year."),
        ("Can still miss", can_miss, f"The most days the pupil can miss and still end the year above {line}."),
        ("Best reachable", _pct(float(_value(row, "best_attendance"))), "Attending every remaining session."),
        (
            "At current rate",
            NOTHING if projected is None else _pct(float(projected)),
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
                f"Even attending every remaining session they end the year at or below {_line(PERSISTENT_LINE)}."
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


def penalty_when(row) -> str:
    """When the pupil reaches the penalty-notice threshold at their rate since half-term, in words."""
    status = _value(row, "penalty_status")
    if status == "reached":
        return "reached"
    if status == "projected" and _value(row, "penalty_date") is not None:
        return _date_text(_value(row, "penalty_date"), year=True)
    return "not this year"


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
        parts.append(f"{int(left.sum())} left the school before {_date_text(as_of)} (not scored)")
    if len(unscored) - left.sum():
        parts.append(f"{int(len(unscored) - left.sum())} had no sessions at the model's cut-off (not scored)")
    st.caption(f"Of {len(kept) + len(beyond) + len(unscored)} pupils this year: " + "; ".join(parts) + ".")
    if len(beyond):
        with st.expander(f"Already persistently absent and cannot recover this year ({len(beyond)})"):
            st.caption(
                f"Even attending every remaining session these pupils end the year at or below "
                f"{_line(PERSISTENT_LINE)}: a prediction adds nothing. They need support now, not a score."
            )
            reason = [
                f"missed {days_text(r.absence_sessions / 2)}; best reachable {_pct(r.best_attendance)}"
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

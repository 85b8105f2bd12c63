"""A pastoral lead's caseload: each pupil's escalation stage, last and next action, and what is overdue.

The guidance's sequence is ``data.interventions.STAGES`` (expect, monitor, listen
and understand, facilitate support, formalise support, enforce). The stage is
*suggested* from the registers and the log, with the reasons, and *confirmed* by
staff (``interventions.confirm_stage``); both are shown. The rules:

- at or above the at-risk line with nothing logged: expect; at risk: monitor;
- below the persistent-absence line with nothing logged: listen and understand
  (and on the to-do list);
- the furthest step already logged counts (a meeting is listening, a plan or
  mentoring is support, a contract or Notice to Improve is formal support);
- a review date passed on an open entry, or no improvement ``NO_IMPROVEMENT_WEEKS``
  school weeks after support began: one step further;
- reached the penalty-notice threshold: formalise support (a Notice to Improve
  normally comes first), or enforce once formal support is already in place.
"""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from analytics import attendance_windows, lists, measures
from analytics.filters import Filter, require_pupil_level
from analytics.measures import AT_RISK_ATTENDANCE, PERSISTENT_LINE
from data import interventions
from data.interventions import STAGES

NO_IMPROVEMENT_WEEKS = 6  # guidance: review support and adjust if it is not working
# The stage each kind of action belongs to; the school's own types count as support.
TYPE_STAGE = {
    "First-day call": "monitor",
    "Letter": "monitor",
    "Attendance meeting": "listen and understand",
    "Attendance clinic": "listen and understand",
    "Home visit": "listen and understand",
    "Attendance plan": "facilitate support",
    "Mentoring": "facilitate support",
    "Part-time timetable": "facilitate support",
    "Early help referral": "facilitate support",
    "Attendance contract": "formalise support",
    "Notice to Improve": "formalise support",
    "Penalty notice": "enforce",
    "Referral to the local authority": "enforce",
}
SUPPORT = "facilitate support"
CASELOAD_COLUMNS = [
    "school_id",
    "upn",
    "surname",
    "forename",
    "year_group",
    "form",
    "attendance",
    "suggested_stage",
    "reasons",
    "confirmed_stage",
    "last_action",
    "last_action_date",
    "attendance_before_last_action",
    "attendance_since_last_action",
    "next_action",
    "next_review",
    "review_overdue",
    "open_entries",
    "to_do",
]


def _rank(stage: str) -> int:
    return STAGES.index(stage)


def stage_of_type(kind: str) -> str:
    """The step of the sequence an action belongs to (the school's own types: support)."""
    return TYPE_STAGE.get(interventions.canonical_type(kind), SUPPORT)


def suggest_stage(
    attendance: float | None,
    types: list[str],
    at_risk: bool = False,
    penalty: bool = False,
    review_overdue: bool = False,
    no_improvement: bool = False,
) -> tuple[str, list[str]]:
    """The stage the data suggests and the reasons, from a pupil's figures and the types logged so far."""
    reasons: list[str] = []
    stage = "expect"
    if attendance is not None and attendance < PERSISTENT_LINE:
        stage = "listen and understand" if not types else "monitor"
        if not types:
            reasons.append(f"below {PERSISTENT_LINE:g}% with nothing recorded")
    elif at_risk or (attendance is not None and attendance < AT_RISK_ATTENDANCE):
        stage = "monitor"
        reasons.append("at risk")
    logged = max((stage_of_type(t) for t in types), key=_rank, default="expect")
    if _rank(logged) > _rank(stage):
        stage = logged
        reasons.append(f"{logged} already logged")
    if (review_overdue or no_improvement) and types:
        step = STAGES[min(_rank(stage) + 1, _rank("formalise support"))]
        if _rank(step) > _rank(stage):
            stage = step
        if review_overdue:
            reasons.append("a review is overdue")
        if no_improvement:
            reasons.append(f"no improvement {NO_IMPROVEMENT_WEEKS} weeks after support")
    if penalty:
        formal = any(_rank(stage_of_type(t)) >= _rank("formalise support") for t in types)
        stage = "enforce" if formal else max(stage, "formalise support", key=_rank)
        reasons.append("reached the penalty-notice threshold")
    return stage, reasons


def _names(con, school_ids) -> pd.DataFrame:
    where = f"WHERE school_id IN ({', '.join('?' * len(school_ids))})" if school_ids else ""
    return con.execute(f"SELECT school_id, upn, surname, forename FROM pupils {where}", list(school_ids)).df()


def caseload(con: duckdb.DuckDBPyConnection, f: Filter, as_of: date | None = None) -> pd.DataFrame:
    """The pupils in the filter who have something logged or are flagged, one row each (``CASELOAD_COLUMNS``).

    Attendance is over the filter's period (pass the year to date). ``as_of`` (default: the
    latest mark) decides which reviews are overdue. ``to_do``: flagged (below the line, at risk,
    at the penalty threshold) with nothing logged. Sorted with the most escalated first.
    """
    require_pupil_level(f)
    pupils = measures.enrolment_measures(con, f)
    if pupils.empty:
        return pd.DataFrame(columns=CASELOAD_COLUMNS)
    pupils = pupils.sort_values("academic_year").drop_duplicates(["school_id", "upn"], keep="last")
    latest = pd.Timestamp(con.execute("SELECT max(date) FROM session_marks").fetchone()[0]).date()
    as_of = as_of or latest
    log = interventions.entries(con, f.scope, school_ids=tuple(pupils["school_id"].unique()))
    if f.academic_year is not None:
        days = pd.to_datetime(log["date"]).dt.date
        log = log[(days >= date(f.academic_year, 9, 1)) & (days <= date(f.academic_year + 1, 8, 31))]
    keys = set(zip(pupils["school_id"], pupils["upn"], strict=True))
    log = log[np.array([k in keys for k in zip(log["school_id"], log["upn"], strict=True)], dtype=bool)]
    risk = set(lists.at_risk(con, f)["upn"])
    penalty_rows = lists.penalty_notice_threshold(con, f)
    penalty = set(penalty_rows[penalty_rows["current"].astype(bool)]["upn"]) if len(penalty_rows) else set()
    since = _since_last(con, f, log)
    confirmed = {s: interventions.confirmed_stages(con, s) for s in pupils["school_id"].unique()}
    names = _names(con, tuple(pupils["school_id"].unique())).set_index(["school_id", "upn"])
    rows = []
    for p in pupils.itertuples(index=False):
        mine = log[(log["school_id"] == p.school_id) & (log["upn"] == p.upn)]
        flagged = p.attendance_rate < PERSISTENT_LINE or p.upn in risk or p.upn in penalty
        if mine.empty and not flagged:
            continue
        open_ = mine[mine["status"] == "open"]
        reviews = open_.dropna(subset=["review_date"]).sort_values("review_date")
        next_review = pd.Timestamp(reviews.iloc[0]["review_date"]).date() if len(reviews) else None
        overdue = next_review is not None and next_review < as_of
        before, after, no_improvement = since.get((p.school_id, p.upn), (None, None, False))
        stage, reasons = suggest_stage(
            p.attendance_rate, list(mine["type"]), p.upn in risk, p.upn in penalty, overdue, no_improvement
        )
        name = names.loc[(p.school_id, p.upn)] if (p.school_id, p.upn) in names.index else None
        rows.append(
            {
                "school_id": p.school_id,
                "upn": p.upn,
                "surname": None if name is None else name["surname"],
                "forename": None if name is None else name["forename"],
                "year_group": p.year_group,
                "form": p.form,
                "attendance": p.attendance_rate,
                "suggested_stage": stage,
                "reasons": "; ".join(reasons),
                "confirmed_stage": confirmed.get(p.school_id, {}).get(p.upn),
                "last_action": mine.iloc[0]["type"] if len(mine) else None,
                "last_action_date": pd.Timestamp(mine.iloc[0]["date"]).date() if len(mine) else None,
                "attendance_before_last_action": before,
                "attendance_since_last_action": after,
                "next_action": reviews.iloc[0]["type"] if len(reviews) else None,
                "next_review": next_review,
                "review_overdue": overdue,
                "open_entries": len(open_),
                "to_do": mine.empty,
            }
        )
    out = pd.DataFrame(rows, columns=CASELOAD_COLUMNS)
    if out.empty:
        return out
    out["_rank"] = out["suggested_stage"].map(_rank)
    return out.sort_values(["to_do", "_rank", "attendance"], ascending=[False, False, True]).drop(columns="_rank")


def _since_last(con, f: Filter, log: pd.DataFrame) -> dict:
    """(attendance before, since, no improvement) around each pupil's latest action, in school weeks."""
    if log.empty:
        return {}
    last = log.sort_values("date").drop_duplicates(["school_id", "upn"], keep="last")
    last_dates = {
        (s, u): pd.Timestamp(d).date() for s, u, d in zip(last["school_id"], last["upn"], last["date"], strict=True)
    }
    support = log[np.array([_rank(stage_of_type(t)) >= _rank(SUPPORT) for t in log["type"]], dtype=bool)]
    first_support = support.sort_values("date").drop_duplicates(["school_id", "upn"], keep="first")
    support_dates = {
        (s, u): pd.Timestamp(d).date()
        for s, u, d in zip(first_support["school_id"], first_support["upn"], first_support["date"], strict=True)
    }
    g = f.replace(upns=tuple(sorted({u for _, u in last_dates} | {u for _, u in support_dates})))
    index = [(s, d) for (s, _), d in [*last_dates.items(), *support_dates.items()]]
    windows = attendance_windows.pupil_windows(con, g, index, NO_IMPROVEMENT_WEEKS, to_latest=True)
    if windows.empty:
        return {}
    windows["d"] = pd.to_datetime(windows["d"]).dt.date
    rate = attendance_windows.attendance_percent
    by = {(r.school_id, r.upn, r.d): r for r in windows.itertuples(index=False)}
    out = {}
    for key, when in last_dates.items():
        r = by.get((*key, when))
        before = rate(r.before_attended, r.before_possible) if r is not None else None
        after = rate(r.after_attended, r.after_possible) if r is not None else None
        out[key] = (before, after, False)
    school_weeks = attendance_windows.school_weeks(con, g)
    for key, when in support_dates.items():
        r = by.get((*key, when))
        weeks_since = sum(1 for w in school_weeks.get(key[0], []) if w >= when)
        if r is None or weeks_since < NO_IMPROVEMENT_WEEKS:
            continue
        before, after = rate(r.before_attended, r.before_possible), rate(r.after_attended, r.after_possible)
        stuck = before is not None and after is not None and after <= before
        out[key] = (*out.get(key, (None, None, False))[:2], stuck)
    return out

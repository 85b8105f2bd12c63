"""The pack's written summary: a paragraph of key points and the questions a panel could ask.

Sentences are worded here; every number in them comes from the analytics
results the pack's sections show (``Facts``), rounded as the tables show it, so
the words and the tables never disagree. Suppressed groups (``suppressed``, or
a figure the analytics left empty) are never mentioned.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analytics import overview
from analytics.filters import GROUP_LABELS, Filter
from ui import headlines

SESSION_WORDS = {"AM": "mornings", "PM": "afternoons"}
GAP_GROUPS = ("fsm", "sen", "eal", "cin", "lac", "gender")  # pupil groups the guidance asks schools to watch


@dataclass
class Facts:
    headline: overview.Headline
    weekly: overview.WeeklyComparison
    breakdowns: dict[str, pd.DataFrame]
    weekdays: pd.DataFrame | None
    reasons: pd.DataFrame | None
    changes: tuple[str, pd.DataFrame] | None = None


def _compare(change: float | None, then: float | None, what: str) -> str | None:
    """ "0.8 points lower than at the same point last year (93.9%)"."""
    if change is None:
        return None
    if change == 0:
        return f"the same as {what} ({headlines.rate(then)})"
    return f"{abs(change):.1f} points {'higher' if change > 0 else 'lower'} than {what} ({headlines.rate(then)})"


def _widest_gap(facts: Facts) -> dict | None:
    """The shown group (not suppressed, figures present) whose absence is furthest above the rest's.

    A gap beyond what chance explains comes before a wider one within noise: the pack points at real gaps.
    """
    best = None
    for by in GAP_GROUPS:
        df = facts.breakdowns.get(by)
        if df is None or df.empty:
            continue
        for r in df.to_dict("records"):
            gap = r.get("overall_absence_gap")
            if r.get("suppressed") or headlines.is_missing(gap) or headlines.is_missing(r.get("overall_absence_rate")):
                continue
            real = _beyond(r.get("beyond_chance"))
            if gap > 0 and (best is None or (real, gap) > (best["real"], best["overall_absence_gap"])):
                best = {**r, "by": by, "real": real}
    return best


def _beyond(flag) -> bool:
    return not headlines.is_missing(flag) and bool(flag)


def _extreme_sessions(facts: Facts) -> tuple[dict, dict] | None:
    df = facts.weekdays
    if df is None or df.empty or df["absence_rate"].isna().all():
        return None
    ordered = df.dropna(subset=["absence_rate"]).sort_values("absence_rate")
    high, low = ordered.iloc[-1].to_dict(), ordered.iloc[0].to_dict()
    if round(high["absence_rate"], 1) == round(low["absence_rate"], 1):
        return None  # every session alike: nothing stands out
    return high, low


def _pupils(n) -> str:
    return "1 pupil" if n == 1 else f"{headlines.count(n, '0')} pupils"


def _at(label: str) -> str:
    """ "at the end of Autumn 1" for a year-to-date comparison, "in Autumn 1" for a half-term."""
    return f"at the {label}" if label.startswith("end of ") else f"in {label}"


def _group_name(row: dict) -> str:
    """ "Child in need", "FSM", "Year group: Year 9": a yes/no or SEN group names itself."""
    if row["by"] in ("fsm", "eal", "cin", "lac", "sen"):
        return str(row["label"])
    return f"{GROUP_LABELS[row['by']]}: {row['label']}"


def _when(row: dict) -> str:
    return f"{row['weekday_name']} {SESSION_WORDS.get(row['session'], row['session'])}"


def _biggest_rise(facts: Facts) -> tuple[str, dict] | None:
    """The largest rise since the last period, a rise beyond its noise before a larger one within it."""
    if facts.changes is None or facts.changes[1] is None or facts.changes[1].empty:
        return None
    since, df = facts.changes
    rises = df[pd.to_numeric(df["overall_absence_change"], errors="coerce").round(1) > 0]
    if rises.empty:
        return None
    rises = rises.assign(real=[_beyond(v) for v in rises["overall_absence_beyond_chance"]])
    return since, rises.sort_values(["real", "overall_absence_change"], ascending=False).iloc[0].to_dict()


def key_points(facts: Facts, f: Filter) -> str:
    """One paragraph: where attendance stands, how it compares, and what stands out."""
    h = facts.headline
    if h.empty:
        return "No pupils match these filters, so there are no figures to summarise."
    if "attendance_rate" in h.hidden:
        return f"The figures for these pupils are not shown ({h.hidden['attendance_rate']})."
    now, phrase = h.now, headlines.period_phrase(f)
    first = f"Attendance {phrase} is {headlines.rate(now.get('attendance_rate'))}"
    comparisons = [
        _compare(
            h.change("attendance_rate", "last_year"), h.last_year.get("attendance_rate"), "at this point last year"
        ),
        _compare(h.change("attendance_rate", "previous"), h.previous.get("attendance_rate"), _at(h.previous_label))
        if h.previous_label
        else None,
    ]
    comparisons = [c for c in comparisons if c]
    sentences = [first + (", " + " and ".join(comparisons) if comparisons else "") + "."]
    if h.national.get("attendance_rate") is not None:
        sentences[0] = sentences[0][:-1] + (
            f"; nationally ({h.national.get('phase', 'all')} schools, year to date) it is {headlines.rate(h.national['attendance_rate'])}."
        )
    pa, pa_count = now.get("persistent_absence_rate"), now.get("persistent_absence_count")
    if pa is not None:
        text = f"Persistent absence is {headlines.rate(pa)} ({_pupils(pa_count)})"
        vs_last = _compare(
            h.change("persistent_absence_rate", "last_year"), h.last_year.get("persistent_absence_rate"), "last year"
        )
        if vs_last:
            text += f", {vs_last}"
        if h.national.get("persistent_absence_rate") is not None:
            text += f", against {headlines.rate(h.national['persistent_absence_rate'])} nationally"
        if f.term or f.date_from or f.date_to:
            text += f" (over {phrase.removeprefix('over ')} only: the DfE reports it for the year to date)"
        sentences.append(text + ".")
    severe = now.get("severe_absence_count")
    if severe:
        sentences.append(
            f"{_pupils(severe).capitalize()} ({headlines.rate(now.get('severe_absence_rate'))}) "
            f"{'is' if severe == 1 else 'are'} severely absent, missing half their sessions or more."
        )
    unauth = h.change("unauthorised_absence_rate", "previous")
    if unauth and h.previous_label:
        direction = "risen" if unauth > 0 else "fallen"
        sentences.append(
            f"Unauthorised absence is {headlines.rate(now.get('unauthorised_absence_rate'))} of sessions, "
            f"{direction} by {abs(unauth):.1f} points since {headlines.since(h.previous_label)}."
        )
    gap = _widest_gap(facts)
    if gap is not None:
        figures = (
            f"{headlines.rate(gap['overall_absence_rate'])} absence against "
            f"{headlines.rate(gap['rest_overall_absence_rate'])} for other pupils"
        )
        if gap["real"]:
            sentences.append(f"The widest gap beyond what chance explains is for {_group_name(gap)}: {figures}.")
        else:
            sentences.append(
                f"The widest gap is for {_group_name(gap)}: {figures}, within what chance alone could explain "
                "(within noise at 95%)."
            )
    extremes = _extreme_sessions(facts)
    if extremes is not None:
        high, low = extremes
        sentences.append(
            f"Absence is highest on {_when(high)} ({headlines.rate(high['absence_rate'])}) "
            f"and lowest on {_when(low)} ({headlines.rate(low['absence_rate'])})."
        )
    rise = _biggest_rise(facts)
    if rise is not None:
        since, row = rise
        sentences.append(
            f"The largest rise {'beyond its noise ' if row['real'] else ''}since {headlines.since(since)} was in "
            f"{row['by_label']}: {row['label']}, up {row['overall_absence_change']:.1f} points to "
            f"{headlines.rate(row['current_overall_absence_rate'])}"
            + ("." if row["real"] else ", within what chance alone could explain (within noise at 95%).")
        )
    return " ".join(sentences)


def questions(facts: Facts, f: Filter) -> list[str]:
    """Questions an attendance panel could ask, each prompted by a figure in the pack."""
    h = facts.headline
    if h.empty:
        return []
    out = []
    change = h.change("attendance_rate", "last_year")
    if change is not None and change < 0:
        out.append(
            f"Attendance is {abs(change):.1f} points lower than at this point last year: which year groups and "
            "pupil groups account for the fall, and what is being done about it?"
        )
    elif change is not None and change > 0:
        out.append(
            f"Attendance is {change:.1f} points higher than at this point last year: which actions made the "
            "difference, and how will they be kept up?"
        )
    pa, national_pa = h.now.get("persistent_absence_rate"), h.national.get("persistent_absence_rate")
    if pa is not None:
        against = ""
        if national_pa is not None:
            difference = round(round(pa, 1) - round(national_pa, 1), 1)
            side = "above" if difference > 0 else "below" if difference < 0 else "the same as"
            against = f", {side} the national {headlines.rate(national_pa)}"
        out.append(
            f"Persistent absence is {headlines.rate(pa)}{against}: how many of these pupils have an attendance "
            "plan agreed with their family, and how many are improving?"
        )
    gap = _widest_gap(facts)
    if gap is not None and gap["real"]:
        out.append(
            f"Pupils in the group {_group_name(gap)} miss {headlines.rate(gap['overall_absence_rate'])} of "
            f"sessions against {headlines.rate(gap['rest_overall_absence_rate'])} for other pupils: what support is "
            "in place for them, and how will the school know it is working?"
        )
    elif gap is not None:
        out.append(
            f"The gap for {_group_name(gap)} ({headlines.rate(gap['overall_absence_rate'])} against "
            f"{headlines.rate(gap['rest_overall_absence_rate'])}) is within what chance alone could explain: "
            "is it one to watch over the coming terms rather than act on now?"
        )
    extremes = _extreme_sessions(facts)
    if extremes is not None:
        high = extremes[0]
        out.append(
            f"Absence peaks on {_when(high)} ({headlines.rate(high['absence_rate'])}): is this across the school "
            "or concentrated in some year groups?"
        )
    unauth = h.change("unauthorised_absence_rate", "previous")
    if unauth is not None and unauth > 0:
        out.append(
            f"Unauthorised absence has risen {unauth:.1f} points since {headlines.since(h.previous_label)}: how many families were "
            "offered support before a Notice to Improve or a penalty notice?"
        )
    rise = _biggest_rise(facts)
    if rise is not None:
        since, row = rise
        out.append(
            f"What changed for {row['by_label']}: {row['label']} since {headlines.since(since)}, where absence rose most?"
        )
    return out

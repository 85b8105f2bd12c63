"""The road to the end of the year in words parents follow: plain Python (no Streamlit), for pages and letters.

Numbers come from one row of ``analytics.projection.year_end_outlook``; this
module only says them. ``road_parts`` names each part (what is left, what the
pupil can still miss, where they end at this rate, the Rule of 3 this
half-term) so that a letter can place each one; ``parent_sentences`` is all of
them in order.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from analytics import projection
from analytics.measures import PENALTY_SESSIONS, PENALTY_WEEKS, PERSISTENT_LINE


def field(row, key):
    """One value of an outlook row; None for missing or NaN."""
    value = row.get(key) if hasattr(row, "get") else None
    try:
        return None if value is None or pd.isna(value) else value
    except (TypeError, ValueError):
        return value


def date_text(value, year: bool = False) -> str:
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


def school_days_text(days: int) -> str:
    return f"{days} school day" + ("" if days == 1 else "s")


def pct_text(value: float) -> str:
    return f"{value:.1f}%"


def line_text(target) -> str:
    return f"{float(target):g}%"


def _they(row) -> dict[str, str]:
    """Pronouns from the recorded gender; 'they' where it is not recorded as F or M."""
    gender = str(field(row, "gender") or "").upper()
    if gender == "F":
        return {"subj": "she", "poss": "her", "has": "has", "s": "s"}
    if gender == "M":
        return {"subj": "he", "poss": "his", "has": "has", "s": "s"}
    return {"subj": "they", "poss": "their", "has": "have", "s": ""}


ROAD_PARTS = ("left", "can_miss", "at_this_rate", "half_term")  # in the order parents read them


def road_parts(outlook_row) -> dict[str, list[str]]:
    """The road's sentences by part (``ROAD_PARTS``; a part may be empty), from one row of ``year_end_outlook``.

    ``left``: the school days left; ``can_miss``: what the pupil can still miss
    and stay above the line, and the best they can reach; ``at_this_rate``: where
    they end at their rate since half-term, and the penalty-notice threshold;
    ``half_term``: the Rule of 3 left this half-term. {} when there is nothing to say.
    """
    row = outlook_row
    if row is None or not field(row, "possible_sessions"):
        return {}
    name = field(row, "forename") or "Your child"
    p = _they(row)
    line = line_text(field(row, "target") or PERSISTENT_LINE)
    left = int(field(row, "remaining_days") or 0)
    parts: dict[str, list[str]] = {k: [] for k in ROAD_PARTS}

    # What is left.
    leaving, year_end = field(row, "leaving_date"), field(row, "year_end")
    if left == 0:
        parts["left"].append("There are no school days left this year.")
    elif leaving is not None and (year_end is None or pd.Timestamp(leaving) < pd.Timestamp(year_end)):
        parts["left"].append(f"There are {school_days_text(left)} left before {name} leaves on {date_text(leaving)}.")
    elif field(row, "basis") == projection.BASIS_CALENDAR and year_end is not None:
        parts["left"].append(f"There are {school_days_text(left)} left this year, to {date_text(year_end, year=True)}.")
    else:
        parts["left"].append(
            f"There are about {school_days_text(left)} left this year "
            "(counting a standard 190-day year: the school's calendar does not yet reach the summer)."
        )

    # The line at the end of the year.
    out = parts["can_miss"]
    best = float(field(row, "best_attendance"))
    if bool(field(row, "cannot_avoid")):
        out.append(
            f"Even attending every remaining day, {name} cannot now end the year above {line}: "
            f"the best {p['subj']} can reach is {pct_text(best)}."
        )
    elif left and bool(field(row, "safe_whatever")):
        out.append(f"{name} will end the year above {line} whatever happens in the days left.")
    elif left:
        spare = float(field(row, "can_miss_days") or 0)
        if spare > 0:
            out.append(f"{name} can miss {days_text(spare, more=True)} this year and still end above {line}.")
        else:
            out.append(f"{name} cannot miss another day this year and still end above {line}.")
        out.append(
            f"If {p['subj']} attend{p['s']} every remaining day, {p['subj']} will end the year on {pct_text(best)}."
        )

    # At the rate since half-term.
    out = parts["at_this_rate"]
    if left:
        since = field(row, "rate_from")
        when = f"since half-term ({date_text(since)})" if since is not None else "so far this year"
        sentence = (
            f"At {p['poss']} rate {when} {p['subj']} will end the year on "
            f"{pct_text(float(field(row, 'projected_attendance')))}"
        )
        penalty_date = field(row, "penalty_date")
        if field(row, "penalty_status") == "projected" and penalty_date is not None:
            sentence += f" and reach the penalty-notice threshold around {date_text(penalty_date)}"
        out.append(sentence + ".")
    if field(row, "penalty_status") == "reached":
        out.append(
            f"{name} {p['has']} already reached the penalty-notice threshold: {PENALTY_SESSIONS} or more "
            f"unauthorised sessions within {PENALTY_WEEKS} school weeks."
        )

    # Rule of 3 this half-term.
    ht_left, ht_end, as_of = field(row, "half_term_days_left"), field(row, "half_term_end"), field(row, "as_of")
    if ht_left is not None and ht_end is not None and as_of is not None and pd.Timestamp(ht_end) > pd.Timestamp(as_of):
        rule = f"average {line_text(PERSISTENT_LINE)} over the half-term (the Rule of 3)"
        if float(ht_left) > 0:
            parts["half_term"].append(
                f"This half-term (to {date_text(ht_end)}) {name} can miss {days_text(float(ht_left), more=True)} "
                f"and still {rule}."
            )
        else:
            parts["half_term"].append(
                f"This half-term (to {date_text(ht_end)}) {name} cannot miss another day and still {rule}."
            )
    return parts


def parent_sentences(outlook_row) -> list[str]:
    """The road to the end of the year in sentences a parent can follow (one row of ``year_end_outlook``).

    "Ella can miss 7 more days this year and still end above 90%."
    "At her rate since half-term (3 November) she will end the year on 88.4% and reach the
    penalty-notice threshold around 12 March."
    """
    parts = road_parts(outlook_row)
    return [sentence for key in ROAD_PARTS for sentence in parts.get(key, [])]


def basis_caption(row) -> str:
    """Where the days left come from, and the day the figures stand at."""
    as_of = field(row, "as_of")
    stand = f"Figures to {date_text(as_of, year=True)}" if as_of is not None else "Figures to the latest marks"
    if field(row, "basis") == projection.BASIS_CALENDAR:
        return f"{stand}; days left from the school calendar (holidays between half-terms left out)."
    return f"{stand}; days left from a standard 190-day year (the school calendar does not reach the summer)."


def penalty_when(row) -> str:
    """When the pupil reaches the penalty-notice threshold at their rate since half-term, in words."""
    status = field(row, "penalty_status")
    if status == "reached":
        return "reached"
    if status == "projected" and field(row, "penalty_date") is not None:
        return date_text(field(row, "penalty_date"), year=True)
    return "not this year"


NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _weeks_text(days: float) -> str:
    """', more than five school weeks' (or 'exactly'); '' under a week."""
    weeks = math.floor(days / 5 + 1e-9)
    if weeks < 1:
        return ""
    word = NUMBER_WORDS[weeks] if weeks < len(NUMBER_WORDS) else str(weeks)
    plural = "s" if weeks > 1 else ""
    exact = abs(days - 5 * weeks) < 1e-9
    return f", {'exactly' if exact else 'more than'} {word} school week{plural}"


def time_lost_sentences(lost: dict) -> list[str]:
    """What to say to a parent about time missed, from ``analytics.pupils.time_lost``'s figures."""
    if not lost:
        return []
    name = lost.get("forename") or "This pupil"
    days, projected = lost["days_missed"], round(lost["projected_days_missed"] * 2) / 2
    sentences = [
        f"{name} has missed {days_text(days)} so far this year"
        + (
            f"; at this rate that will be {days_text(projected)} by July{_weeks_text(projected)}."
            if lost["remaining_sessions"]
            else "."
        )
    ]
    lessons = lost["lessons_missed"]
    if lessons is not None:
        hours = round(lost["hours_missed"])
        sentences.append(
            f"That is {lessons} lesson{'s' if lessons != 1 else ''}, "
            f"about {hours} hour{'' if hours == 1 else 's'} of learning."
        )
    if lost["absence_sessions"]:
        every = lost["possible_sessions"] / lost["absence_sessions"]  # = school days per day missed
        sentences.append(
            f"Attendance of {lost['attendance_rate']:.1f}% is about one day missed every {every:.0f} school days."
        )
    return sentences

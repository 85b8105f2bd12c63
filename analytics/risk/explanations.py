"""Why a pupil scores high, in plain words: the factors that raised their score most."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.risk import features as rf
from analytics.risk.model import FittedModel


def explain(model: FittedModel, X: pd.DataFrame, top: int = 3) -> list[str]:
    """For each pupil the (up to) ``top`` factors that raised their score most, in plain words."""
    contributions = model.contributions(X)
    out = []
    for i in range(len(X)):
        row = X.iloc[i]
        order = np.argsort(-contributions[i])
        words = []
        for j in order:
            if contributions[i, j] <= 0 or len(words) >= top:
                break
            phrase = reason(model.features[j], row)
            if phrase and phrase not in words:
                words.append(phrase)
        out.append("; ".join(words) if words else "no single factor stands out")
    return out


def _days(sessions: float) -> str:
    days = sessions / 2
    return f"{days:g} day" + ("" if days == 1 else "s")


def reason(feature: str, row: pd.Series) -> str | None:
    """The plain-words reason a feature gives for one pupil (None where it says nothing useful)."""
    v = row.get(feature)
    weeks = rf.RECENT_WEEKS
    if feature == "absence_rate":
        return f"attendance to date {row['attendance_rate']:.0f}%"
    if feature == "authorised_rate":
        return f"authorised absence (illness, appointments) {v:.0f}% of sessions"
    if feature == "unauthorised_rate":
        return f"unauthorised absence {v:.0f}% of sessions ({_days(row['unauthorised_sessions'])})"
    if feature == "spells":
        return f"{int(v)} separate spells of absence"
    if feature == "longest_spell":
        return f"a spell of {_days(v)} off in a row"
    if feature in ("absence_trend", "unauthorised_trend"):
        kind = "unauthorised absence" if feature == "unauthorised_trend" else "absence"
        stem = "recent_unauthorised_rate" if feature == "unauthorised_trend" else "recent_absence_rate"
        recent, earlier = row.get(stem), row.get(stem.replace("recent", "earlier"))
        if recent is None or earlier is None or recent != recent or earlier != earlier or recent <= earlier:
            return None
        if earlier > 0 and recent >= 2 * earlier:
            return (
                f"{kind} has more than doubled in the last {weeks} weeks ({earlier:.0f}% before, {recent:.0f}% since)"
            )
        return f"{kind} has risen in the last {weeks} weeks ({earlier:.0f}% before, {recent:.0f}% since)"
    if feature == "weekday_index":
        share = row.get("top_weekday_share")
        if share is None or share != share:
            return None
        return f"most absences on {rf.weekday_name(row.get('top_weekday'))}s ({share:.0%} of them)"
    if feature == "late_l_rate":
        return f"late {int(row['late_l_sessions'])} times before the register closed"
    if feature == "late_u_rate":
        return f"late after the register closed {int(row['late_u_sessions'])} times (unauthorised)"
    if feature == "post_registration_rate":
        return f"missed {v:.0f}% of lessons after registering"
    if feature == "last_year_pa":
        return "persistently absent last year" if v >= 1 else None
    if feature == "last_year_absence_rate":
        return None if row.get("no_last_year") else f"attendance last year {100 - v:.0f}%"
    if feature == "no_last_year":
        return "new to the school this year (no attendance history)" if v >= 1 else None
    if feature == "year_group":
        return f"in Year {int(v)}"
    words = {
        "fsm": "eligible for free school meals",
        "sen_support": "SEN support",
        "ehc_plan": "EHC plan",
        "eal": "English as an additional language",
        "cin": "child in need",
        "lac": "looked after",
    }
    if feature in words and v >= 1:
        return words[feature]
    return None  # gender, ethnicity and missing-data flags are never shown as a reason

"""The figures a letter home quotes about one pupil, in the units parents use.

Everything here is about the one pupil the letter is for, plus the national
figure for the school's phase: a letter never carries another pupil's data.
The wording lives in ``ui/letters``; this returns names and numbers only.
"""

from __future__ import annotations

import duckdb

from analytics import national, projection, pupils, school
from analytics.filters import Filter, require_pupil_level
from analytics.measures import PERSISTENT_LINE, SESSIONS_PER_DAY


def _number(road: dict, key: str) -> float | None:
    value = road.get(key)
    return None if value is None else float(value)


def roads(con: duckdb.DuckDBPyConnection, f: Filter, upns: list[str]) -> dict[str, dict]:
    """Each pupil's road to the end of the year (``analytics.projection``) in one query, for a list's letters."""
    require_pupil_level(f)
    return projection.pupil_outlooks(con, f.whole_year(), list(upns), as_of=f.date_to)


def letter_figures(con: duckdb.DuckDBPyConnection, f: Filter, upn: str, road: dict | None = None) -> dict:
    """One pupil's figures for a letter ({} when the pupil is not visible or has no sessions).

    Keys: ``upn``, ``forename``, ``surname``, ``year_group``, ``form``, ``school_id``,
    ``school_name``, ``academic_year``, ``as_of``, ``attendance_rate``, ``days_missed``,
    ``absence_sessions``, ``unauthorised_sessions``, ``lessons_missed``, ``hours_missed``,
    ``projected_days_missed``, ``days_left`` (school days left in the year),
    ``half_terms`` (list of {half_term, days_off, status, in_progress}: the Rule of 3),
    ``national_attendance`` and ``national_period`` (the school's phase, England),
    ``below_line`` (under the persistent-absence line), ``language`` (the family's, from the
    pupils file, or None); the road to the end of the year from ``analytics.projection``:
    ``road`` (the pupil's ``pupil_outlook`` row, {} without one), ``can_miss_days``,
    ``best_attendance``, ``projected_attendance`` (None without a road); ``days_left`` is the
    road's school days left where there is one.
    """
    require_pupil_level(f)
    profile = pupils.pupil_profile(con, f, upn)
    if not profile:
        return {}
    lost = pupils.time_lost(con, f, upn)
    if not lost:
        return {}
    rule = pupils.rule_of_three(con, f, upn)
    school_id = profile["school_id"]
    phase = school.phase_of(con, school_id) or "all"
    headline = national.national_headline(phase)
    name = con.execute("SELECT name FROM schools WHERE school_id = ?", [school_id]).fetchone()
    # The road: one definition (analytics.projection), as the pupil page shows it (``road``: from ``roads``).
    if road is None:
        road = roads(con, f, [upn]).get(upn, {})
    return {
        "upn": upn,
        "forename": profile.get("forename"),
        "surname": profile.get("surname"),
        "year_group": profile.get("year_group"),
        "form": profile.get("form"),
        "school_id": school_id,
        "school_name": name[0] if name else school_id,
        "academic_year": profile["academic_year"],
        "as_of": lost["as_of"],
        "attendance_rate": lost["attendance_rate"],
        "days_missed": lost["days_missed"],
        "absence_sessions": lost["absence_sessions"],
        "unauthorised_sessions": lost["unauthorised_sessions"],
        "lessons_missed": lost["lessons_missed"],
        "hours_missed": lost["hours_missed"],
        "projected_days_missed": lost["projected_days_missed"],
        "days_left": float(road["remaining_days"]) if road else lost["remaining_sessions"] / SESSIONS_PER_DAY,
        "half_terms": [
            {
                "half_term": r["half_term"],
                "days_off": float(r["days_off"]),
                "status": r["status"],
                "in_progress": bool(r["in_progress"]),
            }
            for r in rule.to_dict("records")
        ],
        "national_attendance": headline["attendance_rate"] if headline else None,
        "national_period": headline["period"] if headline else None,
        "below_line": lost["attendance_rate"] < PERSISTENT_LINE,
        "line": PERSISTENT_LINE,
        "language": profile.get("language"),
        "road": road,
        "can_miss_days": _number(road, "can_miss_days"),
        "best_attendance": _number(road, "best_attendance"),
        "projected_attendance": _number(road, "projected_attendance"),
    }

"""One pupil at a time, and per-pupil analysis for pastoral work.

Finding a pupil, their profile and calendar, figures against their year group,
spells of absence, patterns tested against the pupil's own rate, trajectory
half-term on half-term, and time lost in days and lessons for conversations
with parents. Every function here returns rows about individual pupils, so
each calls ``require_pupil_level`` first; marks come from ``measures.marks_sql``
so the user's scope applies to every query.

The rooms: ``profile`` (finding, profile, calendar, beside the year group),
``spells``, ``patterns`` (tested against the pupil's own rate),
``trajectory`` (half-term on half-term, the Rule of 3) and ``time_lost``.
"""

from analytics.pupils.patterns import pupil_patterns
from analytics.pupils.profile import (
    find_pupils,
    pupil_calendar,
    pupil_lesson_absence_by_subject,
    pupil_profile,
    pupil_vs_year_group,
)
from analytics.pupils.spells import absence_spells, longest_streak, spells_sql
from analytics.pupils.time_lost import time_lost
from analytics.pupils.trajectory import half_term_attendance_sql, rule_of_three, trajectory

__all__ = [
    "absence_spells",
    "find_pupils",
    "half_term_attendance_sql",
    "longest_streak",
    "pupil_calendar",
    "pupil_lesson_absence_by_subject",
    "pupil_patterns",
    "pupil_profile",
    "pupil_vs_year_group",
    "rule_of_three",
    "spells_sql",
    "time_lost",
    "trajectory",
]

"""Where and when absence happens: weekdays and sessions, weeks, holidays, reasons, lessons.

Every function builds on ``measures.marks_sql`` (session marks, or lesson marks
with ``table="lesson_marks"``), so the code table alone says what counts as
possible, absent, authorised, unauthorised or late. Grouping happens in DuckDB;
each function returns the few rows a chart or table needs. Weekdays are ISO
numbers (1 = Monday) with a ``weekday_name``; rates are percentages (0-100).

Rooms: ``weekdays`` (weekday x session), ``weeks`` (weekly trend, control
limits, half-terms), ``holidays`` (either side of a break), ``reasons`` (codes
over time), ``lessons`` (lesson registers and post-registration absence).
"""

from analytics.filters import school_filter
from analytics.patterns.holidays import HOLIDAY_NAMES, holiday_effect
from analytics.patterns.lessons import (
    LESSON_COUNTS_SQL,
    POST_REGISTRATION_BY,
    lesson_absence_by_period_weekday,
    lesson_absence_by_subject,
    post_registration_absence,
    post_registration_sql,
)
from analytics.patterns.reasons import REASON_PERIODS, reasons_over_time
from analytics.patterns.weekdays import WEEKDAY_COUNTS, absence_by_weekday_session, weekday_names
from analytics.patterns.weeks import academic_week, term_boundaries, weekly_control, weekly_trend

__all__ = [
    "HOLIDAY_NAMES",
    "LESSON_COUNTS_SQL",
    "POST_REGISTRATION_BY",
    "REASON_PERIODS",
    "WEEKDAY_COUNTS",
    "absence_by_weekday_session",
    "academic_week",
    "holiday_effect",
    "lesson_absence_by_period_weekday",
    "lesson_absence_by_subject",
    "post_registration_absence",
    "post_registration_sql",
    "reasons_over_time",
    "school_filter",
    "term_boundaries",
    "weekday_names",
    "weekly_control",
    "weekly_trend",
]

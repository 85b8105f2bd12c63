"""Pupil groups: each group against the rest of the school and the national figure.

A breakdown is one scan of the enrolment totals (``cells``); small numbers are
suppressed as published statistics are (``suppression``); every figure carries
its 95% interval with pupils as the unit (``analytics.uncertainty``).

| module | holds |
|---|---|
| ``labels.py`` | how values read (``group_label``, ``ethnicity_names``) |
| ``suppression.py`` | small groups and small counts hidden, and what would give them away |
| ``cells.py`` | each group's sums, rates and intervals against the rest, in one query |
| ``breakdown.py`` | ``group_breakdown``, ``intersection_breakdown`` |
| ``trend.py`` | ``group_gap_trend`` |
| ``changes.py`` | ``biggest_changes``, ``change_contributions`` |
| ``funnel.py`` | ``unit_funnel`` |

Within one school and year an enrolment is a pupil; across years a pupil
counts once per year, as the DfE counts enrolments.
"""

from analytics.groups.breakdown import group_breakdown, intersection_breakdown
from analytics.groups.changes import DEFAULT_CHANGE_GROUPS, biggest_changes, change_contributions, whole_change
from analytics.groups.funnel import FUNNEL_BY, FUNNEL_MEASURES, unit_funnel
from analytics.groups.labels import ethnicity_names, group_label
from analytics.groups.suppression import MIN_COUNT, MIN_GROUP_SIZE, SECONDARY_COUNT_REASON, SECONDARY_REASON
from analytics.groups.trend import FREQUENCIES, group_gap_trend

__all__ = [
    "DEFAULT_CHANGE_GROUPS",
    "FREQUENCIES",
    "FUNNEL_BY",
    "FUNNEL_MEASURES",
    "MIN_COUNT",
    "MIN_GROUP_SIZE",
    "SECONDARY_COUNT_REASON",
    "SECONDARY_REASON",
    "biggest_changes",
    "change_contributions",
    "ethnicity_names",
    "group_breakdown",
    "group_gap_trend",
    "group_label",
    "intersection_breakdown",
    "unit_funnel",
    "whole_change",
]

"""Is it real? Intervals, gaps beyond chance, funnel plots and control limits.

A pupil's sessions are not independent: a pupil off with flu misses ten in a
row, and a persistently absent pupil misses many all year. So the unit here is
the pupil (the enrolment), never the session. Everything here is plain
arithmetic on a few numbers per group; the SQL only supplies the sums.

| module | holds |
|---|---|
| ``intervals.py`` | the cluster sums (``cluster_sums_sql``), a rate's and a proportion's interval, a group's gap to the rest, changes (``intervals``, ``with_intervals``, ``change``, ``paired_change``) |
| ``limits.py`` | over-dispersion, funnel plots and Laney's p' control chart (``dispersion``, ``funnel``, ``control_limits``) |
"""

from analytics.uncertainty.intervals import (
    CONFIDENCE,
    INTERVAL_COLUMNS,
    PAIRED_PRODUCTS,
    SESSION_MEASURES,
    change,
    cluster_sum_columns,
    cluster_sums_sql,
    intervals,
    paired_change,
    proportion_gap,
    proportion_interval,
    rate_interval,
    ratio_gap,
    ratio_variance,
    wilson,
    with_intervals,
)
from analytics.uncertainty.limits import (
    CONTROL_SIGMAS,
    FUNNEL_LEVELS,
    control_limits,
    dispersion,
    funnel,
    funnel_limits,
    level_name,
)

__all__ = [
    "CONFIDENCE",
    "CONTROL_SIGMAS",
    "FUNNEL_LEVELS",
    "INTERVAL_COLUMNS",
    "PAIRED_PRODUCTS",
    "SESSION_MEASURES",
    "change",
    "cluster_sum_columns",
    "cluster_sums_sql",
    "control_limits",
    "dispersion",
    "funnel",
    "funnel_limits",
    "intervals",
    "level_name",
    "paired_change",
    "proportion_gap",
    "proportion_interval",
    "rate_interval",
    "ratio_gap",
    "ratio_variance",
    "wilson",
    "with_intervals",
]

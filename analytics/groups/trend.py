"""One group against the rest, period by period (half-term, month or week)."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics import measures
from analytics.filters import Filter
from analytics.groups.labels import _check
from analytics.groups.suppression import MIN_COUNT, MIN_GROUP_SIZE, _gap, _small_count

FREQUENCIES = ("half_term", "month", "week")


def _period_sql(freq: str) -> tuple[str, str, list[str], str, str]:
    """(join, per-mark period columns, their names, grouping over them, label) for a trend frequency.

    Periods are grouped by plain dates and term names; the label string is built
    only on the few result rows (building it per mark dominated the query).
    """
    if freq in ("week", "month"):
        fmt = "%Y-%m-%d" if freq == "week" else "%Y-%m"
        return (
            "",
            f"date_trunc('{freq}', m.date)::DATE AS period_start",
            [],
            "period_start",
            (f"strftime(period_start, '{fmt}')"),
        )
    # Each half-term expanded to its days: an equality join, far cheaper than a range test per mark.
    join = """
        JOIN (SELECT school_id, academic_year, term, half_term, start_date,
                     unnest(generate_series(start_date, end_date, INTERVAL 1 DAY))::DATE AS day
              FROM calendar) cal
          ON cal.school_id = m.school_id AND cal.academic_year = m.academic_year AND cal.day = m.date
    """
    label = "academic_year::VARCHAR || ' ' || upper(term[1]) || term[2:] || ' ' || half_term"
    cols = "cal.term, cal.half_term, cal.start_date AS period_start"
    return join, cols, ["term", "half_term"], "academic_year, term, half_term", label


def group_gap_trend(
    con: duckdb.DuckDBPyConnection,
    f: Filter,
    by: str,
    value,
    freq: str = "half_term",
    min_size: int = MIN_GROUP_SIZE,
) -> pd.DataFrame:
    """Overall absence of one group against the rest, period by period, and the gap between them.

    ``freq``: 'half_term' (from the school calendar; marks outside it are left
    out), 'month' or 'week' (weeks start on Monday). Columns: ``period``,
    ``period_start``, ``group_pupils``, ``group_possible_sessions``,
    ``group_overall_absence_rate``, ``rest_pupils``, ``rest_possible_sessions``,
    ``rest_overall_absence_rate``, ``group_persistent_absence_rate``,
    ``rest_persistent_absence_rate``, ``overall_absence_gap``,
    ``persistent_absence_gap`` (points), ``suppressed``, ``suppression_reason``.
    Absence rates are over the period's sessions; persistent absence, which
    the DfE judges only year to date, is each enrolment's year to date at the
    end of the period.
    Pupils are counted as enrolments with a possible session in the period.
    """
    column = _check(by)  # a checked name: the marks carry each group as its own column
    if freq not in FREQUENCIES:
        raise ValueError(f"unknown frequency {freq!r}: choose from {', '.join(FREQUENCIES)}")
    marks, params = measures.marks_sql(f, pupils=by in ("gender", "ethnicity"))
    join, period_cols, period_names, period_group, label = _period_sql(freq)
    keys = ", ".join(["m.school_id", "m.upn", "m.academic_year", *[f"cal.{n}" for n in period_names], "period_start"])
    # Counted per enrolment and period first, so pupils are counted without a DISTINCT over every mark.
    # Persistent absence is the DfE's year-to-date measure: each enrolment's sessions summed from the
    # start of the year to the end of each period, judged against 10% there.
    ytd_persistent = measures.persistent_sql("ytd_absence", "ytd_possible")
    sql = f"""
        WITH per AS (
            SELECT m.school_id, m.upn, m.academic_year, {period_cols},
                   any_value(m.{column} IS NOT DISTINCT FROM ?) AS in_group,
                   count_if(m.possible) AS possible_sessions,
                   count_if(m.absent)   AS absence_sessions
            FROM ({marks}) m
            {join}
            GROUP BY {keys}
        ),
        cum AS (
            SELECT *,
                   sum(possible_sessions) OVER w AS ytd_possible,
                   sum(absence_sessions) OVER w AS ytd_absence
            FROM per
            WINDOW w AS (PARTITION BY school_id, upn, academic_year ORDER BY period_start
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ),
        x AS (
            SELECT {label} AS period, min(period_start) AS period_start,
                   count(*) FILTER (WHERE in_group AND possible_sessions > 0)     AS group_pupils,
                   coalesce(sum(possible_sessions) FILTER (WHERE in_group), 0)   AS group_possible_sessions,
                   coalesce(sum(absence_sessions) FILTER (WHERE in_group), 0)    AS group_absence_sessions,
                   count(*) FILTER (WHERE NOT in_group AND possible_sessions > 0) AS rest_pupils,
                   coalesce(sum(possible_sessions) FILTER (WHERE NOT in_group), 0) AS rest_possible_sessions,
                   coalesce(sum(absence_sessions) FILTER (WHERE NOT in_group), 0)  AS rest_absence_sessions,
                   count(*) FILTER (WHERE in_group AND ytd_possible > 0)          AS group_ytd_pupils,
                   count(*) FILTER (WHERE in_group AND {ytd_persistent})          AS group_persistent_count,
                   count(*) FILTER (WHERE NOT in_group AND ytd_possible > 0)      AS rest_ytd_pupils,
                   count(*) FILTER (WHERE NOT in_group AND {ytd_persistent})      AS rest_persistent_count
            FROM cum GROUP BY {period_group}
        )
        SELECT period, period_start, group_pupils, group_possible_sessions::BIGINT AS group_possible_sessions,
               {measures.rate_sql("group_absence_sessions", "group_possible_sessions")} AS group_overall_absence_rate,
               rest_pupils, rest_possible_sessions::BIGINT AS rest_possible_sessions,
               {measures.rate_sql("rest_absence_sessions", "rest_possible_sessions")}   AS rest_overall_absence_rate,
               {measures.rate_sql("group_persistent_count", "group_ytd_pupils")}       AS group_persistent_absence_rate,
               {measures.rate_sql("rest_persistent_count", "rest_ytd_pupils")}         AS rest_persistent_absence_rate,
               group_absence_sessions, group_persistent_count
        FROM x ORDER BY period_start, period
    """
    cur = con.execute(sql, [value, *params])
    names = [d[0] for d in cur.description]
    rows = []
    for raw in cur.fetchall():
        row = measures._clean(dict(zip(names, raw, strict=True)))
        absence, persistent = row.pop("group_absence_sessions"), row.pop("group_persistent_count")
        row["overall_absence_gap"] = _gap(row["group_overall_absence_rate"], row["rest_overall_absence_rate"])
        row["persistent_absence_gap"] = _gap(row["group_persistent_absence_rate"], row["rest_persistent_absence_rate"])
        small = row["group_pupils"] < min_size or row["rest_pupils"] < min_size
        row["suppressed"] = small
        row["suppression_reason"] = f"fewer than {min_size} pupils" if small else None
        if small:
            for c in [*names[2:-2], "overall_absence_gap", "persistent_absence_gap"]:
                row[c] = None
        elif not f.scope.pupil_level:
            # As in group_breakdown: no rate built on 1 or 2 sessions or pupils for a governor.
            for count, cols in (
                (absence, ("group_overall_absence_rate", "rest_overall_absence_rate", "overall_absence_gap")),
                (
                    persistent,
                    ("group_persistent_absence_rate", "rest_persistent_absence_rate", "persistent_absence_gap"),
                ),
            ):
                if _small_count(count):
                    for c in cols:
                        row[c] = None
                    row["suppression_reason"] = f"{MIN_COUNT - 2} or {MIN_COUNT - 1} pupils or sessions, not shown"
        rows.append(row)
    columns = [*names[:-2], "overall_absence_gap", "persistent_absence_gap", "suppressed", "suppression_reason"]
    return pd.DataFrame(rows, columns=columns, dtype=object)

"""Each group's sums, rates and intervals against the rest, from one scan of the enrolment totals.

Every figure comes from ``measures.enrolment_totals_sql`` (one row per
enrolment, the one definition of the measures); this module only groups those
rows. A group's "rest" is everyone the filter covers who is not in the group,
computed as the whole minus the group (sessions and enrolments are additive).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics import measures, uncertainty
from analytics.filters import Filter
from analytics.groups.labels import _typed
from analytics.groups.suppression import _figure_columns, _gap, _hide, _hide_small_counts


def _cells(con: duckdb.DuckDBPyConnection, f: Filter, groupings: list[tuple[str, ...]]) -> list[dict]:
    """Sums and rates for every value (combination) of each grouping, with the rest of the filter.

    One query: the enrolment totals are computed once, then unrolled into one
    row per (grouping, value) so several breakdowns cost a single scan.
    """
    totals, params = measures.enrolment_totals_sql(f)
    width = max(len(g) for g in groupings)
    selects = []
    for g in groupings:
        # ``g`` holds names checked against GROUP_COLUMNS, never user text.
        values = [f"CAST(t.{b} AS VARCHAR) AS v{i}" for i, b in enumerate(g)]
        values += [f"NULL::VARCHAR AS v{i}" for i in range(len(g), width)]
        selects.append(f"SELECT '{'|'.join(g)}' AS grouping, {', '.join(values)}, t.* FROM t")
    value_cols = ", ".join(f"v{i}" for i in range(width))
    sums = [*measures.SUM_COLUMNS, *uncertainty.cluster_sum_columns()]
    rest = ", ".join(f"a.{c} - g.{c} AS rest_{c}" for c in sums)
    # The squares and products per enrolment beside the sums give every interval from the same scan.
    all_sums = f"{measures.ENROLMENT_SUMS_SQL}, {uncertainty.cluster_sums_sql()}"
    sql = f"""
        WITH t AS MATERIALIZED ({totals}),
        long AS ({" UNION ALL ".join(selects)}),
        g AS (SELECT grouping, {value_cols}, {all_sums} FROM long GROUP BY grouping, {value_cols}),
        a AS (SELECT {all_sums} FROM t),
        r AS (SELECT g.*, {rest} FROM g CROSS JOIN a WHERE g.enrolments > 0)
        SELECT r.*, {measures.rates_sql()}, {measures.rates_sql("rest_", "rest_")} FROM r
    """
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        d = measures._clean(dict(zip(names, row, strict=True)))
        bys = d.pop("grouping").split("|")
        d["values"] = tuple(_typed(b, d.pop(f"v{i}")) for i, b in enumerate(bys))
        for i in range(len(bys), width):
            d.pop(f"v{i}")
        d["bys"] = tuple(bys)
        out.append(d)
    return out


def _split_sums(cell: dict) -> tuple[dict, dict]:
    """A cell's own sums and its rest's, each under the plain names ``uncertainty.intervals`` reads."""
    names = [*measures.SUM_COLUMNS, *uncertainty.cluster_sum_columns()]
    return {c: cell.get(c) for c in names}, {c: cell.get(f"rest_{c}") for c in names}


def _finish(cell: dict, min_size: int, pupil_level: bool = True) -> dict:
    """Add the gaps and intervals and apply suppression to one cell."""
    row = dict(cell)
    row.update(uncertainty.intervals(*_split_sums(row)))
    for c in uncertainty.cluster_sum_columns():
        row.pop(c, None)
        row.pop(f"rest_{c}", None)
    row["overall_absence_gap"] = _gap(row["overall_absence_rate"], row["rest_overall_absence_rate"])
    row["persistent_absence_gap"] = _gap(row["persistent_absence_rate"], row["rest_persistent_absence_rate"])
    row["attendance_gap"] = _gap(row["attendance_rate"], row["rest_attendance_rate"])
    small = row["enrolments"] < min_size or row["rest_enrolments"] < min_size
    row["suppressed"], row["suppression_reason"] = False, None
    if small:
        _hide(row, f"fewer than {min_size} pupils")
    elif not pupil_level:
        _hide_small_counts(row)
    return row


def _frame(rows: list[dict], leading: list[str]) -> pd.DataFrame:
    columns = [*leading, *_figure_columns()]
    extra = [c for c in (rows[0] if rows else {}) if c not in columns]
    # object dtype so a suppressed figure is None, not NaN, in every export.
    return pd.DataFrame(rows, columns=[*columns, *extra], dtype=object)

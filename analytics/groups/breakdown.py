"""Breakdowns: each value of a group (or each combination of two) against the rest and the national figure."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics import national
from analytics.filters import Filter
from analytics.groups.cells import _cells, _finish, _frame
from analytics.groups.labels import _check, _sort_key, group_label
from analytics.groups.suppression import MIN_GROUP_SIZE, _gap, _protect, _protect_counts


def group_breakdown(con: duckdb.DuckDBPyConnection, f: Filter, by: str, min_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """Each value of one pupil group with its measures, the rest of the school's, the gap and the national figure.

    Columns: ``by``, ``group`` (the value: True/False, 'E'/'K'/'N', year number,
    form, gender, ethnicity; None = unknown), ``label``; the sums and rates of
    ``measures`` (``enrolments``, ``possible_sessions`` ... ``severe_absence_rate``);
    the same prefixed ``rest_``; ``overall_absence_gap``, ``persistent_absence_gap``
    and ``attendance_gap`` (group minus rest, percentage points); the national
    comparator ``national_overall_absence_rate``, ``national_persistent_absence_rate``,
    and the group's gap to it ``national_overall_absence_gap``, ``national_persistent_absence_gap``
    (points), ``national_period``, ``national_source`` or ``national_note`` where none exists;
    ``suppressed`` and ``suppression_reason``; the 95% intervals and whether the
    group differs from the rest beyond chance (``uncertainty.INTERVAL_COLUMNS``:
    ``overall_absence_rate_low`` / ``_high`` ... ``beyond_chance``), pupils as the unit.

    Without pupil-level access (governors) a rate whose count is 1 or 2 pupils
    or sessions is not shown either, with the reason, and nor is the one that
    would give it away by subtraction.
    """
    _check(by)
    cells = sorted(_cells(con, f, [(by,)]), key=lambda c: _sort_key(c["values"][0]))
    rows = []
    for cell in cells:
        value = cell["values"][0]
        row = {"by": by, "group": value, "label": group_label(by, value)}
        row.update({k: v for k, v in cell.items() if k not in ("values", "bys")})
        rows.append(_finish(row, min_size, f.scope.pupil_level))
    _protect(rows, [list(range(len(rows)))])
    if not f.scope.pupil_level:
        _protect_counts(rows, [list(range(len(rows)))])
    for row in rows:
        value = row["group"]
        nat = national.national_by_characteristic(by, value) if value is not None else None
        shown = nat is not None and not row["suppressed"]
        row["national_overall_absence_rate"] = nat["overall_absence_rate"] if shown else None
        row["national_persistent_absence_rate"] = nat["persistent_absence_rate"] if shown else None
        row["national_overall_absence_gap"] = _gap(row["overall_absence_rate"], row["national_overall_absence_rate"])
        row["national_persistent_absence_gap"] = _gap(
            row["persistent_absence_rate"], row["national_persistent_absence_rate"]
        )
        row["national_period"] = nat["period"] if nat else None
        row["national_source"] = nat["source"] if nat else None
        row["national_note"] = None if nat else national.no_national_figure(by)
    return _frame(rows, ["by", "group", "label"])


def intersection_breakdown(
    con: duckdb.DuckDBPyConnection, f: Filter, by_a: str, by_b: str, min_size: int = MIN_GROUP_SIZE
) -> pd.DataFrame:
    """Each combination of two groups (e.g. FSM x SEN) against everyone else the filter covers.

    Columns: ``by_a``, ``group_a``, ``label_a``, ``by_b``, ``group_b``, ``label_b``,
    ``label`` ('FSM, SEN support'), then the figures as in ``group_breakdown``
    (without the national comparator, which is not published for combinations).
    """
    _check(by_a)
    _check(by_b)
    if by_a == by_b:
        raise ValueError("choose two different groups to intersect")
    cells = sorted(_cells(con, f, [(by_a, by_b)]), key=lambda c: (_sort_key(c["values"][0]), _sort_key(c["values"][1])))
    rows = []
    for cell in cells:
        a, b = cell["values"]
        row = {
            "by_a": by_a,
            "group_a": a,
            "label_a": group_label(by_a, a),
            "by_b": by_b,
            "group_b": b,
            "label_b": group_label(by_b, b),
            "label": f"{group_label(by_a, a)}, {group_label(by_b, b)}",
        }
        row.update({k: v for k, v in cell.items() if k not in ("values", "bys")})
        rows.append(_finish(row, min_size, f.scope.pupil_level))
    # Each row and column of the grid adds up to a group shown in its own breakdown, and the grid to the whole.
    lines = [list(range(len(rows)))]
    for key in ("group_a", "group_b"):
        by_value: dict = {}
        for i, row in enumerate(rows):
            by_value.setdefault(row[key], []).append(i)
        lines += list(by_value.values())
    _protect(rows, lines)
    if not f.scope.pupil_level:
        _protect_counts(rows, lines)
    return _frame(rows, ["by_a", "group_a", "label_a", "by_b", "group_b", "label_b", "label"])

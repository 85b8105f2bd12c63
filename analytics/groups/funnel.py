"""Funnel plots of forms and year groups: each unit's rate against its size, within control limits."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics import uncertainty
from analytics.filters import Filter
from analytics.groups.cells import _cells, _split_sums
from analytics.groups.labels import _check, _sort_key, group_label
from analytics.groups.suppression import MIN_GROUP_SIZE, _small_count

FUNNEL_BY = ("form", "year_group")
FUNNEL_MEASURES = ("overall_absence", "persistent_absence")


def unit_funnel(
    con: duckdb.DuckDBPyConnection,
    f: Filter,
    by: str = "form",
    measure: str = "overall_absence",
    min_size: int = MIN_GROUP_SIZE,
) -> dict:
    """A funnel plot of one kind of unit (forms, year groups): each unit's rate against its size.

    Overall absence is out of possible sessions, with limits widened by the
    over-dispersion between pupils (``uncertainty.dispersion``); persistent
    absence is out of pupils (binomial). Limits (95% and 99.8%) sit around the
    rate of everyone the filter covers. Units with fewer than ``min_size``
    pupils are left out (and, without pupil-level access, a persistent absence
    count of 1 or 2). Returns a dict: ``units`` (``by``, ``group``, ``label``,
    ``enrolments``, ``size``, ``events``, ``rate``, ``low_95``, ``high_95``,
    ``low_99_8``, ``high_99_8`` as percentages, ``beyond_95``, ``beyond_99_8``,
    ``position``: 'high', 'low' or 'within' the 99.8% limits), ``curve`` (the
    limits over a range of sizes), ``target`` (%), ``scale`` (the
    over-dispersion), ``size_name`` ('possible sessions' or 'pupils').
    """
    _check(by)
    if measure not in FUNNEL_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(FUNNEL_MEASURES)}")
    cells = _cells(con, f, [(by,)])
    empty = {"units": pd.DataFrame(), "curve": pd.DataFrame(), "target": None, "scale": None, "size_name": None}
    if not cells:
        return empty
    whole = {c: (cells[0].get(c) or 0) + (cells[0].get(f"rest_{c}") or 0) for c in _split_sums(cells[0])[0]}
    if measure == "overall_absence":
        size_col, events_col, size_name = "possible_sessions", "absence_sessions", "possible sessions"
        scale = uncertainty.dispersion(
            whole["enrolments"],
            whole["absence_sessions"],
            whole["possible_sessions"],
            whole["overall_absence_yy"],
            whole["mm"],
            whole["overall_absence_ym"],
        )
    else:
        size_col, events_col, size_name, scale = "enrolments", "persistent_absence_count", "pupils", 1.0
    target = whole[events_col] / whole[size_col] if whole[size_col] else None
    if target is None:
        return empty
    rows = []
    for cell in sorted(cells, key=lambda c: _sort_key(c["values"][0])):
        if cell["enrolments"] < min_size:
            continue
        if not f.scope.pupil_level and _small_count(cell[events_col]):
            continue
        value = cell["values"][0]
        rows.append(
            {
                "by": by,
                "group": value,
                "label": group_label(by, value),
                "enrolments": cell["enrolments"],
                "size": cell[size_col],
                "events": cell[events_col],
            }
        )
    if not rows:
        return empty
    units, curve = uncertainty.funnel(pd.DataFrame(rows), target=target, scale=scale)
    pct = ["rate", "target", *[c for c in units.columns if c.startswith(("low_", "high_"))]]
    units[pct] = units[pct] * 100
    curve[[c for c in curve.columns if c != "size"]] = curve[[c for c in curve.columns if c != "size"]] * 100
    return {"units": units, "curve": curve, "target": 100 * target, "scale": scale, "size_name": size_name}

"""Funnel plots and control charts: is a unit, or a week, further out than chance explains?

- a funnel plot's control limits widen a binomial limit by the over-dispersion
  between pupils (a quasi-binomial scale factor estimated from the cluster sums
  of ``intervals.py``);
- a weekly trend gets p-chart limits widened by the ordinary week-to-week
  variation (Laney's p' chart).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from analytics.uncertainty.intervals import _z

FUNNEL_LEVELS = (0.95, 0.998)  # funnel plots: the conventional warning (2 sd) and control (3 sd) limits
CONTROL_SIGMAS = 3.0  # control charts: Shewhart's three-sigma limits


# --- funnel plots -----------------------------------------------------------------------------


def dispersion(n: int, y: float, m: float, yy: float, mm: float, ym: float) -> float:
    """The over-dispersion between pupils: how much more a rate varies than if sessions were independent.

    The quasi-binomial scale factor ``sum((y - p m)^2) / (p (1 - p) M)`` over
    every pupil (1 = no clustering), never below 1.
    """
    if not m or n < 2:
        return 1.0
    p = y / m
    if p <= 0 or p >= 1:
        return 1.0
    residual = max(yy - 2 * p * ym + p * p * mm, 0.0)
    return max(1.0, n / (n - 1) * residual / (p * (1 - p) * m))


def funnel_limits(target: float, sizes: Iterable[float], scale: float = 1.0, levels=FUNNEL_LEVELS) -> pd.DataFrame:
    """Control limits around ``target`` (a proportion 0-1) for units of each size.

    ``size`` is what the rate is out of (possible sessions, or pupils); the
    limits are ``target +/- z sqrt(scale * target (1 - target) / size)`` cut
    to 0-1, with ``scale`` the over-dispersion (1 for a plain binomial).
    Columns: ``size``, then ``low_95`` / ``high_95`` ... per level (as in
    ``level_name``), all proportions.
    """
    sizes = np.asarray(list(sizes), dtype=float)
    out = pd.DataFrame({"size": sizes})
    sd = np.sqrt(scale * target * (1 - target) / np.where(sizes > 0, sizes, np.nan))
    for level in levels:
        z = _z(level)
        name = level_name(level)
        out[f"low_{name}"] = np.clip(target - z * sd, 0, 1)
        out[f"high_{name}"] = np.clip(target + z * sd, 0, 1)
    return out


def level_name(level: float) -> str:
    """0.95 -> '95', 0.998 -> '99_8': a column suffix."""
    return f"{100 * level:g}".replace(".", "_")


def funnel(
    units: pd.DataFrame, target: float | None = None, scale: float = 1.0, levels=FUNNEL_LEVELS, points: int = 60
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A funnel plot for any units (forms, year groups, schools): each unit's rate against its size.

    ``units`` needs ``size`` and ``events`` (the rate's numerator: absence
    sessions out of possible sessions, or persistently absent pupils out of
    pupils); other columns (the unit's name and value) are kept. ``target``
    defaults to the pooled rate; ``scale`` is the over-dispersion (see
    ``dispersion``). Returns ``(units, curve)``: the units with ``rate`` (0-1),
    their limits and ``position`` ('high', 'low' or 'within' the widest
    level's limits) and ``beyond_{level}``; and the limits over a smooth range
    of sizes for drawing.
    """
    units = units.copy()
    size = pd.to_numeric(units["size"], errors="coerce").astype(float)
    events = pd.to_numeric(units["events"], errors="coerce").astype(float)
    if target is None:
        target = float(events.sum() / size.sum()) if size.sum() > 0 else 0.0
    units["rate"] = events / size.where(size > 0)
    limits = funnel_limits(target, size, scale, levels)
    widest = level_name(max(levels))
    for level in levels:
        name = level_name(level)
        units[f"low_{name}"] = limits[f"low_{name}"].to_numpy()
        units[f"high_{name}"] = limits[f"high_{name}"].to_numpy()
        units[f"beyond_{name}"] = (units["rate"] > units[f"high_{name}"]) | (units["rate"] < units[f"low_{name}"])
    units["position"] = np.where(
        units["rate"] > units[f"high_{widest}"],
        "high",
        np.where(units["rate"] < units[f"low_{widest}"], "low", "within"),
    )
    units["target"] = target
    positive = size[size > 0]
    if positive.empty:
        curve = funnel_limits(target, [], scale, levels)
    else:
        lo, hi = max(positive.min() * 0.7, 1.0), positive.max() * 1.15
        curve = funnel_limits(target, np.geomspace(lo, hi, points), scale, levels)
    curve["target"] = target
    return units, curve


# --- control charts ---------------------------------------------------------------------------


def control_limits(
    events: Iterable[float], sizes: Iterable[float], centre: float | None = None, sigmas: float = CONTROL_SIGMAS
) -> pd.DataFrame:
    """Laney's p' chart: limits for each period's rate that allow for ordinary period-to-period variation.

    A plain p chart treats every session as independent and, with thousands of
    sessions a week, flags almost every week. Laney's chart measures how much
    the weeks really vary (the average moving range of their z-scores,
    ``sigma_z``, never below 1) and widens the limits by it.
    Columns: ``rate``, ``centre``, ``low``, ``high`` (proportions), ``sigma_z``,
    ``signal`` ('high', 'low' or None). Fewer than three periods: no limits.
    """
    events = np.asarray(list(events), dtype=float)
    sizes = np.asarray(list(sizes), dtype=float)
    rate = np.divide(events, sizes, out=np.full(len(sizes), np.nan), where=sizes > 0)
    if centre is None:
        centre = float(events.sum() / sizes.sum()) if sizes.sum() > 0 else float("nan")
    out = pd.DataFrame({"rate": rate, "centre": centre})
    ok = sizes > 0
    if ok.sum() < 3 or not 0 < centre < 1:
        out["low"] = out["high"] = np.nan
        out["sigma_z"] = np.nan
        out["signal"] = None
        return out
    sd = np.sqrt(centre * (1 - centre) / np.where(ok, sizes, np.nan))
    z = (rate - centre) / sd
    moving = np.abs(np.diff(z[ok]))
    sigma_z = max(1.0, float(np.mean(moving)) / 1.128)  # d2 for ranges of two
    out["low"] = np.clip(centre - sigmas * sigma_z * sd, 0, 1)
    out["high"] = np.clip(centre + sigmas * sigma_z * sd, 0, 1)
    out["sigma_z"] = sigma_z
    out["signal"] = np.where(rate > out["high"], "high", np.where(rate < out["low"], "low", None))
    out.loc[~ok, "signal"] = None
    return out

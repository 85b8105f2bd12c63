"""Is it real? Intervals and gaps beyond chance for a group's rates (``analytics.uncertainty``).

A pupil's sessions are not independent: a pupil off with flu misses ten in a
row, and a persistently absent pupil misses many all year. So the unit here is
the pupil (the enrolment), never the session:

- a session rate (overall, authorised, unauthorised absence) is a ratio of two
  sums over enrolments, ``R = sum(y) / sum(m)``; its variance is the standard
  ratio-estimator (cluster) variance ``n/(n-1) * sum((y - R m)^2) / M^2``,
  worked out from five additive sums per group (``CLUSTER_SUMS_SQL``) that the
  database adds up with everything else, so a breakdown stays one scan;
- persistent absence is a proportion of enrolments, so pupils are already the
  unit (Wilson interval; Newcombe's interval for a difference);
- funnel plots and control charts are in ``limits.py``.

Everything here is plain arithmetic on a few numbers per group; the SQL only
supplies the sums.
"""

from __future__ import annotations

import math
from functools import lru_cache

# scipy.special, not scipy.stats: the same quantiles without a second of imports on every first page view
from scipy import special

CONFIDENCE = 0.95  # intervals and "beyond chance": the usual 95% level

# Session measures: the rate's numerator column in the per-enrolment totals, and its name in outputs.
SESSION_MEASURES = {
    "overall_absence": "absence_sessions",
    "authorised_absence": "authorised_sessions",
    "unauthorised_absence": "unauthorised_sessions",
}


def cluster_sums_sql(prefix: str = "") -> str:
    """Extra additive sums over per-enrolment totals ``t`` for the cluster variances.

    For each session measure with numerator ``y``: ``sum(y^2)`` and ``sum(y*m)``,
    plus ``sum(m^2)`` once (``m`` = possible sessions). Only enrolments with a
    possible session count, as in the measures. Like every other sum, a
    group's "rest" is the whole minus the group.
    """
    parts = [f"coalesce(sum(possible_sessions::DOUBLE * possible_sessions), 0) AS {prefix}mm"]
    for name, y in SESSION_MEASURES.items():
        parts.append(f"coalesce(sum({y}::DOUBLE * {y}), 0) AS {prefix}{name}_yy")
        parts.append(f"coalesce(sum({y}::DOUBLE * possible_sessions), 0) AS {prefix}{name}_ym")
    return ",\n".join(parts)


def cluster_sum_columns() -> list[str]:
    return ["mm", *[f"{n}_{s}" for n in SESSION_MEASURES for s in ("yy", "ym")]]


# --- intervals --------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _z(confidence: float = CONFIDENCE) -> float:
    return float(special.ndtri(0.5 + confidence / 2))


@lru_cache(maxsize=4096)
def _t_quantile(df: float, confidence: float) -> float:
    return float(special.stdtrit(df, 0.5 + confidence / 2))


def _t(df: float, confidence: float = CONFIDENCE) -> float:
    """Student's t quantile; degrees of freedom rounded (to 0.1, or 1 past 100) so a breakdown reuses them."""
    df = max(float(df), 1.0)
    if df > 10_000:
        return _z(confidence)
    return _t_quantile(round(df, 1) if df < 100 else float(round(df)), confidence)


def ratio_variance(n: int, y: float, m: float, yy: float, mm: float, ym: float) -> float | None:
    """Variance of ``R = y / m`` (a proportion, 0-1) with enrolments as the unit.

    ``n`` enrolments, ``y`` and ``m`` the summed numerator and possible sessions,
    ``yy``, ``mm``, ``ym`` the summed squares and products. Never smaller than
    the variance if every session were independent (binomial), so a group whose
    pupils all happen to miss the same number of sessions is not judged certain.
    """
    if not n or not m:
        return None
    r = y / m
    binomial = r * (1 - r) / m
    if n < 2:
        return binomial
    residual = max(yy - 2 * r * ym + r * r * mm, 0.0)
    return max(n / (n - 1) * residual / (m * m), binomial)


def wilson(p: float, n_eff: float, z: float) -> tuple[float, float]:
    """Wilson's score interval for a proportion ``p`` from an (effective) sample size ``n_eff``."""
    denom = 1 + z * z / n_eff
    centre = (p + z * z / (2 * n_eff)) / denom
    half = z * math.sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff * n_eff)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def rate_interval(
    n: int, y: float, m: float, yy: float, mm: float, ym: float, confidence: float = CONFIDENCE
) -> tuple[float | None, float | None]:
    """A ``confidence`` interval for a session rate (0-1) that treats pupils as the unit.

    Wilson's interval on the effective number of independent sessions
    (``R(1-R) / variance``, between the number of pupils and of sessions), with
    Student's t on ``n - 1`` degrees of freedom: it stays inside 0-1 and
    behaves for small groups and rates near zero.
    """
    var = ratio_variance(n, y, m, yy, mm, ym)
    if var is None:
        return None, None
    r = y / m
    n_eff = r * (1 - r) / var if var > 0 and 0 < r < 1 else n
    n_eff = min(max(n_eff, 1.0), m)
    return wilson(r, n_eff, _t(n - 1, confidence))


def proportion_interval(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float | None, float | None]:
    """Wilson's interval for ``k`` of ``n`` enrolments (persistent absence)."""
    if not n:
        return None, None
    return wilson(k / n, n, _z(confidence))


def ratio_gap(
    a: dict, b: dict, measure: str = "overall_absence", confidence: float = CONFIDENCE
) -> tuple[float | None, float | None, float | None]:
    """The gap ``rate(a) - rate(b)`` (0-1) with its interval, for two independent sets of pupils.

    ``a`` and ``b`` hold the sums: ``enrolments``, ``possible_sessions``, the
    measure's numerator (``SESSION_MEASURES``) and the cluster sums. Welch's
    degrees of freedom, so a small group against a large rest is judged on the
    small group's few pupils.
    """
    y = SESSION_MEASURES[measure]
    parts = []
    for s in (a, b):
        n, m = s.get("enrolments") or 0, s.get("possible_sessions") or 0
        v = ratio_variance(
            n, s.get(y) or 0, m, s.get(f"{measure}_yy") or 0, s.get("mm") or 0, s.get(f"{measure}_ym") or 0
        )
        if v is None:
            return None, None, None
        parts.append(((s.get(y) or 0) / m, v, n))
    (ra, va, na), (rb, vb, nb) = parts
    var = va + vb
    welch = var * var / ((va * va / max(na - 1, 1)) + (vb * vb / max(nb - 1, 1))) if var > 0 else max(na + nb - 2, 1)
    half = _t(welch, confidence) * math.sqrt(var)
    gap = ra - rb
    return gap, gap - half, gap + half


def proportion_gap(
    k1: int, n1: int, k2: int, n2: int, confidence: float = CONFIDENCE
) -> tuple[float | None, float | None, float | None]:
    """``k1/n1 - k2/n2`` with Newcombe's hybrid score interval (method 10)."""
    if not n1 or not n2:
        return None, None, None
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = proportion_interval(k1, n1, confidence)
    l2, u2 = proportion_interval(k2, n2, confidence)
    gap = p1 - p2
    return gap, gap - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), gap + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def _beyond(low, high) -> bool | None:
    if low is None or high is None:
        return None
    return bool(low > 0 or high < 0)


def _pct(x):
    return None if x is None else 100.0 * x


def intervals(group: dict, rest: dict, confidence: float = CONFIDENCE) -> dict:
    """Every interval for one group against the rest of the pupils the filter covers.

    ``group`` and ``rest`` hold the additive sums (``measures.SUM_COLUMNS`` and
    ``cluster_sum_columns``). Returns percentages: ``{measure}_rate_low`` and
    ``_high`` for overall, authorised, unauthorised and persistent absence; the
    gaps to the rest with ``_gap_low`` / ``_gap_high``; ``beyond_chance`` (the
    overall absence gap's interval excludes zero) and
    ``persistent_absence_beyond_chance``. None where there is nothing to judge.
    """
    out: dict = {}
    n, m = group.get("enrolments") or 0, group.get("possible_sessions") or 0
    for measure, y in SESSION_MEASURES.items():
        low, high = rate_interval(
            n,
            group.get(y) or 0,
            m,
            group.get(f"{measure}_yy") or 0,
            group.get("mm") or 0,
            group.get(f"{measure}_ym") or 0,
            confidence,
        )
        out[f"{measure}_rate_low"], out[f"{measure}_rate_high"] = _pct(low), _pct(high)
    low, high = proportion_interval(group.get("persistent_absence_count") or 0, n, confidence)
    out["persistent_absence_rate_low"], out["persistent_absence_rate_high"] = _pct(low), _pct(high)

    _, low, high = ratio_gap(group, rest, "overall_absence", confidence)
    out["overall_absence_gap_low"], out["overall_absence_gap_high"] = _pct(low), _pct(high)
    # With no other pupils to compare with, a group cannot differ from them.
    out["beyond_chance"] = _beyond(low, high) if rest.get("enrolments") else False
    _, low, high = proportion_gap(
        group.get("persistent_absence_count") or 0,
        n,
        rest.get("persistent_absence_count") or 0,
        rest.get("enrolments") or 0,
        confidence,
    )
    out["persistent_absence_gap_low"], out["persistent_absence_gap_high"] = _pct(low), _pct(high)
    out["persistent_absence_beyond_chance"] = _beyond(low, high)
    return out


INTERVAL_COLUMNS = (
    "overall_absence_rate_low",
    "overall_absence_rate_high",
    "authorised_absence_rate_low",
    "authorised_absence_rate_high",
    "unauthorised_absence_rate_low",
    "unauthorised_absence_rate_high",
    "persistent_absence_rate_low",
    "persistent_absence_rate_high",
    "overall_absence_gap_low",
    "overall_absence_gap_high",
    "beyond_chance",
    "persistent_absence_gap_low",
    "persistent_absence_gap_high",
    "persistent_absence_beyond_chance",
)


def with_intervals(rows: list[dict], confidence: float = CONFIDENCE) -> list[dict]:
    """Add ``intervals`` to each row of a breakdown whose rows together make up the whole.

    The rest of each row is the sum of all rows minus the row (every sum is additive).
    """
    keys = ["enrolments", "possible_sessions", *SESSION_MEASURES.values(), "persistent_absence_count"]
    keys += cluster_sum_columns()
    total = {k: sum((r.get(k) or 0) for r in rows) for k in keys}
    out = []
    for r in rows:
        rest = {k: total[k] - (r.get(k) or 0) for k in keys}
        out.append({**r, **intervals(r, rest, confidence)})
    return out


def change(now: dict, before: dict, measure: str = "overall_absence", confidence: float = CONFIDENCE) -> tuple:
    """A group's change from ``before`` to ``now`` (points) with its interval, judging the periods independent.

    Independence is the cautious reading: where the same pupils are in both
    periods their change is, if anything, less noisy than this says.
    """
    if measure == "persistent_absence":
        gap = proportion_gap(
            now.get("persistent_absence_count") or 0,
            now.get("enrolments") or 0,
            before.get("persistent_absence_count") or 0,
            before.get("enrolments") or 0,
            confidence,
        )
    else:
        gap = ratio_gap(now, before, measure, confidence)
    return tuple(_pct(x) for x in gap)


# Per-pupil pairs across two periods: the products paired_change needs (y: numerator, m: denominator).
PAIRED_PRODUCTS = ("y1y1", "m1m1", "y1m1", "y0y0", "m0m0", "y0m0", "y1y0", "y1m0", "m1y0", "m1m0")


def paired_change(s: dict, confidence: float = CONFIDENCE) -> tuple:
    """A rate's change from period 0 to period 1 (points) with its interval, pupils matched across the periods.

    ``s`` holds, over the pupils in the group in either period, ``n`` (pupils),
    ``y1``, ``m1``, ``y0``, ``m0`` (summed numerators and denominators) and the
    sums of products in ``PAIRED_PRODUCTS``. Each pupil's part in the change is
    linearised, ``(y1 - R1 m1) / M1 - (y0 - R0 m0) / M0``, and the variance is
    the spread of those parts: periods that share pupils (a year to date against
    the same year at the last term's end, overlapping completely) are judged on
    how each pupil changed, periods with different pupils as independent samples.
    """
    n, y1, m1, y0, m0 = (s.get(k) or 0 for k in ("n", "y1", "m1", "y0", "m0"))
    if not m1 or not m0 or n < 2:
        return None, None, None
    r1, r0 = y1 / m1, y0 / m0
    g = {k: s.get(k) or 0 for k in PAIRED_PRODUCTS}
    uu = (g["y1y1"] - 2 * r1 * g["y1m1"] + r1 * r1 * g["m1m1"]) / (m1 * m1)
    ww = (g["y0y0"] - 2 * r0 * g["y0m0"] + r0 * r0 * g["m0m0"]) / (m0 * m0)
    uw = (g["y1y0"] - r0 * g["y1m0"] - r1 * g["m1y0"] + r1 * r0 * g["m1m0"]) / (m1 * m0)
    var = max(n / (n - 1) * (uu + ww - 2 * uw), 0.0)
    half = _t(n - 1, confidence) * math.sqrt(var)
    gap = r1 - r0
    return _pct(gap), _pct(gap - half), _pct(gap + half)

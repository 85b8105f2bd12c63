"""How well a ranking of pupils did: ranking metrics, calibration and fairness by pupil group, with intervals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from analytics.filters import SEN_LABELS

TOP_LEVELS = {"top_10pct": 0.10, "top_20pct": 0.20}  # flagging the top tenth / fifth, as a pastoral team might

MIN_GROUP_PUPILS = 20  # fairness: fewer pupils than this in a group is too few to judge

MIN_GROUP_POSITIVES = 5  # fairness: fewer persistently absent pupils than this is too few to judge recall

CALIBRATION_BINS = 10

FAIRNESS_GROUPS = ("fsm", "sen", "eal", "cin", "lac", "gender", "ethnicity")

_FAIRNESS_COLUMNS = {
    "fsm": "fsm_flag",
    "sen": "sen",
    "eal": "eal_flag",
    "cin": "cin_flag",
    "lac": "lac_flag",
    "gender": "gender",
    "ethnicity": "ethnicity",
}


def top_fraction_flags(scores: np.ndarray, fraction: float) -> np.ndarray:
    """Flags for the highest ``fraction`` of scores (at least one pupil); ties at the edge all flagged."""
    scores = np.asarray(scores, dtype=float)
    if scores.size == 0:
        return np.zeros(0, dtype=bool)
    k = max(1, round(fraction * scores.size))
    edge = np.sort(scores)[::-1][k - 1]
    return scores >= edge


def _expected_top_k(y: np.ndarray, score: np.ndarray, fraction: float) -> tuple[float, float]:
    """Precision and recall when flagging the top ``fraction``, ties broken at random (expected value).

    A yes/no rule ranks its flagged pupils equally; taking k pupils from a tied
    group gives, on average, that group's share of positives.
    """
    n, positives = len(y), int(y.sum())
    k = max(1, round(fraction * n))
    edge = np.sort(score)[::-1][k - 1]
    above, tied = score > edge, score == edge
    tp = y[above].sum() + (k - above.sum()) * y[tied].mean()
    return float(tp / k), (float(tp / positives) if positives else float("nan"))


def ranking_metrics(y: np.ndarray, score: np.ndarray, probability: np.ndarray | None = None) -> dict:
    """ROC-AUC, PR-AUC, precision and recall at the top 10% and 20%, and the Brier score when ``probability``."""
    y = np.asarray(y).astype(int)
    score = np.asarray(score, dtype=float)
    two_classes = len(set(y)) == 2
    out = {
        "roc_auc": float(roc_auc_score(y, score)) if two_classes else None,
        "pr_auc": float(average_precision_score(y, score)) if two_classes else None,
    }
    for name, frac in TOP_LEVELS.items():
        p, r = _expected_top_k(y, score, frac)
        out[f"precision_{name}"] = p
        out[f"recall_{name}"] = None if math.isnan(r) else r
    out["brier"] = float(np.mean((probability - y) ** 2)) if probability is not None else None
    return out


def calibration_table(y: np.ndarray, probability: np.ndarray, bins: int = CALIBRATION_BINS) -> list[dict]:
    """Mean predicted probability against the observed rate, in equal-width bins (empty bins left out)."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(probability, edges[1:-1]), 0, bins - 1)
    rows = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            lo, hi = wilson(int(y[mask].sum()), int(mask.sum()))
            rows.append(
                {
                    "bin_lower": float(edges[b]),
                    "bin_upper": float(edges[b + 1]),
                    "n": int(mask.sum()),
                    "mean_predicted": float(probability[mask].mean()),
                    "observed": float(y[mask].mean()),
                    "observed_ci_low": lo,
                    "observed_ci_high": hi,
                }
            )
    return rows


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float | None, float | None]:
    """Wilson score 95% interval for a proportion (sensible for small groups and rates near 0 or 1)."""
    if n == 0:
        return None, None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _group_value(column: str, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "Unknown"
    if column == "sen":
        return SEN_LABELS.get(value, str(value))
    if isinstance(value, bool | np.bool_):
        return "Yes" if value else "No"
    return str(value)


def fairness_table(frame: pd.DataFrame, probability: np.ndarray, y: np.ndarray) -> dict:
    """Recall, false-positive rate and calibration for each pupil group at each flag level, with Wilson CIs.

    Groups with fewer than MIN_GROUP_PUPILS pupils are suppressed; recall is
    suppressed where fewer than MIN_GROUP_POSITIVES pupils became persistently absent.
    """
    out: dict = {"min_pupils": MIN_GROUP_PUPILS, "min_positives": MIN_GROUP_POSITIVES}
    for level, frac in TOP_LEVELS.items():
        flagged = top_fraction_flags(probability, frac)
        by_group: dict[str, list[dict]] = {}
        for group in FAIRNESS_GROUPS:
            labels = np.array([_group_value(group, v) for v in frame[_FAIRNESS_COLUMNS[group]].astype(object)])
            rows = []
            for value in sorted(set(labels), key=lambda v: (v == "Unknown", v)):
                mask = labels == value
                rows.append(_fairness_row(value, y[mask], flagged[mask], probability[mask]))
            by_group[group] = rows
        out[level] = by_group
    return out


def _fairness_row(value: str, y: np.ndarray, flagged: np.ndarray, probability: np.ndarray) -> dict:
    n, positives = len(y), int(y.sum())
    negatives = n - positives
    row: dict = {"group": value, "pupils": n, "positives": positives, "warning": None}
    if n < MIN_GROUP_PUPILS:
        row["warning"] = f"Too few pupils to judge (fewer than {MIN_GROUP_PUPILS}); figures suppressed."
        return row
    tp, fp = int((flagged & (y == 1)).sum()), int((flagged & (y == 0)).sum())
    row["flagged"] = int(flagged.sum())
    if positives >= MIN_GROUP_POSITIVES:
        row["recall"] = tp / positives
        row["recall_ci"] = list(wilson(tp, positives))
    else:
        row["warning"] = f"Fewer than {MIN_GROUP_POSITIVES} persistently absent pupils: recall not judged."
    if negatives:
        row["false_positive_rate"] = fp / negatives
        row["false_positive_rate_ci"] = list(wilson(fp, negatives))
    row["mean_predicted"] = float(probability.mean())
    row["observed"] = positives / n
    row["observed_ci"] = list(wilson(positives, n))
    return row

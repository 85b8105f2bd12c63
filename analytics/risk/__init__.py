"""The at-risk model: who is likely to end the year persistently absent, judged honestly.

For each pupil on roll at a cut-off date the model gives the probability of
ending the academic year persistently absent (10% or more of their own possible
sessions). It earns its place only by beating, on a year it never saw, the
rules schools already use at the same cut-off:

- ``below_90_to_date``: attendance to date below 90%;
- ``pa_last_year``: persistently absent last year;
- ``absence_rate_rank``: ranking pupils by absence to date.

Method (docs/MODEL.md): features (``features``) at the same point of
each earlier academic year (outcome at that year's end) train a standardised
L2 logistic regression and a small gradient-boosted model; the one with the
better PR-AUC in temporal cross-validation over the training years wins (the
simpler one on a tie) and is calibrated with sigmoid (Platt) scaling on
cross-validated predictions. The latest complete year is the test year, used
once for the report and never for choosing or tuning.

The rooms: ``features`` (what the model knows at a cut-off, and where cut-offs
fall), ``model`` (candidates, choice, calibration, the cache), ``metrics``
(ranking, calibration, fairness), ``backtest`` (the report and ``cli``),
``scoring`` (today's pupils) and ``explanations`` (reasons in plain words).
The model page's headings and sentences are in ``ui/risk_text.py``.
"""

from analytics.risk.backtest import METHODS, NOT_ENOUGH_YEARS, backtest, cli, model_report
from analytics.risk.explanations import explain, reason
from analytics.risk.metrics import (
    CALIBRATION_BINS,
    FAIRNESS_GROUPS,
    MIN_GROUP_POSITIVES,
    MIN_GROUP_PUPILS,
    TOP_LEVELS,
    calibration_table,
    fairness_table,
    ranking_metrics,
    top_fraction_flags,
    wilson,
)
from analytics.risk.model import FittedModel, NotEnoughHistory, clear_cache, fit_model
from analytics.risk.scoring import BANDS, SCORE_COLUMNS, band, score_pupils

__all__ = [
    "BANDS",
    "CALIBRATION_BINS",
    "FAIRNESS_GROUPS",
    "METHODS",
    "MIN_GROUP_POSITIVES",
    "MIN_GROUP_PUPILS",
    "NOT_ENOUGH_YEARS",
    "SCORE_COLUMNS",
    "TOP_LEVELS",
    "FittedModel",
    "NotEnoughHistory",
    "backtest",
    "band",
    "calibration_table",
    "clear_cache",
    "cli",
    "explain",
    "fairness_table",
    "fit_model",
    "model_report",
    "ranking_metrics",
    "reason",
    "score_pupils",
    "top_fraction_flags",
    "wilson",
]

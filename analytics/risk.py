"""The at-risk model: who is likely to end the year persistently absent, judged honestly.

For each pupil on roll at a cut-off date the model gives the probability of
ending the academic year persistently absent (10% or more of their own possible
sessions). It earns its place only by beating, on a year it never saw, the
rules schools already use at the same cut-off:

- ``below_90_to_date``: attendance to date below 90%;
- ``pa_last_year``: persistently absent last year;
- ``absence_rate_rank``: ranking pupils by absence to date.

Method (docs/MODEL.md): features from ``risk_features`` at the same point of
each earlier academic year (outcome at that year's end) train a standardised
L2 logistic regression and a small gradient-boosted model; the one with the
better PR-AUC in temporal cross-validation over the training years wins (the
simpler one on a tie) and is calibrated with sigmoid (Platt) scaling on
cross-validated predictions. The latest complete year is the test year, used
once for the report and never for choosing or tuning.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from analytics import risk_features as rf
from analytics.filters import SEN_LABELS, Filter, require_pupil_level
from analytics.measures import PERSISTENT_LINE

RANDOM_STATE = 0  # fixed so the same data always gives the same model and report
TOP_LEVELS = {"top_10pct": 0.10, "top_20pct": 0.20}  # flagging the top tenth / fifth, as a pastoral team might
BANDS = ((0.5, "High"), (0.2, "Medium"), (0.0, "Low"))  # calibrated probability: >= 50% High, 20-50% Medium
TIE_MARGIN = 0.005  # boosting must beat logistic regression by this PR-AUC margin to be chosen (simpler wins ties)
MIN_GROUP_PUPILS = 20  # fairness: fewer pupils than this in a group is too few to judge
MIN_GROUP_POSITIVES = 5  # fairness: fewer persistently absent pupils than this is too few to judge recall
CALIBRATION_BINS = 10
FAIRNESS_GROUPS = ("fsm", "sen", "eal", "cin", "lac", "gender", "ethnicity")
METHODS = ("model", "below_90_to_date", "pa_last_year", "absence_rate_rank")
NOT_ENOUGH_YEARS = (
    "A backtest needs two complete academic years of registers (one to train on, a later one to test on); "
    "this school has {n}. Import earlier years' registers to see how the model would have done."
)
_FAIRNESS_COLUMNS = {
    "fsm": "fsm_flag",
    "sen": "sen",
    "eal": "eal_flag",
    "cin": "cin_flag",
    "lac": "lac_flag",
    "gender": "gender",
    "ethnicity": "ethnicity",
}


class NotEnoughHistory(ValueError):
    """No complete earlier academic year to learn from."""


def year_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


# ---------------------------------------------------------------- the model


def _candidates() -> dict[str, Pipeline]:
    return {
        "logistic": Pipeline(
            [
                ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                ("scale", StandardScaler()),
                ("model", LogisticRegression(C=0.3, max_iter=2000)),
            ]
        ),
        "boosting": Pipeline(
            [
                ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                (
                    "model",
                    HistGradientBoostingClassifier(
                        max_iter=80,
                        learning_rate=0.08,
                        max_depth=3,
                        min_samples_leaf=30,
                        l2_regularization=1.0,
                        early_stopping=False,
                        random_state=RANDOM_STATE,
                    ),
                ),
            ]
        ),
    }


@dataclass
class FittedModel:
    """A calibrated model with what the reports and explanations need."""

    kind: str
    features: list[str]
    calibrated: CalibratedClassifierCV
    selection: dict[str, float | None]
    train_years: list[int]
    train_cutoffs: list[date]
    train_rows: int
    train_prevalence: float
    extra: dict = field(default_factory=dict)

    @property
    def base(self) -> Pipeline:
        # ensemble=False: one estimator fitted on all the training data, calibrated on cross-validated predictions
        return self.calibrated.calibrated_classifiers_[0].estimator

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.clip(self.calibrated.predict_proba(X[self.features])[:, 1], 0.0, 1.0)

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """How much each feature raises (positive) or lowers the pupil's score against an average pupil.

        Logistic regression: coefficient x standardised value (log-odds). Boosting:
        the fall in the uncalibrated probability when the feature is set to the
        training mean (a simple perturbation).
        """
        pipe = self.base
        values = X[self.features]
        if self.kind == "logistic":
            z = pipe.named_steps["scale"].transform(pipe.named_steps["impute"].transform(values))
            return z * pipe.named_steps["model"].coef_[0]
        imputed = pipe.named_steps["impute"].transform(values)
        means = self.extra["train_means"]
        model = pipe.named_steps["model"]
        full = model.predict_proba(imputed)[:, 1]
        out = np.zeros_like(imputed, dtype=float)
        for j in range(imputed.shape[1]):
            changed = imputed.copy()
            changed[:, j] = means[j]
            out[:, j] = full - model.predict_proba(changed)[:, 1]
        return out

    def coefficients(self) -> pd.DataFrame | None:
        if self.kind != "logistic":
            return None
        coef = self.base.named_steps["model"].coef_[0]
        labels = {**rf.FEATURES, **rf.CHARACTERISTIC_FEATURES}
        return pd.DataFrame(
            {"feature": self.features, "label": [labels[f] for f in self.features], "coefficient": coef}
        ).sort_values("coefficient", key=abs, ascending=False, ignore_index=True)


def _selection_scores(frames: list[tuple[pd.DataFrame, np.ndarray]], features: list[str]) -> dict[str, float | None]:
    """PR-AUC of each candidate in cross-validation over the training years only.

    With two or more training years: forward chaining (fit on the earlier years,
    score the next). With one: stratified 5-fold within it.
    """
    scores: dict[str, float | None] = {}
    for name, pipe in _candidates().items():
        results = []
        if len(frames) >= 2:
            for k in range(1, len(frames)):
                X = pd.concat([x for x, _ in frames[:k]])[features]
                y = np.concatenate([y for _, y in frames[:k]])
                Xv, yv = frames[k][0][features], frames[k][1]
                if len(set(y)) < 2 or len(set(yv)) < 2:
                    continue
                results.append(average_precision_score(yv, clone(pipe).fit(X, y).predict_proba(Xv)[:, 1]))
        else:
            X, y = frames[0][0][features], frames[0][1]
            if min(np.bincount(y.astype(int), minlength=2)) >= 5:
                folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=RANDOM_STATE)
                for tr, va in folds.split(X, y):
                    fitted = clone(pipe).fit(X.iloc[tr], y[tr])
                    results.append(average_precision_score(y[va], fitted.predict_proba(X.iloc[va])[:, 1]))
        scores[name] = float(np.mean(results)) if results else None
    return scores


def fit_model(
    frames: list[tuple[pd.DataFrame, np.ndarray]],
    features: list[str],
    years: list[int] | None = None,
    cutoffs: list[date] | None = None,
) -> FittedModel:
    """Choose between the candidates on the training years, then fit and calibrate the winner on all of them."""
    # One thread: the data are small, and parallel threads on a busy server cost more than they save.
    with threadpool_limits(limits=1):
        return _fit_model(frames, features, years, cutoffs)


def _fit_model(frames, features, years, cutoffs) -> FittedModel:
    X = pd.concat([x for x, _ in frames], ignore_index=True)[features]
    y = np.concatenate([y for _, y in frames]).astype(int)
    if len(set(y)) < 2:
        raise NotEnoughHistory("the training years have no persistently absent pupils (or only them) to learn from")
    scores = _selection_scores(frames, features)
    lr, gb = scores.get("logistic"), scores.get("boosting")
    kind = "boosting" if (lr is not None and gb is not None and gb > lr + TIE_MARGIN) else "logistic"
    n_splits = int(max(2, min(5, np.bincount(y).min())))
    calibrated = CalibratedClassifierCV(
        _candidates()[kind],
        method="sigmoid",
        cv=StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=RANDOM_STATE),
        ensemble=False,
    ).fit(X, y)
    model = FittedModel(
        kind=kind,
        features=features,
        calibrated=calibrated,
        selection=scores,
        train_years=list(years or []),
        train_cutoffs=list(cutoffs or []),
        train_rows=len(y),
        train_prevalence=float(y.mean()),
    )
    model.extra["train_means"] = model.base.named_steps["impute"].transform(X).mean(axis=0)
    return model


# ---------------------------------------------------------------- data for one school and cut-off

_CACHE: dict[tuple, object] = {}


def _fingerprint(con: duckdb.DuckDBPyConnection, school_id: str) -> tuple:
    """Which database and which data: a trained model is reused only while both are unchanged."""
    path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    marks = con.execute(
        "SELECT count(*), max(date), sum(hash(upn, date, session, code)) FROM session_marks WHERE school_id = ?",
        [school_id],
    ).fetchone()
    lessons = con.execute(
        "SELECT count(*), sum(hash(upn, date, period, code)) FROM lesson_marks WHERE school_id = ?", [school_id]
    ).fetchone()
    pupils = con.execute(
        "SELECT count(*), sum(hash(upn, academic_year, year_group, form, fsm, sen, eal, cin, lac, "
        "admission_date, leaving_date)) FROM enrolments WHERE school_id = ?",
        [school_id],
    ).fetchone()
    return (path, school_id, tuple(marks), tuple(lessons), tuple(pupils))


def clear_cache() -> None:
    _CACHE.clear()


def _cached(key: tuple, build):
    if key not in _CACHE:
        _CACHE[key] = build()
    return _CACHE[key]


def _year_frame(
    con: duckdb.DuckDBPyConnection, f: Filter, cutoff: date, with_outcome: bool = True, fp: tuple | None = None
) -> tuple[pd.DataFrame, np.ndarray | None]:
    if fp is not None:
        feats, target = _cached(
            ("frame", fp, f, cutoff, with_outcome), lambda: _year_frame(con, f, cutoff, with_outcome)
        )
        return feats.copy(), (None if target is None else target.copy())
    feats = rf.features_at(con, f, cutoff)
    if feats.empty or not with_outcome:
        return feats, None
    out = rf.outcomes(con, f.school_ids[0], f.academic_year)
    feats = feats.merge(out, on="upn", how="inner")
    return feats, feats["persistent"].to_numpy().astype(int)


def _trained(
    con: duckdb.DuckDBPyConnection,
    fp: tuple,
    school_id: str,
    train_years: list[int],
    point: rf.CutoffPoint,
    use_characteristics: bool,
) -> FittedModel:
    cutoffs = [rf.cutoff_in_year(con, school_id, y, point) for y in train_years]
    key = ("model", fp, tuple(train_years), tuple(cutoffs), use_characteristics)

    def build() -> FittedModel:
        frames = []
        for y, c in zip(train_years, cutoffs, strict=True):
            X, target = _year_frame(con, Filter(school_ids=(school_id,), academic_year=y), c, fp=fp)
            if not X.empty:
                frames.append((X, target))
        if not frames:
            raise NotEnoughHistory("no pupils on roll at the cut-off in the training years")
        return fit_model(frames, rf.feature_names(use_characteristics), train_years, cutoffs)

    return _cached(key, build)


# ---------------------------------------------------------------- metrics


def top_fraction_flags(scores: np.ndarray, fraction: float) -> np.ndarray:
    """Flags for the highest ``fraction`` of scores (at least one pupil); ties at the edge all flagged."""
    scores = np.asarray(scores, dtype=float)
    if scores.size == 0:
        return np.zeros(0, dtype=bool)
    k = max(1, round(fraction * scores.size))
    edge = np.sort(scores)[::-1][k - 1]
    return scores >= edge


def flags_at_threshold(probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """Pupils flagged when the probability reaches ``threshold``."""
    return np.asarray(probabilities, dtype=float) >= threshold


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


# ---------------------------------------------------------------- the backtest


def _default_school(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute(
        "SELECT school_id FROM session_marks GROUP BY school_id ORDER BY count(*) DESC, school_id LIMIT 1"
    ).fetchone()
    return row[0] if row else None


def _baseline_scores(X: pd.DataFrame) -> dict[str, np.ndarray]:
    return {
        "below_90_to_date": (X["attendance_rate"].to_numpy() < PERSISTENT_LINE).astype(float),
        "pa_last_year": X["last_year_pa"].to_numpy().astype(float),
        "absence_rate_rank": X["absence_rate"].to_numpy().astype(float),
    }


def _evaluate(
    con: duckdb.DuckDBPyConnection,
    fp: tuple,
    school_id: str,
    train_years: list[int],
    test_year: int,
    point: rf.CutoffPoint,
    use_characteristics: bool,
) -> dict:
    model = _trained(con, fp, school_id, train_years, point, use_characteristics)
    cutoff = rf.cutoff_in_year(con, school_id, test_year, point)
    X, y = _year_frame(con, Filter(school_ids=(school_id,), academic_year=test_year), cutoff, fp=fp)
    if X.empty:
        raise NotEnoughHistory("no pupils on roll at the cut-off in the test year")
    probability = model.predict(X)
    methods = {"model": ranking_metrics(y, probability, probability)}
    for name, score in _baseline_scores(X).items():
        methods[name] = ranking_metrics(y, score)  # a rule gives no probability: Brier is null
    prevalence = float(y.mean())
    return {
        "cutoff": cutoff,
        "point": point,
        "pupils": len(y),
        "prevalence": prevalence,
        "base_rate_brier": float(np.mean((model.train_prevalence - y) ** 2)),
        "methods": methods,
        "model": model,
        "frame": X,
        "y": y,
        "probability": probability,
    }


def _resolve_cutoff(
    con: duckdb.DuckDBPyConnection, school_id: str, years: list[int], cutoff: date | None
) -> tuple[int, date]:
    """The test year and its cut-off date.

    No cut-off: the end of the first autumn half-term of the latest complete year.
    A cut-off inside a complete year with an earlier complete year: that year is
    tested. Otherwise its month and day are placed in the latest complete year.
    """
    if cutoff is None:
        test_year = years[-1]
        ends = rf.half_term_ends(con, school_id, test_year)
        return test_year, ends.get(("autumn", 1)) or rf.cutoff_in_year(
            con, school_id, test_year, rf.CutoffPoint(school_day=35)
        )
    from data.db import academic_year_of

    own = academic_year_of(cutoff)
    if own in years[1:]:
        return own, cutoff
    return years[-1], rf.position_in_year(cutoff, years[-1])


def backtest(
    con: duckdb.DuckDBPyConnection,
    school_id: str | None = None,
    cutoff: date | None = None,
    use_characteristics: bool = False,
    full: bool = True,
) -> dict:
    """The honest temporal backtest as a plain dict (the shape ``risk-report --json`` prints).

    Keys: train_years, test_year, cutoff, cutoff_point, pupils, prevalence,
    base_rate_brier, chosen_model, selection, methods (model and the three
    rules), calibration, fairness, by_cutoff, characteristics, message (only
    when a backtest is impossible). ``full=False`` leaves out the half-term
    table and the with-characteristics comparison (the headline only, faster).
    """
    school_id = school_id or _default_school(con)
    if school_id is None:
        return _message_report("There are no registers in the database yet.")
    years = rf.complete_years(con, school_id)
    if len(years) < 2:
        return _message_report(NOT_ENOUGH_YEARS.format(n=len(years)), years)
    fp = _fingerprint(con, school_id)
    key = ("report", fp, cutoff, use_characteristics, full)
    return _cached(key, lambda: _backtest(con, fp, school_id, years, cutoff, use_characteristics, full))


def _message_report(message: str, years: list[int] | None = None) -> dict:
    return {
        "message": message,
        "train_years": [],
        "test_year": None,
        "complete_years": [year_label(y) for y in years or []],
        "cutoff": None,
        "pupils": 0,
        "prevalence": None,
        "methods": {},
        "fairness": {},
    }


def _backtest(con, fp, school_id, years, cutoff, use_characteristics, full) -> dict:
    test_year, cutoff_date = _resolve_cutoff(con, school_id, years, cutoff)
    train_years = [y for y in years if y < test_year]
    point = rf.point_of(con, school_id, test_year, cutoff_date)
    main = _evaluate(con, fp, school_id, train_years, test_year, point, use_characteristics)
    model: FittedModel = main["model"]
    report = {
        "school_id": school_id,
        "train_years": [year_label(y) for y in train_years],
        "test_year": year_label(test_year),
        "cutoff": main["cutoff"].isoformat(),
        "cutoff_point": point.describe(),
        "train_cutoffs": [c.isoformat() for c in model.train_cutoffs],
        "pupils": main["pupils"],
        "prevalence": main["prevalence"],
        "base_rate_brier": main["base_rate_brier"],
        "chosen_model": model.kind,
        "selection": {"metric": "pr_auc", "scores": model.selection},
        "use_characteristics": use_characteristics,
        "methods": main["methods"],
        "calibration": calibration_table(main["y"], main["probability"]),
        "fairness": fairness_table(main["frame"], main["probability"], main["y"]),
        "coefficients": None,
    }
    coefficients = model.coefficients()
    if coefficients is not None:
        report["coefficients"] = coefficients.to_dict("records")
    if full:
        report["by_cutoff"] = _by_cutoff(con, fp, school_id, train_years, test_year, use_characteristics)
    if full and not use_characteristics:
        other = _evaluate(con, fp, school_id, train_years, test_year, point, True)
        report["characteristics"] = {
            "without": main["methods"]["model"],
            "with": other["methods"]["model"],
            "with_chosen_model": other["model"].kind,
        }
    return _plain(report)


def _by_cutoff(con, fp, school_id, train_years, test_year, use_characteristics) -> list[dict]:
    rows = []
    for key in rf.HALF_TERMS:
        try:
            result = _evaluate(
                con, fp, school_id, train_years, test_year, rf.CutoffPoint(half_term=key), use_characteristics
            )
        except (ValueError, NotEnoughHistory):
            continue  # a year without that half-term (registers that stop early) is left out
        rows.append(
            {
                "half_term": rf.HALF_TERM_NAMES[key],
                "cutoff": result["cutoff"].isoformat(),
                "pupils": result["pupils"],
                "prevalence": result["prevalence"],
                "base_rate_brier": result["base_rate_brier"],
                "chosen_model": result["model"].kind,
                "methods": result["methods"],
            }
        )
    return rows


def _plain(value):
    """numpy scalars to Python, NaN to None, dates to ISO strings: ready for json.dumps."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# ---------------------------------------------------------------- scoring today's pupils


def band(probability: float) -> str:
    for threshold, name in BANDS:
        if probability >= threshold:
            return name
    return BANDS[-1][1]


def score_pupils(
    con: duckdb.DuckDBPyConnection, f: Filter, cutoff: date | None = None, use_characteristics: bool = False
) -> pd.DataFrame:
    """Pupils on roll at the cut-off ranked by their probability of ending the year persistently absent.

    Columns: school_id, upn, surname, forename, year_group, form, attendance_rate,
    probability, band, reasons, previous_cutoff, previous_probability, change
    (percentage points since the end of the previous half-term). The model is
    trained on every complete earlier year at the same point of the year.
    Raises ``NotEnoughHistory`` when there is no complete earlier year.
    """
    require_pupil_level(f)
    schools = list(f.school_ids) or ([s] if (s := _default_school(con)) else [])
    frames = [_score_school(con, f, s, cutoff, use_characteristics) for s in schools]
    frames = [x for x in frames if not x.empty]
    if not frames:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    return pd.concat(frames, ignore_index=True).sort_values(["probability", "upn"], ascending=[False, True])


SCORE_COLUMNS = [
    "school_id",
    "upn",
    "surname",
    "forename",
    "year_group",
    "form",
    "attendance_rate",
    "probability",
    "band",
    "reasons",
    "previous_cutoff",
    "previous_probability",
    "change",
]


def _cutoff_for_filter(con, f: Filter, school_id: str, year: int) -> date | None:
    """The latest marked day, or the end of the filter's term / half-term or date range when earlier."""
    days = rf.school_days(con, school_id, year)
    if not days:
        return None
    last = days[-1]
    if f.date_to:
        last = min(last, f.date_to)
    if f.term:
        end = rf.half_term_ends(con, school_id, year).get((f.term, f.half_term or 2))
        if end:
            last = min(last, end)
    return last if last >= days[0] else None


def _score_school(con, f: Filter, school_id: str, cutoff: date | None, use_characteristics: bool) -> pd.DataFrame:
    years = rf.years_with_marks(con, school_id)
    if not years:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    year = f.academic_year if f.academic_year is not None else years[-1]
    cutoff = cutoff or _cutoff_for_filter(con, f, school_id, year)
    if cutoff is None:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    train_years = [y for y in rf.complete_years(con, school_id) if y < year]
    if not train_years:
        raise NotEnoughHistory(
            "The at-risk model learns from earlier complete academic years; this school has none before "
            f"{year_label(year)}."
        )
    fp = _fingerprint(con, school_id)
    sf = f.replace(school_ids=(school_id,), academic_year=year)
    point = rf.point_of(con, school_id, year, cutoff)
    model = _trained(con, fp, school_id, train_years, point, use_characteristics)
    X, _ = _year_frame(con, sf, cutoff, with_outcome=False, fp=fp)
    if X.empty:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    X["probability"] = model.predict(X)
    X["band"] = [band(p) for p in X["probability"]]
    X["reasons"] = explain(model, X)
    previous = [e for k, e in rf.half_term_ends(con, school_id, year).items() if e < cutoff and k in rf.HALF_TERMS]
    X["previous_cutoff"] = None
    X["previous_probability"] = np.nan
    if previous:
        prev_cutoff = max(previous)
        prev_model = _trained(
            con, fp, school_id, train_years, rf.point_of(con, school_id, year, prev_cutoff), use_characteristics
        )
        prev_X, _ = _year_frame(con, sf, prev_cutoff, with_outcome=False, fp=fp)
        if not prev_X.empty:
            prev = pd.Series(prev_model.predict(prev_X), index=prev_X["upn"])
            X["previous_cutoff"] = prev_cutoff
            X["previous_probability"] = X["upn"].map(prev)
    X["change"] = X["probability"] - X["previous_probability"]
    names = con.execute("SELECT upn, surname, forename FROM pupils WHERE school_id = ?", [school_id]).df()
    X = X.merge(names, on="upn", how="left")
    X["year_group"] = X["year_group"].astype("Int64")
    return X[SCORE_COLUMNS]


# ---------------------------------------------------------------- explanations


def explain(model: FittedModel, X: pd.DataFrame, top: int = 3) -> list[str]:
    """For each pupil the (up to) ``top`` factors that raised their score most, in plain words."""
    contributions = model.contributions(X)
    out = []
    for i in range(len(X)):
        row = X.iloc[i]
        order = np.argsort(-contributions[i])
        words = []
        for j in order:
            if contributions[i, j] <= 0 or len(words) >= top:
                break
            phrase = reason(model.features[j], row)
            if phrase and phrase not in words:
                words.append(phrase)
        out.append("; ".join(words) if words else "no single factor stands out")
    return out


def _days(sessions: float) -> str:
    days = sessions / 2
    return f"{days:g} day" + ("" if days == 1 else "s")


def reason(feature: str, row: pd.Series) -> str | None:
    """The plain-words reason a feature gives for one pupil (None where it says nothing useful)."""
    v = row.get(feature)
    weeks = rf.RECENT_WEEKS
    if feature == "absence_rate":
        return f"attendance to date {row['attendance_rate']:.0f}%"
    if feature == "authorised_rate":
        return f"authorised absence (illness, appointments) {v:.0f}% of sessions"
    if feature == "unauthorised_rate":
        return f"unauthorised absence {v:.0f}% of sessions ({_days(row['unauthorised_sessions'])})"
    if feature == "spells":
        return f"{int(v)} separate spells of absence"
    if feature == "longest_spell":
        return f"a spell of {_days(v)} off in a row"
    if feature in ("absence_trend", "unauthorised_trend"):
        kind = "unauthorised absence" if feature == "unauthorised_trend" else "absence"
        stem = "recent_unauthorised_rate" if feature == "unauthorised_trend" else "recent_absence_rate"
        recent, earlier = row.get(stem), row.get(stem.replace("recent", "earlier"))
        if recent is None or earlier is None or recent != recent or earlier != earlier or recent <= earlier:
            return None
        if earlier > 0 and recent >= 2 * earlier:
            return (
                f"{kind} has more than doubled in the last {weeks} weeks ({earlier:.0f}% before, {recent:.0f}% since)"
            )
        return f"{kind} has risen in the last {weeks} weeks ({earlier:.0f}% before, {recent:.0f}% since)"
    if feature == "weekday_index":
        share = row.get("top_weekday_share")
        if share is None or share != share:
            return None
        return f"most absences on {rf.weekday_name(row.get('top_weekday'))}s ({share:.0%} of them)"
    if feature == "late_l_rate":
        return f"late {int(row['late_l_sessions'])} times before the register closed"
    if feature == "late_u_rate":
        return f"late after the register closed {int(row['late_u_sessions'])} times (unauthorised)"
    if feature == "post_registration_rate":
        return f"missed {v:.0f}% of lessons after registering"
    if feature == "last_year_pa":
        return "persistently absent last year" if v >= 1 else None
    if feature == "last_year_absence_rate":
        return None if row.get("no_last_year") else f"attendance last year {100 - v:.0f}%"
    if feature == "no_last_year":
        return "new to the school this year (no attendance history)" if v >= 1 else None
    if feature == "year_group":
        return f"in Year {int(v)}"
    words = {
        "fsm": "eligible for free school meals",
        "sen_support": "SEN support",
        "ehc_plan": "EHC plan",
        "eal": "English as an additional language",
        "cin": "child in need",
        "lac": "looked after",
    }
    if feature in words and v >= 1:
        return words[feature]
    return None  # gender, ethnicity and missing-data flags are never shown as a reason


# ---------------------------------------------------------------- command line


def cli(args) -> int:
    """``python -m analytics risk-report [--db PATH] [--cutoff YYYY-MM-DD] [--school ID] --json``."""
    from data import db

    cutoff = None
    if getattr(args, "cutoff", None):
        try:
            cutoff = date.fromisoformat(args.cutoff)
        except ValueError:
            print(json.dumps({"message": f"--cutoff must be a date as YYYY-MM-DD, not {args.cutoff!r}"}))
            return 2
    with db.connection(args.db, read_only=True) as con:
        try:
            report = backtest(con, school_id=getattr(args, "school", None), cutoff=cutoff)
        except NotEnoughHistory as exc:
            report = _message_report(str(exc))
    if getattr(args, "json", False):
        print(json.dumps(_public(report), indent=2))
    else:
        print(_text(report))
    return 0


def _public(report: dict) -> dict:
    """The command line's JSON: the issue's keys first, figures rounded for reading."""

    def rounded(v):
        if isinstance(v, float):
            return round(v, 4)
        if isinstance(v, dict):
            return {k: rounded(x) for k, x in v.items()}
        if isinstance(v, list):
            return [rounded(x) for x in v]
        return v

    head = ["train_years", "test_year", "cutoff", "pupils", "prevalence", "methods", "fairness"]
    out = {k: report.get(k) for k in head}
    out.update({k: v for k, v in report.items() if k not in head and k != "coefficients"})
    return rounded(out)


def _text(report: dict) -> str:
    if report.get("message"):
        return report["message"]
    lines = [
        f"Trained on {', '.join(report['train_years'])}; tested on {report['test_year']} "
        f"at {report['cutoff']} ({report['cutoff_point']}).",
        f"{report['pupils']} pupils, {report['prevalence']:.1%} ended the year persistently absent.",
        f"{'method':<20} {'ROC-AUC':>8} {'PR-AUC':>8} {'P@10%':>7} {'R@10%':>7} {'Brier':>7}",
    ]
    for name, m in report["methods"].items():
        cells = [m["roc_auc"], m["pr_auc"], m["precision_top_10pct"], m["recall_top_10pct"], m["brier"]]
        lines.append(f"{name:<20} " + " ".join(f"{c:>8.3f}" if c is not None else f"{'-':>8}" for c in cells))
    lines.append(f"Base-rate Brier: {report['base_rate_brier']:.3f}")
    return "\n".join(lines)


# ---------------------------------------------------------------- the model page's tables

METHOD_LABELS = {
    "model": "The model",
    "below_90_to_date": "Rule: attendance to date below 90%",
    "pa_last_year": "Rule: persistently absent last year",
    "absence_rate_rank": "Rule: rank by absence to date",
}
METRIC_LABELS = {
    "roc_auc": "ROC-AUC",
    "pr_auc": "PR-AUC",
    "precision_top_10pct": "Precision, top 10%",
    "recall_top_10pct": "Recall, top 10%",
    "precision_top_20pct": "Precision, top 20%",
    "recall_top_20pct": "Recall, top 20%",
    "brier": "Brier score",
}
GROUP_NAMES = {
    "fsm": "FSM",
    "sen": "SEN provision",
    "eal": "EAL",
    "cin": "Child in need",
    "lac": "Looked after",
    "gender": "Gender",
    "ethnicity": "Ethnicity",
}


def model_report(con: duckdb.DuckDBPyConnection, f: Filter, use_characteristics: bool = False) -> dict:
    """The backtest for the filter's school (the first one chosen), as ``backtest`` returns it.

    Whole-school figures only: the model page shows no pupil.
    """
    school_id = f.school_ids[0] if f.school_ids else None
    try:
        return backtest(con, school_id=school_id, use_characteristics=use_characteristics)
    except NotEnoughHistory as exc:
        return _message_report(str(exc))


def methods_table(report: dict) -> pd.DataFrame:
    """One row per method (the model and each rule) with every metric; the base-rate Brier as its own row."""
    rows = [
        {"Method": METHOD_LABELS[name], **{METRIC_LABELS[k]: m.get(k) for k in METRIC_LABELS}}
        for name, m in report.get("methods", {}).items()
    ]
    if rows:
        rows.append({"Method": "Base rate for everyone (Brier only)", "Brier score": report.get("base_rate_brier")})
    return pd.DataFrame(rows)


def by_cutoff_table(report: dict, metric: str = "pr_auc") -> pd.DataFrame:
    """``metric`` for each method at the end of each half-term of the test year."""
    rows = []
    for r in report.get("by_cutoff", []):
        row = {"Half-term end": r["half_term"], "Cut-off": r["cutoff"], "Persistently absent": r["prevalence"]}
        row.update({METHOD_LABELS[n]: m.get(metric) for n, m in r["methods"].items()})
        rows.append(row)
    return pd.DataFrame(rows)


def calibration_frame(report: dict) -> pd.DataFrame:
    rows = report.get("calibration", [])
    df = pd.DataFrame(rows)
    if not df.empty:
        df["bin"] = [f"{lo:.0%}-{hi:.0%}" for lo, hi in zip(df["bin_lower"], df["bin_upper"], strict=True)]
    return df


def fairness_frame(report: dict, level: str = "top_10pct") -> pd.DataFrame:
    """Each pupil group at the flag level: recall, false-positive rate and calibration with 95% intervals."""

    def ci(row: dict, key: str) -> str | None:
        value, bounds = row.get(key), row.get(f"{key}_ci")
        if value is None or not bounds or bounds[0] is None:
            return None
        return f"{value:.0%} ({bounds[0]:.0%}-{bounds[1]:.0%})"

    rows = []
    for group, values in report.get("fairness", {}).get(level, {}).items():
        for r in values:
            rows.append(
                {
                    "Characteristic": GROUP_NAMES.get(group, group),
                    "Group": r["group"],
                    "Pupils": r["pupils"],
                    "Persistently absent": r["positives"] if r["pupils"] >= MIN_GROUP_PUPILS else None,
                    "Recall (95% CI)": ci(r, "recall"),
                    "False-positive rate (95% CI)": ci(r, "false_positive_rate"),
                    "Mean predicted": r.get("mean_predicted"),
                    "Observed (95% CI)": ci(r, "observed"),
                    "Warning": r.get("warning"),
                }
            )
    return pd.DataFrame(rows)


def characteristics_table(report: dict) -> pd.DataFrame:
    """The model's metrics without and with pupil characteristics."""
    c = report.get("characteristics")
    if not c:
        return pd.DataFrame()
    return pd.DataFrame(
        [
            {"Model": "Attendance only (used)", **{METRIC_LABELS[k]: c["without"].get(k) for k in METRIC_LABELS}},
            {"Model": "With characteristics", **{METRIC_LABELS[k]: c["with"].get(k) for k in METRIC_LABELS}},
        ]
    )


def trust_summary(report: dict) -> list[str]:
    """Plain sentences for a senior leader deciding whether to trust the model."""
    if report.get("message"):
        return [report["message"]]
    m = report["methods"]
    model = m["model"]
    rules = [n for n in METHODS if n != "model"]
    best_rule = max(rules, key=lambda n: m[n]["pr_auc"] or 0)
    beats_pr = all((model["pr_auc"] or 0) > (m[n]["pr_auc"] or 0) for n in rules)
    beats_recall = all((model["recall_top_10pct"] or 0) > (m[n]["recall_top_10pct"] or 0) for n in rules)
    out = [
        f"Tested on {report['test_year']}, a year the model never saw, at {report['cutoff']} "
        f"({report['cutoff_point']}): {report['pupils']} pupils, of whom {report['prevalence']:.0%} ended the year "
        "persistently absent.",
    ]
    k10 = model["precision_top_10pct"]
    out.append(
        f"Flagging the top 10% by the model, {k10:.0%} of those flagged went on to be persistently absent, and the "
        f"flags caught {model['recall_top_10pct']:.0%} of all who did."
    )
    if beats_pr and beats_recall:
        out.append(
            f"It beat every simple rule on PR-AUC and on recall at the top 10% (best rule: "
            f"{METHOD_LABELS[best_rule].removeprefix('Rule: ')}, PR-AUC {m[best_rule]['pr_auc']:.2f} against "
            f"the model's {model['pr_auc']:.2f})."
        )
    else:
        out.append(
            f"It did NOT beat every simple rule (best rule: {METHOD_LABELS[best_rule].removeprefix('Rule: ')}). "
            "Use the rule until more years of registers make the model better."
        )
    if model["brier"] is not None and report.get("base_rate_brier") is not None:
        better = model["brier"] < report["base_rate_brier"]
        out.append(
            f"Its probabilities are {'better' if better else 'no better'} than giving every pupil the school's "
            f"usual rate (Brier {model['brier']:.3f} against {report['base_rate_brier']:.3f}; lower is better)."
        )
    warnings = {
        GROUP_NAMES.get(g, g)
        for g, rows in report.get("fairness", {}).get("top_10pct", {}).items()
        for r in rows
        if r.get("warning")
    }
    if warnings:
        out.append(
            "Some groups are too small to judge fairly (" + ", ".join(sorted(warnings)) + "): check flags for "
            "these pupils by hand."
        )
    out.append(
        "The model uses attendance only (no pupil characteristics). A probability is a prompt to look, not a "
        "judgement about a child."
    )
    return out


def coefficients_table(report: dict) -> pd.DataFrame:
    """The logistic regression's standardised coefficients (log-odds per standard deviation), largest first."""
    rows = report.get("coefficients") or []
    return pd.DataFrame([{"Feature": r["label"], "Coefficient": r["coefficient"]} for r in rows])

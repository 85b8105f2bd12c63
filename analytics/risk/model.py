"""The at-risk model itself: the two candidates, choosing between them, calibration, and the trained models cached.

Logistic regression (standardised, L2) and a small gradient-boosted model
compete on PR-AUC in temporal cross-validation over the training years only;
the simpler one wins a tie. The winner is calibrated with sigmoid (Platt)
scaling on cross-validated predictions (docs/MODEL.md).

Training is the slow part of every at-risk question, so feature frames and
trained models are kept per database file and data version
(``data.db.data_version``), in a small cache that forgets the oldest first.
"""

from __future__ import annotations

from collections import OrderedDict
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
from sklearn.metrics import average_precision_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from analytics.filters import Filter
from analytics.risk import features as rf
from data import db

MAX_CACHED = 256  # feature frames, models and reports kept (a school's model page holds about 40)
RANDOM_STATE = 0  # fixed so the same data always gives the same model and report

TIE_MARGIN = 0.005  # boosting must beat logistic regression by this PR-AUC margin to be chosen (simpler wins ties)


class NotEnoughHistory(ValueError):
    """No complete earlier academic year to learn from."""


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


_CACHE: OrderedDict[tuple, object] = OrderedDict()


def fingerprint(con: duckdb.DuckDBPyConnection, school_id: str) -> tuple:
    """Which database and which data: a trained model is reused only while both are unchanged."""
    path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    return (path, school_id, db.data_version(con))


def clear_cache() -> None:
    _CACHE.clear()


def cached(key: tuple, build):
    """``build()`` remembered under ``key``; the least recently used entries go beyond ``MAX_CACHED``."""
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    value = build()
    _CACHE[key] = value
    while len(_CACHE) > MAX_CACHED:
        _CACHE.popitem(last=False)
    return value


def year_frame(
    con: duckdb.DuckDBPyConnection, f: Filter, cutoff: date, with_outcome: bool = True, fp: tuple | None = None
) -> tuple[pd.DataFrame, np.ndarray | None]:
    if fp is not None:
        feats, target = cached(("frame", fp, f, cutoff, with_outcome), lambda: year_frame(con, f, cutoff, with_outcome))
        return feats.copy(), (None if target is None else target.copy())
    feats = rf.features_at(con, f, cutoff)
    if feats.empty or not with_outcome:
        return feats, None
    out = rf.outcomes(con, f.school_ids[0], f.academic_year)
    feats = feats.merge(out, on="upn", how="inner")
    return feats, feats["persistent"].to_numpy().astype(int)


def trained(
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
            X, target = year_frame(con, Filter(school_ids=(school_id,), academic_year=y), c, fp=fp)
            if not X.empty:
                frames.append((X, target))
        if not frames:
            raise NotEnoughHistory("no pupils on roll at the cut-off in the training years")
        return fit_model(frames, rf.feature_names(use_characteristics), train_years, cutoffs)

    return cached(key, build)


def default_school(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute(
        "SELECT school_id FROM session_marks GROUP BY school_id ORDER BY count(*) DESC, school_id LIMIT 1"
    ).fetchone()
    return row[0] if row else None

"""The honest temporal backtest: the model against the schools' own rules on a year it never saw; ``cli(args)``.

The rules schools already use at the same cut-off:

- ``below_90_to_date``: attendance to date below the 90% line;
- ``pa_last_year``: persistently absent last year;
- ``absence_rate_rank``: ranking pupils by absence to date.

The latest complete year is the test year, used once for the report and
never for choosing or tuning.
"""

from __future__ import annotations

import json
import math
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from analytics.filters import Filter
from analytics.measures import PERSISTENT_LINE
from analytics.risk import features as rf
from analytics.risk.metrics import calibration_table, fairness_table, ranking_metrics
from analytics.risk.model import FittedModel, NotEnoughHistory, cached, default_school, fingerprint, trained, year_frame
from data.db import academic_year_label

METHODS = ("model", "below_90_to_date", "pa_last_year", "absence_rate_rank")

NOT_ENOUGH_YEARS = (
    "A backtest needs two complete academic years of registers (one to train on, a later one to test on); "
    "this school has {n}. Import earlier years' registers to see how the model would have done."
)


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
    model = trained(con, fp, school_id, train_years, point, use_characteristics)
    cutoff = rf.cutoff_in_year(con, school_id, test_year, point)
    X, y = year_frame(con, Filter(school_ids=(school_id,), academic_year=test_year), cutoff, fp=fp)
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
    school_id = school_id or default_school(con)
    if school_id is None:
        return _message_report("There are no registers in the database yet.")
    years = rf.complete_years(con, school_id)
    if len(years) < 2:
        return _message_report(NOT_ENOUGH_YEARS.format(n=len(years)), years)
    fp = fingerprint(con, school_id)
    key = ("report", fp, cutoff, use_characteristics, full)
    return cached(key, lambda: _backtest(con, fp, school_id, years, cutoff, use_characteristics, full))


def _message_report(message: str, years: list[int] | None = None) -> dict:
    return {
        "message": message,
        "train_years": [],
        "test_year": None,
        "complete_years": [academic_year_label(y) for y in years or []],
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
        "train_years": [academic_year_label(y) for y in train_years],
        "test_year": academic_year_label(test_year),
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


def model_report(con: duckdb.DuckDBPyConnection, f: Filter, use_characteristics: bool = False) -> dict:
    """The backtest for the filter's school (the first one chosen), as ``backtest`` returns it.

    Whole-school figures only: the model page shows no pupil.
    """
    school_id = f.school_ids[0] if f.school_ids else None
    try:
        return backtest(con, school_id=school_id, use_characteristics=use_characteristics)
    except NotEnoughHistory as exc:
        return _message_report(str(exc))


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

"""The model page's words: table headings and the sentences a senior leader reads (figures from ``analytics.risk``)."""

from __future__ import annotations

import pandas as pd

from analytics.filters import FLAG_LABELS, GROUP_LABELS
from analytics.risk import METHODS, MIN_GROUP_PUPILS

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

GROUP_NAMES = {**GROUP_LABELS, **FLAG_LABELS}  # the pupil groups the fairness table names


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

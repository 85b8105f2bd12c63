"""The at-risk model (senior leaders): how it did on a year it never saw, against the rules schools use."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from analytics import risk
from ui import charts, common, filters, risk_text, tables

common.require_page("model")
f = filters.sidebar_filter()
st.title("At-risk model: should you trust it?")
st.caption(filters.school_line(f, "whole school", "the backtest ignores the other filters"))

with st.spinner("Running the backtest (the first time takes a little while)..."):
    report = common.cached(risk.model_report, f.replace(academic_year=None))
if report.get("message"):
    st.info(report["message"], icon=":material/info:")
    st.stop()
if common.only_sample_schools():
    st.warning("These figures come from the generated sample school: synthetic data, not a real school's.")

st.subheader("In plain words")
st.markdown("\n".join(f"- {line}" for line in risk_text.trust_summary(report)))

st.subheader("The model against the rules schools already use")
methods = risk_text.methods_table(report)
st.dataframe(tables.readable(methods.round(3)), hide_index=True, width="stretch")
st.caption(
    f"Trained on {', '.join(report['train_years'])} at the same point of each year ({', '.join(report['train_cutoffs'])}); "
    f"tested on {report['test_year']} at {report['cutoff']}. PR-AUC and recall reward finding the pupils who become "
    "persistently absent; the Brier score rewards honest probabilities (lower is better). The rules give no "
    "probability, so they have no Brier score; a yes/no rule ranks its flagged pupils equally (ties shared at random)."
)

st.subheader("Are its probabilities honest?")
calibration = risk_text.calibration_frame(report)
fig = go.Figure()
fig.add_scatter(
    x=[0, 1], y=[0, 1], mode="lines", name="Perfect", line=dict(color=charts.OKABE_ITO["grey"], dash="dash")
)
fig.add_scatter(
    x=calibration["mean_predicted"],
    y=calibration["observed"],
    mode="lines+markers",
    name="The model",
    marker=dict(size=[6 + n**0.5 for n in calibration["n"]], color=charts.OKABE_ITO["blue"]),
    error_y=dict(
        type="data",
        symmetric=False,
        array=calibration["observed_ci_high"] - calibration["observed"],
        arrayminus=calibration["observed"] - calibration["observed_ci_low"],
    ),
    hovertemplate="Predicted %{x:.0%}, observed %{y:.0%}<extra></extra>",
)
fig.update_layout(
    title=f"Predicted against observed persistent absence, {report['test_year']}",
    xaxis=dict(title="Predicted probability", tickformat=".0%", range=[0, 1]),
    yaxis=dict(title="Observed share", tickformat=".0%", range=[0, 1]),
    height=420,
)
charts.show(fig, calibration[["bin", "n", "mean_predicted", "observed"]].round(3), key="model_calibration")

st.subheader("Earlier or later in the year")
metric = st.segmented_control(
    "Measure", ["pr_auc", "recall_top_10pct", "roc_auc"], format_func=risk_text.METRIC_LABELS.get, default="pr_auc"
)
by_cutoff = risk_text.by_cutoff_table(report, metric or "pr_auc")
fig = go.Figure()
palette = [charts.OKABE_ITO[c] for c in ("blue", "orange", "green", "purple")]
for colour, name in zip(palette, risk_text.METHOD_LABELS.values(), strict=True):
    fig.add_scatter(
        x=by_cutoff["Half-term end"], y=by_cutoff[name], mode="lines+markers", name=name, line=dict(color=colour)
    )
fig.update_layout(title=f"{risk_text.METRIC_LABELS[metric or 'pr_auc']} at the end of each half-term", height=400)
charts.show(fig, by_cutoff.round(3), key="model_by_cutoff")

st.subheader("Does it work as well for every group?")
level = st.segmented_control(
    "Flagging",
    list(risk.TOP_LEVELS),
    format_func=lambda k: {"top_10pct": "Top 10%", "top_20pct": "Top 20%"}[k],
    default="top_10pct",
)
fairness = risk_text.fairness_frame(report, level or "top_10pct")
st.dataframe(tables.readable(fairness.round(3), blank="too few pupils"), hide_index=True, width="stretch")
st.caption(
    "Recall: share of the group's persistently absent pupils the flags caught. False-positive rate: share of the "
    "group's other pupils flagged. Mean predicted against observed: calibration within the group. 95% Wilson "
    f"intervals. Groups under {risk.MIN_GROUP_PUPILS} pupils are suppressed; recall needs {risk.MIN_GROUP_POSITIVES} "
    "persistently absent pupils. Wide intervals mean the data cannot tell."
)

st.subheader("What pupil characteristics would add")
st.dataframe(tables.readable(risk_text.characteristics_table(report).round(3)), hide_index=True, width="stretch")
st.caption(
    "The model uses attendance only. Adding FSM, SEND, EAL, CiN, LAC, gender and ethnicity is shown here for "
    "comparison only. It is off by default: scoring children by who they are rather than by their attendance needs "
    "a strong reason, and the table shows whether there is one."
)
if report.get("coefficients"):
    with st.expander("What the model weighs (standardised coefficients)"):
        st.dataframe(tables.readable(risk_text.coefficients_table(report).round(3)), hide_index=True, width="stretch")

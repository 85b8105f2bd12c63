"""The impact page's parts: each intervention type's effect beyond matched pupils, as a table and a chart."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analytics import impact
from ui import tables, typed

COLUMNS = {
    "type": "Intervention",
    "pupils": "Pupils",
    "before_attendance": "Before %",
    "after_attendance": "After %",
    "change": "Change (points)",
    "comparison_pupils": "Comparison pupils",
    "comparison_change": "Comparison change",
    "effect": "Effect (points)",
    "ci_low": "95% from",
    "ci_high": "95% to",
}


def verdict(row) -> str:
    """One plain sentence a leader can repeat."""
    small = " (few pupils: treat with care)" if row["small"] else ""
    if row["ci_low"] > 0:
        return f"Helped: about {row['effect']:+.1f} points beyond similar pupils{small}."
    if row["ci_high"] < 0:
        return f"Did worse than similar pupils: {row['effect']:+.1f} points{small}."
    return (
        f"No clear effect: attendance rose {row['change']:+.1f} points, but similar pupils rose "
        f"{row['comparison_change']:+.1f}{small}."
    )


def effect_chart(df: pd.DataFrame) -> go.Figure:
    fig = go.Figure(
        go.Scatter(
            x=df["effect"],
            y=df["type"],
            mode="markers",
            marker={"size": 11, "color": "#0072B2"},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": df["ci_high"] - df["effect"],
                "arrayminus": df["effect"] - df["ci_low"],
            },
            name="Effect",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=df["change"],
            y=df["type"],
            mode="markers",
            marker={"symbol": "x", "color": "#D55E00"},
            name="Plain before/after change",
        )
    )
    fig.add_vline(x=0, line_dash="dot", line_color="#555")
    fig.update_layout(
        xaxis_title="Points of attendance beyond matched pupils (95% interval)",
        height=120 + 40 * len(df),
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        legend={"orientation": "h"},
    )
    return fig


def render(df: pd.DataFrame, weeks: int) -> None:
    st.plotly_chart(effect_chart(df), width="stretch")
    for row in df.to_dict("records"):
        st.markdown(f"**{typed.as_typed(row['type'])}** ({row['pupils']} pupils): {verdict(row)}")
    st.dataframe(
        tables.readable(df.drop(columns=["small"]).rename(columns=COLUMNS)),
        hide_index=True,
        width="stretch",
        column_config={
            c: st.column_config.NumberColumn(c, format="%.1f")
            for c in COLUMNS.values()
            if c not in ("Intervention", "Pupils", "Comparison pupils")
        },
    )
    st.caption(
        f"Attendance over the {weeks} school weeks before each pupil's first intervention of that type and the "
        f"{weeks} from it. Each pupil is compared with the {impact.MATCHES} pupils most like them before "
        "(attendance over those weeks, the last half of them and earlier in the year; same year group where "
        "close) who had nothing recorded on that date (help recorded shortly before or after it is taken out at its "
        "estimated effect): pupils picked after a bad spell usually recover on their own, "
        f"so only the change beyond theirs counts. Fewer than {impact.SMALL_GROUP} pupils: flagged."
    )

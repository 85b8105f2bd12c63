"""The action plan page's parts: each whole-school action with its linked measure's trend beside it."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from analytics import action_plan
from analytics.filters import Filter
from data import school_actions
from ui import common, typed
from ui.interventions_panel import who

EDITORS = ("admin", "leader")


def can_edit() -> bool:
    user = common.current_user()
    return user is None or user.role in EDITORS


def sparkline(trend) -> go.Figure:
    fig = go.Figure(go.Scatter(x=trend["half_term"], y=trend["value"], mode="lines+markers", line={"color": "#0072B2"}))
    fig.update_layout(height=150, margin={"l": 10, "r": 10, "t": 10, "b": 10}, showlegend=False)
    return fig


def action_card(con, f: Filter, row, editable: bool) -> None:
    with st.container(border=True):
        left, right = st.columns([3, 2])
        due = (
            f"due {row['due_date']:%d/%m/%Y}"
            if row["due_date"] is not None and row["due_date"] == row["due_date"]
            else "no due date"
        )
        left.markdown(f"**{typed.as_typed(row['action'])}**")
        left.caption(f"{typed.as_typed(row['owner']) if row['owner'] else 'No owner'} · {due} · {row['status']}")
        if row["measure"] in action_plan.LINKABLE:
            trend = common.cached(action_plan.measure_trend, f, row["measure"])
            right.caption(f"{action_plan.LINKABLE[row['measure']]}, year to date at each half-term")
            if trend.empty:
                right.caption("No figures yet.")
            else:
                right.plotly_chart(sparkline(trend), width="stretch", key=f"trend_{row['action_id']}")
        if editable:
            email, role = who()
            status = left.selectbox(
                "Status",
                school_actions.STATUSES,
                index=school_actions.STATUSES.index(row["status"]),
                key=f"action_status_{row['action_id']}",
            )
            if status != row["status"]:
                school_actions.update(con, email, row["action_id"], role=role, status=status)
                st.rerun()


def add_form(con, school_id: str) -> None:
    email, role = who()
    with st.form("add_action", clear_on_submit=True):
        st.markdown("**Add an action**")
        action = st.text_input("Action", key="plan_action")
        c1, c2, c3 = st.columns(3)
        owner = c1.text_input("Owner")
        due = c2.date_input("Due", value=None, format="DD/MM/YYYY")
        measure = c3.selectbox("Linked measure", list(action_plan.LINKABLE), format_func=action_plan.LINKABLE.get)
        if st.form_submit_button("Add"):
            try:
                school_actions.add(con, email, school_id, action, owner=owner, due_date=due, measure=measure, role=role)
            except ValueError as exc:
                st.error(str(exc))
            else:
                st.rerun()

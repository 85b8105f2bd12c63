"""The pupil page's parts: finding the pupil, who they are, their figures, and the tabs about them.

pages/pupils.py calls these in order. Only the open tab is worked out, inside
a fragment: choosing another tab reruns that tab alone, not the search, the
header and the figures above it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import measures, overview, pupils
from analytics.filters import FLAG_LABELS, SEN_LABELS, Filter, PupilLevelDenied, year_group_label
from ui import charts, common, export, road_words, session, tables
from ui import projection as road

QUERY_KEY = "pupil_query"
TABS = ("Calendar", "For parents", "Patterns", "Spells", "Trajectory", "Lessons")


def chosen_pupil(pf: Filter) -> str:
    """The pupil to show: searched for here, or opened from another page; stops with a sentence when there is none."""
    wanted = st.query_params.get("upn") or st.session_state.get("pupil_upn")
    query = st.text_input("Find a pupil by name or UPN", key=QUERY_KEY, placeholder="e.g. Smith, or a UPN").strip()
    if query != st.session_state.get("_pupil_last_query", ""):
        st.session_state["_pupil_last_query"] = query
        if query:  # a new search: its results replace the pupil on screen
            wanted = None
            st.session_state.pop("pupil_upn", None)
    try:
        found = common.cached(pupils.find_pupils, pf, query) if query else None
        if wanted and (found is None or wanted not in set(found["upn"])):
            extra = common.cached(pupils.find_pupils, pf, wanted)
            found = extra if found is None else pd.concat([extra[extra["upn"] == wanted], found], ignore_index=True)
    except PupilLevelDenied:
        st.info("Your role sees figures for groups only, not individual pupils.")
        st.stop()
    if common.is_empty_frame(found):
        if query or wanted:
            st.info("No pupil matches that name or UPN in this school and year (and within your access).")
        else:
            st.info("Type part of a name or a UPN, or open a pupil from a list or a chart on another page.")
        st.stop()
    labels = {
        r.upn: f"{r.surname}, {r.forename} · {year_group_label(r.year_group)} {r.form or ''} · {r.upn}"
        for r in found.itertuples(index=False)
    }
    options = list(labels)
    index = options.index(wanted) if wanted in options else 0
    upn = st.selectbox("Pupil", options, index=index, format_func=labels.get, key=f"pupil_pick_{wanted}_{query}")
    st.session_state["pupil_upn"] = upn
    st.query_params["upn"] = upn
    if st.session_state.get("_audited_pupil") != (upn, pf):
        common.audit("pupil view", upn=upn, detail=f"pupil page: {pf.describe()}")
        st.session_state["_audited_pupil"] = (upn, pf)
    return upn


def header(profile: dict, upn: str, period: str) -> None:
    flags = [label for key, label in FLAG_LABELS.items() if profile.get(key)]
    if profile.get("sen") in ("E", "K"):
        flags.append(SEN_LABELS[profile["sen"]])
    st.subheader(f"{profile['forename']} {profile['surname']}")
    parts = (
        year_group_label(profile.get("year_group")),
        f"form {profile['form']}" if profile.get("form") else None,
        f"UPN {upn}",
        ", ".join(flags) or None,
        f"home language {profile['language']}" if profile.get("language") else None,
        f"joined {profile['admission_date']:%d/%m/%Y}" if profile.get("admission_date") else None,
        f"left {profile['leaving_date']:%d/%m/%Y}" if profile.get("leaving_date") else None,
        period,
    )
    st.caption(" · ".join(p for p in parts if p))


METRICS = (
    ("attendance_rate", "Attendance", "normal"),
    ("authorised_rate", "Authorised absence", "inverse"),
    ("unauthorised_rate", "Unauthorised absence", "inverse"),
    ("lateness_rate", "Late arrivals", "inverse"),
)
COMPARE_COLUMNS = {
    "label": "Who",
    "possible_sessions": "Possible sessions",
    "attendance_rate": "Attendance %",
    "absence_rate": "Absence %",
    "authorised_rate": "Authorised %",
    "unauthorised_rate": "Unauthorised %",
    "lateness_rate": "Late per 100 sessions",
}


def against_year_group(pf: Filter, upn: str, scope_name: str | None) -> None:
    """The pupil's four figures against their year group, and the table against year group and school."""
    compare = common.cached(pupils.pupil_vs_year_group, pf, upn)
    me = compare[compare["comparison"] == "pupil"].iloc[0] if not compare.empty else None
    year = compare[compare["comparison"] == "year group"]
    year = year.iloc[0] if not year.empty else None
    for col, (key, label, colour) in zip(st.columns(len(METRICS)), METRICS, strict=True):
        value = None if me is None else me[key]
        base = None if year is None else year[key]
        delta = None if value is None or base is None else round(value - base, 1)
        col.metric(
            label,
            common.pct(value),
            delta=None if delta is None else f"{delta + 0.0:+.1f} pts",  # + 0.0: never "-0.0"
            delta_color="off" if delta == 0 else colour,
            delta_description="vs year group" if base is not None else None,
            border=True,
        )
    if scope_name:  # a pastoral lead's "school" is the pupils they may see: say so
        compare = compare.assign(label=compare["label"].replace({"Whole school": f"{scope_name} (all you see)"}))
    table = compare.rename(columns=COMPARE_COLUMNS).drop(
        columns=["comparison", "late_before_close", "late_after_close"], errors="ignore"
    )
    against = f"all you see ({scope_name})" if scope_name else "the whole school"
    box = charts.on_demand(f"Figures against the year group and {against}", "pupil_against_figures")
    if box:  # drawn when opened: a first visit to a pupil's page loads no table code for it
        box.dataframe(tables.readable(table.round(1)), hide_index=True, width="stretch")


@st.fragment
def tabs(pf: Filter, upn: str, who: str, period: str) -> None:
    """The tabs about the pupil; only the open one is worked out (a tab switch reruns this fragment alone)."""
    # A fragment's own rerun skips app.py, whose end closes the run's connection: close one opened here,
    # or its reader lock outlives the run and the next import waits for it for ever.
    had_connection = session.has_connection()
    try:
        chosen = st.tabs(list(TABS), key="pupil_tab", on_change="rerun")
        for tab, name in zip(chosen, TABS, strict=True):
            if tab.open:
                with tab:
                    BODIES[name](pf, upn, who, period)
    finally:
        if not had_connection:
            session.release()


def _calendar(pf: Filter, upn: str, who: str, period: str) -> None:
    marks = common.cached(pupils.pupil_calendar, pf, upn)
    if common.is_empty_frame(marks):
        st.info("No marks for this pupil in the chosen period.")
        return
    fig = charts.calendar_grid.calendar(marks, charts.chart_title(f"Every session: {who}", pf, period))
    counts = (
        marks.assign(category=marks["category"].map(charts.CATEGORY_LABELS).fillna(marks["category"]))
        .groupby(["category", "code"], dropna=False)
        .size()
        .reset_index(name="sessions")
        .rename(columns={"category": "Category", "code": "Code", "sessions": "Sessions"})
    )
    charts.show(
        fig,
        tables.readable(counts, {"Code": "no mark"}),
        key="pupil_calendar",
        caption="Each square carries its mark's code; hover over one for the date and its meaning.",
    )


def _for_parents(pf: Filter, upn: str, who: str, period: str) -> None:
    lost = common.cached(pupils.time_lost, pf, upn)
    for sentence in road_words.time_lost_sentences(lost):
        st.markdown(f"- {sentence}")
    road.road_to_year_end(pf, upn)
    rule = common.cached(pupils.rule_of_three, pf.whole_year(), upn)
    if common.is_empty_frame(rule):
        return
    colours = [
        charts.COMPARISON_COLOURS["group"] if s == "over" else charts.COMPARISON_COLOURS["school"]
        for s in rule["status"]
    ]
    fig = charts.bars(
        rule,
        "half_term",
        "days_off",
        charts.chart_title(f"Days off each half-term: {who} (Rule of 3)", pf.whole_year()),
        colours=colours,
        reference=3,
        reference_label="Rule of 3:",
        y_title="Days off",
        text_format=".1f",
    )
    table = rule.rename(
        columns={
            "half_term": "Half-term",
            "days_off": "Days off",
            "attendance_rate": "Attendance %",
            "status": "Against 3 days",
            "in_progress": "Still running",
        }
    )[["Half-term", "Days off", "Attendance %", "Against 3 days", "Still running"]]
    charts.show(
        fig,
        table,
        key="pupil_rule3",
        caption="Three days off in a half-term already averages 90% attendance. Red: more than three.",
    )


def _patterns(pf: Filter, upn: str, who: str, period: str) -> None:
    found = common.cached(pupils.pupil_patterns, pf, upn)
    if common.is_empty_frame(found):
        st.info("Not enough absence to look for patterns.")
        return
    strong = found[found["significant"].astype(bool)]
    if strong.empty:
        st.success("No day, session, subject or period stands out beyond chance.")
    for row in strong.itertuples(index=False):
        st.warning(f"**{row.label}**: {row.evidence}", icon=":material/insights:")
    table = found[["kind", "label", "possible", "absences", "rate", "pupil_rate", "p_adjusted", "evidence"]].rename(
        columns={
            "kind": "Kind",
            "label": "When",
            "possible": "Possible",
            "absences": "Absent",
            "rate": "Absence % here",
            "pupil_rate": "Absence % overall",
            "p_adjusted": "p (Holm-adjusted)",
            "evidence": "Evidence",
        }
    )
    st.dataframe(tables.readable(table.round(3)), hide_index=True, width="stretch")
    st.caption("A pattern is flagged when it is unlikely by chance (one-sided binomial test, Holm-adjusted p < 0.05).")


SPELL_COLUMNS = {
    "start_date": "From",
    "start_session": "",
    "end_date": "To",
    "end_session": " ",
    "sessions": "Sessions",
    "days": "Days",
    "unauthorised_sessions": "Unauthorised",
    "codes": "Codes",
}


def _spells(pf: Filter, upn: str, who: str, period: str) -> None:
    spells = common.cached(pupils.absence_spells, pf, upn)
    if common.is_empty_frame(spells):
        st.info("No absence in the chosen period.")
        return
    table = spells[list(SPELL_COLUMNS)].rename(columns=SPELL_COLUMNS)
    longest = spells.sort_values("sessions", ascending=False).iloc[0]
    st.markdown(
        f"{len(spells)} spells of absence; the longest was {longest['sessions']} sessions "
        f"from {pd.Timestamp(longest['start_date']):%d %B}."
    )
    st.dataframe(
        tables.readable(table),
        hide_index=True,
        width="stretch",
        column_config={c: st.column_config.DateColumn(c, format="DD/MM/YYYY") for c in ("From", "To")},
    )


def _trajectory(pf: Filter, upn: str, who: str, period: str) -> None:
    weekly = common.cached(overview.weekly_comparison, pf.replace(upns=(upn,)), value="attendance_rate")
    if weekly.empty:
        st.info("No weekly figures for this pupil.")
    else:
        wide = weekly.weeks
        fig = charts.lines(
            wide,
            "week",
            {"this_year": "school", "last_year": "last_year"},
            charts.chart_title(f"Attendance week by week: {who}", pf, period),
            y_title="Attendance %",
            names={"this_year": "This year", "last_year": "Last year"},
        )
        line = measures.PERSISTENT_LINE
        fig.add_hline(
            y=line, line=dict(color=charts.COMPARISON_COLOURS["group"], dash="dot"), annotation_text=f"{line:g}%"
        )
        charts.show(fig, wide.round({c: 1 for c in wide.columns if c != "week"}), key="pupil_trajectory")
    change = common.cached(pupils.trajectory, pf.replace(upns=(upn,)))
    if not common.is_empty_frame(change):
        r = change.iloc[0]
        st.markdown(
            f"Attendance {common.pct(r['attendance_this'])} in {r['half_term']} against "
            f"{common.pct(r['attendance_previous'])} in {r['previous_half_term']}; year to date "
            f"{common.pct(r['ytd_now'])} (was {common.pct(r['ytd_previous'])} at the end of last half-term)."
        )


def _lessons(pf: Filter, upn: str, who: str, period: str) -> None:
    subjects = common.cached(pupils.pupil_lesson_absence_by_subject, pf, upn)
    if common.is_empty_frame(subjects):
        st.info("No lesson registers for this pupil.")
        return
    fig = charts.bars(
        subjects.sort_values("absence_rate", ascending=False),
        "subject",
        "absence_rate",
        charts.chart_title(f"Lessons missed by subject: {who}", pf, period),
        y_title="Lessons missed %",
        horizontal=True,
    )
    table = subjects.rename(
        columns={
            "subject": "Subject",
            "possible_lessons": "Lessons",
            "absent_lessons": "Missed",
            "authorised_lessons": "Authorised",
            "unauthorised_lessons": "Unauthorised",
            "late_lessons": "Late",
            "post_registration_absences": "Missed after registering",
            "absence_rate": "Missed %",
        }
    )
    charts.show(fig, table, key="pupil_subjects")
    export.download_table(table, f"lessons_by_subject_{upn}")


BODIES = {
    "Calendar": _calendar,
    "For parents": _for_parents,
    "Patterns": _patterns,
    "Spells": _spells,
    "Trajectory": _trajectory,
    "Lessons": _lessons,
}

"""The one set of sidebar filters, kept across pages and in the URL so a view can be bookmarked.

``sidebar_filter()`` draws the widgets and returns a ``Filter`` already
restricted to the signed-in user's scope. The choices live in
``st.session_state["filters"]`` (so they survive moving between pages, where
Streamlit forgets widgets it did not draw) and are mirrored in the query
string: ``?school=999001&year=2025&term=autumn&half=1&yg=9,10&fsm=1``.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from analytics import school
from analytics.filters import FLAG_GROUPS, FLAG_LABELS, SEN_LABELS, TERMS, Filter, Scope, year_group_label
from data.db import academic_year_label
from ui import auth, headlines
from ui.session import cached
from ui.typed import as_typed

STATE = "filters"
FLAGS = FLAG_GROUPS
YES_NO = {"any": "Any", "yes": "Yes", "no": "No"}
# Query-string keys this module owns; any other key (``upn``) belongs to the page.
QUERY_KEYS = ("school", "year", "term", "half", "from", "to", "yg", "form", "sen", "gender", "eth", *FLAGS)


def forget_widgets() -> None:
    """Drop the filter widgets' own values so the next draw seeds them from the kept choices."""
    for name in [k for k in st.session_state if str(k).startswith("flt_")]:
        del st.session_state[name]


def _defaults() -> dict:
    return {
        "school": None,
        "year": None,
        "period": "ytd",
        "from": None,
        "to": None,
        "yg": [],
        "form": [],
        "sen": [],
        "gender": [],
        "eth": [],
        **{flag: "any" for flag in FLAGS},
    }


# --- the query string -------------------------------------------------------------------------------


def _split(text: str | None) -> list[str]:
    return [v.strip() for v in (text or "").split(",") if v.strip()]


def state_from_query(params) -> dict:
    """Filter choices from a query string (a mapping of str to str); unknown values are dropped later."""
    state = _defaults()
    if params.get("school"):
        state["school"] = params["school"]
    if str(params.get("year", "")).isdigit():
        state["year"] = int(params["year"])
    term = params.get("term")
    if term in TERMS:
        half = params.get("half")
        state["period"] = f"{term}-{half}" if half in ("1", "2") else term
    elif term == "custom" or params.get("from") or params.get("to"):
        state["period"] = "custom"
        for key in ("from", "to"):
            try:
                state[key] = date.fromisoformat(params.get(key, ""))
            except ValueError:
                state[key] = None
    state["yg"] = [int(v) for v in _split(params.get("yg")) if v.lstrip("-").isdigit()]
    for key in ("form", "sen", "gender", "eth"):
        state[key] = _split(params.get(key))
    for flag in FLAGS:
        state[flag] = {"1": "yes", "0": "no"}.get(params.get(flag, ""), "any")
    return state


def query_from_state(state: dict) -> dict[str, str]:
    """The query string for a set of choices: only what differs from the defaults."""
    out: dict[str, str] = {}
    if state.get("school"):
        out["school"] = str(state["school"])
    if state.get("year") is not None:
        out["year"] = str(state["year"])
    period = state.get("period", "ytd")
    if period == "custom":
        out["term"] = "custom"
        for key in ("from", "to"):
            if state.get(key):
                out[key] = state[key].isoformat()
    elif period != "ytd":
        term, _, half = period.partition("-")
        out["term"] = term
        if half:
            out["half"] = half
    if state.get("yg"):
        out["yg"] = ",".join(str(y) for y in state["yg"])
    for key in ("form", "sen", "gender", "eth"):
        if state.get(key):
            out[key] = ",".join(state[key])
    for flag in FLAGS:
        if state.get(flag) in ("yes", "no"):
            out[flag] = "1" if state[flag] == "yes" else "0"
    return out


def filter_from_state(state: dict, scope: Scope) -> Filter:
    """The Filter a set of choices means (the period resolved through the school's calendar by SQL)."""
    period = state.get("period", "ytd")
    term = half = date_from = date_to = None
    if period == "custom":
        date_from, date_to = state.get("from"), state.get("to")
    elif period != "ytd":
        term, _, half_text = period.partition("-")
        half = int(half_text) if half_text else None
    flags = {flag: {"yes": True, "no": False}.get(state.get(flag, "any")) for flag in FLAGS}
    return Filter(
        school_ids=(state["school"],) if state.get("school") else (),
        academic_year=state.get("year"),
        date_from=date_from,
        date_to=date_to,
        term=term,
        half_term=half,
        year_groups=tuple(state.get("yg", ())),
        forms=tuple(state.get("form", ())),
        sen=tuple(state.get("sen", ())),
        genders=tuple(state.get("gender", ())),
        ethnicities=tuple(state.get("eth", ())),
        scope=scope,
        **flags,
    )


# --- the widgets ----------------------------------------------------------------------------------


def scope_label(scope: Scope) -> str | None:
    """The pupils a restricted account sees ("Year 8", "Year 8, form 9A"); None for the whole school."""
    parts = []
    if scope.year_groups:
        parts.append(", ".join(year_group_label(y) for y in sorted(scope.year_groups)))
    if scope.forms:
        parts.append("form " + ", ".join(scope.forms))
    return " and ".join(parts) or None


def describe(f: Filter) -> str:
    """``f.describe()``, naming the account's own pupils when the filters chose no year group or form of their own.

    A Year 8 lead's figures are Year 8's: they must never read as the whole school's.
    """
    text = f.describe()
    mine = scope_label(f.scope)
    if mine and not (f.year_groups or f.forms):
        return mine if text == "all pupils" else f"{mine}, {text}"
    return text


def _load_state() -> dict:
    """This session's choices: from the URL when it names filters we did not write, else as kept."""
    params = {k: st.query_params.get(k) for k in QUERY_KEYS if st.query_params.get(k) is not None}
    kept = st.session_state.get(STATE)
    if params and params != st.session_state.get("_filters_written"):
        state = state_from_query(params)
        forget_widgets()  # the URL wins over what the widgets held
        return state
    return dict(kept) if kept else _defaults()


def _period_options(calendar) -> dict[str, str]:
    options = {"ytd": "Year to date"}
    if calendar is not None and not calendar.empty:
        for term in TERMS:
            halves = calendar[calendar["term"] == term]
            if halves.empty:
                continue
            options[term] = f"{term.capitalize()} term"
            for half in sorted(halves["half_term"].unique()):
                options[f"{term}-{int(half)}"] = f"{term.capitalize()} {int(half)}"
    options["custom"] = "Custom dates"
    return options


def _choose(key: str, options: list, current, fallback):
    """Seed a widget key with the kept choice when it is still offered."""
    if f"flt_{key}" not in st.session_state:
        st.session_state[f"flt_{key}"] = current if current in options else fallback


def _choose_many(key: str, options: list, current: list) -> None:
    if f"flt_{key}" not in st.session_state:
        st.session_state[f"flt_{key}"] = [v for v in current if v in options]
    else:
        st.session_state[f"flt_{key}"] = [v for v in st.session_state[f"flt_{key}"] if v in options]


def sidebar_filter(groups: bool = True) -> Filter:
    """Draw the sidebar filters and return the Filter they describe, restricted to the user's scope.

    ``groups=False`` (one pupil's page, which no pupil group narrows) draws the school, year and period only:
    the year groups, forms and pupil groups chosen elsewhere are kept for the other pages, not shown where
    they would change nothing.
    """
    scope = auth.current_user().scope
    state = _load_state()
    base = Filter(scope=scope)
    sb = st.sidebar
    sb.subheader("Filters")

    schools = cached(school.schools, base)
    school_ids = schools["school_id"].tolist() if not schools.empty else []
    names = dict(zip(schools.get("school_id", []), schools.get("name", []), strict=False))
    _choose("school", school_ids, state["school"], school_ids[0] if school_ids else None)
    if len(school_ids) > 1:
        sb.selectbox("School", school_ids, key="flt_school", format_func=lambda s: f"{names.get(s, s)} ({s})")
    state["school"] = st.session_state["flt_school"]
    at_school = base.replace(school_ids=(state["school"],) if state["school"] else ())

    years = cached(school.academic_years, at_school)
    _choose("year", years, state["year"], years[0] if years else None)
    if years:
        sb.selectbox("Academic year", years, key="flt_year", format_func=academic_year_label)
    state["year"] = st.session_state["flt_year"]
    in_year = at_school.replace(academic_year=state["year"])

    periods = _period_options(cached(school.calendar, in_year))
    _choose("period", list(periods), state["period"], "ytd")
    sb.selectbox("Period", list(periods), key="flt_period", format_func=periods.get)
    state["period"] = st.session_state["flt_period"]
    if state["period"] == "custom":
        latest = cached(school.latest_date, in_year) or date.today()
        start = state.get("from") or date(state["year"] or latest.year, 9, 1)
        if "flt_dates" not in st.session_state:
            st.session_state["flt_dates"] = (start, state.get("to") or latest)
        chosen = sb.date_input("Dates", key="flt_dates", format="DD/MM/YYYY")
        chosen = tuple(chosen) if isinstance(chosen, list | tuple) else (chosen,)
        state["from"] = chosen[0] if chosen else None
        state["to"] = chosen[1] if len(chosen) > 1 else None

    if groups:
        _pupil_groups(sb, state, in_year, scope)
    else:
        mine = scope_label(scope)
        sb.caption(
            (f"Your pupils: {mine}. " if mine else "")
            + "Year groups, forms and pupil groups do not narrow one pupil's page; they are kept for the others."
        )

    if sb.button("Reset filters", icon=":material/restart_alt:"):
        forget_widgets()
        st.session_state[STATE] = _defaults()
        _write_query({})
        st.rerun()

    st.session_state[STATE] = state
    _write_query(query_from_state(state))
    f = filter_from_state(state, scope)
    latest = cached(school.latest_date, in_year)
    if latest:
        sb.caption(f"Marks up to {latest:%A %d %B %Y}")
    return f


def _pupil_groups(sb, state: dict, in_year: Filter, scope: Scope) -> None:
    """The year groups, forms and pupil groups, each chosen into ``state``."""
    year_groups = cached(school.year_groups, in_year)
    _choose_many("yg", year_groups, state["yg"])
    mine = scope_label(scope)
    sb.multiselect(
        "Year groups",
        year_groups,
        key="flt_yg",
        format_func=year_group_label,
        placeholder=f"All of yours: {mine}" if mine else "All",
    )
    state["yg"] = st.session_state["flt_yg"]

    forms = cached(school.forms, in_year.replace(year_groups=tuple(state["yg"])))
    _choose_many("form", forms, state["form"])
    sb.multiselect("Forms", forms, key="flt_form", placeholder="All of yours" if mine else "All")
    state["form"] = st.session_state["flt_form"]

    chosen_groups = sum(state[f] != "any" for f in FLAGS) + sum(bool(state[k]) for k in ("sen", "gender", "eth"))
    with sb.expander(f"Pupil groups ({chosen_groups} chosen)" if chosen_groups else "Pupil groups"):
        for flag in FLAGS:
            _choose(flag, list(YES_NO), state[flag], "any")
            st.radio(FLAG_LABELS[flag], list(YES_NO), key=f"flt_{flag}", format_func=YES_NO.get, horizontal=True)
            state[flag] = st.session_state[f"flt_{flag}"]
        _choose_many("sen", list(SEN_LABELS), state["sen"])
        st.multiselect("SEN provision", list(SEN_LABELS), key="flt_sen", format_func=SEN_LABELS.get, placeholder="All")
        state["sen"] = st.session_state["flt_sen"]
        genders = ["F", "M"] + [g for g in state["gender"] if g not in ("F", "M")]
        _choose_many("gender", genders, state["gender"])
        st.multiselect("Gender", genders, key="flt_gender", placeholder="All")
        state["gender"] = st.session_state["flt_gender"]
        ethnicities = cached(school.ethnicities, in_year)
        _choose_many("eth", ethnicities, state["eth"])
        st.multiselect("Ethnicity", ethnicities, key="flt_eth", placeholder="All")
        state["eth"] = st.session_state["flt_eth"]


def _write_query(wanted: dict[str, str]) -> None:
    for key in QUERY_KEYS:
        if key in wanted:
            if st.query_params.get(key) != wanted[key]:
                st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]
    st.session_state["_filters_written"] = dict(wanted)


# --- comparisons ----------------------------------------------------------------------------------


school_name = school.school_name  # pages call it through here; the query is analytics'


period_label = headlines.period_label  # how a period is named (ui/headlines: the packs use it too)


def context(f: Filter) -> str:
    """The line under a page's title: the school, the period and who the figures cover."""
    return school_line(f, period_label(f), as_typed(describe(f)))


def school_line(f: Filter, *more: str) -> str:
    """The school's name (shown as the file spelt it, never read as Markdown), then ``more``, joined by " · "."""
    return " · ".join([as_typed(cached(school_name, f)), *more])


def narrowed(f: Filter, by: str, value) -> Filter:
    """The filter narrowed to one value of a pupil group (a clicked bar in a breakdown)."""
    if by in FLAGS:
        return f.replace(**{by: bool(value)})
    if by == "sen":
        return f.replace(sen=(value,))
    if by == "year_group":
        return f.replace(year_groups=(int(value),))
    if by == "form":
        return f.replace(forms=(value,))
    if by == "gender":
        return f.replace(genders=(value,))
    if by == "ethnicity":
        return f.replace(ethnicities=(value,))
    raise ValueError(f"cannot narrow a filter by {by!r}")


period_only = Filter.period_only  # a searched-for pupil is never hidden by the sidebar's pupil groups

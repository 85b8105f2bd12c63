"""The Groups and Patterns tabs that show uncertainty run for each measure and role, and say what they should."""

from __future__ import annotations

import pytest

from tests.test_app_smoke import app_db, chart_specs, open_figures, run_page  # noqa: F401  (fixture)


def _text(at) -> str:
    captions = " ".join(str(c.value) for c in at.caption)
    return captions + " " + " ".join(chart_specs(at))


@pytest.mark.parametrize(
    ("tab", "measure", "role", "expect", "hint"),
    [
        ("Each group against the rest", "overall_absence", None, "Whiskers: 95% interval", True),
        ("Each group against the rest", "persistent_absence", "governor", "Whiskers: 95% interval", False),
        ("The gap over the year", "persistent_absence", None, "year to date at the end of each half-term", False),
        ("Where groups overlap", "persistent_absence", None, "Persistent absence: FSM x SEN provision", True),
        ("Where groups overlap", "overall_absence", "governor", "Overall absence: FSM x SEN provision", False),
        ("Funnel plot", "overall_absence", None, "99.8% limits", True),
        ("Funnel plot", "persistent_absence", "governor", "99.8% limits", False),
    ],
)
def test_groups_tabs_follow_the_measure(monkeypatch, app_db, tab, measure, role, expect, hint):  # noqa: F811
    at = run_page(monkeypatch, app_db, "pages/groups.py", role=role)
    at.session_state["groups_tab"] = tab
    at.session_state["groups_measure"] = measure
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = _text(at)
    assert expect in text
    # Only a viewer who may see pupils is told to click for them.
    assert ("Click a" in text) == hint


def test_the_unusual_weeks_tab_draws_the_control_chart(monkeypatch, app_db):  # noqa: F811
    at = run_page(monkeypatch, app_db, "pages/patterns.py")
    at.session_state["patterns_tab"] = "Unusual weeks"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Ordinary week-to-week variation" in _text(at)
    assert "Same week last year" in _text(at)


@pytest.mark.parametrize("choice", ["persistent", "at_risk", "penalty"])
def test_every_list_shows_each_pupils_road_to_the_end_of_the_year(monkeypatch, app_db, choice):  # noqa: F811
    at = run_page(monkeypatch, app_db, "pages/lists.py")
    at.session_state["lists_choice"] = choice
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[-1].value
    for heading in ("Best reachable %", "Days still to spare", "At current rate %", "Penalty threshold at this rate"):
        assert heading in table.columns, heading
    assert "Rule of 3: days left this half-term" in table.columns
    assert table["Best reachable %"].notna().all()
    assert table["Best reachable %"].astype(float).between(0, 100).all()
    when = set(table["Penalty threshold at this rate"])
    assert when and all(w in ("reached", "not this year") or w[0].isdigit() for w in when)
    if choice == "penalty":
        assert "reached" in when  # on the threshold list, every window ends in the last ten weeks or earlier


def test_the_governors_pack_page_draws_the_intervals(monkeypatch, app_db):  # noqa: F811
    at = run_page(monkeypatch, app_db, "pages/governors.py", role="governor")
    at.session_state["gov_tab"] = "Groups of pupils"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    spec = " ".join(str(getattr(ch.proto, "spec", "")) for ch in at.get("plotly_chart"))
    assert "error_x" in spec and "95% interval" in spec
    assert "Whiskers: 95% interval" in _text(at)


@pytest.mark.parametrize("role", [None, "governor"])
def test_what_changed_most_gives_each_change_its_interval(monkeypatch, app_db, role):  # noqa: F811
    at = open_figures(run_page(monkeypatch, app_db, "pages/overview.py", role=role))
    assert not at.exception, [e.value for e in at.exception]
    tables = [d.value for d in at.dataframe if "Against noise" in d.value.columns]
    assert tables, "no table of changes with their noise"
    changes = tables[0]
    assert set(changes["Against noise"]) <= {"Beyond chance", "Within noise", "—"}
    assert changes["95% interval"].str.contains(" to ").any()
    assert "within what chance explains" in _text(at)
    # A governor never sees a change built on a small group: left out (and said so), not flagged.
    assert ("are left out" in _text(at)) == (role == "governor")
    if role == "governor":
        assert not changes["Value"].str.contains("few pupils").any()


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([{"curve_number": 5, "point_index": 0, "customdata": ["TS02"]}], ("TS02", "Second School")),
        ([{"curve_number": 0, "point_index": 3}], None),  # a click on a limit line
        ([{"customdata": ["ELSEWHERE"]}], None),  # not a school the user may see
        ([], None),
    ],
)
def test_a_clicked_funnel_point_names_its_school(points, expected):
    import pandas as pd

    from ui import trust_view

    schools = pd.DataFrame({"school_id": ["TS01", "TS02"], "name": ["First School", "Second School"]})
    assert trust_view.clicked_school(points, schools) == expected

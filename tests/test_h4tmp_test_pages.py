"""The sidebar filters: the query string round trip, restoring a bookmarked view, and filters changing figures."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from analytics.filters import Filter, Scope
from tests.test_h4tmp_test_app_smoke import run_page
from ui import charts, filters


@pytest.fixture(scope="module")
def app_db(sample_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("pages") / "pages.duckdb"
    shutil.copy(sample_db, path)
    return path


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, Filter()),
        ({"school": "999001", "year": "2025"}, Filter(school_ids=("999001",), academic_year=2025)),
        ({"year": "2025", "term": "autumn"}, Filter(academic_year=2025, term="autumn")),
        ({"term": "spring", "half": "2"}, Filter(term="spring", half_term=2)),
        (
            {"term": "custom", "from": "2025-09-01", "to": "2025-10-24"},
            Filter(date_from=date(2025, 9, 1), date_to=date(2025, 10, 24)),
        ),
        ({"yg": "9,10", "fsm": "1"}, Filter(year_groups=(9, 10), fsm=True)),
        ({"eal": "0", "sen": "E,K"}, Filter(eal=False, sen=("E", "K"))),
        ({"form": "9A", "gender": "F", "eth": "WBRI"}, Filter(forms=("9A",), genders=("F",), ethnicities=("WBRI",))),
        ({"term": "winter", "year": "next", "yg": "x", "fsm": "maybe"}, Filter()),  # nonsense is ignored
    ],
)
def test_query_string_reads_as_a_filter(query, expected):
    assert filters.filter_from_state(filters.state_from_query(query), Scope()) == expected


@pytest.mark.parametrize(
    "query",
    [
        {"school": "999001", "year": "2025", "term": "autumn", "half": "1", "yg": "9,10", "fsm": "1"},
        {"year": "2024", "term": "custom", "from": "2024-09-02", "to": "2024-12-20", "sen": "K", "lac": "0"},
        {"form": "7A,7B", "cin": "1", "gender": "M", "eth": "WBRI,AIND"},
    ],
)
def test_query_string_round_trips(query):
    assert filters.query_from_state(filters.state_from_query(query)) == query


def test_the_users_scope_travels_in_the_filter():
    scope = Scope(year_groups=(8,), pupil_level=False)
    assert filters.filter_from_state(filters.state_from_query({"yg": "8"}), scope).scope == scope


@pytest.mark.parametrize(
    ("by", "value", "expected"),
    [
        ("fsm", True, Filter(fsm=True)),
        ("sen", "K", Filter(sen=("K",))),
        ("year_group", 9, Filter(year_groups=(9,))),
        ("form", "9A", Filter(forms=("9A",))),
        ("gender", "F", Filter(genders=("F",))),
        ("ethnicity", "WBRI", Filter(ethnicities=("WBRI",))),
    ],
)
def test_a_clicked_group_narrows_the_filter(by, value, expected):
    assert filters.narrowed(Filter(), by, value) == expected


def test_chart_titles_say_who_and_when():
    title = charts.chart_title(
        "Overall absence", Filter(year_groups=(9,), fsm=True, academic_year=2025), "Year to date"
    )
    assert charts.plain_title(title) == "Overall absence — Year 9, FSM, 2025/26, Year to date"


def test_a_bookmarked_url_restores_the_filters(monkeypatch, app_db):
    at = run_page(monkeypatch, app_db, "pages/overview.py", query={"yg": "9", "fsm": "1", "term": "autumn"})
    assert not at.exception
    assert at.multiselect(key="flt_yg").value == [9]
    assert at.radio(key="flt_fsm").value == "yes"
    assert at.selectbox(key="flt_period").value == "autumn"
    assert at.query_params["yg"] in ("9", ["9"])
    assert "Year 9" in at.caption[0].value


def test_choosing_a_year_group_changes_the_figures_and_the_url(monkeypatch, app_db):
    at = run_page(monkeypatch, app_db, "pages/overview.py")
    whole_school = [m.value for m in at.metric]
    at.multiselect(key="flt_yg").set_value([9]).run()
    assert not at.exception
    assert at.query_params["yg"] in ("9", ["9"])
    assert [m.value for m in at.metric] != whole_school


def test_filters_carry_across_pages(monkeypatch, app_db):
    at = run_page(monkeypatch, app_db, "pages/overview.py")
    at.multiselect(key="flt_yg").set_value([10]).run()
    at.switch_page("pages/groups.py").run()
    assert not at.exception
    assert at.multiselect(key="flt_yg").value == [10]


def test_the_pupil_page_opens_the_pupil_named_in_the_url(monkeypatch, app_db, sample_db):
    from analytics import pupils
    from data import db

    with db.connection(sample_db, read_only=True) as con:
        upn = pupils.find_pupils(con, Filter(), "").iloc[0]["upn"]
    at = run_page(monkeypatch, app_db, "pages/pupils.py", query={"upn": upn})
    assert not at.exception, [e.value for e in at.exception]
    assert [m.label for m in at.metric][:2] == ["Attendance", "Authorised absence"]
    assert len(at.get("plotly_chart")) >= 1


def test_lists_offer_every_list(monkeypatch, app_db):
    at = run_page(monkeypatch, app_db, "pages/lists.py")
    assert not at.exception
    assert at.metric[0].label == "Persistent absence"
    assert at.metric[0].value.endswith("pupils")


@pytest.fixture(scope="session")
def sample_db():
    from pathlib import Path
    return Path("/tmp/h4/sample.duckdb")

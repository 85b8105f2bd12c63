"""The sidebar filters: the query string round trip, restoring a bookmarked view, and filters changing figures."""

from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest

from analytics.filters import Filter, Scope
from tests.test_app_smoke import chart_specs, charts_drawn, run_page
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


def test_a_pupils_page_leaves_out_the_pupil_groups_and_keeps_them_for_the_others(monkeypatch, app_db):
    at = run_page(monkeypatch, app_db, "pages/overview.py")
    at.multiselect(key="flt_yg").set_value([10]).run()
    at.radio(key="flt_fsm").set_value("yes").run()
    at.switch_page("pages/pupils.py").run()
    assert not at.exception, [e.value for e in at.exception]
    drawn = {w.key for w in [*at.multiselect, *at.radio]}
    assert not {k for k in drawn if k.startswith("flt_")}, "no pupil group narrows one pupil's page"
    assert any("do not narrow one pupil's page" in c.value for c in at.sidebar.caption)
    assert at.query_params["yg"] in ("10", ["10"]) and at.query_params["fsm"] in ("1", ["1"])
    at.switch_page("pages/groups.py").run()
    assert (at.multiselect(key="flt_yg").value, at.radio(key="flt_fsm").value) == ([10], "yes")


def test_the_pupil_page_opens_the_pupil_named_in_the_url(monkeypatch, app_db, sample_db):
    from analytics import pupils
    from data import db

    with db.connection(sample_db, read_only=True) as con:
        upn = pupils.find_pupils(con, Filter(), "").iloc[0]["upn"]
    at = run_page(monkeypatch, app_db, "pages/pupils.py", query={"upn": upn})
    assert not at.exception, [e.value for e in at.exception]
    assert [m.label for m in at.metric][:2] == ["Attendance", "Authorised absence"]
    assert charts_drawn(at) >= 1


def _two_pupils(sample_db) -> list[tuple[str, str]]:
    from analytics import pupils, school
    from data import db

    with db.connection(sample_db, read_only=True) as con:
        latest = Filter(academic_year=school.academic_years(con, Filter())[0])  # the year the page opens on
        found = pupils.find_pupils(con, latest, "")
    return [(r.upn, r.surname) for r in found.drop_duplicates("surname").head(2).itertuples()]


def test_a_second_search_replaces_the_pupil_on_screen(monkeypatch, app_db, sample_db):
    (first, _), (second, _) = _two_pupils(sample_db)
    at = run_page(monkeypatch, app_db, "pages/pupils.py", query={"upn": first})
    assert at.main.selectbox[0].value == first
    at.text_input(key="pupil_query").input(second).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.main.selectbox[0].value == second
    assert at.query_params["upn"] == [second] or at.query_params["upn"] == second


def test_a_pupils_tabs_are_built_only_when_opened(monkeypatch, app_db, sample_db):
    (upn, _), _ = _two_pupils(sample_db)
    at = run_page(monkeypatch, app_db, "pages/pupils.py", query={"upn": upn})
    titles = lambda: " ".join(chart_specs(at))  # noqa: E731
    assert "Every session" in titles() and "Rule of 3" not in titles()
    at.session_state["pupil_tab"] = "For parents"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Rule of 3" in titles() and "Every session" not in titles()


def test_lists_offer_every_list(monkeypatch, app_db):
    at = run_page(monkeypatch, app_db, "pages/lists.py")
    assert not at.exception
    assert at.metric[0].label == "Persistent absence"
    assert at.metric[0].value.endswith("pupils")


# --- drill-down charts ----------------------------------------------------------------------------------


def test_every_heatmap_cell_is_a_clickable_point_with_its_value():
    import pandas as pd

    grid = pd.DataFrame({"Monday": [7.2, 7.4], "Friday": [7.0, float("nan")]}, index=["AM", "PM"])
    fig = charts.heatmap(grid, "Absence", hover="%{x} %{y}: %{z:.1f}% absence")
    heat, cells = fig.data
    # Plotly cannot select a heatmap cell, so the heatmap takes no hover and a marker on each cell does.
    assert heat.hoverinfo == "skip"
    assert cells.type == "scatter" and cells.mode == "markers"
    assert list(zip(cells.x, cells.y, cells.customdata, strict=True)) == [
        ("Monday", "AM", "7.2"),
        ("Friday", "AM", "7.0"),
        ("Monday", "PM", "7.4"),
        ("Friday", "PM", "no figure"),
    ]
    assert cells.hovertemplate == "%{x} %{y}: %{customdata}% absence<extra></extra>"
    assert fig.layout.hoverdistance == -1  # the nearest cell centre wins anywhere in the grid


@pytest.mark.parametrize(
    ("x", "y", "outlined"),
    [
        ("Friday", "AM", (1, 0)),  # column 1, row 0: the shape spans half a cell either side of its centre
        ("Monday", "PM", (0, 1)),
        ("Tuesday", "AM", None),  # not on this grid: nothing outlined
        ("Friday", "Late", None),
    ],
)
def test_a_clicked_heatmap_cell_is_outlined(x, y, outlined):
    import pandas as pd

    grid = pd.DataFrame({"Monday": [7.2, 7.4], "Friday": [7.0, 6.1]}, index=["AM", "PM"])
    fig = charts.heatmap(grid, "Absence")
    assert charts.outline_cell(fig, x, y) is (outlined is not None)
    shapes = [(s.x0, s.x1, s.y0, s.y1) for s in fig.layout.shapes if s.name == "selected cell"]
    i, j = outlined or (None, None)
    assert shapes == ([] if outlined is None else [(i - 0.5, i + 0.5, j - 0.5, j + 0.5)])


def _outlined_cells(at) -> list[str]:
    import json

    found = []
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        found += [f"{s['x0']},{s['y0']}" for s in spec["layout"].get("shapes", []) if s.get("name") == "selected cell"]
    return found


def test_the_patterns_heatmap_keeps_the_clicked_cell_outlined_while_its_pupils_show(monkeypatch, app_db):
    at = run_page(monkeypatch, app_db, "pages/patterns.py")
    assert not at.exception, [e.value for e in at.exception]
    assert _outlined_cells(at) == []  # nothing clicked, nothing outlined, no list
    assert not any("Pupils behind" in m.value for m in at.markdown)
    at.session_state[charts.cell_key("patterns_weekday")] = {"x": "Friday", "y": "PM"}  # as a click leaves it
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _outlined_cells(at) == ["3.5,0.5"]  # Friday is the fifth column, PM the second row
    assert any("Pupils behind: Friday PM absence" in m.value for m in at.markdown)


@pytest.mark.parametrize(
    ("page", "tab", "absent_before", "present_after"),
    [
        ("pages/patterns.py", "Lateness", "Late arrivals", "Late arrivals"),
        ("pages/groups.py", "Where groups overlap", "Overall absence: FSM x SEN provision", "FSM x SEN provision"),
        ("pages/quality.py", "Import log", "imports, newest first", "imports, newest first"),
    ],
)
def test_tabs_are_built_only_when_opened(monkeypatch, app_db, page, tab, absent_before, present_after):
    at = run_page(monkeypatch, app_db, page)
    assert not at.exception, [e.value for e in at.exception]
    before = " ".join(str(c.value) for c in at.caption) + " ".join(
        str(getattr(ch.proto, "spec", "")) for ch in at.get("plotly_chart")
    )
    assert absent_before not in before
    key = {"pages/patterns.py": "patterns_tab", "pages/groups.py": "groups_tab", "pages/quality.py": "quality_tab"}
    at.session_state[key[page]] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    after = " ".join(str(c.value) for c in at.caption) + " ".join(
        str(getattr(ch.proto, "spec", "")) for ch in at.get("plotly_chart")
    )
    assert present_after in after


# --- the import log -------------------------------------------------------------------------------------


def test_the_import_log_lists_every_import_newest_first(con):
    from data import quality

    con.execute("INSERT INTO schools (school_id, name) VALUES ('T1', 'Test'), ('T2', 'Other')")
    rows = [
        ("T1", "a.csv", "imported", None, "2025-09-01 08:00"),
        ("T1", "b.csv", "refused", "line 4, column 'Date': not a date", "2025-09-02 08:00"),
        ("T2", "c.csv", "imported", None, "2025-09-03 08:00"),
        (None, "d.txt", "refused", "not a register export", "2025-09-04 08:00"),
    ]
    for school, name, outcome, message, when in rows:
        con.execute(
            "INSERT INTO import_log (school_id, file_name, sha256, kind, rows, imported_at, outcome, message)"
            " VALUES (?, ?, 'x', 'sessions', 10, ?, ?, ?)",
            [school, name, when, outcome, message],
        )
    assert quality.import_log(con)["file_name"].tolist() == ["d.txt", "c.csv", "b.csv", "a.csv"]
    # One school's log keeps the files refused before their school was known.
    assert quality.import_log(con, "T1")["file_name"].tolist() == ["d.txt", "b.csv", "a.csv"]
    assert quality.import_log(con, "T1", limit=1)["file_name"].tolist() == ["d.txt"]
    refused = quality.import_log(con, "T1").set_index("file_name").loc["b.csv"]
    assert (refused["outcome"], refused["message"]) == ("refused", "line 4, column 'Date': not a date")


@pytest.mark.parametrize(
    ("meaning", "legend"),
    [
        ("Late (before registers closed)", "Late (before registers closed)"),  # short enough: whole
        ("Leave of absence for exceptional circumstances", "Leave of absence for exceptional…"),
        ("Illness (not medical or dental appointments)", "Illness (not medical or dental…"),
    ],
)
def test_a_reasons_legend_cuts_a_long_meaning_at_a_word(meaning, legend):
    from ui import pattern_tabs

    assert pattern_tabs._shortened(meaning) == legend


@pytest.mark.parametrize(
    "typed, markdown",
    [
        ("Attendance meeting", "Attendance meeting"),  # nothing to escape
        ("5% ($0 now, $50 later)", r"5% (\$0 now, \$50 later)"),  # never a formula
        ("*every* Friday_am", r"\*every\* Friday\_am"),  # never italics
        (":red[late] at 10:30", r"\:red\[late\] at 10\:30"),  # never Streamlit's colour or emoji codes
        ("a|b <b>x</b> # ~~s~~", r"a\|b \<b\>x\</b\> \# \~\~s\~\~"),
        ("two\nlines", "two lines"),
    ],
)
def test_typed_text_shows_as_typed(typed, markdown):
    from ui.typed import as_typed

    assert as_typed(typed) == markdown


@pytest.mark.parametrize(
    "value, cell",
    [
        ("Met mum: in by 8.40", "<td>Met mum: in by 8.40</td>"),
        ("<b>Late</b> & 'often'", "<td>&lt;b&gt;Late&lt;/b&gt; &amp; &#x27;often&#x27;</td>"),  # typed, never markup
        (None, "<td>—</td>"),  # a gap says so, never "None"
        (3.0, "<td>3</td>"),
        (pd.Timestamp("2026-11-03"), "<td>03/11/2026</td>"),
    ],
)
def test_a_short_table_as_html_writes_each_cell_as_text(value, cell):
    from ui import tables

    markup = tables.as_html(pd.DataFrame({"Notes <i>": [value]}), label="Actions & letters")
    assert cell in markup
    assert '<th scope="col">Notes &lt;i&gt;</th>' in markup and 'aria-label="Actions &amp; letters"' in markup


@pytest.mark.parametrize("page_path", ["pages/overview.py", "pages/patterns.py", "pages/quality.py"])
def test_a_schools_name_from_its_file_shows_as_spelt(monkeypatch, app_db, tmp_path, page_path):
    from data import db

    path = tmp_path / "named.duckdb"
    shutil.copy(app_db, path)
    with db.connection(path) as con:
        con.execute("UPDATE schools SET name = 'St *Mary* & [All] Saints $5 Academy'")
    at = run_page(monkeypatch, path, page_path)
    assert not at.exception, [e.value for e in at.exception]
    lines = [c.value for c in at.caption if "Academy" in c.value]
    assert lines and r"St \*Mary\* & \[All\] Saints \$5 Academy · " in lines[0]  # never italics, a link or LaTeX

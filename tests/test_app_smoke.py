"""Every page of the dashboard runs, on the sample school and on an empty database, with its key elements.

AppTest runs the real app.py (sign-in gate in demo mode, navigation, sidebar
filters) against a real DuckDB file; pages write audit entries, so each module
works on its own copy of the sample database.
"""

from __future__ import annotations

import re
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from ui import common, registry
from ui.charts import calendar_grid

APP = str(common.ROOT / "app.py")
TIMEOUT = 120
# What the sample school shows on a page (the pages themselves are ui/registry.py's): key -> (heading, has a chart)
SHOWS = {
    "overview": ("Overview", True),
    "groups": ("Groups", True),
    "patterns": ("Patterns", True),
    "pupils": ("Pupils", False),
    "lists": ("Lists", False),
    "governors": ("Governors' pack", True),
    "quality": ("Data quality", True),
    "import": ("Import registers", False),
}
EVERY_PAGE = list(registry.PAGES)


@pytest.fixture(scope="module")
def app_db(sample_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("app") / "app.duckdb"
    shutil.copy(sample_db, path)
    return path


@pytest.fixture
def empty_db(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTENDANCE_SAMPLE", "0")  # keep it empty: no sample on first run
    return tmp_path / "empty.duckdb"


def run_page(monkeypatch, db, path: str, query: dict | None = None, role: str | None = None) -> AppTest:
    monkeypatch.setenv("ATTENDANCE_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if role:
        at.session_state["_auth_demo_role"] = role
    at.run()
    if path != "pages/overview.py":
        # AppTest reruns only the page after the first run; the real server reruns app.py too.
        at.switch_page(path)
        at.run()
    return at


def open_figures(at: AppTest) -> AppTest:
    """Open every expander whose table is drawn only when opened (a chart's "Figures"), as a reader would."""
    # A tracked expander's id is "$$ID-<hash>-<key>"; its key in the session says whether it is open.
    keys = [e.proto.id.split("-", 2)[2] for e in at.expander if e.proto.id.startswith("$$ID-")]
    for key in keys:
        at.session_state[key] = True
    if keys:
        at.run()
    return at


def chart_specs(at: AppTest) -> list[str]:
    """Each chart the run drew, as its spec's text: Plotly's figures, Vega-Lite's specs (the Overview's) and
    HTML charts (a pupil's calendar, ui/charts/calendar_grid.py)."""
    drawn = [str(getattr(ch.proto, "spec", "")) for kind in CHART_KINDS for ch in at.get(kind)]
    return drawn + [h.proto.body for h in at.get("html") if f'class="{calendar_grid.CLASS}"' in h.proto.body]


CHART_KINDS = ("plotly_chart", "vega_lite_chart")


def charts_drawn(at: AppTest) -> int:
    return len(chart_specs(at))


# Every page as an administrator, and each page of the two roles whose view differs most (a leader's is an admin's).
ROLE_PAGES = [("admin", spec) for spec in EVERY_PAGE] + [
    (role, spec) for role in ("pastoral (Year 8)", "governor") for spec in EVERY_PAGE if spec.roles & {role.split()[0]}
]
EMPTY_WORDS = re.compile(r"\b(None|nan|NaN|NaT)\b")


def empty_on_screen(at: AppTest) -> list[str]:
    """Where a person would read "None" or "nan": a table cell with no value, or the words in any text."""
    found = []
    for table in at.dataframe:
        df = table.value
        for column in df.columns:
            if df[column].isna().any() or df[column].astype(str).str.fullmatch(EMPTY_WORDS.pattern).any():
                found.append(f"table column {column!r}")
    for kind in ("markdown", "caption", "metric", "info", "warning", "success", "subheader"):
        for element in at.get(kind):
            text = " ".join(str(getattr(element, a, "") or "") for a in ("value", "label", "body"))
            if EMPTY_WORDS.search(text):
                found.append(f"{kind}: {text[:120]}")
    return found


@pytest.mark.parametrize(("role", "spec"), ROLE_PAGES, ids=[f"{r.split()[0]}-{s.key}" for r, s in ROLE_PAGES])
def test_every_page_runs_on_the_sample_school_with_every_empty_cell_explained(monkeypatch, app_db, role, spec):
    at = run_page(monkeypatch, app_db, spec.path, role=role)
    if role == "admin":  # every chart's figures table once (the other roles' are opened in tests/test_roles.py)
        open_figures(at)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, f"{spec.key} has no title"
    if spec.key in SHOWS and role == "admin":
        title, has_chart = SHOWS[spec.key]
        assert at.title[0].value == title
        if has_chart:
            assert charts_drawn(at) > 0, f"{spec.key} drew no chart"
    assert empty_on_screen(at) == []


@pytest.mark.parametrize("spec", EVERY_PAGE, ids=[s.key for s in EVERY_PAGE])
def test_every_page_runs_on_an_empty_database(monkeypatch, empty_db, spec):
    at = run_page(monkeypatch, empty_db, spec.path)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title
    assert not at.error


def test_the_sample_banner_shows_on_the_sample_school(monkeypatch, app_db):
    at = run_page(monkeypatch, app_db, "pages/overview.py")
    assert any("generated sample data for a fictional school" in w.value for w in at.warning)


def test_overview_shows_the_headline_metrics(monkeypatch, app_db):
    at = run_page(monkeypatch, app_db, "pages/overview.py")
    labels = [m.label for m in at.metric]
    assert labels == [
        "Attendance",
        "Authorised absence",
        "Unauthorised absence",
        "Persistent absence",
        "Severe absence",
    ]
    assert all(m.value.endswith("%") for m in at.metric)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("pages/overview.py", common.EMPTY_MESSAGE),
        ("pages/groups.py", common.EMPTY_MESSAGE),
        ("pages/patterns.py", common.EMPTY_MESSAGE),
        ("pages/lists.py", common.EMPTY_MESSAGE),
        ("pages/governors.py", common.EMPTY_MESSAGE),
    ],
)
def test_a_period_without_marks_shows_the_empty_state(monkeypatch, app_db, path, message):
    # The summer holiday before the sample's first year: no marks, so no pupils.
    at = run_page(monkeypatch, app_db, path, query={"term": "custom", "from": "2000-08-01", "to": "2000-08-02"})
    assert not at.exception, [e.value for e in at.exception]
    assert message in [i.value for i in at.info]
    assert charts_drawn(at) == 0


def test_a_governor_gets_no_pupil_level_page_or_row(monkeypatch, app_db):
    at = run_page(monkeypatch, app_db, "pages/overview.py", role="governor")
    for path in ("pages/pupils.py", "pages/lists.py", "pages/import.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(path)
    at.switch_page("pages/governors.py").run()
    assert not at.exception, [e.value for e in at.exception]
    for table in at.dataframe:
        columns = " ".join(str(c) for c in table.value.columns).lower()
        assert "upn" not in columns and "surname" not in columns


def test_the_session_module_depends_only_on_data():
    """The bottom of ui/: everything else in ui/ may take the database from it (tests/test_shape.py checks cycles)."""
    import ast

    tree = ast.parse((common.ROOT / "ui" / "session.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert {m.split(".")[0] for m in imported if m} <= {
        "__future__",
        "importlib",
        "threading",
        "collections",
        "duckdb",
        "streamlit",
        "data",
    }

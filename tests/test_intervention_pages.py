"""The caseload, impact and action-plan pages and the pupil page's actions panel, on the sample school with its log."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from data import db, interventions, letter_templates, sample
from tests.test_app_smoke import run_page
from ui import auth, common


def page(monkeypatch, path, name: str, role: str = "leader", query: dict | None = None) -> AppTest:
    """One page file on its own (forms submit in one run this way), as a demo role."""
    monkeypatch.setenv("ATTENDANCE_DB", str(path))
    at = AppTest.from_file(str(common.ROOT / "pages" / name), default_timeout=120)
    at.session_state[auth.DEMO_KEY] = role
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def open_box(at: AppTest, key: str) -> AppTest:
    """Open a box whose form is drawn only once opened (``charts.on_demand``), as a click on it does."""
    assert not [e for e in at.expander if e.proto.id.endswith(f"-{key}") and e.proto.expanded], f"{key} starts open"
    at.session_state[key] = True
    return at.run()


@pytest.fixture(scope="module")
def log_db(sample_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("log_pages") / "app.duckdb"
    shutil.copy(sample_db, path)
    with db.connection(path) as con:
        sample.load_intervention_log(con, sample.SECONDARY)
        upn = con.execute(
            """SELECT i.upn FROM interventions i JOIN enrolments e USING (school_id, upn)
               WHERE e.academic_year = 2026 AND i.date >= DATE '2026-09-01' ORDER BY i.date, i.upn LIMIT 1"""
        ).fetchone()[0]
    return path, upn


def test_caseload_shows_stage_actions_and_the_to_do_list(monkeypatch, log_db):
    path, _ = log_db
    at = run_page(monkeypatch, path, "pages/caseload.py")
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Caseload"
    assert [m.label for m in at.metric] == ["Pupils with actions", "Reviews overdue", "Flagged, nothing recorded"]
    columns = list(at.dataframe[0].value.columns)
    assert {"Suggested stage", "Last action", "Since then %", "Review by"} <= set(columns)


def test_impact_page_shows_each_type_against_matched_pupils(monkeypatch, log_db):
    path, _ = log_db
    at = run_page(monkeypatch, path, "pages/impact.py", query={"year": "2025"})
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("plotly_chart")) == 1
    table = at.dataframe[0].value
    assert {"Letter", "Mentoring"} <= set(table["Intervention"])


def test_action_plan_leaders_add_governors_read(monkeypatch, log_db):
    path, _ = log_db
    at = page(monkeypatch, path, "action_plan.py")
    assert not at.exception, [e.value for e in at.exception]
    at.text_input(key="plan_action").input("Daily first-day calls for Year 9")
    at.button(key="FormSubmitter:add_action-Add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Daily first-day calls" in m.value for m in at.markdown)
    gov = page(monkeypatch, path, "action_plan.py", role="governor")
    assert not gov.exception, [e.value for e in gov.exception]
    assert any("Daily first-day calls" in m.value for m in gov.markdown)
    assert not [t for t in gov.text_input if t.key == "plan_action"]
    assert any("Read only" in c.value for c in gov.caption)


def test_pupil_page_panel_records_an_action(monkeypatch, log_db):
    path, upn = log_db
    at = page(monkeypatch, path, "pupils.py", query={"upn": upn})
    assert not at.exception, [e.value for e in at.exception]
    assert "Actions and letters" in [h.value for h in at.subheader]
    assert any("Attendance since the" in m.value or "Latest action" in m.value for m in at.markdown)
    assert not at.text_area, "the form is drawn only once its box is opened"
    open_box(at, f"iv_{upn}_record_box")
    at.text_area(key=f"iv_{upn}_notes").input("Agreed a plan: in by 8.40 every day")
    at.button(key=f"FormSubmitter:iv_{upn}_record-Record").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with db.connection(path) as con:
        notes = set(interventions.entries(con, interventions.Scope(), upns=(upn,))["notes"])
    assert "Agreed a plan: in by 8.40 every day" in notes
    logs = [h.proto.body for h in at.get("html") if "Actions logged for this pupil" in h.proto.body]
    assert len(logs) == 1 and "Agreed a plan: in by 8.40 every day" in logs[0]  # the log, drawn again with it


def test_a_year_group_chosen_elsewhere_never_hides_a_pupils_actions(monkeypatch, log_db):
    path, upn = log_db
    with db.connection(path) as con:  # as the pages open it (DuckDB refuses one file opened two ways)
        (year_group,) = con.execute(
            "SELECT year_group FROM enrolments WHERE upn = ? AND academic_year = 2026", [upn]
        ).fetchone()
    other = 7 if year_group != 7 else 8  # the sidebar's year groups, kept from another page, leave this pupil out
    at = page(monkeypatch, path, "pupils.py", query={"upn": upn, "yg": str(other)})
    assert not at.exception, [e.value for e in at.exception]
    assert any("Attendance since the" in m.value or "Latest action" in m.value for m in at.markdown)
    assert at.query_params["yg"] in (str(other), [str(other)])  # kept for the other pages


def test_a_letter_from_the_pupil_page_goes_in_the_familys_language(monkeypatch, log_db):
    path, _ = log_db
    with db.connection(path) as con:
        upn = con.execute(
            """SELECT p.upn FROM pupils p JOIN enrolments e USING (school_id, upn)
               WHERE p.language = 'Polish' AND e.academic_year = 2026 ORDER BY p.upn LIMIT 1"""
        ).fetchone()[0]
        body = "Frekwencja {forename}: {attendance}."
        letter_templates.save(con, "lead@school", "999001", "first_concern", "O {forename}", body, language="POL")
    at = page(monkeypatch, path, "pupils.py", query={"upn": upn})
    assert not at.exception, [e.value for e in at.exception]
    open_box(at, f"iv_{upn}_letter_box")
    assert any("home language Polish" in c.value for c in at.caption)
    at.button(key=f"iv_{upn}_make").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [i.value for i in at.info if "letter" in i.value] == ["1 letter in Polish"]
    at.selectbox(key=f"iv_{upn}_kind").set_value("meeting").run()
    at.button(key=f"iv_{upn}_make").click().run()
    assert [i.value for i in at.info if "letter" in i.value] == [
        "1 letter in English: no Polish template for 'Invitation to an attendance meeting'"
    ]

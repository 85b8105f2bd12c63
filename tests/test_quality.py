"""The data-quality report on a small hand-checked register and on the messy sample export."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from data import importer, quality
from data.scope import Scope

MIS = Path(__file__).resolve().parent / "mis_files"
ROOT = Path(__file__).resolve().parent.parent


def test_hand_checked_report(con, register):
    register.pupil("A1", form="9A").marks("A1", "2025-09-01", "/ / - /")  # one missing mark
    register.pupil("A2", form="9B", fsm=None).marks("A2", "2025-09-01", "/ N")  # no FSM recorded
    register.pupil("A3", form="9B", admission_date="2025-09-02").marks("A3", "2025-09-01", "/ /")  # before admission
    register.mark("A4", "2025-09-01", "AM", "/")  # no enrolment at all
    register.lessons("A1", "2025-09-01", [("1", "Maths", "/"), ("2", "PE", "-")])
    r = quality.report(con)
    assert {k: r[k] for k in ("schools", "pupils", "enrolments", "session_marks", "lesson_marks")} == {
        "schools": 1,
        "pupils": 3,
        "enrolments": 3,
        "session_marks": 9,
        "lesson_marks": 2,
    }
    assert r["missing_marks"] == 1 and r["missing_lesson_marks"] == 1
    assert r["missing_by_date"] == [{"date": "2025-09-02", "missing": 1, "marks": 2}]
    assert r["missing_by_form"] == [{"academic_year": "2025/26", "form": "9A", "missing": 1, "marks": 4}]
    assert r["marks_outside_enrolment"] == 3  # A3's two marks before admission, A4's mark
    assert r["pupils_without_characteristics"] == 1
    assert r["unknown_codes"] == 0
    assert r["academic_years"] == ["2025/26"]
    assert r["last_import"] is None


def test_report_for_one_school(con, register):
    register.pupil("A1").marks("A1", "2025-09-01", "/ /")
    assert quality.report(con, "T1")["session_marks"] == 2
    assert quality.report(con, "OTHER")["session_marks"] == 0


@pytest.mark.parametrize(
    ("school_id", "scope", "marks"),
    [
        (None, None, 2),
        (None, Scope(school_ids=("T1",)), 2),
        (None, Scope(school_ids=("OTHER",)), 0),  # "every school" is every school the user may see
        ("T1", Scope(school_ids=("OTHER",)), 0),  # a school outside the scope, asked for by name
    ],
)
def test_report_keeps_to_the_users_scope(con, register, school_id, scope, marks):
    register.pupil("A1").marks("A1", "2025-09-01", "/ /")
    assert quality.report(con, school_id, scope=scope)["session_marks"] == marks


def test_report_after_importing_the_messy_export_names_no_pupil(con):
    assert importer.import_files(con, [MIS / "sims_pupils.xlsx", MIS / "sims_sessions.csv"], year=2025).ok
    r = quality.report(con)
    assert (r["pupils"], r["session_marks"], r["missing_marks"], r["unknown_codes"]) == (6, 120, 2, 0)
    assert r["last_import"]["file_name"] == "sims_sessions.csv"
    assert r["first_date"] == date(2025, 9, 3).isoformat()
    text = json.dumps(r)
    assert "A1000" not in text and "Brontë" not in text


def test_cli_json_and_text(db_file):
    run = [sys.executable, "-m", "data", "quality", "--db", str(db_file)]
    out = subprocess.run([*run, "--json"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout)["session_marks"] == 0
    text = subprocess.run(run, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "Session marks: 0" in text and "Last import: none" in text


def test_report_for_one_academic_year(con, register):
    register.pupil("A1").marks("A1", "2025-09-01", "/ - / /")  # 2025/26: one missing mark
    register.pupil("A1", academic_year=2024).marks("A1", "2024-09-02", "/ /")
    assert [
        (r["session_marks"], r["missing_marks"], r["enrolments"])
        for r in (quality.report(con, None, year) for year in (None, 2025, 2024, 2023))
    ] == [(6, 1, 2), (4, 1, 1), (2, 0, 1), (0, 0, 0)]

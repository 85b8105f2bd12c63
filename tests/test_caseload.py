"""Escalation stage (suggested from the data and the log) and a pastoral lead's caseload."""

from __future__ import annotations

from datetime import date

import pytest

from analytics import caseload
from analytics.filters import Filter, PupilLevelDenied
from data import db, interventions
from data.scope import Scope
from tests.registers import Register


@pytest.mark.parametrize(
    ("attendance", "types", "flags", "stage", "reason"),
    [
        (98.0, [], {}, "expect", ""),
        (93.0, [], {}, "monitor", "at risk"),
        (85.0, [], {}, "listen and understand", "nothing recorded"),
        (85.0, ["Letter"], {}, "monitor", ""),
        (85.0, ["Attendance meeting"], {}, "listen and understand", "already logged"),
        (85.0, ["Attendance plan"], {"review_overdue": True}, "formalise support", "review is overdue"),
        (85.0, ["Mentoring"], {"no_improvement": True}, "formalise support", "no improvement"),
        (85.0, ["Letter"], {"penalty": True}, "formalise support", "penalty-notice"),
        (85.0, ["Notice to Improve"], {"penalty": True}, "enforce", "penalty-notice"),
        (96.0, ["Our own club"], {}, "facilitate support", "already logged"),
    ],
)
def test_suggested_stage(attendance, types, flags, stage, reason):
    got, reasons = caseload.suggest_stage(attendance, types, **flags)
    assert got == stage
    assert reason in "; ".join(reasons)


@pytest.fixture(scope="module")
def school_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("caseload") / "caseload.duckdb"
    con = db.connect(path)
    register = Register(con)
    # Six weeks from 1 September: A1 misses 2 days a week (60%), B2 is always in, C3 misses
    # a day a fortnight (90%... then at risk) and D4 (Year 10) is off ill 3 days a week.
    register.pupil("A1", year_group=9).marks("A1", "2025-09-01", "/ / / / / / N N N N " * 6)
    register.pupil("B2", year_group=9).marks("B2", "2025-09-01", "/ / / / / / / / / / " * 6)
    register.pupil("C3", year_group=9).marks(
        "C3", "2025-09-01", ("/ / / / / / / / / / " * 2 + "/ / / / / / / / I /") * 2
    )
    register.pupil("D4", year_group=10).marks("D4", "2025-09-01", "/ / / / I I I I I I " * 6)
    con.close()
    return path


@pytest.fixture
def con(school_db):
    """The module's register, with an empty log for each test."""
    connection = db.connect(school_db)
    connection.execute("DELETE FROM interventions; DELETE FROM escalation_stages")
    yield connection
    connection.close()


def test_caseload_and_to_do(con):
    interventions.record(
        con, Scope(), "lead@school", "T1", "A1", date(2025, 9, 15), "Attendance plan", review_date=date(2025, 9, 29)
    )
    rows = caseload.caseload(con, Filter(academic_year=2025)).set_index("upn")
    assert "B2" not in rows.index  # full attendance, nothing logged
    a1 = rows.loc["A1"]
    assert (a1["last_action"], a1["last_action_date"], a1["next_review"]) == (
        "Attendance plan",
        date(2025, 9, 15),
        date(2025, 9, 29),
    )
    assert a1["review_overdue"] and not a1["to_do"]
    assert a1["suggested_stage"] == "formalise support"
    assert a1["attendance_since_last_action"] == pytest.approx(60.0)
    assert rows.loc["D4", "to_do"] and rows.loc["D4", "suggested_stage"] == "listen and understand"


def test_pastoral_caseload_keeps_to_their_year_and_governors_are_refused(con):
    rows = caseload.caseload(con, Filter(academic_year=2025, scope=Scope(year_groups=(10,))))
    assert set(rows["upn"]) == {"D4"}
    with pytest.raises(PupilLevelDenied):
        caseload.caseload(con, Filter(scope=Scope(pupil_level=False)))


def test_confirmed_stage_shows_beside_the_suggestion(con):
    interventions.confirm_stage(con, Scope(), "lead@school", "T1", "D4", "facilitate support")
    rows = caseload.caseload(con, Filter(academic_year=2025)).set_index("upn")
    assert rows.loc["D4", "confirmed_stage"] == "facilitate support"
    assert rows.loc["D4", "suggested_stage"] == "listen and understand"

"""The intervention log: recorded, edited, closed, listed and exported within the user's scope, audited."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from data import audit, interventions
from data.scope import Scope

LEADER = Scope()
GOVERNOR = Scope(pupil_level=False)
PASTORAL_Y9 = Scope(year_groups=(9,))
PASTORAL_10B = Scope(forms=("10B",))
OTHER_SCHOOL = Scope(school_ids=("ELSEWHERE",))


@pytest.fixture
def school(register):
    register.pupil("Y9A", year_group=9, form="9A").pupil("Y10B", year_group=10, form="10B")
    return register


def _record(con, scope, upn, **extra):
    return interventions.record(
        con, scope, "staff@school", "T1", upn, date(2025, 11, 3), extra.pop("type", "Attendance meeting"), **extra
    )


@pytest.mark.parametrize(
    ("scope", "upn", "allowed"),
    [
        (LEADER, "Y9A", True),
        (LEADER, "Y10B", True),
        (PASTORAL_Y9, "Y9A", True),
        (PASTORAL_Y9, "Y10B", False),
        (PASTORAL_10B, "Y10B", True),
        (PASTORAL_10B, "Y9A", False),
        (OTHER_SCHOOL, "Y9A", False),
        (GOVERNOR, "Y9A", False),
    ],
)
def test_who_may_record_for_whom(con, school, scope, upn, allowed):
    if allowed:
        assert _record(con, scope, upn) > 0
    else:
        with pytest.raises(interventions.LogDenied):
            _record(con, scope, upn)
        assert con.execute("SELECT count(*) FROM interventions").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("scope", "visible"), [(LEADER, {"Y9A", "Y10B"}), (PASTORAL_Y9, {"Y9A"}), (PASTORAL_10B, {"Y10B"})]
)
def test_the_log_lists_only_pupils_in_scope(con, school, scope, visible):
    _record(con, LEADER, "Y9A")
    _record(con, LEADER, "Y10B")
    assert set(interventions.entries(con, scope)["upn"]) == visible
    exported = list(csv.DictReader(io.StringIO(interventions.export_csv(con, scope, "staff@school"))))
    assert {r["UPN"] for r in exported} == visible


def test_governors_never_see_the_log(con, school):
    _record(con, LEADER, "Y9A")
    with pytest.raises(interventions.LogDenied):
        interventions.entries(con, GOVERNOR)
    with pytest.raises(interventions.LogDenied):
        interventions.export_csv(con, GOVERNOR, "governor@school")
    with pytest.raises(interventions.LogDenied):
        interventions.confirm_stage(con, GOVERNOR, "governor@school", "T1", "Y9A", "monitor")


def test_edit_and_close_are_audited_and_pastoral_cannot_touch_others(con, school):
    mine = _record(con, PASTORAL_Y9, "Y9A", notes="Mum says bus is late", review_date=date(2025, 11, 17))
    other = _record(con, LEADER, "Y10B")
    interventions.edit(con, PASTORAL_Y9, "staff@school", mine, owner="Ms Khan", type="attendance PLAN")
    interventions.close(con, PASTORAL_Y9, "staff@school", mine)
    with pytest.raises(interventions.LogDenied):
        interventions.close(con, PASTORAL_Y9, "staff@school", other)
    row = interventions.entries(con, LEADER, upns=("Y9A",)).iloc[0]
    assert (row["type"], row["owner"], row["status"]) == ("Attendance plan", "Ms Khan", "closed")
    log = audit.entries(con, upn="Y9A")
    assert list(log["action"]) == ["edit intervention", "edit intervention", "record intervention"]
    assert not log["detail"].str.contains("bus").any()  # notes never reach the audit log
    assert interventions.entries(con, LEADER, upns=("Y10B",)).iloc[0]["status"] == "open"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": "maybe"}, "open or closed"),
        ({"type": "  "}, "type"),
        ({"review_date": date(2025, 10, 1)}, "before the date"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(con, school, changes, message):
    entry = _record(con, LEADER, "Y9A")
    with pytest.raises(interventions.InterventionError, match=message):
        interventions.edit(con, LEADER, "staff@school", entry, **changes)
    row = interventions.entries(con, LEADER).iloc[0]
    assert (row["type"], row["status"]) == ("Attendance meeting", "open")


def test_export_round_trips_through_the_import_contract_and_neutralises_formulas(con, school):
    _record(con, LEADER, "Y9A", notes="=HYPERLINK(1)", owner="Mr Jones", review_date=date(2025, 11, 24))
    rows = list(csv.DictReader(io.StringIO(interventions.export_csv(con, LEADER, "staff@school"))))
    assert list(rows[0]) == list(interventions.EXPORT_HEADERS)
    assert rows[0]["Date"] == "03/11/2025" and rows[0]["Review date"] == "24/11/2025"
    assert rows[0]["Notes"] == "'=HYPERLINK(1)"
    assert audit.entries(con, action="export intervention log").iloc[0]["detail"] == "1 rows"


def test_confirmed_stage_is_stored_and_checked(con, school):
    interventions.confirm_stage(con, PASTORAL_Y9, "staff@school", "T1", "Y9A", "formalise support")
    with pytest.raises(interventions.InterventionError, match="stage must be"):
        interventions.confirm_stage(con, LEADER, "staff@school", "T1", "Y9A", "panic")
    assert interventions.confirmed_stages(con, "T1") == {"Y9A": "formalise support"}


def test_the_sample_school_carries_its_intervention_log(sample_db, tmp_path):
    import shutil

    from data import db, sample

    log = sample.SAMPLE_DIR / sample.SECONDARY.folder / sample.INTERVENTION_LOG
    expected = len(log.read_text(encoding="utf-8").splitlines()) - 1
    path = tmp_path / "sample.duckdb"
    shutil.copy(sample_db, path)
    with db.connection(path) as con:
        # Through the importer; loading again changes nothing (the shared sample may hold it already).
        result = sample.load_intervention_log(con, sample.SECONDARY)
        assert result.ok, result.summary()
        assert result.files[0].rows == expected
        counts = dict(con.execute("SELECT source, count(*) FROM interventions GROUP BY source").fetchall())
        kinds = {r[0] for r in con.execute("SELECT DISTINCT type FROM interventions").fetchall()}
        unknown = con.execute(
            "SELECT count(*) FROM interventions i ANTI JOIN pupils p ON p.school_id = i.school_id AND p.upn = i.upn"
        ).fetchone()[0]
    assert counts == {"import": expected} and unknown == 0
    assert {"Letter", "Mentoring", "Attendance plan", "Notice to Improve"} <= kinds

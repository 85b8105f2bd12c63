"""``python -m analytics summary`` on the golden register (figures in tests/test_measures_golden.py)."""

import json

import pytest

from analytics import measures
from analytics.__main__ import main
from analytics.cli import INTERVAL_KEYS
from tests.test_measures_golden import golden  # noqa: F401  (fixture)


@pytest.fixture
def golden_db(golden, db_file):  # noqa: F811
    golden.close()  # the command opens the file read-only: no other connection may hold it
    return str(db_file)


def run(capsys, *argv):
    code = main(["summary", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_whole_school_json(golden_db, capsys):
    code, out, _ = run(capsys, "--db", golden_db, "--json")
    got = json.loads(out)
    assert code == 0
    assert list(got) == list(measures.MEASURE_KEYS)
    assert (got["enrolments"], got["possible_sessions"], got["attendance_sessions"]) == (6, 39, 32)
    assert (got["authorised_sessions"], got["unauthorised_sessions"]) == (4, 3)
    assert got["overall_absence_rate"] == pytest.approx(100 * 7 / 39)
    assert (got["persistent_absence_count"], got["severe_absence_count"]) == (4, 1)


@pytest.mark.parametrize(
    "by, groups, possible",
    [
        ("fsm", [False, True], [25, 14]),
        ("sen", ["E", "K", "N"], [2, 10, 27]),
        ("year_group", [9], [39]),
        ("form", ["9A"], [39]),
        ("gender", ["F"], [39]),
    ],
)
def test_by_group_json(golden_db, capsys, by, groups, possible):
    code, out, _ = run(capsys, "--db", golden_db, "--by", by, "--json")
    got = json.loads(out)
    assert code == 0
    assert [g["group"] for g in got] == groups  # true/false, "E"/"K"/"N", year as an integer
    assert [g["possible_sessions"] for g in got] == possible
    assert all(list(g) == ["group", *measures.MEASURE_KEYS, *INTERVAL_KEYS] for g in got)
    for g in got:
        assert g["overall_absence_rate_low"] <= g["overall_absence_rate"] <= g["overall_absence_rate_high"]
        assert isinstance(g["beyond_chance"], bool) or g["beyond_chance"] is None


def test_no_suppression_in_the_command(golden_db, capsys):
    # 1 pupil with an EHC plan: published statistics would hide it; the command gives the exact figure.
    got = json.loads(run(capsys, "--db", golden_db, "--by", "sen", "--json")[1])
    keys = [*measures.MEASURE_KEYS, *INTERVAL_KEYS]
    assert got[0] == {"group": "E", **{k: got[0][k] for k in keys}} and got[0]["enrolments"] == 1


def test_date_range_and_school(golden_db, capsys):
    got = json.loads(run(capsys, "--db", golden_db, "--school", "T1", "--from", "2025-09-01", "--to", "2025-09-01",
                         "--json")[1])  # fmt: skip
    assert (got["enrolments"], got["possible_sessions"], got["attendance_sessions"]) == (4, 8, 4)


def test_empty_period_gives_nulls(golden_db, capsys):
    got = json.loads(run(capsys, "--db", golden_db, "--from", "2026-01-01", "--json")[1])
    assert got["enrolments"] == 0 and got["overall_absence_rate"] is None and got["persistent_absence_rate"] is None


def test_readable_table_without_json(golden_db, capsys):
    code, out, _ = run(capsys, "--db", golden_db)
    assert code == 0
    assert "overall_absence_rate       17.95" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--from", "01/09/2025"], "not a date in the form YYYY-MM-DD"),
        (["--to", "2025-02-30"], "not a date in the form YYYY-MM-DD"),
        (["--from", "2025-10-01", "--to", "2025-09-01"], "--from is after --to"),
        (["--school", "NOPE"], "no school with id 'NOPE'"),
    ],
)
def test_bad_arguments_exit_2(golden_db, capsys, argv, message):
    code, out, err = run(capsys, "--db", golden_db, *argv)
    assert (code, out) == (2, "")
    assert message in err


def test_missing_database_exits_2_without_creating_it(tmp_path, capsys):
    missing = tmp_path / "nothing.duckdb"
    code, _, err = run(capsys, "--db", str(missing), "--json")
    assert code == 2 and "no database at" in err
    assert not missing.exists()

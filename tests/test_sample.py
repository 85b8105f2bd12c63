"""The sample schools: loaded through the importer, and their figures look like real schools'.

The bands come from the DfE national figures in METHODOLOGY.md (secondary:
8.5% absence, 24% persistent absence; primary: 5.3% and 14%), widened for a
single school's year-to-year variation.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import sys
from datetime import date
from pathlib import Path

import pytest

from analytics import measures
from analytics.filters import Filter
from data import db, sample

SECONDARY = sample.SECONDARY.school_id
PRIMARY = sample.PRIMARY.school_id
COMPLETE_YEARS = (2023, 2024, 2025)
GENERATOR = Path(__file__).resolve().parent.parent / "sample_data" / "generate.py"


@pytest.fixture(scope="module")
def sec(sample_db):
    connection = db.connect(sample_db, read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def pri(primary_db):
    connection = db.connect(primary_db, read_only=True)
    yield connection
    connection.close()


def _summary(con, school, **kw) -> dict:
    return measures.summary(con, Filter(school_ids=(school,), **kw))


def _by(con, school, by, year) -> dict:
    df = measures.summary_by(con, Filter(school_ids=(school,), academic_year=year), by)
    return dict(zip(df["group"], df["overall_absence_rate"], strict=True))


@pytest.mark.parametrize("year", COMPLETE_YEARS)
@pytest.mark.parametrize(
    ("measure", "low", "high"),
    [
        ("overall_absence_rate", 7.5, 9.5),
        ("authorised_absence_rate", 4.3, 6.3),
        ("unauthorised_absence_rate", 2.5, 4.3),
        ("persistent_absence_rate", 18, 27),
        ("severe_absence_rate", 1.0, 4.0),
    ],
)
def test_secondary_headline_figures_look_like_a_real_school(sec, year, measure, low, high):
    assert low <= _summary(sec, SECONDARY, academic_year=year)[measure] <= high


@pytest.mark.parametrize("year", COMPLETE_YEARS)
def test_secondary_roll_is_about_1200_pupils_in_five_year_groups(sec, year):
    s = _summary(sec, SECONDARY, academic_year=year)
    assert 1150 <= s["enrolments"] <= 1300
    assert set(_by(sec, SECONDARY, "year_group", year)) == {7, 8, 9, 10, 11}


@pytest.mark.parametrize("year", COMPLETE_YEARS)
def test_fsm_pupils_are_absent_about_twice_as_often(sec, year):
    rates = _by(sec, SECONDARY, "fsm", year)
    assert 1.6 <= rates[True] / rates[False] <= 2.6


@pytest.mark.parametrize("year", COMPLETE_YEARS)
def test_send_and_children_in_need_miss_more_school(sec, year):
    sen = _by(sec, SECONDARY, "sen", year)
    cin = _by(sec, SECONDARY, "cin", year)
    assert sen["E"] > sen["N"] and sen["K"] > sen["N"]
    assert cin[True] > max(sen["K"], 1.4 * cin[False])


@pytest.mark.parametrize("year", COMPLETE_YEARS)
def test_absence_rises_with_year_group(sec, year):
    rates = _by(sec, SECONDARY, "year_group", year)
    assert rates[11] > rates[7]


@pytest.mark.parametrize("year", COMPLETE_YEARS)
def test_friday_afternoon_is_worse_than_wednesday_morning(sec, year):
    fri_pm = _summary(sec, SECONDARY, academic_year=year, weekdays=(5,), sessions=("PM",))
    wed_am = _summary(sec, SECONDARY, academic_year=year, weekdays=(3,), sessions=("AM",))
    mon_am = _summary(sec, SECONDARY, academic_year=year, weekdays=(1,), sessions=("AM",))
    assert fri_pm["overall_absence_rate"] > wed_am["overall_absence_rate"] + 1.5
    assert mon_am["overall_absence_rate"] > wed_am["overall_absence_rate"]


@pytest.mark.parametrize("year", COMPLETE_YEARS)
def test_winter_illness_is_above_the_autumn_first_half_term(sec, year):
    def illness_share(first: date, last: date) -> float:
        return sec.execute(
            """SELECT avg(CASE WHEN code = 'I' THEN 1.0 ELSE 0 END) FROM session_marks
               WHERE school_id = ? AND date BETWEEN ? AND ? AND code IS NOT NULL""",
            [SECONDARY, first, last],
        ).fetchone()[0]

    winter = illness_share(date(year, 12, 1), date(year + 1, 2, 28))
    autumn = illness_share(date(year, 9, 1), date(year, 10, 31))
    assert winter > 1.2 * autumn


def test_three_complete_years_and_the_current_one_to_date(sec):
    rows = sec.execute(
        """SELECT academic_year, count(DISTINCT date), min(date), max(date) FROM session_marks
           WHERE school_id = ? GROUP BY ALL ORDER BY 1""",
        [SECONDARY],
    ).fetchall()
    assert [r[0] for r in rows] == [2023, 2024, 2025, 2026]
    assert [r[1] for r in rows[:3]] == [190, 190, 190]  # the polling day ('#') is a register day
    assert rows[-1][3] == date(2026, 11, 20)


@pytest.mark.parametrize("year", COMPLETE_YEARS)
def test_joiners_and_leavers_during_the_year(sec, year):
    first, last = sec.execute(
        "SELECT min(date), max(date) FROM session_marks WHERE school_id = ? AND academic_year = ?",
        [SECONDARY, year],
    ).fetchone()
    joiners, leavers = sec.execute(
        """SELECT count(*) FILTER (WHERE admission_date > ?), count(*) FILTER (WHERE leaving_date < ? AND year_group < 11)
           FROM enrolments WHERE school_id = ? AND academic_year = ?""",
        [first, last, SECONDARY, year],
    ).fetchone()
    assert joiners >= 10 and leavers >= 10


def test_pupils_move_up_a_year_each_september(sec):
    moved = sec.execute(
        """SELECT count(*), count(*) FILTER (WHERE b.year_group = a.year_group + 1)
           FROM enrolments a JOIN enrolments b
             ON b.school_id = a.school_id AND b.upn = a.upn AND b.academic_year = a.academic_year + 1
           WHERE a.school_id = ?""",
        [SECONDARY],
    ).fetchone()
    assert moved[0] > 2500 and moved[1] == moved[0]


def test_last_years_persistent_absence_predicts_this_years(sec):
    pa = {}
    for year in (2024, 2025):
        df = measures.enrolment_measures(sec, Filter(school_ids=(SECONDARY,), academic_year=year))
        pa[year] = dict(zip(df["upn"], df["persistent"], strict=True))
    both = [(pa[2024][u], p) for u, p in pa[2025].items() if u in pa[2024]]
    after_pa = [now for last, now in both if last]
    after_not = [now for last, now in both if not last]
    assert sum(after_pa) / len(after_pa) > 2.5 * sum(after_not) / len(after_not)
    assert sum(after_pa) / len(after_pa) < 0.85  # predictive, not certain


@pytest.mark.parametrize(
    ("code", "first", "last", "expected"),
    [
        ("H", "2023-09-01", "2024-08-18", True),  # legacy holiday code: only before 19 August 2024
        ("H", "2024-08-19", "2026-12-31", False),
        ("C2", "2023-09-01", "2024-08-18", False),  # part-time timetable: from 19 August 2024
        ("C2", "2024-08-19", "2026-12-31", True),
        ("K", "2024-08-19", "2026-12-31", True),
        ("G", "2023-09-01", "2026-12-31", True),
        ("D", "2023-09-01", "2026-12-31", True),
        ("E", "2023-09-01", "2026-12-31", True),
        ("R", "2023-09-01", "2026-12-31", True),
        ("U", "2023-09-01", "2026-12-31", True),
        ("V", "2023-09-01", "2026-12-31", True),
        ("W", "2023-09-01", "2026-12-31", True),
    ],
)
def test_codes_appear_only_while_in_force(sec, code, first, last, expected):
    n = sec.execute(
        "SELECT count(*) FROM session_marks WHERE school_id = ? AND code = ? AND date BETWEEN ? AND ?",
        [SECONDARY, code, date.fromisoformat(first), date.fromisoformat(last)],
    ).fetchone()[0]
    assert (n > 0) is expected


def test_study_leave_is_for_year_11_in_the_exam_season(sec):
    rows = sec.execute(
        """SELECT DISTINCT e.year_group, month(m.date) FROM session_marks m
           JOIN enrolments e USING (school_id, upn, academic_year) WHERE m.school_id = ? AND m.code = 'S'""",
        [SECONDARY],
    ).fetchall()
    assert {r[0] for r in rows} == {11} and {r[1] for r in rows} <= {5, 6}


def test_the_polling_day_is_closed_for_everyone(sec):
    codes = sec.execute(
        "SELECT DISTINCT code FROM session_marks WHERE school_id = ? AND date = DATE '2024-07-04'", [SECONDARY]
    ).fetchall()
    assert codes == [("#",)]


def test_a_few_registers_were_not_taken(sec):
    # Missing marks inside enrolments: whole forms on a handful of sessions, not scattered noise.
    rows = sec.execute(
        """SELECT m.date, m.session, e.form, count(*) FROM session_marks m
           JOIN enrolments e USING (school_id, upn, academic_year)
           WHERE m.school_id = ? AND m.code IS NULL
             AND m.date >= coalesce(e.admission_date, m.date) AND m.date <= coalesce(e.leaving_date, m.date)
           GROUP BY ALL""",
        [SECONDARY],
    ).fetchall()
    assert 8 <= len(rows) <= 20
    assert min(r[3] for r in rows) >= 20


def test_post_registration_truancy_shows_in_lesson_marks(sec):
    # Present at registration, absent from a lesson in that session: concentrated in a few pupils and subjects.
    pupils, lessons = sec.execute(
        """SELECT count(DISTINCT l.upn), count(*) FROM lesson_marks l
           JOIN session_marks s ON s.school_id = l.school_id AND s.upn = l.upn AND s.date = l.date
                               AND s.session = l.session
           WHERE l.school_id = ? AND s.code IN ('/', 'L') AND l.code IN ('N', 'O')""",
        [SECONDARY],
    ).fetchone()
    assert lessons > 5000
    habitual = sec.execute(
        """SELECT count(*) FROM (
             SELECT l.upn, l.subject FROM lesson_marks l
             JOIN session_marks s ON s.school_id = l.school_id AND s.upn = l.upn AND s.date = l.date
                                 AND s.session = l.session
             WHERE l.school_id = ? AND s.code IN ('/', 'L') AND l.code IN ('N', 'O')
             GROUP BY ALL HAVING count(*) >= 10)""",
        [SECONDARY],
    ).fetchone()[0]
    assert 30 <= habitual < pupils


def test_lesson_marks_cover_the_last_complete_year_and_this_one(sec):
    years = sec.execute(
        "SELECT DISTINCT academic_year FROM lesson_marks WHERE school_id = ? ORDER BY 1", [SECONDARY]
    ).fetchall()
    late = sec.execute(
        "SELECT count(*) FROM lesson_marks WHERE school_id = ? AND code = 'L' AND minutes_late > 0", [SECONDARY]
    ).fetchone()[0]
    assert [y[0] for y in years] == [2025, 2026] and late > 1000


def test_the_school_row_says_it_is_a_sample(sec):
    row = sec.execute("SELECT name, phase, la_code, is_sample FROM schools WHERE school_id = ?", [SECONDARY]).fetchone()
    with open(db.REFERENCE_DIR / "dfe_attendance_ytd_2025_26.csv", newline="") as fh:
        la_codes = {r["new_la_code"] for r in csv.DictReader(fh)}
    assert row[0].endswith("(sample)") and row[1] == "secondary" and row[3] is True
    assert row[2] in la_codes


@pytest.mark.parametrize(
    ("measure", "low", "high"),
    [("overall_absence_rate", 4.0, 7.0), ("persistent_absence_rate", 8, 20), ("enrolments", 195, 225)],
)
@pytest.mark.parametrize("year", COMPLETE_YEARS)
def test_primary_figures_look_like_a_primary(pri, year, measure, low, high):
    assert low <= _summary(pri, PRIMARY, academic_year=year)[measure] <= high


def test_primary_has_reception_to_year_6_and_no_lessons(pri):
    groups = pri.execute("SELECT DISTINCT year_group FROM enrolments WHERE school_id = ?", [PRIMARY]).fetchall()
    lessons = pri.execute("SELECT count(*) FROM lesson_marks").fetchone()[0]
    assert sorted(g[0] for g in groups) == list(range(7)) and lessons == 0


def test_the_generator_rewrites_the_committed_files_byte_for_byte(tmp_path):
    sys.path.insert(0, str(GENERATOR.parent))
    try:
        import generate
    finally:
        sys.path.remove(str(GENERATOR.parent))
    written = generate.generate(primary=True, out=tmp_path)
    committed = sample.SAMPLE_DIR / "primary"
    assert sorted(p.name for p in written) == sorted(p.name for p in committed.iterdir())
    for path in written:
        assert filecmp.cmp(path, committed / path.name, shallow=False), path.name


def test_load_sample_if_empty_leaves_a_database_with_marks_alone(primary_db, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy.duckdb"
    shutil.copy(primary_db, copy)
    args = argparse.Namespace(db=str(copy), primary=False, if_empty=True)
    assert sample.cli(args) == 0
    with db.connection(copy, read_only=True) as con:
        schools = con.execute("SELECT school_id FROM schools").fetchall()
    assert schools == [(PRIMARY,)]
    assert "not loaded" in capsys.readouterr().out


def test_load_sample_says_it_is_generated_data(tmp_path, capsys):
    args = argparse.Namespace(db=str(tmp_path / "new.duckdb"), primary=True, if_empty=True)
    assert sample.cli(args) == 0
    out = capsys.readouterr().out
    assert "Brookfield Primary School (sample)" in out and "generated sample data" in out


def test_a_redrawn_sample_is_read_from_its_own_folder(tmp_path):
    # benchmarks/impact_sample.py redraws the sample under a folder of its own: the committed files stay untouched.
    (tmp_path / "secondary").mkdir()
    for name in ("sessions_2025-26.csv", "pupils_2025-26.csv", "sessions_2024-25.csv", "pupils_2024-25.csv", "x.txt"):
        (tmp_path / "secondary" / name).write_text("")
    found = sample.sample_files(root=tmp_path)
    assert {year: [p.name for p in paths] for year, paths in found.items()} == {
        2024: ["pupils_2024-25.csv", "sessions_2024-25.csv"],  # pupils first: the marks name them
        2025: ["pupils_2025-26.csv", "sessions_2025-26.csv"],
    }
    assert all(p.parent == tmp_path / "secondary" for paths in found.values() for p in paths)
    assert sample.sample_files()[2025][0].parent == sample.SAMPLE_DIR / "secondary"  # by default, the committed ones

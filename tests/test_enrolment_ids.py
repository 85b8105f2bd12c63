"""The integer enrolment key: an older file is migrated, ids stay put on re-import, every mark carries its id."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from analytics import measures
from analytics.filters import Filter
from data import db, importer, on_roll

MIS = Path(__file__).resolve().parent / "mis_files"
PUPILS_XLSX = MIS / "sims_pupils.xlsx"
SESSIONS_CSV = MIS / "sims_sessions.csv"

# The three tables as they were before enrolment_id (the rest of the schema is unchanged).
OLD_TABLES = """
CREATE TABLE enrolments (
    school_id VARCHAR NOT NULL, upn VARCHAR NOT NULL, academic_year INTEGER NOT NULL, year_group INTEGER,
    form VARCHAR, fsm BOOLEAN, sen VARCHAR, eal BOOLEAN, cin BOOLEAN, lac BOOLEAN, admission_date DATE,
    leaving_date DATE, source VARCHAR NOT NULL DEFAULT 'imported', PRIMARY KEY (school_id, upn, academic_year));
CREATE TABLE session_marks (
    school_id VARCHAR NOT NULL, upn VARCHAR NOT NULL, date DATE NOT NULL, session VARCHAR NOT NULL,
    code VARCHAR, academic_year INTEGER NOT NULL);
CREATE TABLE lesson_marks (
    school_id VARCHAR NOT NULL, upn VARCHAR NOT NULL, date DATE NOT NULL, period VARCHAR NOT NULL,
    period_number INTEGER, session VARCHAR, subject VARCHAR, code VARCHAR, minutes_late INTEGER,
    academic_year INTEGER NOT NULL);
"""


def _old_file(path: Path) -> Path:
    """A database written before enrolment ids: two pupils, one of them also enrolled the year before."""
    con = duckdb.connect(str(path))
    con.execute(OLD_TABLES)
    con.execute(
        """INSERT INTO enrolments VALUES
           ('T1', 'A', 2024, 8, '8A', FALSE, 'N', FALSE, FALSE, FALSE, NULL, NULL, 'imported'),
           ('T1', 'A', 2025, 9, '9A', FALSE, 'N', FALSE, FALSE, FALSE, NULL, NULL, 'imported'),
           ('T1', 'B', 2025, 9, '9A', TRUE, 'N', FALSE, FALSE, FALSE, NULL, NULL, 'imported')"""
    )
    # A: / I (2025) and / (2024); B: / / ; C has marks but no enrolment (so none is counted).
    con.execute(
        """INSERT INTO session_marks VALUES
           ('T1', 'A', '2025-09-08', 'AM', '/', 2025), ('T1', 'A', '2025-09-08', 'PM', 'I', 2025),
           ('T1', 'A', '2024-09-09', 'AM', '/', 2024),
           ('T1', 'B', '2025-09-08', 'AM', '/', 2025), ('T1', 'B', '2025-09-08', 'PM', '/', 2025),
           ('T1', 'C', '2025-09-08', 'AM', 'N', 2025)"""
    )
    con.execute("INSERT INTO lesson_marks VALUES ('T1', 'A', '2025-09-08', '1', 1, 'AM', 'Maths', '/', NULL, 2025)")
    con.close()
    return path


def _ids(con) -> dict[tuple, int]:
    return {
        (s, u, y): i
        for s, u, y, i in con.execute("SELECT school_id, upn, academic_year, enrolment_id FROM enrolments").fetchall()
    }


def _unlinked(con) -> list[tuple]:
    """Marks whose id is missing or is not their own enrolment's (should be none where an enrolment exists)."""
    return con.execute(
        """SELECT m.upn, m.date, m.enrolment_id, e.enrolment_id FROM
             (SELECT school_id, upn, academic_year, date, enrolment_id FROM session_marks
              UNION ALL SELECT school_id, upn, academic_year, date, enrolment_id FROM lesson_marks) m
           JOIN enrolments e USING (school_id, upn, academic_year)
           WHERE m.enrolment_id IS DISTINCT FROM e.enrolment_id"""
    ).fetchall()


@pytest.mark.parametrize("read_only", [False, True])
def test_an_older_file_is_migrated_on_open(tmp_path, read_only):
    path = _old_file(tmp_path / "old.duckdb")
    con = db.connect(path, read_only=read_only)  # a page opens read-only: the file is migrated first
    try:
        ids = _ids(con)
        assert len(ids) == 3 and len(set(ids.values())) == 3 and None not in ids.values()
        assert _unlinked(con) == []
        # C's mark has no enrolment: it stays without an id and outside the measures, as before.
        assert con.execute("SELECT enrolment_id FROM session_marks WHERE upn = 'C'").fetchall() == [(None,)]
        got = measures.summary(con, Filter(school_ids=("T1",), academic_year=2025))
        # By hand: A / I, B / / -> 4 possible, 3 attended, 1 authorised; two enrolments.
        assert (got["enrolments"], got["possible_sessions"], got["attendance_sessions"]) == (2, 4, 3)
        assert got["authorised_sessions"] == 1
    finally:
        con.close()


def test_migration_is_idempotent_and_new_enrolments_continue_the_sequence(tmp_path):
    path = _old_file(tmp_path / "old.duckdb")
    with db.connection(path) as con:
        before = _ids(con)
        db.ensure_schema(con)
        db.ensure_schema(con)
        assert _ids(con) == before
        con.execute("INSERT INTO enrolments (school_id, upn, academic_year) VALUES ('T1', 'C', 2025)")
        db.link_marks(con, "T1")
        on_roll.refresh(con, "T1")
        new_id = _ids(con)[("T1", "C", 2025)]
        assert new_id not in before.values()
        assert _unlinked(con) == []
    with db.connection(path) as con:  # and once more on reopening
        assert _ids(con) == {**before, ("T1", "C", 2025): new_id}


def test_reimporting_pupils_and_marks_keeps_enrolment_ids(con):
    assert importer.import_files(con, [PUPILS_XLSX, SESSIONS_CSV], year="2025/26").ok
    first = _ids(con)
    assert len(first) == 6 and None not in first.values()
    assert _unlinked(con) == []
    assert con.execute("SELECT count(*) FROM session_marks WHERE enrolment_id IS NULL").fetchone()[0] == 0
    assert importer.import_files(con, [PUPILS_XLSX], year="2025/26").ok
    assert importer.import_files(con, [SESSIONS_CSV], year="2025/26").ok
    assert _ids(con) == first
    assert _unlinked(con) == []


def test_carried_enrolment_is_created_before_its_marks(con):
    """Marks in a year the pupils file does not cover get a carried enrolment and its id at once."""
    assert importer.import_files(con, [PUPILS_XLSX, SESSIONS_CSV], year="2025/26").ok
    moved = con.execute("SELECT count(*) FROM session_marks").fetchone()[0]
    # The same register eleven years earlier (same weekdays): the importer carries each pupil's 2025
    # enrolment back into 2014 and writes the marks with the carried enrolment's id.
    text = SESSIONS_CSV.read_bytes().replace(b"/2025", b"/2014")
    assert importer.import_files(con, [("sessions_2014.csv", text)], year="2014/15").ok
    carried = con.execute("SELECT count(*) FROM enrolments WHERE source = 'carried' AND academic_year = 2014")
    assert carried.fetchone()[0] == 6
    assert con.execute("SELECT count(*) FROM session_marks").fetchone()[0] == 2 * moved
    assert con.execute("SELECT count(*) FROM session_marks WHERE enrolment_id IS NULL").fetchone()[0] == 0
    assert _unlinked(con) == []


def test_a_pupils_file_for_a_carried_year_keeps_the_id_its_marks_carry(con):
    """The pupils file for 2014/15 arrives after that year's marks: the carried enrolment becomes imported, same id."""
    assert importer.import_files(con, [PUPILS_XLSX, SESSIONS_CSV], year="2025/26").ok
    text = SESSIONS_CSV.read_bytes().replace(b"/2025", b"/2014")
    assert importer.import_files(con, [("sessions_2014.csv", text)], year="2014/15").ok
    carried = _ids(con)
    assert importer.import_files(con, [PUPILS_XLSX], year="2014/15").ok
    assert con.execute("SELECT count(*) FROM enrolments WHERE source = 'carried'").fetchone()[0] == 0
    assert _ids(con) == carried
    assert _unlinked(con) == []
    linked = "SELECT count(*) FROM session_marks WHERE academic_year = ? AND enrolment_id IS NOT NULL"
    assert con.execute(linked, [2014]).fetchone()[0] == con.execute(linked, [2025]).fetchone()[0] == 120

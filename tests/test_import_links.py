"""What the importer links and records beyond the registers themselves: pupils by any id, the year of a
pupils file, who took a register, the intervention log, and who imported (or tried to)."""

from __future__ import annotations

from datetime import date

import pytest

from data import db, importer, quality
from tests.mis_files import make_shapes
from tests.test_importer import refusals, write_csv

SHAPES = make_shapes.OUT
PUPILS = "UPN,Adno,MIS ID,Surname,Year,Admission Date"


@pytest.fixture
def school(con, tmp_path):
    """Two pupils known by UPN, Adno and MIS id."""
    pupils = write_csv(
        tmp_path / "pupils.csv",
        [PUPILS, "K891402125001,000101,S101,Ng,7,03/09/2025", "Z891402125002,000102,S102,Roe,8,03/09/2025"],
    )
    assert importer.import_files(con, [pupils], year=2025).ok
    return con


@pytest.mark.parametrize(
    ("header", "ident"),
    [("UPN", "k891402125001"), ("Adno", "101"), ("Adno", "000101"), ("MIS ID", "s101"), ("Student ID", "S101")],
)
def test_marks_keyed_by_any_id_reach_the_pupil(school, tmp_path, header, ident):
    marks = write_csv(tmp_path / "m.csv", [f"{header},Date,Session,Mark", f"{ident},08/09/2025,AM,N"])
    result = importer.import_files(school, [marks])
    assert result.ok, result.summary()
    assert school.execute("SELECT upn, code FROM session_marks").fetchall() == [("K891402125001", "N")]


def test_an_id_that_could_be_two_pupils_is_refused(school, tmp_path):
    # One pupil's admission number is the other's MIS id: a 'Student ID' column cannot say which.
    school.execute("UPDATE pupil_ids SET value = '101' WHERE kind = 'mis_id' AND upn = 'Z891402125002'")
    marks = write_csv(tmp_path / "m.csv", ["Student ID,Date,Session,Mark", "101,08/09/2025,AM,N"])
    result = importer.import_files(school, [marks])
    assert not result.ok
    assert (result.problems[0].line, result.problems[0].column) == (2, "Student ID")
    assert "belongs to more than one pupil" in result.problems[0].message


def test_wrong_check_letter_is_imported_and_warned(con):
    assert importer.import_files(con, [SHAPES / "plain_pupils.csv"], year=2025).ok
    assert con.execute("SELECT count(*) FROM pupils").fetchone()[0] == 12  # the temporary UPN too
    assert quality.report(con)["upns_with_wrong_check_letter"] == 1


@pytest.mark.parametrize(
    ("batch", "year", "expected", "why"),
    [
        (["plain_pupils.csv"], None, None, "the current year: no marks in this batch to go by"),
        (["plain_pupils.csv", "plain_sessions.csv"], None, 2025, "every mark in this batch falls in that year"),
        (["plain_pupils.csv", "plain_sessions.csv"], "2024/25", 2024, "the year asked for"),
    ],
)
def test_year_of_a_pupils_file_and_why(con, batch, year, expected, why):
    result = importer.import_files(con, [SHAPES / name for name in batch], year=year)
    assert result.ok, result.summary()
    expected = expected or db.academic_year_of(date.today())
    assert result.files[0].academic_year == db.academic_year_label(expected)
    assert f"taken as {db.academic_year_label(expected)} ({why})" in result.summary()
    assert con.execute("SELECT DISTINCT academic_year FROM enrolments WHERE source = 'imported'").fetchall() == [
        (expected,)
    ]


def test_marks_over_two_years_leave_the_pupils_file_in_the_current_year(con, tmp_path):
    marks = write_csv(
        tmp_path / "m.csv", ["UPN,Date,Session,Mark", "K891402125001,08/09/2025,AM,/", "K891402125001,08/06/2025,AM,/"]
    )
    result = importer.import_files(con, [SHAPES / "plain_pupils.csv", marks])
    assert result.ok and "this batch's marks span several years" in result.summary()


def test_who_took_the_register_is_kept(school, tmp_path):
    marks = write_csv(
        tmp_path / "m.csv",
        ["UPN,Date,Session,Mark,Taken by", "K891402125001,08/09/2025,AM,/,Ms Khan", "K891402125001,08/09/2025,PM,/,"],
    )
    assert importer.import_files(school, [marks]).ok
    assert school.execute("SELECT session, recorded_by FROM session_marks ORDER BY session").fetchall() == [
        ("AM", "Ms Khan"),
        ("PM", None),
    ]


def test_intervention_log_is_imported_through_the_log(school, tmp_path):
    log = write_csv(
        tmp_path / "log.csv",
        [
            "Adno,Date,Type,Owner,Status,Notes,Review date",
            "101,10/09/2025,home visit,Mr Patel,Open,Spoke to mum,24/09/2025",
            "102,11/09/2025,Letter,,,,",
        ],
    )
    result = importer.import_files(school, [log], by="dm@school.example")
    assert result.ok, result.summary()
    assert [(f.kind, f.rows) for f in result.files] == [("interventions", 2)]
    assert school.execute(
        "SELECT upn, date, type, owner, status, notes, review_date, source, created_by FROM interventions ORDER BY upn"
    ).fetchall() == [
        (
            "K891402125001",
            date(2025, 9, 10),
            "Home visit",
            "Mr Patel",
            "open",
            "Spoke to mum",
            date(2025, 9, 24),
            "import",
            "dm@school.example",
        ),
        ("Z891402125002", date(2025, 9, 11), "Letter", None, "open", None, None, "import", "dm@school.example"),
    ]


@pytest.mark.parametrize(
    ("row", "column", "value", "message"),
    [
        ("101,10/09/2025,Letter,pending", "Status", "pending", "status must be open or closed"),
        ("999,10/09/2025,Letter,open", "Adno", None, "pupil not known"),
        ("101,31/09/2025,Letter,open", "Date", "31/09/2025", "impossible date"),
        ("101,10/09/2025,,open", "Type", None, "missing type"),
    ],
)
def test_bad_intervention_rows_are_refused_with_line_and_value(school, tmp_path, row, column, value, message):
    log = write_csv(tmp_path / "log.csv", ["Adno,Date,Type,Status", "102,11/09/2025,Letter,closed", row])
    result = importer.import_files(school, [log])
    assert not result.ok
    problem = result.problems[0]
    assert (problem.file, problem.line, problem.column, problem.value or None) == ("log.csv", 3, column, value)
    assert message in problem.message
    assert school.execute("SELECT count(*) FROM interventions").fetchone()[0] == 0


def test_the_import_log_says_who(school, tmp_path):
    marks = write_csv(tmp_path / "m.csv", ["UPN,Date,Session,Mark", "K891402125001,08/09/2025,AM,/"])
    assert importer.import_files(school, [marks], by="dm@school.example").ok
    assert school.execute("SELECT file_name, outcome, imported_by FROM import_log ORDER BY import_id").fetchall() == [
        ("pupils.csv", "imported", None),
        ("m.csv", "imported", "dm@school.example"),
    ]
    bad = write_csv(tmp_path / "bad.csv", ["UPN,Date,Session,Mark", "K891402125001,08/09/2025,AM,QQ"])
    assert not importer.import_files(school, [bad], by="dm@school.example").ok
    assert refusals(school) == [
        (
            "bad.csv",
            "refused: line 2, column 'Mark', value 'QQ': unknown attendance code (see the DfE code table)",
            "dm@school.example",
        )
    ]


def test_progress_is_told_reading_checking_and_writing(con):
    heard: list[tuple[float, str]] = []
    result = importer.import_files(
        con,
        [SHAPES / name for name in ("plain_pupils.csv", "plain_sessions.csv")],
        progress=lambda done, text: heard.append((done, text)),
    )
    assert result.ok
    steps = [text.split()[0] for _, text in heard]
    assert steps[0] == "Reading" and "Checking" in steps and "Writing" in steps and steps[-1] == "Done"
    assert [done for done, _ in heard] == sorted(done for done, _ in heard)  # never goes back
    assert heard[-1][0] == 1.0

"""The bad-file corpus (tests/bad_files/): each file is refused with a clear message and changes nothing."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from data import importer
from tests.test_importer import PUPILS_XLSX, SESSIONS_CSV, refusals, snapshot

BAD = Path(__file__).resolve().parent / "bad_files"


@pytest.fixture
def loaded(con):
    """The messy sample already imported: a refused file must leave all of it untouched."""
    assert importer.import_files(con, [PUPILS_XLSX, SESSIONS_CSV], year=2025).ok
    return con


@pytest.mark.parametrize(
    ("name", "line", "column", "message"),
    [
        ("binary.csv", None, None, "not a text file"),
        ("missing_columns.csv", 1, None, r"no column for: Session \(AM/PM\). Columns found: UPN, Date, Mark"),
        ("unrecognised.csv", 1, None, "layout not recognised. Columns found: Colour, Size. Expected"),
        ("unknown_codes.csv", 4, "Attendance Mark", "unknown attendance code"),
        ("impossible_dates.csv", 2, "Session Date", "impossible date"),
        ("bad_sessions.csv", 2, "AM/PM", "session must be AM or PM"),
        ("duplicate_marks.csv", 6, None, "duplicate mark: same pupil, date and session as line 2"),
        ("unknown_pupils.csv", 4, "Pupil UPN", "pupil not known to this school"),
        ("empty.csv", None, None, "is empty"),
        ("header_only.csv", None, None, "header row but no data rows"),
        ("formulas.csv", 2, "Pupil UPN", "spreadsheet formula in an identifier cell"),
        ("formulas.xlsx", 3, "Attendance Mark", "spreadsheet formula in a mark cell"),
        ("not_really.xlsx", None, None, r"not an Excel workbook \(.xlsx\)"),
        ("old_excel.xls", None, None, r"Excel 97-2003 workbook \(.xls\).*Save As > 'Excel Workbook \(\*.xlsx\)'"),
        (
            "two_mark_columns.csv",
            1,
            None,
            r"could be read two ways: Mark \(or Code, Attendance Mark\) could be 'Attendance Mark' \(column 4\) "
            r"or 'Attendance Mark' \(column 5\)",
        ),
        (
            "two_registers.xlsx",
            None,
            None,
            r"several sheets that could each be imported: 'Week 1' \(sessions\) and 'Week 2' \(sessions\)",
        ),
        ("leaving_before_admission.csv", 3, "Leaving Date", "leaving date is before the admission date"),
        ("grid_without_dates.csv", 3, None, "looks like a register grid .* dates above them could not be read"),
        ("grid_without_years.csv", 3, None, "looks like a register grid .* dates above them could not be read"),
    ],
)
def test_bad_file_is_refused_and_changes_nothing(loaded, name, line, column, message):
    before = snapshot(loaded, skip=())
    result = importer.import_files(loaded, [BAD / name])
    assert not result.ok
    first = (
        result.problems[0]
        if line is None
        else next(p for p in result.problems if p.line == line and p.column == column)
    )
    assert first.file == name
    assert first.line == line and first.column == column
    assert re.search(message, first.message), first.message
    # Registers unchanged; the attempt is in the import log, with its reason.
    assert snapshot(loaded) == {k: v for k, v in before.items() if k != "import_log"}
    assert [(f, re.search(message, why) is not None) for f, why, _ in refusals(loaded)] == [(name, True)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("two_mark_columns.csv", "two_mark_columns.csv, line 1, value 'Attendance Mark': two columns match one field"),
        (
            "leaving_before_admission.csv",
            "leaving_before_admission.csv, line 3, column 'Leaving Date', value '01/09/2025': leaving date is before",
        ),
    ],
)
def test_refusal_names_file_line_and_value(loaded, name, expected):
    result = importer.import_files(loaded, [BAD / name])
    assert not result.ok and expected in result.summary()


def test_both_formula_cells_in_the_csv_are_named(loaded):
    result = importer.import_files(loaded, [BAD / "formulas.csv"])
    formulas = [(p.line, p.column) for p in result.problems if "formula" in p.message]
    assert formulas == [(2, "Pupil UPN"), (3, "Attendance Mark")]


def test_a_good_file_in_a_bad_batch_is_not_imported(loaded, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("UPN,Date,Session,Mark\nA100000000001,17/09/2025,AM,/\n")
    before = snapshot(loaded, skip=())
    result = importer.import_files(loaded, [good, BAD / "unknown_codes.csv"], by="dm@school.example")
    assert not result.ok and {p.file for p in result.problems} == {"unknown_codes.csv"}
    assert snapshot(loaded) == {k: v for k, v in before.items() if k != "import_log"}
    assert [(f, by) for f, _, by in refusals(loaded)] == [
        ("good.csv", "dm@school.example"),
        ("unknown_codes.csv", "dm@school.example"),
    ]


@pytest.mark.slow
def test_fifty_megabyte_export_imports(con, tmp_path):
    """A 50 MB long export (about 1.4 million session marks) imports; every row arrives."""
    rng = random.Random(5)
    pupils = tmp_path / "pupils.csv"
    upns = [f"C{700000000000 + i:012d}" for i in range(3700)]
    pupils.write_text("UPN,Year\n" + "".join(f"{u},{7 + i % 5}\n" for i, u in enumerate(upns)))
    path = tmp_path / "big.csv"
    rows = 0
    with path.open("w", encoding="cp1252", newline="") as fh:
        fh.write("Pupil UPN,Session Date,AM/PM,Attendance Mark,Comment\r\n")
        day = 0
        while fh.tell() < 50_000_000:
            d = f"{1 + day % 28:02d}/{1 + (day // 28) % 12:02d}/2025"
            for u in upns:
                for s in ("AM", "PM"):
                    fh.write(f"{u},{d},{s},{rng.choice('//////LINM')},\r\n")
                    rows += 1
            day += 1
    assert path.stat().st_size >= 50_000_000
    result = importer.import_files(con, [pupils, path], year=2025)
    assert result.ok, result.summary()
    assert con.execute("SELECT count(*) FROM session_marks").fetchone()[0] == rows

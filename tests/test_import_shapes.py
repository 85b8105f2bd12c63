"""One small school's registers in every shape real exports come in, each importing to the same figures.

The files are written by tests/mis_files/make_shapes.py from one register. The
plain export (``plain_pupils.csv`` + ``plain_sessions.csv``, academic year given)
is the reference; every other shape is imported without saying the year, and
must give exactly the same marks, enrolments and measures (whole school, by
year group, FSM and SEN).
"""

from __future__ import annotations

import pytest

from analytics import measures
from analytics.filters import Filter
from data import db, importer
from tests.mis_files import make_shapes

SHAPES = make_shapes.OUT
PLAIN = [SHAPES / "plain_pupils.csv", SHAPES / "plain_sessions.csv"]


def _figures(con) -> dict:
    f = Filter(school_ids=("school",), academic_year=2025)
    out = {"school": measures.summary(con, f)}
    for by in ("year_group", "fsm", "sen"):
        out[by] = measures.summary_by(con, f, by).to_dict("records")
    out["marks"] = sorted(con.execute("SELECT upn, date, session, code FROM session_marks").fetchall(), key=repr)
    out["enrolments"] = con.execute(
        "SELECT upn, academic_year, year_group, form, fsm, sen, eal, lac, admission_date, leaving_date "
        "FROM enrolments ORDER BY upn"
    ).fetchall()
    return out


@pytest.fixture(scope="module")
def plain_figures(tmp_path_factory):
    path = tmp_path_factory.mktemp("plain") / "plain.duckdb"
    with db.connection(path) as con:
        result = importer.import_files(con, PLAIN, year=2025)
        assert result.ok, result.summary()
        return _figures(con)


# shape: batches of files, imported in order; what the summary must say about them
SHAPE_CASES = {
    "SIMS report (titles, 'Year  7', Adno, Total records)": (
        [["sims_report_pupils.csv", "sims_report_marks.csv"]],
        ["sims_report_marks.csv: sessions, 226 rows; skipped 3 title rows, 1 total or note row"],
    ),
    "SIMS report printed in pages (title and header again at each break)": (
        [["plain_pupils.csv", "sims_report_pages.csv"]],
        [
            "sims_report_pages.csv: sessions, 226 rows; skipped 2 title rows, 7 total or note rows, 2 repeated header rows"
        ],
    ),
    "Assembly / Wonde (ids, ISO times, true/false, 2079-06-06)": (
        [["assembly_students.csv", "assembly_attendance.csv"]],
        ["assembly_students.csv: pupils, 12 rows; taken as 2025/26 (every mark in this batch falls in that year)"],
    ),
    "marks keyed by Adno, pupils in the same batch": ([["adno_pupils.xlsx", "adno_marks.csv"]], []),
    "marks keyed by Adno, imported later": ([["adno_pupils.xlsx", "plain_sessions.csv"], ["adno_marks.csv"]], []),
    "Bromcom (Upn, CalendarStartDate, PeriodDisplayName, flags)": (
        [["bromcom_students.csv", "bromcom_attendance.csv"]],
        [],
    ),
    "DfE census names (NCyearActual, FirstLanguage codes)": ([["census_pupils.csv", "plain_sessions.csv"]], []),
    "Excel Unicode Text (UTF-16, tabs)": ([["plain_pupils.csv", "unicode_text.txt"]], []),
    "workbook with several sheets": (
        [["plain_pupils.csv", "workbook_sheets.xlsx"]],
        ["workbook_sheets.xlsx: sessions, 226 rows; sheet 'Register'; skipped 1 title row"],
    ),
    "printed grid, dates merged over AM/PM": (
        [["plain_pupils.csv", "printed_grid_dates.xlsx"]],
        [
            "printed_grid_dates.xlsx: sessions, 226 rows; skipped 2 title rows, 2 total or note rows, 14 not-on-roll blank cells"
        ],
    ),
    "printed grid, dates as Excel serial numbers": ([["plain_pupils.csv", "printed_grid_serials.xlsx"]], []),
    "printed grid to CSV, 'Mon 08/09/2025' over both columns": (
        [["plain_pupils.csv", "printed_grid_text.csv"]],
        ["skipped 1 title row, 2 repeated header rows, 1 total or note row"],
    ),
}


@pytest.mark.parametrize("shape", list(SHAPE_CASES))
def test_shape_imports_to_the_plain_figures(con, plain_figures, shape):
    batches, said = SHAPE_CASES[shape]
    for batch in batches:
        result = importer.import_files(con, [SHAPES / name for name in batch])
        assert result.ok, result.summary()
    for phrase in said:
        assert phrase in result.summary(), result.summary()
    assert _figures(con) == plain_figures


def test_the_plain_register_is_what_the_generator_wrote(plain_figures):
    # 12 pupils, 10 school days; one joins on Wed 10/09 (2 days missed), one leaves after Fri 12/09 (5).
    assert len(plain_figures["marks"]) == (12 * 10 - 2 - 5) * 2
    assert plain_figures["school"]["pupils"] == 12
    assert sum(1 for m in plain_figures["marks"] if m[3] is None) == 1

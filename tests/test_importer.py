"""The importer end to end on real-looking MIS exports (tests/mis_files/), in real DuckDB files."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from data import db, importer, readers

MIS = Path(__file__).resolve().parent / "mis_files"
ROOT = Path(__file__).resolve().parent.parent
PUPILS_XLSX = MIS / "sims_pupils.xlsx"
SESSIONS_CSV = MIS / "sims_sessions.csv"
MESSY = [PUPILS_XLSX, SESSIONS_CSV]


def snapshot(con, skip=("import_log",)) -> dict[str, list]:
    """Every table's rows, sorted: two equal snapshots mean the same content."""
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND schema_name = 'main' ORDER BY 1"
        ).fetchall()
    ]
    return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables if t not in skip}


def refusals(con) -> list[tuple]:
    """The import log's refused rows: (file, why, who)."""
    return con.execute(
        "SELECT file_name, message, imported_by FROM import_log WHERE outcome = 'refused' ORDER BY import_id"
    ).fetchall()


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def test_messy_sims_export_imports(con):
    result = importer.import_files(con, MESSY, year="2025/26")
    assert result.ok, result.summary()
    assert [(f.name, f.kind, f.rows) for f in result.files] == [
        ("sims_pupils.xlsx", "pupils", 6),
        ("sims_sessions.csv", "sessions", 120),
    ]
    assert con.execute("SELECT school_id, name, phase FROM schools").fetchall() == [
        ("school", "My school", "secondary")
    ]
    # Hand-checked rows of the export: padded lower-case ' n ' on line 2, Windows-1252 names.
    assert con.execute(
        "SELECT code FROM session_marks WHERE upn = 'A100000000001' AND date = '2025-09-03' ORDER BY session"
    ).fetchall() == [("N",), ("/",)]
    assert con.execute("SELECT surname, forename FROM pupils WHERE upn = 'A100000000001'").fetchone() == (
        "Brontë",
        "Zoë",
    )
    assert con.execute(
        "SELECT academic_year, year_group, form, fsm, sen, eal, cin, lac, admission_date, source "
        "FROM enrolments WHERE upn = 'A100000000004'"
    ).fetchone() == (2025, 9, "9G", True, "E", True, True, False, date(2023, 9, 5), "imported")
    # A blank mark and a '-' mark are kept as missing.
    assert con.execute("SELECT count(*) FROM session_marks WHERE code IS NULL").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM import_log WHERE outcome = 'imported'").fetchone()[0] == 2


def test_importing_twice_changes_nothing(con):
    assert importer.import_files(con, MESSY, year="2025/26").ok
    before = snapshot(con)
    again = importer.import_files(con, MESSY, year="2025/26")
    assert again.ok
    assert snapshot(con) == before
    assert [f.replaced for f in again.files] == [6, 120]


def test_copy_with_unknown_code_and_impossible_date_is_refused_and_changes_nothing(con, tmp_path):
    assert importer.import_files(con, MESSY, year="2025/26").ok
    before = snapshot(con, skip=())
    lines = SESSIONS_CSV.read_bytes().decode("cp1252").splitlines()
    upn, day, session, _mark, comment = lines[6].split(",")  # line 7
    lines[6] = ",".join([upn, day, session, " zz ", comment])
    upn, day, session, mark, comment = lines[11].split(",")  # line 12
    lines[11] = ",".join([upn, "31/02/2025", session, mark, comment])
    bad = write_csv(tmp_path / "sims_sessions_edited.csv", lines, "cp1252")
    result = importer.import_files(con, [PUPILS_XLSX, bad], year="2025/26")
    assert not result.ok
    assert [(p.file, p.line, p.column, p.value, p.message) for p in result.problems] == [
        ("sims_sessions_edited.csv", 7, "Attendance Mark", "zz", "unknown attendance code (see the DfE code table)"),
        ("sims_sessions_edited.csv", 12, "Session Date", "31/02/2025", "impossible date"),
    ]
    assert "line 7" in result.summary() and "line 12" in result.summary()
    assert snapshot(con) == {k: v for k, v in before.items() if k != "import_log"}  # registers unchanged
    assert refusals(con) == [
        ("sims_pupils.xlsx", "refused with its batch: another file had problems", None),
        (
            "sims_sessions_edited.csv",
            "refused: line 7, column 'Attendance Mark', value 'zz': unknown attendance code (see the DfE code table)"
            " (and 1 more)",
            None,
        ),
    ]


def test_cli_imports_and_refuses_with_exit_codes(tmp_path):
    database = tmp_path / "cli.duckdb"
    run = [sys.executable, "-m", "data", "import", "--db", str(database), "--year", "2025/26"]
    ok = subprocess.run([*run, *map(str, MESSY), "--json"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["files"][1]["rows"] == 120
    bad = write_csv(tmp_path / "bad.csv", ["UPN,Date,Session,Mark", "A100000000001,03/09/2025,AM,QQ"])
    refused = subprocess.run([*run, str(bad)], cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 1
    assert "bad.csv, line 2, column 'Mark', value 'QQ'" in refused.stderr
    missing = subprocess.run([*run, str(tmp_path / "nope.csv")], cwd=ROOT, capture_output=True, text=True)
    assert missing.returncode == 2 and "file not found" in missing.stderr
    with db.connection(database, read_only=True) as con:
        assert con.execute("SELECT file_name, outcome, imported_by FROM import_log ORDER BY import_id").fetchall() == [
            ("sims_pupils.xlsx", "imported", "command line"),
            ("sims_sessions.csv", "imported", "command line"),
            ("bad.csv", "refused", "command line"),
        ]


def test_uploads_as_name_and_bytes(con):
    sources = [(p.name, p.read_bytes()) for p in MESSY]
    result = importer.import_files(con, sources, year=2025)
    assert result.ok, result.summary()
    assert result.files[1].sha256 == readers.open_source(SESSIONS_CSV).sha256


def test_wide_register_matches_long_rows(con):
    assert importer.import_files(con, [PUPILS_XLSX, MIS / "arbor_wide_register.csv"], year=2025).ok
    # Hand-checked from the file: Kacper Nowak's Mon 08/09 PM is a blank cell (missing), 120 cells in all.
    assert con.execute("SELECT count(*) FROM session_marks").fetchone()[0] == 6 * 20
    assert con.execute(
        "SELECT code FROM session_marks WHERE upn = 'A100000000003' AND date = '2025-09-04' AND session = 'PM'"
    ).fetchone() == (None,)
    assert con.execute("SELECT count(*) FROM session_marks WHERE code IS NULL").fetchone()[0] == 6


def test_lesson_marks_with_session_from_period(con):
    assert importer.import_files(con, [PUPILS_XLSX, MIS / "lessons.tsv"], year=2025).ok
    rows = con.execute(
        "SELECT period, period_number, session, subject FROM lesson_marks "
        "WHERE upn = 'A100000000001' AND date = '2025-09-03' ORDER BY period_number"
    ).fetchall()
    # Five periods a day: ceil(0.6 x 5) = 3 morning lessons.
    assert rows == [
        ("P1", 1, "AM", "Maths"),
        ("P2", 2, "AM", "English"),
        ("P3", 3, "AM", "Science"),
        ("P4", 4, "PM", "History"),
        ("P5", 5, "PM", "PE"),
    ]
    assert con.execute("SELECT count(*) FROM lesson_marks WHERE code = 'L' AND minutes_late IS NULL").fetchone()[0] == 0


def test_overlapping_export_replaces_marks(con, tmp_path):
    head = "UPN,Date,Session,Mark"
    first = write_csv(tmp_path / "week1.csv", [head, "A100000000001,03/09/2025,AM,N", "A100000000001,03/09/2025,PM,N"])
    second = write_csv(
        tmp_path / "week1b.csv", [head, "A100000000001,03/09/2025,PM,I", "A100000000001,04/09/2025,AM,/"]
    )
    assert importer.import_files(con, [PUPILS_XLSX, first], year=2025).ok
    result = importer.import_files(con, [second])
    assert result.ok and result.files[0].replaced == 1
    assert con.execute("SELECT date, session, code FROM session_marks ORDER BY date, session").fetchall() == [
        (date(2025, 9, 3), "AM", "N"),
        (date(2025, 9, 3), "PM", "I"),
        (date(2025, 9, 4), "AM", "/"),
    ]


def test_marks_in_another_year_carry_the_nearest_enrolment(con, tmp_path):
    assert importer.import_files(con, [PUPILS_XLSX], year="2025/26").ok
    marks = write_csv(tmp_path / "last_year.csv", ["UPN,Date,Session,Mark", "A100000000004,02/06/2025,AM,/"])
    assert importer.import_files(con, [marks]).ok
    assert con.execute(
        "SELECT academic_year, year_group, form, fsm, sen, source FROM enrolments WHERE upn = 'A100000000004' ORDER BY 1"
    ).fetchall() == [(2024, 8, "9G", True, "E", "carried"), (2025, 9, "9G", True, "E", "imported")]


@pytest.mark.parametrize(
    ("existing", "argument", "expected", "ok"),
    [
        ([], None, "school", True),
        (["100001"], None, "100001", True),
        (["100001", "100002"], "100002", "100002", True),
        (["100001", "100002"], None, None, False),
        ([], "140000", "140000", True),
    ],
)
def test_school_chosen(con, existing, argument, expected, ok):
    for s in existing:
        con.execute("INSERT INTO schools (school_id, name) VALUES (?, ?)", [s, s])
    result = importer.import_files(con, [PUPILS_XLSX], school_id=argument, year=2025)
    assert result.ok is ok
    if ok:
        assert con.execute("SELECT DISTINCT school_id FROM pupils").fetchall() == [(expected,)]
    else:
        assert result.usage_error and "--school" in result.summary()


def test_primary_school_created_for_reception_to_year_6(con, tmp_path):
    pupils = write_csv(tmp_path / "p.csv", ["UPN,Surname,Year Group,Class", "A1,X,R,Oak", "A2,Y,Year 6,Ash"])
    assert importer.import_files(con, [pupils], year=2025).ok
    assert con.execute("SELECT phase FROM schools").fetchone() == ("primary",)
    assert con.execute("SELECT upn, year_group, form FROM enrolments ORDER BY upn").fetchall() == [
        ("A1", 0, "Oak"),
        ("A2", 6, "Ash"),
    ]


def test_pupils_academic_year_column_wins(con, tmp_path):
    pupils = write_csv(tmp_path / "p.csv", ["UPN,Year,Academic Year", "A1,7,2024/25", "A1,8,2025-26"])
    assert importer.import_files(con, [pupils], year=2030).ok
    assert con.execute("SELECT academic_year, year_group FROM enrolments ORDER BY 1").fetchall() == [
        (2024, 7),
        (2025, 8),
    ]


def test_hand_mapping_is_used_and_remembered(con, tmp_path):
    lines = ["Learner,Day,Half,Reg Mark", "A100000000001,03/09/2025,AM,/"]
    odd = write_csv(tmp_path / "odd.csv", lines)
    assert importer.import_files(con, [PUPILS_XLSX], year=2025).ok
    layout = readers.detect_layout(odd)
    assert layout.kind is None and layout.columns == ["Learner", "Day", "Half", "Reg Mark"]
    mapping = {"Learner": "upn", "Day": "date", "Half": "session", "Reg Mark": "mark"}
    assert readers.detect_layout(odd, mapping).kind == "sessions"
    assert importer.import_files(con, [odd], mapping=mapping).ok
    importer.save_mapping(con, layout.signature, "sessions", mapping)
    assert importer.saved_mapping(con, layout.signature) == mapping
    later = write_csv(tmp_path / "odd2.csv", [lines[0], "A100000000001,03/09/2025,PM,N"])
    assert importer.import_files(con, [later]).ok
    assert con.execute("SELECT count(*) FROM session_marks").fetchone()[0] == 2


def test_calendar_file_overrides_derived_terms(con):
    assert importer.import_files(con, [*MESSY, MIS / "term_dates.csv"], year=2025).ok
    assert con.execute(
        "SELECT term, half_term, start_date, end_date, source FROM calendar WHERE term = 'autumn' ORDER BY 2"
    ).fetchall() == [
        ("autumn", 1, date(2025, 9, 3), date(2025, 10, 24), "imported"),
        ("autumn", 2, date(2025, 11, 3), date(2025, 12, 19), "imported"),
    ]
    assert con.execute("SELECT count(*) FROM calendar").fetchone()[0] == 6


def test_summary_lists_first_twenty_problems_then_a_count(con, tmp_path):
    lines = ["UPN,Date,Session,Mark"] + [f"A100000000001,{d:02d}/09/2025,AM,QQ" for d in range(1, 26)]
    assert importer.import_files(con, [PUPILS_XLSX], year=2025).ok
    result = importer.import_files(con, [write_csv(tmp_path / "q.csv", lines)])
    assert result.problem_count == 25
    summary = result.summary()
    assert "line 21," in summary and "line 22," not in summary and "... and 5 more" in summary
    assert result.to_dict()["problem_count"] == 25


def test_no_names_or_upns_in_the_summary(con):
    result = importer.import_files(con, MESSY, year=2025)
    text = result.summary() + json.dumps(result.to_dict())
    assert "A1000" not in text and "Brontë" not in text


def test_default_year_is_the_current_academic_year(con):
    assert importer.import_files(con, [PUPILS_XLSX]).ok
    assert con.execute("SELECT DISTINCT academic_year FROM enrolments").fetchall() == [
        (db.academic_year_of(date.today()),)
    ]


def test_wide_blanks_outside_enrolment_are_not_on_roll_but_inside_are_missing(con, tmp_path):
    pupils = write_csv(
        tmp_path / "pupils.csv",
        [
            "UPN,Surname,Forename,Year,Admission Date,Leaving Date",
            "B1,Ng,Ana,7,01/09/2025,",
            "B2,Roe,Ben,7,01/09/2025,03/09/2025",
        ],
    )
    # B1 has a blank on 04/09 (on roll: a missing mark); B2 left on 03/09 (blank on 04/09: not on roll).
    wide = write_csv(
        tmp_path / "wide.csv",
        ["UPN,03/09/2025 AM,03/09/2025 PM,04/09/2025 AM", "B1,/,\\,", "B2,/,\\,"],
    )
    result = importer.import_files(con, [pupils, wide], year=2025)
    assert result.ok, result.summary()
    assert con.execute("SELECT upn, date, session, code FROM session_marks WHERE code IS NULL").fetchall() == [
        ("B1", date(2025, 9, 4), "AM", None)
    ]
    assert con.execute("SELECT count(*) FROM session_marks WHERE upn = 'B2'").fetchone()[0] == 2

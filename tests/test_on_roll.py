"""The on-roll registers (data/on_roll.py): derived from the stored marks, kept in step with every change.

Each property builds a random register and compares the derived tables with
a plain-Python reading of the same marks and the code table; the rest walk
each change a school makes (a later pupils file, a refused import, erasing a
pupil, purging old years, opening a file from before the tables existed).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import measures, pupils
from analytics.filters import Filter
from data import admin, db, importer, on_roll
from tests.registers import Register, school_days

CODES = {r["code"]: r for r in csv.DictReader(db.CODES_CSV.open(newline="", encoding="utf-8"))}
DAYS = school_days("2025-09-01", 12)
F = Filter(school_ids=("T1",), academic_year=2025)
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

pupil = st.fixed_dictionaries(
    {
        "admission": st.sampled_from([None, *DAYS[:5]]),
        "leaving": st.sampled_from([None, *DAYS[6:]]),
        # Absences (I, N, U), present, not possible (#, X, Y1), missing: long runs are likely.
        "marks": st.lists(st.sampled_from(["I", "N", "U", "/", "\\", "L", "#", "X", "Y1", None]), max_size=24),
    }
)
registers = st.lists(pupil, min_size=1, max_size=4)


def _build(pupils_: list[dict]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    db.ensure_schema(con)
    reg = Register(con)
    for i, p in enumerate(pupils_):
        reg.pupil(f"P{i}", admission_date=p["admission"], leaving_date=p["leaving"])
        for k, code in enumerate(p["marks"]):
            reg.mark(f"P{i}", DAYS[k // 2], "AM" if k % 2 == 0 else "PM", code, sync=False)
    reg.sync()
    return con


def _on_roll(p: dict) -> list[tuple[date, str, str | None]]:
    """The pupil's marks inside their enrolment, in time order (by hand)."""
    out = []
    for k, code in enumerate(p["marks"]):
        day = DAYS[k // 2]
        if (p["admission"] and day < p["admission"]) or (p["leaving"] and day > p["leaving"]):
            continue
        out.append((day, "AM" if k % 2 == 0 else "PM", code))
    return out


def _spells_by_hand(p: dict) -> list[tuple]:
    """Runs of absent sessions over the possible ones: (start, start session, end, end session, length, codes)."""
    spells, run = [], []
    for day, session, code in _on_roll(p):
        row = CODES.get(code) if code else None
        if row is None or row["counts_as_possible_session"] != "true":
            continue  # not possible or missing: neither breaks nor extends a run
        if row["category"] in ("authorised", "unauthorised"):
            run.append((day, session, code))
        elif run:
            spells.append(run)
            run = []
    if run:
        spells.append(run)
    return sorted(
        (r[0][0], r[0][1], r[-1][0], r[-1][1], len(r), " ".join(sorted({c for _, _, c in r}))) for r in spells
    )


@SETTINGS
@given(registers)
def test_the_on_roll_sessions_are_the_marks_inside_each_enrolment_with_their_code_flags(pupils_):
    con = _build(pupils_)
    got = con.execute(
        "SELECT upn, date, session, code, possible, attended, absent, missing FROM on_roll_sessions ORDER BY ALL"
    ).fetchall()
    want = []
    for i, p in enumerate(pupils_):
        for day, session, code in _on_roll(p):
            row = CODES.get(code) if code else None
            possible = row is not None and row["counts_as_possible_session"] == "true"
            attended = row is not None and row["counts_as_attendance"] == "true"
            absent = row is not None and row["category"] in ("authorised", "unauthorised")
            want.append((f"P{i}", day, session, code, possible, attended, absent, code is None))
    assert got == sorted(want, key=lambda r: (r[0], r[1], r[2], r[3] or ""))


@SETTINGS
@given(registers)
def test_stored_spells_equal_spells_worked_out_from_the_marks_and_by_hand(pupils_):
    con = _build(pupils_)
    cols = "upn, start_date, start_session, end_date, end_session, sessions, codes"
    rows = {}
    for kind in (True, False):
        sql, params = pupils.spells_sql(F, stored=kind)
        rows[kind] = con.execute(f"SELECT {cols} FROM ({sql}) ORDER BY ALL", params).fetchall()
    by_hand = sorted((f"P{i}", *s) for i, p in enumerate(pupils_) for s in _spells_by_hand(p))
    assert rows[True] == rows[False] == by_hand


def _csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def _counts(con) -> tuple:
    return tuple(
        con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("on_roll_sessions", "on_roll_lessons", "on_roll_spells")
    )


@pytest.fixture
def imported(con, tmp_path):
    """Two pupils, a week of marks each: B1 absent Monday to Wednesday, B2 absent Thursday and Friday."""
    pupils_csv = _csv(
        tmp_path / "pupils.csv",
        [
            "UPN,Surname,Forename,Year,Admission Date,Leaving Date",
            "B1,Ng,Ana,7,01/09/2025,",
            "B2,Roe,Ben,7,01/09/2025,",
        ],
    )
    week = [date(2025, 9, d) for d in range(1, 6)]
    lines = ["UPN,Date,Session,Mark"]
    for upn, absent in (("B1", week[:3]), ("B2", week[3:])):
        for day in week:
            for session in ("AM", "PM"):
                lines.append(f"{upn},{day:%d/%m/%Y},{session},{'I' if day in absent else '/'}")
    sessions_csv = _csv(tmp_path / "sessions.csv", lines)
    assert importer.import_files(con, [pupils_csv, sessions_csv], school_id="T1", year=2025).ok
    return con


def test_an_import_fills_the_on_roll_registers(imported):
    assert _counts(imported) == (20, 0, 2)
    assert measures.summary(imported, F)["possible_sessions"] == 20


def test_a_later_pupils_file_moves_the_on_roll_window(imported, tmp_path):
    # B2 left on Wednesday: Thursday and Friday (the absences) are no longer theirs to count.
    later = _csv(tmp_path / "leavers.csv", ["UPN,Year,Admission Date,Leaving Date", "B2,7,01/09/2025,03/09/2025"])
    assert importer.import_files(imported, [later], school_id="T1", year=2025).ok
    assert _counts(imported) == (16, 0, 1)
    got = measures.summary(imported, F)
    assert (got["possible_sessions"], got["attendance_sessions"]) == (16, 10)
    assert pupils.absence_spells(imported, F)["upn"].tolist() == ["B1"]


def test_a_refused_import_leaves_the_on_roll_registers_alone(imported, tmp_path):
    before = imported.execute("SELECT * FROM on_roll_sessions ORDER BY ALL").fetchall()
    bad = _csv(tmp_path / "bad.csv", ["UPN,Date,Session,Mark", "B1,08/09/2025,AM,N", "B1,08/09/2025,PM,QQ"])
    assert not importer.import_files(imported, [bad], school_id="T1", year=2025).ok
    assert imported.execute("SELECT * FROM on_roll_sessions ORDER BY ALL").fetchall() == before
    assert _counts(imported) == (20, 0, 2)


def test_erasing_a_pupil_erases_their_on_roll_rows(imported):
    admin.delete_pupil(imported, "B1")
    assert imported.execute("SELECT DISTINCT upn FROM on_roll_sessions").fetchall() == [("B2",)]
    assert imported.execute("SELECT DISTINCT upn FROM on_roll_spells").fetchall() == [("B2",)]


def test_purging_old_years_purges_their_on_roll_rows(imported):
    admin.purge(imported, keep_years=6, today=date(2032, 9, 1))  # keeps 2026/27 onwards
    assert _counts(imported) == (0, 0, 0)


def test_a_file_from_before_the_on_roll_registers_is_brought_up_to_date_when_opened(tmp_path):
    path = tmp_path / "older.duckdb"
    with db.connection(path) as con:
        Register(con).pupil("A1").marks("A1", "2025-09-01", "/ / I I N /")
        con.execute("DROP TABLE on_roll_sessions; DROP TABLE on_roll_lessons; DROP TABLE on_roll_spells")
        con.execute("DELETE FROM settings WHERE key = 'schema_sha256'")
    with db.connection(path, read_only=True) as con:  # a page opens read-only: rebuilt first
        assert _counts(con) == (6, 0, 1)
        assert measures.summary(con, F)["possible_sessions"] == 6


def test_refresh_of_one_pupil_leaves_the_others_alone(con, register):
    register.pupil("A1").marks("A1", "2025-09-01", "/ I")
    register.pupil("A2").marks("A2", "2025-09-01", "N N")
    con.execute("UPDATE session_marks SET code = '/' WHERE upn = 'A2'")  # not yet refreshed
    on_roll.refresh(con, "T1", upns=["A1"])
    assert con.execute("SELECT upn, code FROM on_roll_sessions ORDER BY ALL").fetchall() == [
        ("A1", "/"),
        ("A1", "I"),
        ("A2", "N"),
        ("A2", "N"),
    ]

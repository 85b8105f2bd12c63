"""The command line for accounts, erasing one pupil, and purging years past retention."""

from __future__ import annotations

import io
import json
import os
import stat
from datetime import date

import pytest

from data import admin, audit, db, interventions, users
from data.__main__ import _parser
from tests.registers import Register

PASSWORD = "correct horse battery"


def run(db_file, *argv, tty: bool = False) -> tuple[int, str, str]:
    """Run ``python -m data ARGV --db FILE`` in-process; (status, stdout, stderr)."""
    args = _parser().parse_args([*argv, "--db", str(db_file)])
    out, err = io.StringIO(), io.StringIO()
    status = admin.cli(args, out=out, err=err, stdin_is_tty=tty)
    return status, out.getvalue(), err.getvalue()


def accounts(db_file) -> list[dict]:
    status, out, _ = run(db_file, "users", "list", "--json")
    assert status == 0
    return json.loads(out)


def audit_actions(db_file) -> list[tuple]:
    with db.connection(db_file) as con:
        frame = audit.entries(con)
    return list(frame[["action", "upn"]].itertuples(index=False, name=None))[::-1]


# --- users ----------------------------------------------------------------------------------------


def test_users_add_list_reset_remove(db_file):
    assert run(db_file, "users", "add", "Pastoral@School.example", "--role", "pastoral", "--years", "7,8",
               "--forms", "9A", "--password", PASSWORD)[0] == 0  # fmt: skip
    assert accounts(db_file) == [
        {
            "email": "pastoral@school.example",
            "role": "pastoral",
            "schools": [],
            "years": [7, 8],
            "forms": ["9A"],
            "local_password": True,
            "active": True,
            "locked": False,
            "created_at": accounts(db_file)[0]["created_at"],
            "last_sign_in": None,
        }
    ]
    _, out, _ = run(db_file, "users", "list", "--json")
    assert "argon2" not in out and PASSWORD not in out  # the list never carries hashes

    assert (
        run(db_file, "users", "reset-password", "pastoral@school.example", "--password", "another long phrase")[0] == 0
    )
    with db.connection(db_file) as con:
        assert users.verify_password(con, "pastoral@school.example", "another long phrase") is not None
        assert users.verify_password(con, "pastoral@school.example", PASSWORD) is None

    assert run(db_file, "users", "remove", "pastoral@school.example")[0] == 0
    assert accounts(db_file) == []
    assert [a for a, _ in audit_actions(db_file)] == ["add user", "reset password", "remove user"]


def test_without_a_terminal_or_password_a_strong_password_is_generated_and_printed_once(db_file):
    status, out, _ = run(db_file, "users", "add", "head@school.example", "--role", "leader")
    assert status == 0
    password = out.strip().splitlines()[-1].split(": ", 1)[1]
    assert len(password) >= 20
    with db.connection(db_file) as con:
        assert users.verify_password(con, "head@school.example", password) is not None
    assert password not in json.dumps(accounts(db_file))


def test_with_a_terminal_the_password_is_prompted_for(db_file, monkeypatch):
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr(admin.getpass, "getpass", lambda prompt="": next(answers))
    status, out, _ = run(db_file, "users", "add", "head@school.example", "--role", "leader", tty=True)
    assert status == 0 and PASSWORD not in out
    with db.connection(db_file) as con:
        assert users.verify_password(con, "head@school.example", PASSWORD) is not None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("users", "add", "p@school.example", "--role", "pastoral", "--password", PASSWORD), "year groups or forms"),
        (("users", "add", "p@school.example", "--role", "leader", "--password", "short"), "at least 12"),
        (("users", "add", "p@school.example", "--role", "pastoral", "--years", "eight"), "year numbers"),
        (("users", "remove", "nobody@school.example"), "No account"),
        (("users", "reset-password", "nobody@school.example", "--password", PASSWORD), "No account"),
        (("purge", "--keep-years", "5"), "at least 6"),
        (("delete-pupil", "NOBODY"), "No pupil"),
    ],
)
def test_refused_requests_exit_1_with_a_message(db_file, argv, message):
    status, _, err = run(db_file, *argv)
    assert status == 1
    assert message in err


# --- delete one pupil ----------------------------------------------------------------------------


@pytest.fixture
def two_schools(con):
    a = Register(con, "A")
    a.pupil("P1", year_group=8).pupil("P2", year_group=8)
    a.pupil("P1", academic_year=2024, year_group=7)
    a.marks("P1", "2025-09-01", "/ N / /").marks("P2", "2025-09-01", "/ / / /").marks("P1", "2024-09-02", "/ /")
    a.lessons("P1", "2025-09-01", [("1", "Maths", "/"), ("2", "PE", "N")])
    b = Register(con, "B")
    b.pupil("P1", year_group=10).marks("P1", "2025-09-01", "/ /")  # same identifier at another school
    return con


def _rows(con, school, upn):
    return {
        t: con.execute(f"SELECT count(*) FROM {t} WHERE school_id = ? AND upn = ?", [school, upn]).fetchone()[0]
        for t in admin.PUPIL_TABLES
    }


def test_delete_pupil_erases_every_row_of_that_pupil_at_that_school_only(two_schools):
    con = two_schools
    con.execute("INSERT INTO pupil_ids VALUES ('A', 'admission_number', '001', 'P1')")
    interventions.import_log(con, "A", [{"upn": "P1", "date": date(2025, 10, 1), "type": "Home visit"}])
    counts = admin.delete_pupil(con, "P1", school_id="A", who="dpo@school.example")
    none = {"pupil_ids": 0, "interventions": 0, "escalation_stages": 0}
    assert counts == {"session_marks": 6, "lesson_marks": 2, "enrolments": 2, "pupils": 1} | {
        "pupil_ids": 1,
        "interventions": 1,
        "escalation_stages": 0,
    }
    assert _rows(con, "A", "P1") == dict.fromkeys(admin.PUPIL_TABLES, 0)
    assert _rows(con, "A", "P2")["session_marks"] == 4
    assert _rows(con, "B", "P1") == {"session_marks": 2, "lesson_marks": 0, "enrolments": 1, "pupils": 1} | none
    entry = audit.entries(con).iloc[0]
    assert (entry.who, entry.action, entry.school_id, entry.upn) == ("dpo@school.example", "delete pupil", "A", "P1")
    assert "SurnameP1" not in entry.detail and "ForenameP1" not in entry.detail


def test_delete_pupil_needs_a_school_when_the_identifier_is_at_two(two_schools):
    with pytest.raises(admin.AdminError, match="2 schools"):
        admin.delete_pupil(two_schools, "P1")
    assert _rows(two_schools, "A", "P1")["pupils"] == 1


def test_delete_pupil_from_the_command_line(db_file):
    with db.connection(db_file) as con:
        Register(con, "A").pupil("P9").marks("P9", "2025-09-01", "/ /")
    status, out, _ = run(db_file, "delete-pupil", "P9", "--by", "dpo@school.example")
    assert status == 0
    assert "2 session marks rows" in out
    assert audit_actions(db_file) == [("delete pupil", "P9")]


# --- purge ------------------------------------------------------------------------------------------


@pytest.fixture
def years(con):
    reg = Register(con, "A")
    for year in (2017, 2018, 2019, 2025):
        reg.pupil(f"Y{year}", academic_year=year).marks(f"Y{year}", f"{year}-09-04", "/ /")
        reg.calendar(year, "autumn", 1, f"{year}-09-04", f"{year}-10-20")
    reg.pupil("STAY", academic_year=2018).pupil("STAY", academic_year=2019)  # on roll in a kept year too
    return con


@pytest.mark.parametrize(
    ("today", "keep", "keep_from", "deleted_years"),
    [
        (date(2025, 10, 1), 6, 2019, (2017, 2018)),  # 2018/19 ended 31/08/2019: more than 6 years ago
        (date(2025, 8, 31), 6, 2018, (2017,)),  # still 2024/25: 2018/19 is not yet 6 years old
        (date(2025, 10, 1), 7, 2018, (2017,)),
        (date(2025, 10, 1), 10, 2015, ()),
    ],
)
def test_purge_keeps_the_current_year_and_n_before_it(years, today, keep, keep_from, deleted_years):
    plan = admin.purge(years, keep, today=today)
    assert (plan.keep_from, plan.years) == (keep_from, deleted_years)
    left = {r[0] for r in years.execute("SELECT DISTINCT academic_year FROM session_marks").fetchall()}
    assert left == {2017, 2018, 2019, 2025} - set(deleted_years)
    assert years.execute("SELECT min(academic_year) FROM calendar").fetchone()[0] == min(left)


def test_purge_deletes_pupils_left_with_no_kept_year(years):
    admin.purge(years, 6, today=date(2025, 10, 1))
    pupils = {r[0] for r in years.execute("SELECT upn FROM pupils").fetchall()}
    assert pupils == {"Y2019", "Y2025", "STAY"}
    entry = audit.entries(years).iloc[0]
    assert entry.action == "purge" and "kept 2019/20 onwards" in entry.detail and entry.upn is None


@pytest.mark.parametrize("keep", [0, 1, 5])
def test_purge_refuses_less_than_six_years(years, keep):
    with pytest.raises(admin.AdminError, match="at least 6"):
        admin.purge(years, keep, today=date(2025, 10, 1))
    assert years.execute("SELECT count(DISTINCT academic_year) FROM session_marks").fetchone()[0] == 4


def test_the_database_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "new.duckdb"
    db.connect(path).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

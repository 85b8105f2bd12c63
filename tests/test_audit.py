"""The audit log, and the admin pages that show it and manage accounts."""

from __future__ import annotations

from datetime import datetime

import pytest
from streamlit.testing.v1 import AppTest

from data import audit, users
from tests.registers import Register
from ui import auth

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, [3, 2, 1]),
        ({"who": "B@school.example"}, [2]),
        ({"action": "view pupil"}, [3, 1]),
        ({"upn": "P1"}, [1]),
        ({"since": datetime(2026, 1, 2)}, [3, 2]),
        ({"until": datetime(2026, 1, 2)}, [1]),
        ({"limit": 1}, [3]),
    ],
)
def test_entries_filters_newest_first(con, kwargs, expected):
    audit.record(con, "a@school.example", "view pupil", role="leader", upn="P1", at=datetime(2026, 1, 1, 9))
    audit.record(con, "b@school.example", "export", role="admin", detail="list.csv", at=datetime(2026, 1, 2, 9))
    audit.record(con, "a@school.example", "view pupil", role="leader", upn="P2", at=datetime(2026, 1, 3, 9))
    assert audit.entries(con, **kwargs)["entry_id"].tolist() == expected


def test_detail_is_cut_short(con):
    audit.record(con, "a@school.example", "export", detail="x" * 5000)
    assert len(audit.entries(con).iloc[0].detail) == audit.DETAIL_LIMIT


def test_the_log_has_no_column_for_pupil_data(con):
    columns = [r[0] for r in con.execute("DESCRIBE audit_log").fetchall()]
    assert columns == ["entry_id", "logged_at", "who", "role", "action", "school_id", "upn", "detail"]


# --- the pages -------------------------------------------------------------------------------------------------


@pytest.fixture
def sample(db_file, con, monkeypatch):
    """A database holding a sample school only (demo mode), with two pupils."""
    monkeypatch.setenv("ATTENDANCE_DB", str(db_file))
    reg = Register(con, "999001", name="Sample School")
    con.execute("UPDATE schools SET is_sample = TRUE")
    reg.pupil("P1", year_group=8).marks("P1", "2025-09-01", "/ / N N")
    reg.pupil("P2", year_group=9).marks("P2", "2025-09-01", "/ / / /")
    return con


def page(name: str, role: str = "admin") -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=30)
    at.session_state[auth.DEMO_KEY] = role
    return at.run()


def test_audit_page_shows_entries_to_an_admin(sample):
    audit.record(sample, "a@school.example", "view pupil", role="leader", upn="P1")
    at = page("audit.py")
    assert not at.exception
    frame = at.dataframe[0].value
    assert frame["UPN"].tolist() == ["P1"]
    assert [b.label for b in at.get("download_button")] == ["CSV", "Excel"]


@pytest.mark.parametrize("name", ["audit.py", "users.py"])
@pytest.mark.parametrize("role", ["leader", "pastoral (Year 8)", "governor"])
def test_admin_pages_are_refused_to_everyone_else(sample, name, role):
    at = page(name, role)
    assert auth.NO_ACCESS in [e.value for e in at.error]
    assert not at.dataframe


def test_erasing_a_pupil_from_the_audit_page(sample):
    at = page("audit.py")
    form_inputs = [t for t in at.text_input if t.label == "Pupil identifier (UPN)" and t.form_id == "delete_pupil"]
    form_inputs[0].input("P1")
    next(c for c in at.checkbox if c.label.startswith("I understand")).check()
    next(b for b in at.button if b.label == "Erase this pupil").click().run()
    assert not at.exception
    assert sample.execute("SELECT count(*) FROM session_marks WHERE upn = 'P1'").fetchone()[0] == 0
    assert sample.execute("SELECT count(*) FROM session_marks WHERE upn = 'P2'").fetchone()[0] == 4
    entry = audit.entries(sample, action="delete pupil").iloc[0]
    assert (entry.who, entry.upn, entry.school_id) == ("demo", "P1", "999001")


def test_adding_an_account_on_the_users_page_ends_demo_mode(sample):
    at = page("users.py")
    next(t for t in at.text_input if t.label == "Email" and t.form_id == "add_user").input("pastoral@school.example")
    next(s for s in at.selectbox if s.label == "Role" and s.form_id == "add_user").set_value("pastoral")
    next(t for t in at.text_input if t.label.startswith("Year groups") and t.form_id == "add_user").input("8")
    next(c for c in at.checkbox if c.label.startswith("Give a local password")).check()
    next(b for b in at.button if b.label == "Add account").click().run()
    password = at.code[0].value
    account = users.get_account(sample, "pastoral@school.example")
    assert (account.role, account.year_groups, account.has_password) == ("pastoral", (8,), True)
    assert users.verify_password(sample, "pastoral@school.example", password) is not None
    assert audit.entries(sample, action="add user").iloc[0].detail == "pastoral@school.example as pastoral"
    at.run()  # an account now exists: demo mode is over and the page is behind the sign-in
    assert "Sign in" in [s.value for s in at.subheader]


def test_a_pastoral_account_without_years_or_forms_is_refused_on_the_page(sample):
    at = page("users.py")
    next(t for t in at.text_input if t.label == "Email" and t.form_id == "add_user").input("p@school.example")
    next(s for s in at.selectbox if s.label == "Role" and s.form_id == "add_user").set_value("pastoral")
    next(b for b in at.button if b.label == "Add account").click().run()
    assert any("year groups or forms" in e.value for e in at.error)
    assert users.list_users(sample) == []

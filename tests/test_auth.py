"""The sign-in gate: demo mode, local accounts, identity-provider users, expiry, refused pages, uploads."""

from __future__ import annotations

import io
import zipfile

import pytest
from streamlit.testing.v1 import AppTest

from data import audit, users
from tests.accounts import OIDC_SECRETS, PASSWORD
from tests.registers import Register
from ui import auth, demo, identity, registry, uploads

SHOWN = "page content behind the gate"

GATE = f"""
import streamlit as st
from ui import auth
user = auth.gate()
st.markdown(f"{SHOWN}: {{user.email}} {{user.role}} demo={{user.demo}}")
"""

PAGE = f"""
import streamlit as st
from ui import auth
auth.require_page({{key!r}})
st.markdown("{SHOWN}")
"""


@pytest.fixture
def app_db(db_file, con, monkeypatch):
    """The app's database (the test holds a read-write connection to it, as the app does)."""
    monkeypatch.setenv("ATTENDANCE_DB", str(db_file))
    return con


@pytest.fixture
def real_school(app_db):
    Register(app_db, "100001", name="Real Academy").pupil("P1", year_group=8)
    return app_db


@pytest.fixture
def sample_school(app_db):
    app_db.execute("INSERT INTO schools (school_id, name, is_sample) VALUES ('999001', 'Sample School', TRUE)")
    return app_db


def shown(at: AppTest) -> str:
    """Everything written in the main area and the sidebar, as one string."""
    parts = [e.value for kind in ("markdown", "title", "subheader", "warning", "error", "info") for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="_auth_email").input(email)
    at.text_input(key="_auth_password").input(password)
    return at.button(key="FormSubmitter:_auth_local-Sign in").click().run()


def actions(con) -> list[str]:
    return audit.entries(con)["action"].tolist()[::-1]


# --- demo mode -------------------------------------------------------------------------------------------


def test_demo_mode_with_only_the_sample_school_and_no_accounts(sample_school):
    at = AppTest.from_string(GATE).run()
    assert f"{SHOWN}: demo admin demo=True" in shown(at)
    switcher = at.sidebar.radio(key=auth.DEMO_KEY)
    assert switcher.label.startswith("Demo mode")
    assert switcher.options == ["admin", "leader", "pastoral (Year 8)", "governor"]
    switcher.set_value("pastoral (Year 8)").run()
    assert f"{SHOWN}: demo pastoral demo=True" in shown(at)
    assert at.session_state[auth.USER_KEY].scope.year_groups == (8,)
    at.sidebar.radio(key=auth.DEMO_KEY).set_value("governor").run()
    assert at.session_state[auth.USER_KEY].scope.pupil_level is False


def test_the_demo_role_is_kept_apart_from_the_switcher_and_in_the_address(sample_school):
    """Streamlit may drop a widget's value on a page switch or a drill-down; a reload keeps only the address."""
    at = AppTest.from_string(GATE).run()
    at.sidebar.radio(key=auth.DEMO_KEY).set_value("governor").run()
    assert at.query_params["as"] in ("governor", ["governor"])
    assert at.session_state[demo.ROLE_KEY] == "governor"

    switcher_forgotten = AppTest.from_string(GATE)
    switcher_forgotten.session_state[demo.ROLE_KEY] = "pastoral (Year 8)"
    assert f"{SHOWN}: demo pastoral demo=True" in shown(switcher_forgotten.run())

    reloaded = AppTest.from_string(GATE)
    reloaded.query_params["as"] = "governor"
    assert f"{SHOWN}: demo governor demo=True" in shown(reloaded.run())


def test_a_governor_keeps_no_pupil_identifier_in_the_address(sample_school):
    at = AppTest.from_string(GATE)
    at.query_params["upn"] = "A123456789012"
    at.query_params["as"] = "governor"
    at.run()
    assert "upn" not in at.query_params
    assert f"{SHOWN}: demo governor demo=True" in shown(at)


@pytest.mark.parametrize("what_ends_it", ["real school", "an account"])
def test_demo_mode_ends_with_real_data_or_an_account(sample_school, what_ends_it):
    at = AppTest.from_string(GATE).run()
    assert "demo=True" in shown(at)
    if what_ends_it == "real school":
        Register(sample_school, "100001")
    else:
        users.add_user(sample_school, "head@school.example", "leader", password=PASSWORD)
    at.run()
    assert SHOWN not in shown(at)
    assert "Sign in" in shown(at)
    assert not at.sidebar.radio


def test_with_real_data_and_nobody_signed_in_only_the_sign_in_page_shows(real_school):
    at = AppTest.from_string(GATE).run()
    assert not at.exception
    assert SHOWN not in shown(at)
    assert "Real Academy" not in shown(at)
    assert [t.value for t in at.title] == ["Attendance dashboard"]
    assert "python -m data users add" in shown(at)  # no account yet: how to create the first


# --- local accounts ----------------------------------------------------------------------------------------


@pytest.fixture
def leader(real_school):
    users.add_user(real_school, "head@school.example", "leader", password=PASSWORD)
    return real_school


def test_sign_in_with_the_right_password_and_out_again(leader):
    at = sign_in(AppTest.from_string(GATE).run(), "Head@School.example", PASSWORD)
    assert f"{SHOWN}: head@school.example leader demo=False" in shown(at)
    at.sidebar.button(key="_auth_sign_out").click().run()
    assert SHOWN not in shown(at)
    assert actions(leader) == ["sign in", "sign out"]


@pytest.mark.parametrize(
    ("email", "password"),
    [("head@school.example", "wrong password here"), ("nobody@school.example", PASSWORD), ("", "")],
)
def test_a_wrong_email_or_password_gets_one_message_that_says_neither(leader, email, password):
    at = sign_in(AppTest.from_string(GATE).run(), email, password)
    assert SHOWN not in shown(at)
    assert users.NOT_RECOGNISED in shown(at)
    assert actions(leader) == ["sign in failed"]


def test_lock_out_after_five_failures_through_the_form(leader):
    at = AppTest.from_string(GATE).run()
    for _ in range(users.MAX_FAILURES):
        sign_in(at, "head@school.example", "wrong password here")
    sign_in(at, "head@school.example", PASSWORD)
    assert SHOWN not in shown(at)
    assert users.is_locked(leader, "head@school.example")


@pytest.mark.parametrize(
    ("seconds_later", "still_signed_in"),
    [
        (29 * 60, True),
        (31 * 60, False),  # idle for longer than 30 minutes
    ],
)
def test_an_idle_session_expires(leader, monkeypatch, seconds_later, still_signed_in):
    now = [1_000_000.0]
    monkeypatch.setattr(identity, "_clock", lambda: now[0])
    at = sign_in(AppTest.from_string(GATE).run(), "head@school.example", PASSWORD)
    now[0] += seconds_later
    at.run()
    assert (SHOWN in shown(at)) == still_signed_in
    assert (auth.EXPIRED in shown(at)) != still_signed_in


def test_a_busy_session_still_ends_after_eight_hours(leader, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(identity, "_clock", lambda: now[0])
    at = sign_in(AppTest.from_string(GATE).run(), "head@school.example", PASSWORD)
    for _ in range(8 * 3):  # a click every 20 minutes for 8 hours
        now[0] += 20 * 60
        at.run()
        assert SHOWN in shown(at)
    now[0] += 20 * 60
    at.run()
    assert SHOWN not in shown(at)
    assert auth.EXPIRED in shown(at)


def test_session_limits_are_configurable(leader, monkeypatch):
    monkeypatch.setenv("ATTENDANCE_IDLE_MINUTES", "5")
    now = [1_000_000.0]
    monkeypatch.setattr(identity, "_clock", lambda: now[0])
    at = sign_in(AppTest.from_string(GATE).run(), "head@school.example", PASSWORD)
    now[0] += 6 * 60
    at.run()
    assert SHOWN not in shown(at)


def test_a_removed_account_is_signed_out_at_its_next_click(leader):
    at = sign_in(AppTest.from_string(GATE).run(), "head@school.example", PASSWORD)
    users.remove_user(leader, "head@school.example")
    at.run()
    assert SHOWN not in shown(at)


def test_a_changed_role_applies_at_the_next_click(leader):
    at = sign_in(AppTest.from_string(GATE).run(), "head@school.example", PASSWORD)
    users.update_user(leader, "head@school.example", "governor")
    at.run()
    assert f"{SHOWN}: head@school.example governor" in shown(at)


# --- identity provider (st.login) ------------------------------------------------------------------------------


def oidc_app(email: str | None, **claims) -> AppTest:
    at = AppTest.from_string(GATE)
    at.secrets = OIDC_SECRETS
    at.user = {"is_logged_in": email is not None, **({"email": email} if email else {}), **claims}
    return at.run()


def test_oidc_not_signed_in_shows_the_provider_button_only(real_school):
    users.add_user(real_school, "gov@school.example", "governor")
    at = oidc_app(None)
    assert SHOWN not in shown(at)
    assert [b.label for b in at.button] == ["Sign in with Microsoft"]
    assert not at.text_input  # no local accounts with passwords: no password form


def test_oidc_user_listed_by_an_admin_is_signed_in_with_their_role(real_school):
    users.add_user(real_school, "gov@school.example", "governor")
    at = oidc_app("Gov@School.example")
    assert f"{SHOWN}: gov@school.example governor demo=False" in shown(at)
    assert actions(real_school) == ["sign in"]


@pytest.mark.parametrize(
    ("email", "claims"),
    [("stranger@school.example", {}), ("gov@school.example", {"email_verified": False})],
)
def test_oidc_user_not_listed_or_unverified_is_not_authorised(real_school, email, claims):
    users.add_user(real_school, "gov@school.example", "governor")
    at = oidc_app(email, **claims)
    assert SHOWN not in shown(at)
    assert auth.NOT_AUTHORISED in shown(at)


# --- pages the role lacks -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("demo_role", "key", "allowed"),
    [
        ("pastoral (Year 8)", "overview", False),
        ("pastoral (Year 8)", "pupils", True),
        ("governor", "pupils", False),
        ("governor", "lists", False),
        ("governor", "governors", True),
        ("leader", "users", False),
        ("leader", "quality", True),
        ("admin", "audit", True),
    ],
)
def test_a_page_the_role_lacks_is_refused(sample_school, demo_role, key, allowed):
    at = AppTest.from_string(PAGE.format(key=key))
    at.session_state[auth.DEMO_KEY] = demo_role
    at.run()
    assert (SHOWN in shown(at)) == allowed
    assert (auth.NO_ACCESS in shown(at)) != allowed
    if not allowed:
        assert audit.entries(sample_school).iloc[0][["action", "detail"]].tolist() == ["page refused", key]


def test_a_page_opened_without_signing_in_shows_the_sign_in_page(real_school):
    at = AppTest.from_string(PAGE.format(key="pupils")).run()
    assert SHOWN not in shown(at)
    assert "Sign in" in shown(at)


EVERY_KEY = {p.key for p in registry.PAGES}


@pytest.mark.parametrize(
    ("role", "pages"),
    [
        ("admin", EVERY_KEY),
        ("leader", EVERY_KEY - {"import", "users", "audit"}),
        ("pastoral", {"pupils", "lists", "risk", "caseload"}),
        ("governor", {"overview", "groups", "patterns", "model", "governors", "action_plan", "trust"}),
    ],
)
def test_role_pages(role, pages):
    assert {p.key for p in registry.pages_for(role)} == pages
    assert all(registry.allowed(role, key) == (key in pages) for key in EVERY_KEY)


# --- uploads --------------------------------------------------------------------------------------------------


def _xlsx(extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", "<workbook/>")
        for name, data in (extra or {}).items():
            book.writestr(name, data)
    return buffer.getvalue()


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("evil.exe", b"MZ")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("marks.csv", b"UPN,Date,AM,PM\nA1,01/09/2025,/,\\\n", None),
        ("marks.csv", "UPN;Nom\nA1;Zoë\n".encode("cp1252"), None),
        ("marks.csv", "\ufeffUPN,Name\nA1,Zoë\n".encode(), None),
        ("marks.CSV", "UPN,Name\r\nA1,x\r\n".encode("utf-16"), None),
        ("marks.xlsx", _xlsx(), None),
        ("marks.csv", _xlsx(), "not a text file"),  # a workbook renamed .csv
        ("marks.csv", b"MZ\x90\x00\x03\x00\x00\x00", "not a text file"),  # a Windows program
        ("marks.csv", b"UPN,Date\x00\x00\x00binary", "not a text file"),
        ("marks.xlsx", b"UPN,Date,AM,PM\n", "not an Excel workbook"),  # a CSV renamed .xlsx
        ("marks.xlsx", b"PK\x03\x04 truncated", "not an Excel workbook"),
        ("marks.xlsx", _zip_without_workbook(), "not an Excel workbook"),
        ("marks.xlsx", _xlsx({"xl/vbaProject.bin": b"macro"}), "macros"),
        ("marks.xlsm", _xlsx({"xl/vbaProject.bin": b"macro"}), "Upload a CSV"),
        ("marks.exe", b"MZ", "Upload a CSV"),
        ("marks.xls", b"\xd0\xcf\x11\xe0", "Old .xls"),
        ("marks.csv", b"", "empty"),
    ],
)
def test_an_upload_that_is_not_what_it_claims_is_refused(name, data, problem):
    message = auth.check_upload(name, data)
    if problem is None:
        assert message is None
    else:
        assert problem in message


def test_an_upload_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UPLOAD_MB", 1)
    assert "larger than 1 MB" in auth.check_upload("marks.csv", b"a,b\n" * 300_000)

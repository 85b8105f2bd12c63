"""Sign in as each role and walk every page: what each role may see holds in what the app draws.

The sample school, marked as real data (so the sign-in gate is on), with one
account per role. Governors: no UPN, name or date of birth anywhere in the
output. A pastoral lead for Year 8: never a pupil outside Year 8, even when a
URL names one. Every pupil view and list lands in the audit log.
"""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from data import audit, db
from tests.accounts import ACCOUNTS, OIDC_SECRETS, PASSWORD, school_with_accounts
from tests.browser.conftest import _serve
from tests.test_app_smoke import open_figures
from ui import auth, common, registry

APP = str(common.ROOT / "app.py")
TIMEOUT = 180
PAGE_PATHS = {spec.key: spec.path for spec in registry.PAGES}

pytestmark = pytest.mark.xdist_group("roles")


@pytest.fixture(scope="module")
def school(sample_db, tmp_path_factory):
    """A copy of the sample school marked as real, with one account per role; and what it holds about pupils."""
    path = school_with_accounts(sample_db, tmp_path_factory.mktemp("roles") / "school.duckdb")
    with db.connection(path) as con:
        latest = con.execute("SELECT max(academic_year) FROM enrolments").fetchone()[0]
        pupils = con.execute("SELECT upn, surname, forename, date_of_birth FROM pupils").fetchall()
        year8 = {r[0] for r in con.execute(
            "SELECT upn FROM enrolments WHERE academic_year = ? AND year_group = 8", [latest]
        ).fetchall()}  # fmt: skip
        year9 = sorted(r[0] for r in con.execute(
            "SELECT upn FROM enrolments WHERE academic_year = ? AND year_group = 9", [latest]
        ).fetchall())  # fmt: skip
    return {"path": path, "pupils": pupils, "year8": year8, "year9": year9}


@pytest.fixture
def app_env(school, monkeypatch):
    monkeypatch.setenv("ATTENDANCE_DB", str(school["path"]))
    monkeypatch.setenv("ATTENDANCE_SAMPLE", "0")
    return school


def oidc_session(role: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets = OIDC_SECRETS
    at.user = {"is_logged_in": True, "email": ACCOUNTS[role][0]}
    return at.run()


def local_session(role: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.text_input(key="_auth_email").input(ACCOUNTS[role][0])
    at.text_input(key="_auth_password").input(PASSWORD)
    return at.button(key="FormSubmitter:_auth_local-Sign in").click().run()


def visit(at: AppTest, key: str, query: dict | None = None) -> AppTest:
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.switch_page(PAGE_PATHS[key])
    return at.run()


def output(at: AppTest) -> str:
    """Everything the run drew: text, tables (as CSV), chart specs, widget options."""
    parts: list[str] = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            walk(child)
        if type(node).__name__ in ("Dataframe", "Table"):
            parts.append(node.value.to_csv())
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))

    walk(at._tree)
    return "\n".join(parts)


def upns_shown(text: str, pupils) -> set[str]:
    return {upn for upn, *_ in pupils if upn in text}


def identifying_data_shown(text: str, pupils) -> list[str]:
    """UPNs, full names and dates of birth of the school's pupils that appear in the text."""
    found = []
    for upn, surname, forename, dob in pupils:
        candidates = [upn, f"{forename} {surname}", f"{surname}, {forename}"]
        if dob is not None:
            candidates += [dob.isoformat(), dob.strftime("%d/%m/%Y")]
        found += [c for c in candidates if c in text]
    return found


def allowed(role: str) -> list[str]:
    return sorted(p.key for p in registry.pages_for(role))


# --- sign-in paths ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(ACCOUNTS))
@pytest.mark.parametrize("session", [oidc_session, local_session], ids=["oidc", "local"])
def test_each_role_signs_in_and_sees_only_its_pages(app_env, role, session):
    at = session(role)
    assert not at.exception, [e.value for e in at.exception]
    assert any(ACCOUNTS[role][0] in c.value for c in at.sidebar.caption)
    for key in allowed(role):
        visit(at, key)
        assert not at.exception, (role, key, [e.value for e in at.exception])
        assert auth.NO_ACCESS not in output(at)


def test_nobody_signed_in_sees_only_the_sign_in_page(app_env):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    text = output(at)
    assert "Sign in" in text
    assert not upns_shown(text, app_env["pupils"])
    assert "Riverside" not in text  # not even the school's name
    with pytest.raises(ValueError, match="Known pages: \\['Sign in'\\]"):
        at.switch_page(PAGE_PATHS["pupils"])  # the sign-in page is the only page registered
    at = AppTest.from_file(str(common.ROOT / PAGE_PATHS["pupils"]), default_timeout=TIMEOUT)
    at.query_params["upn"] = app_env["year9"][0]
    at.run()  # the page's own script, as a typed URL past the navigation would reach it
    assert "Password" in output(at)
    assert not upns_shown(output(at), app_env["pupils"])


# --- governors ------------------------------------------------------------------------------------------------


def test_a_governor_sees_no_upn_name_or_date_of_birth_on_any_page(app_env):
    at = oidc_session("governor")
    for key in allowed("governor"):
        open_figures(visit(at, key))  # the charts' figures tables too
        assert not at.exception, (key, [e.value for e in at.exception])
        leaked = identifying_data_shown(output(at), app_env["pupils"])
        assert leaked == [], (key, leaked[:3])


def crafted_url(role: str, key: str, query: dict | None = None) -> AppTest:
    """The page's own script, run for a signed-in user as a typed URL would reach it (past the navigation)."""
    at = AppTest.from_file(str(common.ROOT / PAGE_PATHS[key]), default_timeout=TIMEOUT)
    at.secrets = OIDC_SECRETS
    at.user = {"is_logged_in": True, "email": ACCOUNTS[role][0]}
    for name, value in (query or {}).items():
        at.query_params[name] = value
    return at.run()


def refused_pages(role: str) -> list[str]:
    return sorted(k for k in PAGE_PATHS if not registry.allowed(role, k))


@pytest.mark.parametrize("key", refused_pages("governor"))
def test_a_governor_opening_another_page_by_url_is_refused_and_sees_no_pupil(app_env, key):
    at = oidc_session("governor")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE_PATHS[key])  # not in the governor's navigation at all
    at = crafted_url("governor", key, {"upn": app_env["year9"][0]})
    assert auth.NO_ACCESS in [e.value for e in at.error]
    assert identifying_data_shown(output(at), app_env["pupils"]) == []


# --- pastoral lead for Year 8 ----------------------------------------------------------------------------------


def test_a_year_8_pastoral_lead_never_sees_a_pupil_outside_year_8(app_env):
    at = oidc_session("pastoral")
    seen: set[str] = set()
    for key in allowed("pastoral"):
        open_figures(visit(at, key))
        assert not at.exception, (key, [e.value for e in at.exception])
        seen |= upns_shown(output(at), app_env["pupils"])
    assert seen, "the walk showed no pupils at all: it would pass whatever the scope"
    assert seen <= app_env["year8"], sorted(seen - app_env["year8"])[:3]


def test_a_url_naming_a_year_9_pupil_shows_a_year_8_lead_nothing_of_them(app_env):
    at = oidc_session("pastoral")
    outsider = app_env["year9"][0]
    visit(at, "pupils", {"upn": outsider})
    assert not at.exception
    assert outsider not in output(at)
    assert outsider not in audit.entries(_con(app_env))["upn"].dropna().tolist()


@pytest.mark.parametrize("key", refused_pages("pastoral"))
def test_a_pastoral_lead_opening_another_page_by_url_is_refused(app_env, key):
    at = crafted_url("pastoral", key)
    assert auth.NO_ACCESS in [e.value for e in at.error]
    assert not upns_shown(output(at), app_env["pupils"])


# --- the audit log --------------------------------------------------------------------------------------------


def _con(env):
    return db.connect(env["path"])


@pytest.mark.parametrize("role", ["admin", "leader", "pastoral"])
def test_every_pupil_view_and_list_lands_in_the_audit_log(app_env, role):
    email = ACCOUNTS[role][0]
    upn = sorted(app_env["year8"])[0]
    at = oidc_session(role)
    visit(at, "pupils", {"upn": upn})
    assert not at.exception
    assert upn in output(at)
    visit(at, "lists")
    log = audit.entries(_con(app_env), who=email)
    viewed = log[log["upn"] == upn]
    assert not viewed.empty, f"{role}'s view of a pupil was not audited"
    assert viewed.iloc[0]["role"] == role
    assert log["action"].str.contains("list").any(), f"{role}'s list view was not audited"
    assert log["action"].eq("sign in").any()


# --- a real browser ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served_app(school, tmp_path_factory):
    """The app served by `streamlit run` on a free port over its own copy of the real data, nobody signed in.

    Its own copy: DuckDB lets one process hold a file, and this test process holds the other.
    """
    path = tmp_path_factory.mktemp("served") / "served.duckdb"
    shutil.copy(school["path"], path)
    yield from _serve(path, path.with_suffix(".log"))


@pytest.mark.browser
@pytest.mark.parametrize("path", ["", "/pupils?upn=PLACEHOLDER", "/users", "/audit"])
def test_a_real_browser_without_sign_in_sees_the_sign_in_page_and_nothing_else(browser, served_app, school, path):
    path = path.replace("PLACEHOLDER", school["year9"][0])
    page = browser.new_page()
    try:
        page.goto(served_app + path)
        page.get_by_text("Password", exact=True).wait_for(timeout=60_000)
        page.wait_for_timeout(1500)  # let any late element arrive before reading the page
        text = page.inner_text("body")
    finally:
        page.close()
    assert "Email" in text and "Password" in text
    text = text.lower().replace("email", "")
    assert identifying_data_shown(text, school["pupils"]) == []
    assert "Riverside" not in text
    for word in ("overview", "pupils", "Attendance rate", "Persistent absence", "audit"):
        assert word.lower() not in text

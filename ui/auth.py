"""Who is using the dashboard, and what they may see.

``gate()`` runs at the top of ``app.py`` on every script run and returns the
``User``; nothing below it runs until someone is signed in:

- **Demo mode** while only sample schools are loaded and no account exists: a
  demo user with a clearly marked role switcher in the sidebar.
- **OpenID Connect** (``st.login``) when ``[auth]`` is configured in
  ``.streamlit/secrets.toml``: the provider proves who the person is; their
  email must match an active row in the users table (``python -m data users add``).
- Otherwise **local accounts**: email and password (argon2id), locked for
  15 minutes after 5 failures.

Pages call ``require_page(key)`` first, and ``audit(...)`` for every pupil
view, list and export. Sessions end after ``ABSOLUTE_HOURS`` or
``IDLE_MINUTES`` without a click.

Connections: DuckDB refuses a read-only and a read-write connection to the same
file in one process, and lets only one process write. Audit entries and
sign-in counters are written on every page, so the app must hold ONE cached
read-write connection and give each script run its own ``.cursor()``
(``ui.common.connection()``).
"""

from __future__ import annotations

import io
import logging
import os
import time
import zipfile

import duckdb
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from analytics.filters import Scope
from data import audit as audit_log
from data import users
from data.users import User

__all__ = [
    "ROLE_PAGES",
    "User",
    "audit",
    "check_upload",
    "current_user",
    "gate",
    "require_page",
    "sign_out",
]

log = logging.getLogger(__name__)

PAGE_KEYS = (
    "overview",
    "groups",
    "patterns",
    "pupils",
    "lists",
    "risk",
    "model",
    "governors",
    "trust",
    "import",
    "quality",
    "users",
    "audit",
)
ROLE_PAGES: dict[str, frozenset[str]] = {
    "admin": frozenset(PAGE_KEYS),
    # Leaders see every pupil of their schools, including the data-quality report (missing marks to chase).
    "leader": frozenset(PAGE_KEYS) - {"import", "users", "audit"},
    "pastoral": frozenset({"pupils", "lists", "risk"}),
    # Aggregate pages only; analytics refuse pupil-level rows for a governor's scope as well.
    "governor": frozenset({"overview", "groups", "patterns", "model", "governors"}),
}
# The trust view compares only the schools a user's scope allows: a governor of one school sees that one alone.
ROLE_PAGES["governor"] = ROLE_PAGES["governor"] | {"trust"}
ROLE_LABELS = {
    "admin": "Administrator",
    "leader": "Senior leader",
    "pastoral": "Pastoral lead",
    "governor": "Governor",
}
NO_ACCESS = "You do not have access to this page"
NOT_AUTHORISED = (
    "Your account is not authorised to use this dashboard. Ask the school's data manager to add your email."
)
EXPIRED = "Your session has ended. Please sign in again."

ABSOLUTE_HOURS = 8.0  # a working day, then sign in again
IDLE_MINUTES = 30.0  # an unattended screen in a staff room stops showing pupils

# Demo roles offered by the switcher: (label, role, scope).
DEMO_ROLES = {
    "admin": ("admin", Scope()),
    "leader": ("leader", Scope()),
    "pastoral (Year 8)": ("pastoral", Scope(year_groups=(8,))),
    "governor": ("governor", Scope(pupil_level=False)),
}

MAX_UPLOAD_MB = 200  # matches server.maxUploadSize in .streamlit/config.toml
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx",)
_MAX_UNZIPPED = 2_000 * 1024 * 1024  # an xlsx that inflates beyond this is a zip bomb, not a register

# Session-state keys (one place, so tests can age a session).
USER_KEY = "_auth_user"
SINCE_KEY = "_auth_since"
SEEN_KEY = "_auth_seen"
DEMO_KEY = "_auth_demo_role"
MESSAGE_KEY = "_auth_message"

_clock = time.time  # replaced in tests


# --- settings ---------------------------------------------------------------------------------------


def _secrets_section(name: str) -> dict:
    try:
        if name in st.secrets:
            return dict(st.secrets[name])
    except Exception:  # no secrets.toml at all: nothing configured
        return {}
    return {}


def session_limits() -> tuple[float, float]:
    """(absolute seconds, idle seconds): ``[session]`` in secrets, else $ATTENDANCE_SESSION_HOURS / _IDLE_MINUTES."""
    section = _secrets_section("session")
    hours = float(section.get("absolute_hours", os.environ.get("ATTENDANCE_SESSION_HOURS", ABSOLUTE_HOURS)))
    idle = float(section.get("idle_minutes", os.environ.get("ATTENDANCE_IDLE_MINUTES", IDLE_MINUTES)))
    return hours * 3600, idle * 60


def oidc_providers() -> list[str | None]:
    """Providers configured for st.login: named ``[auth.NAME]`` sections, or the unnamed default; [] if none."""
    section = _secrets_section("auth")
    if not section:
        return []
    named = [k for k, v in section.items() if isinstance(v, dict) or hasattr(v, "keys")]
    return named or [None]


# --- the database ----------------------------------------------------------------------------------


def _con() -> duckdb.DuckDBPyConnection:
    """This run's cursor on the app's one cached connection (see the module docstring)."""
    from ui import common

    return common.connection()


def demo_mode(con: duckdb.DuckDBPyConnection) -> bool:
    """True while no account exists and every school loaded (if any) is a sample school."""
    if users.user_count(con) > 0:
        return False
    return con.execute("SELECT count(*) FROM schools WHERE NOT is_sample").fetchone()[0] == 0


# --- the gate --------------------------------------------------------------------------------------


def gate() -> User:
    """The user for this run; shows the sign-in page and stops the script until there is one."""
    # A table's own download button would be an export that is neither audited nor formula-safe.
    st.set_option("client.disableDataExport", True)
    con = _con()
    if demo_mode(con):
        user = _demo_user()
        st.session_state[USER_KEY] = user
        _mark_gated(user)
        return user

    user = st.session_state.get(USER_KEY)
    if user is not None and user.demo:  # real data arrived or an account was created: demo over
        _forget()
        user = None
    if user is not None:
        if _expired():
            _end_session(user, EXPIRED)
            user = None
        else:
            refreshed = users.current_user(con, user)
            if refreshed is None:  # removed or deactivated since signing in
                _end_session(user, NOT_AUTHORISED)
                user = None
            else:
                user = refreshed
                st.session_state[USER_KEY] = user

    if user is None and oidc_providers() and _oidc_logged_in():
        user = _oidc_sign_in(con)

    if user is None:
        _sign_in_only(con)
        st.stop()

    st.session_state[SEEN_KEY] = _clock()
    _sidebar(user)
    _mark_gated(user)
    return user


def current_user() -> User:
    """The user the gate let through on this script run; runs the gate if it has not run yet (a page opened alone)."""
    ctx = get_script_run_ctx()
    gated = getattr(ctx, "_attendance_gate", None) if ctx is not None else None
    # The run's own cursors dict identifies the run; holding it keeps its id from being reused.
    if gated is not None and gated[0] is ctx.cursors and st.session_state.get(USER_KEY) == gated[1]:
        return gated[1]
    return gate()


def _mark_gated(user: User) -> None:
    ctx = get_script_run_ctx()
    if ctx is not None:
        ctx._attendance_gate = (ctx.cursors, user)


def require_page(key: str) -> User:
    """Call first on every page: stops with a plain refusal when the user's role does not include it."""
    user = current_user()
    if key not in ROLE_PAGES.get(user.role, frozenset()):
        st.error(NO_ACCESS, icon=":material/block:")
        audit("page refused", detail=key)
        st.stop()
    if key == "import" and user.demo:
        st.warning(
            "Demo mode: importing a real school's data ends demo mode, and then nobody can see anything until "
            "they sign in. Create an administrator account first: `python -m data users add EMAIL --role admin`.",
            icon=":material/warning:",
        )
    return user


def audit(action: str, upn: str | None = None, detail: str | None = None, school_id: str | None = None) -> None:
    """Record what the current user did. Raises when the entry cannot be written, so nothing is shown unaudited."""
    user = current_user()
    _record(user, action, upn=upn, detail=detail, school_id=school_id)


def _record(user: User, action: str, **fields) -> None:
    who = f"demo ({user.role})" if user.demo else user.email
    try:
        audit_log.record(_con(), who=who, role=user.role, action=action, **fields)
    except duckdb.InvalidInputException as exc:
        if "read-only" in str(exc).lower() or "read only" in str(exc).lower():
            raise RuntimeError(
                "The audit log cannot be written: the app's database connection is read-only. "
                "ui/common.py must cache one read-write connection (see ui/auth.py)."
            ) from exc
        raise


def sign_out(message: str | None = None) -> None:
    """End this session (and the identity-provider cookie when signed in that way)."""
    user = st.session_state.get(USER_KEY)
    if user is not None and not user.demo:
        _record(user, "sign out")
    _end_session(user, message, audited=True)
    st.rerun()


def _end_session(user: User | None, message: str | None, audited: bool = False) -> None:
    if user is not None and not user.demo and not audited and message:
        try:
            _record(user, "session ended", detail=message)
        except Exception:  # ending a session must not fail because the log is busy
            log.warning("could not record the end of a session")
    _forget()
    if message:
        st.session_state[MESSAGE_KEY] = message
    if user is not None and user.via == "oidc" and _oidc_logged_in():
        st.logout()


def _forget() -> None:
    for key in (USER_KEY, SINCE_KEY, SEEN_KEY):
        st.session_state.pop(key, None)


def _expired() -> bool:
    now = _clock()
    absolute, idle = session_limits()
    since = st.session_state.get(SINCE_KEY, now)
    seen = st.session_state.get(SEEN_KEY, now)
    return now - since > absolute or now - seen > idle


def _start_session(user: User) -> None:
    st.session_state[USER_KEY] = user
    st.session_state[SINCE_KEY] = st.session_state[SEEN_KEY] = _clock()
    st.session_state.pop(MESSAGE_KEY, None)
    _record(user, "sign in", detail=user.via)


def _demo_user() -> User:
    label = st.session_state.get(DEMO_KEY) or "admin"
    role, scope = DEMO_ROLES.get(label, DEMO_ROLES["admin"])
    user = User(email="demo", role=role, scope=scope, demo=True, via="demo")
    with st.sidebar:
        st.warning(
            "**Demo mode**: sample school only, no sign-in. Ends when a real school is imported or an account is "
            "created.",
            icon=":material/science:",
        )
        st.radio("Demo mode: view as", list(DEMO_ROLES), key=DEMO_KEY, horizontal=False)
    return user


def _sidebar(user: User) -> None:
    with st.sidebar:
        st.caption(f"Signed in as {user.email} · {ROLE_LABELS.get(user.role, user.role)}")
        if st.button("Sign out", key="_auth_sign_out", icon=":material/logout:"):
            sign_out()


# --- OpenID Connect --------------------------------------------------------------------------------


def _oidc_logged_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except (AttributeError, KeyError):
        return False


def _oidc_sign_in(con: duckdb.DuckDBPyConnection) -> User | None:
    info = st.user.to_dict() if hasattr(st.user, "to_dict") else dict(st.user)
    if info.get("email_verified") is False:  # Google says so when the address is unproven
        st.session_state[MESSAGE_KEY] = NOT_AUTHORISED
        return None
    user = users.oidc_user(con, info.get("email"))
    if user is None:
        st.session_state[MESSAGE_KEY] = NOT_AUTHORISED
        try:
            audit_log.record(con, who=str(info.get("email") or "unknown"), action="sign in refused", detail="oidc")
        except Exception:
            log.warning("could not record a refused sign-in")
        return None
    _start_session(user)
    return user


# --- the sign-in page ------------------------------------------------------------------------------


def _sign_in_page(con: duckdb.DuckDBPyConnection) -> None:
    """The only thing shown to someone not signed in: no school name, no figures."""
    st.title("Attendance dashboard")
    st.subheader("Sign in")
    message = st.session_state.get(MESSAGE_KEY)
    if message:
        st.warning(message, icon=":material/lock:")
    providers = oidc_providers()
    if providers and _oidc_logged_in():
        # Signed in at the provider but not on our list: offer to switch account.
        if st.button("Sign out of this account", key="_auth_oidc_out"):
            st.logout()
    elif providers:
        for provider in providers:
            label = f"Sign in with {provider.title()}" if provider else "Sign in with your school account"
            if st.button(label, key=f"_auth_login_{provider or 'default'}", type="primary"):
                if provider:
                    st.login(provider)
                else:
                    st.login()
    show_local = not providers or _any_local_password(con)
    if show_local:
        container = st.expander("Sign in with a local account") if providers else st.container()
        with container, st.form("_auth_local", clear_on_submit=False):
            email = st.text_input("Email", key="_auth_email", autocomplete="username")
            password = st.text_input("Password", type="password", key="_auth_password", autocomplete="current-password")
            submitted = st.form_submit_button("Sign in", type="primary")
        if submitted:
            user = users.verify_password(con, email or "", password or "")
            if user is None:
                st.session_state[MESSAGE_KEY] = (
                    f"{users.NOT_RECOGNISED} After {users.MAX_FAILURES} failed attempts an account is locked for "
                    f"{users.LOCK_MINUTES} minutes."
                )
                try:
                    audit_log.record(con, who=users.normalise_email(email or "")[:200], action="sign in failed")
                except Exception:
                    log.warning("could not record a failed sign-in")
                st.rerun()
            _start_session(user)
            st.rerun()
    if users.user_count(con) == 0:
        st.info(
            "No accounts exist yet. The school's data manager creates the first administrator on the server: "
            "`python -m data users add EMAIL --role admin`.",
            icon=":material/info:",
        )


def _sign_in_only(con: duckdb.DuckDBPyConnection) -> None:
    """Draw the sign-in page as the one page registered, so Streamlit's automatic list of pages/ is not shown."""
    if get_script_run_ctx() is None:
        _sign_in_page(con)
        return
    st.navigation([st.Page(lambda: _sign_in_page(con), title="Sign in", default=True)], position="hidden").run()


def _any_local_password(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT count(*) FROM users WHERE password_hash IS NOT NULL AND active").fetchone()[0] > 0


# --- uploads ---------------------------------------------------------------------------------------


def check_upload(name: str, data: bytes) -> str | None:
    """Why an uploaded file must be refused (a message safe to show), or None when it may be read.

    Checks size, that the name is a register format, and that the bytes are what
    the name claims: an .xlsx is a zip holding ``[Content_Types].xml`` and no
    macros; a CSV or text file is text (no NUL bytes, decodes as UTF-8 or
    Windows-1252). Files are only ever parsed as data, never run or opened by
    another program.
    """
    suffix = os.path.splitext(str(name).lower())[1]
    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        return f"The file is larger than {MAX_UPLOAD_MB} MB."
    if not data:
        return "The file is empty."
    if suffix in EXCEL_SUFFIXES:
        if not data.startswith(b"PK\x03\x04"):
            return "The file is named .xlsx but is not an Excel workbook."
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as book:
                names = set(book.namelist())
                inflated = sum(i.file_size for i in book.infolist())
        except zipfile.BadZipFile:
            return "The file is named .xlsx but is not an Excel workbook."
        if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
            return "The file is named .xlsx but is not an Excel workbook."
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            return "The workbook contains macros. Save it as a plain .xlsx (or CSV) and upload that."
        if inflated > _MAX_UNZIPPED:
            return "The workbook is too large once unpacked."
        return None
    if suffix in TEXT_SUFFIXES:
        head = data[: 1024 * 1024]
        if head.startswith((b"PK\x03\x04", b"%PDF", b"MZ", b"\x7fELF", b"\xd0\xcf\x11\xe0")):
            return f"The file is named {suffix} but is not a text file (it looks like a workbook or program)."
        if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return f"The file is named {suffix} but is not a text file."
        for encoding in ("utf-8-sig", "utf-16", "cp1252"):
            if encoding == "utf-16" and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
                continue
            try:
                head.decode(encoding)
                return None
            except UnicodeDecodeError as exc:
                if encoding == "utf-8-sig" and exc.start >= len(head) - 4:
                    return None  # a multi-byte character cut by the 1 MB sample
        return f"The file is named {suffix} but its text could not be read."
    if suffix == ".xls":
        return "Old .xls workbooks are not read: save the file as .xlsx or CSV."
    return "Upload a CSV (.csv) or Excel (.xlsx) file."

"""Who is using the dashboard, and what they may see.

``gate()`` runs at the top of ``app.py`` on every script run and returns the
``User``; nothing below it runs until someone is signed in:

- **Demo mode** while only sample schools are loaded and no account exists
  (``ui/demo.py``): a demo user with a clearly marked role switcher.
- Otherwise the sign-in page (``ui/sign_in.py``: the school's identity provider
  or local accounts) until someone signs in; sessions expire (``ui/identity.py``).

Pages call ``require_page(key)`` first (the roles of each page are in
``ui/registry.py``), and ``audit(...)`` for every pupil view, list and export.
``audit`` draws nothing, so it is safe as a download button's ``on_click``
callback, which runs before the script (and the gate) does.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from data import users
from data.users import User
from ui import demo, identity, registry, session, sign_in
from ui.demo import SWITCH_KEY as DEMO_KEY
from ui.identity import EXPIRED, NOT_AUTHORISED, ROLE_LABELS, USER_KEY
from ui.uploads import check_upload

__all__ = [
    "DEMO_KEY",
    "EXPIRED",
    "NOT_AUTHORISED",
    "ROLE_LABELS",
    "USER_KEY",
    "User",
    "audit",
    "check_upload",
    "current_user",
    "gate",
    "require_page",
    "sign_out",
]

NO_ACCESS = "You do not have access to this page"


def gate() -> User:
    """The user for this run; shows the sign-in page and stops the script until there is one."""
    # A table's own download button would be an export that is neither audited nor formula-safe.
    st.set_option("client.disableDataExport", True)
    con = session.connection()
    if users.demo_mode(con):
        user = demo.user()
        st.session_state[USER_KEY] = user
        return _let_through(user)

    user = identity.session_user()
    if user is not None and user.demo:  # real data arrived or an account was created: demo over
        identity.forget()
        demo.forget()
        user = None
    if user is not None:
        if identity.expired():
            identity.end(user, EXPIRED)
            user = None
        else:
            refreshed = users.current_user(con, user)
            if refreshed is None:  # removed or deactivated since signing in
                identity.end(user, NOT_AUTHORISED)
                user = None
            else:
                user = refreshed
                st.session_state[USER_KEY] = user

    if user is None and identity.oidc_providers() and identity.oidc_logged_in():
        user = sign_in.oidc_user()

    if user is None:
        sign_in.sign_in_only()
        st.stop()

    identity.seen()
    with st.sidebar:
        st.caption(f"Signed in as {user.email} · {ROLE_LABELS.get(user.role, user.role)}")
        if st.button("Sign out", key="_auth_sign_out", icon=":material/logout:"):
            sign_out()
    return _let_through(user)


def _let_through(user: User) -> User:
    if not user.scope.pupil_level:  # no pupil's identifier stays in the address of someone who may not see it
        if "upn" in st.query_params:
            del st.query_params["upn"]
        st.session_state.pop("pupil_upn", None)
    ctx = get_script_run_ctx()
    if ctx is not None:
        ctx._attendance_gate = (ctx.cursors, user)
    return user


def current_user() -> User:
    """The user the gate let through on this script run; runs the gate if it has not run yet (a page opened alone)."""
    ctx = get_script_run_ctx()
    gated = getattr(ctx, "_attendance_gate", None) if ctx is not None else None
    # The run's own cursors dict identifies the run; holding it keeps its id from being reused.
    if gated is not None and gated[0] is ctx.cursors and st.session_state.get(USER_KEY) == gated[1]:
        return gated[1]
    return gate()


def require_page(key: str) -> User:
    """Call first on every page: stops with a plain refusal when the user's role does not include it."""
    user = current_user()
    if not registry.allowed(user.role, key):
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


def audit(
    action: str,
    upn: str | None = None,
    detail: str | None = None,
    school_id: str | None = None,
    user: identity.User | None = None,
) -> None:
    """Record what the signed-in user did. Raises when the entry cannot be written, so nothing is shown unaudited.

    Draws nothing and runs no gate: a download's file is made (and audited) outside the script's run
    (ui/export.py), where drawing the sign-in widgets would draw them twice. ``user``: the user as the run
    that drew the download saw them (by default, this session's).
    """
    user = user or identity.session_user()
    if user is None:
        raise RuntimeError("Nobody is signed in: nothing may be shown, so nothing is audited.")
    # A download's callback may run outside the script's thread: a connection opened for it here is closed
    # here, or the file stays held and the next import waits for it for ever.
    had_connection = session.has_connection()
    try:
        identity.record(user, action, upn=upn, detail=detail, school_id=school_id)
    finally:
        if not had_connection:
            session.release()


def sign_out(message: str | None = None) -> None:
    """End this session (and the identity-provider cookie when signed in that way)."""
    user = identity.session_user()
    if user is not None and not user.demo:
        identity.record(user, "sign out")
    identity.end(user, message, audited=True)
    st.rerun()

"""Demo mode: while no account exists and only sample schools are loaded, anyone may look, as any role.

The chosen role is the whole journey's, as an account's would be: it is kept
in session state (not only in the switcher, whose value Streamlit may drop on a
page switch), in the address (``?as=governor``, so a reload keeps it) and in a
cookie (so a typed address keeps it too). A governor in demo mode is refused
the same pages as a governor's account.
"""

from __future__ import annotations

import streamlit as st

from data.scope import Scope
from data.users import User

# The switcher's choices: label -> (role, scope); the address carries the role's short name.
DEMO_ROLES = {
    "admin": ("admin", Scope()),
    "leader": ("leader", Scope()),
    "pastoral (Year 8)": ("pastoral", Scope(year_groups=(8,))),
    "governor": ("governor", Scope(pupil_level=False)),
}
SHORT = {"admin": "admin", "leader": "leader", "pastoral (Year 8)": "pastoral", "governor": "governor"}
BY_SHORT = {v: k for k, v in SHORT.items()}
DEFAULT = "admin"
SWITCH_KEY = "_auth_demo_role"  # the switcher widget
ROLE_KEY = "_demo_role"  # the chosen role, kept whatever happens to the widget
COOKIE_KEY = "_demo_cookie"  # the role last written to the cookie in this session
QUERY = "as"
COOKIE = "attendance_demo_role"


def _remembered() -> str:
    """The role of this session: chosen here, else named in the address, else in the cookie, else admin."""
    kept = st.session_state.get(ROLE_KEY)
    if kept in DEMO_ROLES:
        return kept
    named = BY_SHORT.get(st.query_params.get(QUERY, ""))
    if named:
        return named
    try:
        cookie = st.context.cookies.get(COOKIE)
    except Exception:  # no browser request behind this run (tests)
        cookie = None
    return BY_SHORT.get(cookie or "", DEFAULT)


def user() -> User:
    """The demo user for this run, with the switcher in the sidebar."""
    if st.session_state.get(SWITCH_KEY) not in DEMO_ROLES:
        st.session_state[SWITCH_KEY] = _remembered()
    with st.sidebar:
        st.warning(
            "**Demo mode**: sample school only, no sign-in. Ends when a real school is imported or an account is "
            "created.",
            icon=":material/science:",
        )
        label = st.radio("Demo mode: view as", list(DEMO_ROLES), key=SWITCH_KEY)
        st.session_state[ROLE_KEY] = label
        _keep(label)
    role, scope = DEMO_ROLES[label]
    return User(email="demo", role=role, scope=scope, demo=True, via="demo")


def _keep(label: str) -> None:
    """Write the role into the address and, when it changed, the cookie."""
    if st.query_params.get(QUERY) != SHORT[label]:
        st.query_params[QUERY] = SHORT[label]
    if st.session_state.get(COOKIE_KEY) != label:
        st.session_state[COOKIE_KEY] = label
        st.html(
            f"<script>document.cookie = '{COOKIE}={SHORT[label]}; path=/; max-age=86400; SameSite=Strict';</script>",
            unsafe_allow_javascript=True,
        )


def forget() -> None:
    """Demo mode is over (real data or an account arrived): its role no longer applies."""
    for key in (ROLE_KEY, COOKIE_KEY):
        st.session_state.pop(key, None)
    if QUERY in st.query_params:
        del st.query_params[QUERY]

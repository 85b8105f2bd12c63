"""Who is signed in in this browser session: starting, ending and expiring a session, and recording it.

The lowest layer of sign-in (``ui/auth.py`` holds the gate; ``ui/sign_in.py``
the sign-in page; ``ui/demo.py`` demo mode). Sessions end after
``ABSOLUTE_HOURS`` or ``IDLE_MINUTES`` without a click.
"""

from __future__ import annotations

import logging
import os
import time

import duckdb
import streamlit as st

from data import audit as audit_log
from data.users import User
from ui import session

log = logging.getLogger(__name__)

ROLE_LABELS = {
    "admin": "Administrator",
    "leader": "Senior leader",
    "pastoral": "Pastoral lead",
    "governor": "Governor",
}
NOT_AUTHORISED = (
    "Your account is not authorised to use this dashboard. Ask the school's data manager to add your email."
)
EXPIRED = "Your session has ended. Please sign in again."

ABSOLUTE_HOURS = 8.0  # a working day, then sign in again
IDLE_MINUTES = 30.0  # an unattended screen in a staff room stops showing pupils

# Session-state keys (one place, so tests can age a session).
USER_KEY = "_auth_user"
SINCE_KEY = "_auth_since"
SEEN_KEY = "_auth_seen"
MESSAGE_KEY = "_auth_message"

_clock = time.time  # replaced in tests


def secrets_section(name: str) -> dict:
    try:
        if name in st.secrets:
            return dict(st.secrets[name])
    except Exception:  # no secrets.toml at all: nothing configured
        return {}
    return {}


def session_limits() -> tuple[float, float]:
    """(absolute seconds, idle seconds): ``[session]`` in secrets, else $ATTENDANCE_SESSION_HOURS / _IDLE_MINUTES."""
    section = secrets_section("session")
    hours = float(section.get("absolute_hours", os.environ.get("ATTENDANCE_SESSION_HOURS", ABSOLUTE_HOURS)))
    idle = float(section.get("idle_minutes", os.environ.get("ATTENDANCE_IDLE_MINUTES", IDLE_MINUTES)))
    return hours * 3600, idle * 60


def oidc_providers() -> list[str | None]:
    """Providers configured for st.login: named ``[auth.NAME]`` sections, or the unnamed default; [] if none."""
    section = secrets_section("auth")
    if not section:
        return []
    named = [k for k, v in section.items() if isinstance(v, dict) or hasattr(v, "keys")]
    return named or [None]


def oidc_logged_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except (AttributeError, KeyError):
        return False


def session_user() -> User | None:
    """The user the gate last let through in this browser session (no widget drawn, no check made)."""
    return st.session_state.get(USER_KEY)


def record(user: User, action: str, **fields) -> None:
    """One audit entry for what this user did. Raises when it cannot be written, so nothing is shown unaudited."""
    who = f"demo ({user.role})" if user.demo else user.email
    try:
        audit_log.record(session.connection(), who=who, role=user.role, action=action, **fields)
    except duckdb.InvalidInputException as exc:
        if "read-only" in str(exc).lower() or "read only" in str(exc).lower():
            raise RuntimeError(
                "The audit log cannot be written: the app's database connection is read-only. "
                "ui/session.py must open a read-write connection."
            ) from exc
        raise


def record_anonymous(who: str, action: str, detail: str | None = None) -> None:
    """An audit entry for someone not signed in (a refused or failed sign-in); never fails the page."""
    try:
        audit_log.record(session.connection(), who=who[:200], action=action, detail=detail)
    except Exception:
        log.warning("could not record %s", action)


def start(user: User) -> None:
    st.session_state[USER_KEY] = user
    st.session_state[SINCE_KEY] = st.session_state[SEEN_KEY] = _clock()
    st.session_state.pop(MESSAGE_KEY, None)
    record(user, "sign in", detail=user.via)


def end(user: User | None, message: str | None, audited: bool = False) -> None:
    if user is not None and not user.demo and not audited and message:
        try:
            record(user, "session ended", detail=message)
        except Exception:  # ending a session must not fail because the log is busy
            log.warning("could not record the end of a session")
    forget()
    if message:
        st.session_state[MESSAGE_KEY] = message
    if user is not None and user.via == "oidc" and oidc_logged_in():
        st.logout()


def forget() -> None:
    for key in (USER_KEY, SINCE_KEY, SEEN_KEY):
        st.session_state.pop(key, None)


def expired() -> bool:
    return over(valid_until())


def valid_until() -> float:
    """When this session ends if nothing more is clicked (the clock's seconds): the sooner of its two limits."""
    now = _clock()
    absolute, idle = session_limits()
    return min(st.session_state.get(SINCE_KEY, now) + absolute, st.session_state.get(SEEN_KEY, now) + idle)


def over(until: float) -> bool:
    """Whether a session that was valid until ``until`` (``valid_until``) has ended by now."""
    return _clock() > until


def seen() -> None:
    st.session_state[SEEN_KEY] = _clock()

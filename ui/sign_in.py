"""The sign-in page (local accounts and the school's identity provider), the only thing shown before sign-in.

- **OpenID Connect** (``st.login``) when ``[auth]`` is configured in
  ``.streamlit/secrets.toml``: the provider proves who the person is; their
  email must match an active row in the users table (``python -m data users add``).
- Otherwise **local accounts**: email and password (argon2id), locked for
  15 minutes after 5 failures.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from data import users
from data.users import User
from ui import identity, session


def oidc_user() -> User | None:
    """The user the identity provider vouched for, when an admin has listed their email; else None (and why)."""
    info = st.user.to_dict() if hasattr(st.user, "to_dict") else dict(st.user)
    if info.get("email_verified") is False:  # Google says so when the address is unproven
        st.session_state[identity.MESSAGE_KEY] = identity.NOT_AUTHORISED
        return None
    user = users.oidc_user(session.connection(), info.get("email"))
    if user is None:
        st.session_state[identity.MESSAGE_KEY] = identity.NOT_AUTHORISED
        identity.record_anonymous(str(info.get("email") or "unknown"), "sign in refused", detail="oidc")
        return None
    identity.start(user)
    return user


def _sign_in_page() -> None:
    """The only thing shown to someone not signed in: no school name, no figures."""
    con = session.connection()
    st.title("Attendance dashboard")
    st.subheader("Sign in")
    message = st.session_state.get(identity.MESSAGE_KEY)
    if message:
        st.warning(message, icon=":material/lock:")
    providers = identity.oidc_providers()
    if providers and identity.oidc_logged_in():
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
    if not providers or users.any_local_password(con):
        container = st.expander("Sign in with a local account") if providers else st.container()
        with container, st.form("_auth_local", clear_on_submit=False):
            email = st.text_input("Email", key="_auth_email", autocomplete="username")
            password = st.text_input("Password", type="password", key="_auth_password", autocomplete="current-password")
            submitted = st.form_submit_button("Sign in", type="primary")
        if submitted:
            user = users.verify_password(con, email or "", password or "")
            if user is None:
                st.session_state[identity.MESSAGE_KEY] = (
                    f"{users.NOT_RECOGNISED} After {users.MAX_FAILURES} failed attempts an account is locked for "
                    f"{users.LOCK_MINUTES} minutes."
                )
                identity.record_anonymous(users.normalise_email(email or ""), "sign in failed")
                st.rerun()
            identity.start(user)
            st.rerun()
    if users.user_count(con) == 0:
        st.info(
            "No accounts exist yet. The school's data manager creates the first administrator on the server: "
            "`python -m data users add EMAIL --role admin`.",
            icon=":material/info:",
        )


def sign_in_only() -> None:
    """Draw the sign-in page as the one page registered, so Streamlit's automatic list of pages/ is not shown."""
    if get_script_run_ctx() is None:
        _sign_in_page()
        return
    st.navigation([st.Page(_sign_in_page, title="Sign in", default=True)], position="hidden").run()

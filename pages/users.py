"""Users (admin): who may sign in, with which role, over which schools, year groups and forms."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import school
from analytics.filters import Filter
from data import admin, users
from ui import auth, common, identity, tables

user = auth.require_page("users")
con = common.connection()

st.title("Users")
st.caption(
    "Staff who sign in through the school's identity provider need only an account here (no password): "
    "the provider proves who they are, this list says what they may see. Local passwords are for schools "
    "without one."
)

ROLE_HELP = {
    "admin": "everything: imports, users, audit log, deletion",
    "leader": "every page and every pupil of their schools",
    "pastoral": "pupils, lists and at-risk pupils of their year groups or forms",
    "governor": "aggregate pages and the governors' pack; no pupil-level data",
}
school_ids = common.as_list(school.schools(con, Filter()))


def _numbers(text: str) -> list[int]:
    return [int(v) for v in text.replace(" ", "").split(",") if v]


def _words(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def _show_password_once(email: str, password: str) -> None:
    st.success(f"Give this password to {email} securely (it is not shown again):", icon=":material/key:")
    st.code(password, language=None)


accounts = users.list_users(con)
if accounts:
    table = pd.DataFrame(
        [
            {
                "Email": a.email,
                "Role": identity.ROLE_LABELS.get(a.role, a.role),
                "Schools": ", ".join(a.school_ids) or "all",
                "Year groups": ", ".join(map(str, a.year_groups)),
                "Forms": ", ".join(a.forms),
                "Sign-in": "password" if a.has_password else "identity provider",
                "Active": a.active,
                "Locked": bool(a.locked_until and a.locked_until > users.utc_now()),
                "Last sign-in (UTC)": a.last_sign_in,
            }
            for a in accounts
        ]
    )
    st.dataframe(tables.readable(table, {"Last sign-in (UTC)": "never"}), hide_index=True, width="stretch")
else:
    st.info("No accounts yet. While there are none and only the sample school is loaded, the app runs in demo mode.")

add_tab, edit_tab = st.tabs(["Add an account", "Change, reset or remove"])

with add_tab, st.form("add_user", clear_on_submit=True):
    email = st.text_input("Email")
    role = st.selectbox("Role", users.ROLES, format_func=lambda r: f"{identity.ROLE_LABELS[r]}: {ROLE_HELP[r]}")
    schools = st.multiselect("Schools (none = every school)", school_ids)
    years = st.text_input("Year groups (pastoral only), e.g. 7,8")
    forms = st.text_input("Forms (pastoral only), e.g. 9A,9B")
    local = st.checkbox(
        "Give a local password (only without an identity provider)", value=not identity.oidc_providers()
    )
    if st.form_submit_button("Add account", type="primary"):
        try:
            password = admin.generated_password() if local else None
            account = users.add_user(
                con,
                email,
                role,
                password=password,
                school_ids=schools,
                year_groups=_numbers(years),
                forms=_words(forms),
            )
        except ValueError as exc:  # AccountError, or a year that is not a number
            st.error(str(exc) if isinstance(exc, users.AccountError) else "Year groups are numbers, e.g. 7,8.")
        else:
            auth.audit("add user", detail=f"{account.email} as {account.role}")
            st.success(f"Added {account.email}.")
            if password:
                _show_password_once(account.email, password)

with edit_tab:
    if not accounts:
        st.info("No accounts to change.")
    else:
        chosen = st.selectbox("Account", [a.email for a in accounts])
        account = users.get_account(con, chosen)
        last_admin = account.role == "admin" and users.active_admins(con) == [account.email]
        with st.form("edit_user"):
            role = st.selectbox("Role", users.ROLES, index=users.ROLES.index(account.role))
            schools = st.multiselect(
                "Schools (none = every school)",
                sorted(set(school_ids) | set(account.school_ids)),
                default=list(account.school_ids),
            )
            years = st.text_input("Year groups (pastoral only)", ", ".join(map(str, account.year_groups)))
            forms = st.text_input("Forms (pastoral only)", ", ".join(account.forms))
            active = st.checkbox("Active (may sign in)", value=account.active)
            if st.form_submit_button("Save changes", type="primary"):
                if last_admin and (role != "admin" or not active):
                    st.error("This is the only active administrator: add another before changing it.")
                else:
                    try:
                        users.update_user(
                            con, chosen, role, school_ids=schools, year_groups=_numbers(years), forms=_words(forms),
                            active=active,
                        )  # fmt: skip
                    except ValueError as exc:
                        st.error(str(exc) if isinstance(exc, users.AccountError) else "Year groups are numbers.")
                    else:
                        auth.audit("change user", detail=f"{chosen} as {role}{'' if active else ' (inactive)'}")
                        st.success("Saved. The change applies at their next click.")
        left, right = st.columns(2)
        if left.button("Reset password (and unlock)", key="reset_password"):
            password = admin.generated_password()
            users.reset_password(con, chosen, password)
            auth.audit("reset password", detail=chosen)
            _show_password_once(chosen, password)
        confirm = right.checkbox(f"Yes, remove {chosen}", key="confirm_remove")
        if right.button("Remove account", key="remove_user", disabled=not confirm):
            if last_admin:
                st.error("This is the only active administrator: add another before removing it.")
            else:
                users.remove_user(con, chosen)
                auth.audit("remove user", detail=chosen)
                st.success(f"Removed {chosen}.")
                st.rerun()

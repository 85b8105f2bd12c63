"""Local accounts: argon2 hashes, wrong passwords, lock-out, scopes, the identity-provider allow-list."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from analytics.filters import Scope
from data import users
from data.users import AccountError

PASSWORD = "correct horse battery"
T0 = datetime(2026, 1, 12, 9, 0)


@pytest.fixture
def account(con):
    users.add_user(con, "Head@School.example", "leader", password=PASSWORD, school_ids=["100001"])
    return "head@school.example"


def test_password_is_stored_as_a_salted_argon2id_hash(con, account):
    users.add_user(con, "other@school.example", "leader", password=PASSWORD)
    hashes = [r[0] for r in con.execute("SELECT password_hash FROM users ORDER BY email").fetchall()]
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert PASSWORD not in " ".join(hashes)
    assert hashes[0] != hashes[1]  # same password, different salt


@pytest.mark.parametrize(
    ("email", "password", "signed_in"),
    [
        ("head@school.example", PASSWORD, True),
        ("  HEAD@School.Example ", PASSWORD, True),  # email case and spaces do not matter
        ("head@school.example", PASSWORD.upper(), False),
        ("head@school.example", "", False),
        ("nobody@school.example", PASSWORD, False),
    ],
)
def test_verify_password(con, account, email, password, signed_in):
    user = users.verify_password(con, email, password, now=T0)
    assert (user is not None) == signed_in
    if signed_in:
        assert (user.email, user.role, user.scope) == ("head@school.example", "leader", Scope(school_ids=("100001",)))


def test_five_failures_lock_the_account_for_fifteen_minutes_even_against_the_right_password(con, account):
    for attempt in range(users.MAX_FAILURES - 1):
        assert users.verify_password(con, account, "wrong password", now=T0 + timedelta(seconds=attempt)) is None
    assert not users.is_locked(con, account, now=T0)
    assert users.verify_password(con, account, "wrong password", now=T0) is None
    assert users.is_locked(con, account, now=T0)
    assert users.verify_password(con, account, PASSWORD, now=T0 + timedelta(minutes=14, seconds=59)) is None
    assert users.verify_password(con, account, PASSWORD, now=T0 + timedelta(minutes=15, seconds=1)) is not None


def test_a_success_clears_the_failure_count(con, account):
    for _ in range(users.MAX_FAILURES - 1):
        users.verify_password(con, account, "wrong password", now=T0)
    assert users.verify_password(con, account, PASSWORD, now=T0) is not None
    users.verify_password(con, account, "wrong password", now=T0)
    assert not users.is_locked(con, account, now=T0)


def test_reset_password_lifts_a_lock(con, account):
    for _ in range(users.MAX_FAILURES):
        users.verify_password(con, account, "wrong password", now=T0)
    users.reset_password(con, account, "a brand new passphrase")
    assert users.verify_password(con, account, "a brand new passphrase", now=T0) is not None
    assert users.verify_password(con, account, PASSWORD, now=T0) is None


def test_an_inactive_or_removed_account_cannot_sign_in(con, account):
    users.update_user(con, account, "leader", active=False)
    assert users.verify_password(con, account, PASSWORD, now=T0) is None
    assert users.oidc_user(con, account) is None
    users.remove_user(con, account)
    assert users.get_account(con, account) is None


@pytest.mark.parametrize(
    ("role", "kwargs", "scope"),
    [
        ("admin", {}, Scope()),
        ("leader", {"school_ids": ["A", "B"]}, Scope(school_ids=("A", "B"))),
        ("pastoral", {"year_groups": [8]}, Scope(year_groups=(8,))),
        ("pastoral", {"forms": ["9A"], "school_ids": ["A"]}, Scope(school_ids=("A",), forms=("9A",))),
        ("governor", {}, Scope(pupil_level=False)),
    ],
)
def test_scope_for_each_role(con, role, kwargs, scope):
    account = users.add_user(con, "x@school.example", role, **kwargs)
    assert users.scope_for(account) == scope


@pytest.mark.parametrize(
    ("role", "kwargs", "message"),
    [
        ("pastoral", {}, "needs year groups or forms"),
        ("leader", {"year_groups": [7]}, "pastoral accounts only"),
        ("teacher", {}, "Unknown role"),
        ("leader", {"password": "short"}, "at least 12"),
    ],
)
def test_accounts_that_are_refused(con, role, kwargs, message):
    with pytest.raises(AccountError, match=message):
        users.add_user(con, "x@school.example", role, **kwargs)


def test_identity_provider_users_must_be_listed(con):
    users.add_user(con, "gov@school.example", "governor")  # no password: identity provider only
    assert users.oidc_user(con, "GOV@school.example").role == "governor"
    assert users.oidc_user(con, "stranger@school.example") is None
    assert users.verify_password(con, "gov@school.example", "", now=T0) is None

"""Accounts: who may sign in, with which role, over which schools, year groups and forms.

Local accounts carry an argon2id hash (salted, deliberately slow). People who
sign in through the school's identity provider (OpenID Connect) are listed here
too, without a password: the provider proves who they are, this table says
what they may see. An email not listed (or not active) is not authorised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from data.audit import utc_now
from data.scope import Scope

ROLES = ("admin", "leader", "pastoral", "governor")
MAX_FAILURES = 5  # failed sign-ins in a row before the account is locked
LOCK_MINUTES = 15  # how long a locked account stays locked
MIN_PASSWORD_LENGTH = 12  # NCSC: length beats complexity rules
NOT_RECOGNISED = "Email or password not recognised."  # one message for every failure: no hint which part was wrong

_hasher = PasswordHasher()  # argon2id with the library's current recommended cost
_dummy_hash: list[str] = []  # made on first use: a hash costs about a second, which no page view should wait for


def _dummy() -> str:
    """A hash verified against when the email is unknown, so an unknown email takes as long as a wrong password."""
    if not _dummy_hash:
        _dummy_hash.append(_hasher.hash("not a password: keeps timing even for unknown emails"))
    return _dummy_hash[0]


@dataclass(frozen=True)
class User:
    """A signed-in person (or the demo user): what the app needs to decide what to show."""

    email: str
    role: str
    scope: Scope = field(default_factory=Scope)
    demo: bool = False
    via: str = "local"  # local | oidc | demo


@dataclass(frozen=True)
class Account:
    """One row of the users table, without its hash."""

    email: str
    role: str
    school_ids: tuple[str, ...] = ()
    year_groups: tuple[int, ...] = ()
    forms: tuple[str, ...] = ()
    has_password: bool = False
    active: bool = True
    created_at: datetime | None = None
    failed_attempts: int = 0
    locked_until: datetime | None = None
    last_sign_in: datetime | None = None


class AccountError(ValueError):
    """A request about accounts that cannot be carried out (message safe to show)."""


def normalise_email(email: str) -> str:
    return str(email).strip().lower()


def scope_for(account: Account | User) -> Scope:
    """The data an account may see: its schools, and for pastoral staff their year groups / forms.

    Governors never see pupil-level rows. Leaders and admins see every pupil of
    their schools; year groups and forms only narrow a pastoral account.
    """
    if isinstance(account, User):
        return account.scope
    if account.role == "pastoral":
        return Scope(school_ids=account.school_ids, year_groups=account.year_groups, forms=account.forms)
    if account.role == "governor":
        return Scope(school_ids=account.school_ids, pupil_level=False)
    return Scope(school_ids=account.school_ids)


def user_for(account: Account, via: str = "local") -> User:
    return User(email=account.email, role=account.role, scope=scope_for(account), via=via)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters (a few random words work well)."
    return None


def _validate(role: str, year_groups, forms) -> None:
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")
    if role == "pastoral" and not (year_groups or forms):
        # An empty scope means "no restriction": a pastoral account must name what it covers.
        raise AccountError("A pastoral account needs year groups or forms (e.g. --years 8 or --forms 9A).")
    if role != "pastoral" and (year_groups or forms):
        raise AccountError("Year groups and forms narrow pastoral accounts only; leaders see every pupil.")


def add_user(
    con: duckdb.DuckDBPyConnection,
    email: str,
    role: str,
    password: str | None = None,
    school_ids=(),
    year_groups=(),
    forms=(),
) -> Account:
    """Create an account. Without a password it can sign in only through the identity provider."""
    email = normalise_email(email)
    if "@" not in email or len(email) < 3:
        raise AccountError("That does not look like an email address.")
    _validate(role, year_groups, forms)
    if password is not None and (problem := password_problem(password)):
        raise AccountError(problem)
    if get_account(con, email) is not None:
        raise AccountError("An account with that email already exists.")
    con.execute(
        "INSERT INTO users (email, role, school_ids, year_groups, forms, password_hash, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            email,
            role,
            [str(s) for s in school_ids],
            [int(y) for y in year_groups],
            [str(f) for f in forms],
            hash_password(password) if password is not None else None,
            utc_now(),
        ],
    )
    return get_account(con, email)


def update_user(
    con: duckdb.DuckDBPyConnection,
    email: str,
    role: str,
    school_ids=(),
    year_groups=(),
    forms=(),
    active: bool = True,
) -> Account:
    """Change an account's role, scope or active flag (its password is left alone)."""
    email = normalise_email(email)
    _validate(role, year_groups, forms)
    if get_account(con, email) is None:
        raise AccountError("No account with that email.")
    con.execute(
        "UPDATE users SET role = ?, school_ids = ?, year_groups = ?, forms = ?, active = ? WHERE email = ?",
        [role, [str(s) for s in school_ids], [int(y) for y in year_groups], [str(f) for f in forms], active, email],
    )
    return get_account(con, email)


_COLUMNS = (
    "email, role, school_ids, year_groups, forms, password_hash IS NOT NULL, active, created_at, "
    "failed_attempts, locked_until, last_sign_in"
)


def _account(row) -> Account:
    return Account(
        email=row[0],
        role=row[1],
        school_ids=tuple(row[2] or ()),
        year_groups=tuple(row[3] or ()),
        forms=tuple(row[4] or ()),
        has_password=bool(row[5]),
        active=bool(row[6]),
        created_at=row[7],
        failed_attempts=row[8],
        locked_until=row[9],
        last_sign_in=row[10],
    )


def get_account(con: duckdb.DuckDBPyConnection, email: str) -> Account | None:
    row = con.execute(f"SELECT {_COLUMNS} FROM users WHERE email = ?", [normalise_email(email)]).fetchone()
    return _account(row) if row else None


def list_users(con: duckdb.DuckDBPyConnection) -> list[Account]:
    return [_account(r) for r in con.execute(f"SELECT {_COLUMNS} FROM users ORDER BY email").fetchall()]


def user_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many accounts exist; 0 also when the table does not exist yet (an old read-only database)."""
    try:
        return con.execute("SELECT count(*) FROM users").fetchone()[0]
    except duckdb.CatalogException:
        return 0


def demo_mode(con: duckdb.DuckDBPyConnection) -> bool:
    """True while no account exists and every school loaded (if any) is a generated sample school."""
    if user_count(con) > 0:
        return False
    return con.execute("SELECT count(*) FROM schools WHERE NOT is_sample").fetchone()[0] == 0


def any_local_password(con: duckdb.DuckDBPyConnection) -> bool:
    """True when some active account signs in with a password here (not only through the identity provider)."""
    return con.execute("SELECT count(*) FROM users WHERE password_hash IS NOT NULL AND active").fetchone()[0] > 0


def active_admins(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Emails of active admin accounts: the last one may not be removed, demoted or deactivated from the app."""
    return [
        r[0] for r in con.execute("SELECT email FROM users WHERE role = 'admin' AND active ORDER BY email").fetchall()
    ]


def remove_user(con: duckdb.DuckDBPyConnection, email: str) -> bool:
    """Delete an account; True when there was one. Its audit entries stay (accountability)."""
    email = normalise_email(email)
    found = get_account(con, email) is not None
    con.execute("DELETE FROM users WHERE email = ?", [email])
    return found


def reset_password(con: duckdb.DuckDBPyConnection, email: str, password: str) -> None:
    """Set a new password and lift any lock-out."""
    if problem := password_problem(password):
        raise AccountError(problem)
    email = normalise_email(email)
    if get_account(con, email) is None:
        raise AccountError("No account with that email.")
    con.execute(
        "UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = NULL WHERE email = ?",
        [hash_password(password), email],
    )


def verify_password(
    con: duckdb.DuckDBPyConnection, email: str, password: str, now: datetime | None = None
) -> User | None:
    """The user when the email and password match an active, unlocked account; else None.

    Every failure looks the same to the caller (show ``NOT_RECOGNISED``). An
    unknown email still costs one hash verification, so timing does not reveal
    which emails have accounts. After ``MAX_FAILURES`` wrong passwords in a row
    the account is locked for ``LOCK_MINUTES``, even against the right password.
    """
    now = now or utc_now()
    email = normalise_email(email)
    row = con.execute(
        "SELECT password_hash, active, locked_until, failed_attempts FROM users WHERE email = ?", [email]
    ).fetchone()
    stored = row[0] if row and row[0] else _dummy()
    try:
        matched = _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        matched = False
    if row is None or row[0] is None:
        return None
    _, active, locked_until, failed_attempts = row
    if not active:
        return None
    if locked_until is not None and locked_until > now:
        return None
    if not matched:
        failures = failed_attempts + 1
        if failures >= MAX_FAILURES:
            # Locked from now; the count starts again once the lock lifts.
            con.execute(
                "UPDATE users SET failed_attempts = 0, locked_until = ? WHERE email = ?",
                [now + timedelta(minutes=LOCK_MINUTES), email],
            )
        else:
            con.execute("UPDATE users SET failed_attempts = ? WHERE email = ?", [failures, email])
        return None
    if _hasher.check_needs_rehash(row[0]):
        con.execute("UPDATE users SET password_hash = ? WHERE email = ?", [hash_password(password), email])
    con.execute(
        "UPDATE users SET failed_attempts = 0, locked_until = NULL, last_sign_in = ? WHERE email = ?", [now, email]
    )
    return user_for(get_account(con, email), via="local")


def is_locked(con: duckdb.DuckDBPyConnection, email: str, now: datetime | None = None) -> bool:
    account = get_account(con, email)
    return bool(account and account.locked_until and account.locked_until > (now or utc_now()))


def oidc_user(con: duckdb.DuckDBPyConnection, email: str | None, now: datetime | None = None) -> User | None:
    """The user for an email the identity provider vouched for, when an admin has listed it; else None."""
    if not email:
        return None
    account = get_account(con, email)
    if account is None or not account.active:
        return None
    con.execute("UPDATE users SET last_sign_in = ? WHERE email = ?", [now or utc_now(), account.email])
    return user_for(account, via="oidc")


def current_user(con: duckdb.DuckDBPyConnection, user: User) -> User | None:
    """The same person re-read from the table (role or scope may have changed); None if removed or deactivated."""
    if user.demo:
        return user
    account = get_account(con, user.email)
    if account is None or not account.active:
        return None
    return user_for(account, via=user.via)

"""Administration from the command line and the admin pages: accounts, erasing a pupil, purging old years.

    python -m data users add EMAIL --role ROLE [--years 7,8] [--forms 9A] [--schools 100001] [--password ...]
    python -m data users list [--json]
    python -m data users remove EMAIL
    python -m data users reset-password EMAIL [--password ...]
    python -m data delete-pupil UPN [--school ID] [--by WHO]
    python -m data purge --keep-years N

Retention: the School Attendance (Pupil Registration) (England) Regulations
2024 require every register entry to be kept for 6 years from the date it was
made. ``purge --keep-years N`` (N >= 6) keeps the current academic year and the
N academic years before it, and deletes older ones: in 2025/26 with N = 6 it
keeps 2019/20 onwards and deletes 2018/19 and earlier, whose last entries
(31 August 2019) are now more than 6 years old.
"""

from __future__ import annotations

import getpass
import json
import secrets
import sys
from dataclasses import dataclass
from datetime import date

import duckdb

from data import audit, db, on_roll, users

MIN_KEEP_YEARS = 6  # registers must be kept 6 years from the date of entry
CLI_WHO = "command line"
# Tables holding a pupil's data, erased together.
# Every table holding a row about one pupil: erasure removes them all (their other ids and the staff log too).
PUPIL_TABLES = (
    "session_marks",
    "lesson_marks",
    "enrolments",
    "pupils",
    "pupil_ids",
    "interventions",
    "escalation_stages",
)
# Tables with an academic_year column, purged by year.
YEAR_TABLES = ("session_marks", "lesson_marks", "enrolments", "calendar")


class AdminError(ValueError):
    """A request that cannot be carried out (message safe to show)."""


# --- erasing one pupil ------------------------------------------------------------------------------


def pupil_schools(con: duckdb.DuckDBPyConnection, upn: str) -> list[str]:
    """The schools holding any row for this UPN."""
    rows = con.execute(
        " UNION ".join(f"SELECT school_id FROM {t} WHERE upn = ?" for t in PUPIL_TABLES) + " ORDER BY 1",
        [upn] * len(PUPIL_TABLES),
    ).fetchall()
    return [r[0] for r in rows]


def delete_pupil(
    con: duckdb.DuckDBPyConnection,
    upn: str,
    school_id: str | None = None,
    who: str = CLI_WHO,
    role: str | None = "admin",
) -> dict[str, int]:
    """Erase every row about one pupil in one school, in one transaction, and audit it (identifier only).

    Returns the number of rows deleted per table. The audit log keeps earlier
    entries naming the UPN: they record who looked, not the child's data.
    """
    upn = str(upn).strip()
    schools = pupil_schools(con, upn)
    if not schools:
        raise AdminError("No pupil with that identifier.")
    if school_id is None:
        if len(schools) > 1:
            raise AdminError(f"That identifier is held by {len(schools)} schools: name one with --school.")
        school_id = schools[0]
    elif school_id not in schools:
        raise AdminError("No pupil with that identifier at that school.")
    counts: dict[str, int] = {}
    with db.transaction(con):
        for table in PUPIL_TABLES:
            counts[table] = con.execute(
                f"SELECT count(*) FROM {table} WHERE school_id = ? AND upn = ?", [school_id, upn]
            ).fetchone()[0]
            con.execute(f"DELETE FROM {table} WHERE school_id = ? AND upn = ?", [school_id, upn])
        on_roll.remove(con, "school_id = ? AND upn = ?", [school_id, upn])
        audit.record(
            con,
            who=who,
            role=role,
            action="delete pupil",
            school_id=school_id,
            upn=upn,
            detail=", ".join(f"{t}: {n}" for t, n in counts.items()),
        )
    return counts


# --- retention ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgePlan:
    keep_from: int  # the oldest academic year kept
    years: tuple[int, ...]  # academic years that would be deleted
    rows: dict[str, int]  # rows per table that would be deleted


def purge_cutoff(keep_years: int, today: date | None = None) -> int:
    """The oldest academic year to keep: the current one minus ``keep_years``."""
    if keep_years < MIN_KEEP_YEARS:
        raise AdminError(f"Registers must be kept for {MIN_KEEP_YEARS} years: --keep-years must be at least 6.")
    return db.academic_year_of(today or date.today()) - keep_years


def purge_plan(con: duckdb.DuckDBPyConnection, keep_years: int, today: date | None = None) -> PurgePlan:
    """What ``purge`` would delete, without deleting it."""
    keep_from = purge_cutoff(keep_years, today)
    years = con.execute(
        " UNION ".join(f"SELECT academic_year FROM {t} WHERE academic_year < ?" for t in YEAR_TABLES) + " ORDER BY 1",
        [keep_from] * len(YEAR_TABLES),
    ).fetchall()
    rows = {
        t: con.execute(f"SELECT count(*) FROM {t} WHERE academic_year < ?", [keep_from]).fetchone()[0]
        for t in YEAR_TABLES
    }
    rows["pupils"] = con.execute(
        _ORPHAN_PUPILS.replace("DELETE FROM pupils", "SELECT count(*) FROM pupils"), [keep_from] * 3
    ).fetchone()[0]
    return PurgePlan(keep_from=keep_from, years=tuple(r[0] for r in years), rows=rows)


# Pupils left with no enrolment or mark from the kept years.
_ORPHAN_PUPILS = """
DELETE FROM pupils p WHERE NOT EXISTS (
    SELECT 1 FROM enrolments e WHERE e.school_id = p.school_id AND e.upn = p.upn AND e.academic_year >= ?)
  AND NOT EXISTS (
    SELECT 1 FROM session_marks m WHERE m.school_id = p.school_id AND m.upn = p.upn AND m.academic_year >= ?)
  AND NOT EXISTS (
    SELECT 1 FROM lesson_marks l WHERE l.school_id = p.school_id AND l.upn = p.upn AND l.academic_year >= ?)
"""


def purge(
    con: duckdb.DuckDBPyConnection,
    keep_years: int = MIN_KEEP_YEARS,
    today: date | None = None,
    who: str = CLI_WHO,
    role: str | None = "admin",
) -> PurgePlan:
    """Delete academic years older than the retention period (and pupils left with none), audited."""
    plan = purge_plan(con, keep_years, today)
    with db.transaction(con):
        con.execute(_ORPHAN_PUPILS, [plan.keep_from] * 3)
        for table in YEAR_TABLES:
            con.execute(f"DELETE FROM {table} WHERE academic_year < ?", [plan.keep_from])
        on_roll.remove(con, "academic_year < ?", [plan.keep_from])
        audit.record(
            con,
            who=who,
            role=role,
            action="purge",
            detail=f"kept {db.academic_year_label(plan.keep_from)} onwards; deleted "
            + ", ".join(f"{t}: {n}" for t, n in plan.rows.items()),
        )
    return plan


# --- the command line --------------------------------------------------------------------------------


def _split(text: str | None) -> list[str]:
    return [v.strip() for v in (text or "").split(",") if v.strip()]


def _years(text: str | None) -> list[int]:
    try:
        return [int(v) for v in _split(text)]
    except ValueError as exc:
        raise AdminError("--years takes year numbers, e.g. 7,8 (0 = Reception).") from exc


def generated_password() -> str:
    """A strong random password (about 128 bits), printed once for the admin to pass on."""
    return secrets.token_urlsafe(16)


def _password(given: str | None, stdin_is_tty: bool) -> tuple[str, bool]:
    """(password, generated?) from --password, a prompt, or generated when nobody can type one."""
    if given is not None:
        return given, False
    if stdin_is_tty:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Again: "):
            raise AdminError("The passwords did not match.")
        return first, False
    return generated_password(), True


def _account_json(account: users.Account) -> dict:
    return {
        "email": account.email,
        "role": account.role,
        "schools": list(account.school_ids),
        "years": list(account.year_groups),
        "forms": list(account.forms),
        "local_password": account.has_password,
        "active": account.active,
        "locked": bool(account.locked_until and account.locked_until > audit.utc_now()),
        "created_at": account.created_at.isoformat(sep=" ", timespec="seconds") if account.created_at else None,
        "last_sign_in": account.last_sign_in.isoformat(sep=" ", timespec="seconds") if account.last_sign_in else None,
    }


def _users_cli(args, con: duckdb.DuckDBPyConnection, out, stdin_is_tty: bool) -> int:
    command = args.users_command
    if command == "add":
        password, generated = _password(args.password, stdin_is_tty)
        account = users.add_user(
            con,
            args.email,
            args.role,
            password=password,
            school_ids=_split(args.schools),
            year_groups=_years(args.years),
            forms=_split(args.forms),
        )
        audit.record(con, who=CLI_WHO, role="admin", action="add user", detail=f"{account.email} as {account.role}")
        print(f"Added {account.email} ({account.role}).", file=out)
        if generated:
            print(f"Password (shown once; pass it on securely): {password}", file=out)
        return 0
    if command == "list":
        accounts = users.list_users(con)
        if getattr(args, "json", False):
            print(json.dumps([_account_json(a) for a in accounts], indent=2), file=out)
            return 0
        if not accounts:
            print("No accounts.", file=out)
        for a in accounts:
            d = _account_json(a)
            scope = ", ".join(
                part
                for part in (
                    "schools " + ",".join(d["schools"]) if d["schools"] else "all schools",
                    "years " + ",".join(map(str, d["years"])) if d["years"] else "",
                    "forms " + ",".join(d["forms"]) if d["forms"] else "",
                )
                if part
            )
            flags = " ".join(
                f
                for f in (
                    "" if d["local_password"] else "(identity provider only)",
                    "" if d["active"] else "(inactive)",
                    "(locked)" if d["locked"] else "",
                )
                if f
            )
            print(f"{a.email}\t{a.role}\t{scope}\t{flags}".rstrip(), file=out)
        return 0
    if command == "remove":
        if not users.remove_user(con, args.email):
            raise AdminError("No account with that email.")
        audit.record(con, who=CLI_WHO, role="admin", action="remove user", detail=users.normalise_email(args.email))
        print(f"Removed {users.normalise_email(args.email)}.", file=out)
        return 0
    if command == "reset-password":
        password, generated = _password(args.password, stdin_is_tty)
        users.reset_password(con, args.email, password)
        audit.record(con, who=CLI_WHO, role="admin", action="reset password", detail=users.normalise_email(args.email))
        print(f"Password reset for {users.normalise_email(args.email)}.", file=out)
        if generated:
            print(f"Password (shown once; pass it on securely): {password}", file=out)
        return 0
    return 2


def cli(args, out=None, err=None, stdin_is_tty: bool | None = None) -> int:
    """Run ``users``, ``delete-pupil`` or ``purge``; exit status 0 on success, 1 on a refused request."""
    out = out or sys.stdout
    err = err or sys.stderr
    if stdin_is_tty is None:
        stdin_is_tty = sys.stdin.isatty()
    try:
        with db.connection(getattr(args, "db", None)) as con:
            if args.command == "users":
                return _users_cli(args, con, out, stdin_is_tty)
            if args.command == "delete-pupil":
                counts = delete_pupil(con, args.upn, school_id=args.school, who=args.by or CLI_WHO)
                print("Deleted " + ", ".join(f"{n} {t.replace('_', ' ')} rows" for t, n in counts.items()), file=out)
                return 0
            if args.command == "purge":
                plan = purge(con, args.keep_years)
                deleted = ", ".join(f"{n} {t.replace('_', ' ')} rows" for t, n in plan.rows.items())
                years = ", ".join(db.academic_year_label(y) for y in plan.years) or "none"
                print(
                    f"Kept {db.academic_year_label(plan.keep_from)} onwards. Deleted years: {years} ({deleted}).",
                    file=out,
                )
                return 0
    except (AdminError, users.AccountError) as exc:
        print(f"error: {exc}", file=err)
        return 1
    return 2

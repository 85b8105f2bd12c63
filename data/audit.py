"""The audit log: who viewed which pupil, which lists and exports, and when.

An entry holds who (email), their role, what they did, and at most the pupil's
identifier (school and UPN): never a name, date of birth or attendance figure.
A school's data protection officer reads it to answer "who looked at this
child?" and "who exported what?".
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd

DETAIL_LIMIT = 300  # a page name, list name or filter description; long text is a sign of data leaking in


def utc_now() -> datetime:
    """Naive UTC, as the log stores it (DuckDB TIMESTAMP has no zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def record(
    con: duckdb.DuckDBPyConnection,
    who: str,
    action: str,
    role: str | None = None,
    upn: str | None = None,
    detail: str | None = None,
    school_id: str | None = None,
    at: datetime | None = None,
) -> None:
    """Append one entry. Raises if it cannot be written: callers show nothing unaudited."""
    if detail is not None:
        detail = str(detail)[:DETAIL_LIMIT]
    con.execute(
        "INSERT INTO audit_log (logged_at, who, role, action, school_id, upn, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [at or utc_now(), who, role, action, school_id, upn, detail],
    )


def entries(
    con: duckdb.DuckDBPyConnection,
    who: str | None = None,
    action: str | None = None,
    upn: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = 10_000,
) -> pd.DataFrame:
    """Entries newest first, optionally for one person, action or pupil and a time window (UTC)."""
    clauses, params = [], []
    if who:
        clauses.append("lower(who) = lower(?)")
        params.append(who)
    if action:
        clauses.append("action = ?")
        params.append(action)
    if upn:
        clauses.append("upn = ?")
        params.append(upn)
    if since is not None:
        clauses.append("logged_at >= ?")
        params.append(since)
    if until is not None:
        clauses.append("logged_at < ?")
        params.append(until)
    where = " AND ".join(clauses) or "TRUE"
    sql = (
        "SELECT entry_id, logged_at, who, role, action, school_id, upn, detail FROM audit_log "
        f"WHERE {where} ORDER BY logged_at DESC, entry_id DESC"
    )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    return con.execute(sql, params).df()


def actions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The distinct actions logged so far, for a filter box."""
    return [r[0] for r in con.execute("SELECT DISTINCT action FROM audit_log ORDER BY action").fetchall()]

"""The intervention log: what staff did for a pupil, stored beside the registers.

Rows are recorded in the app, imported from a CSV through the same importer as the
registers (``UPN, Date, Type`` and optionally ``Owner, Status, Notes, Review date``),
or logged when a letter is made. The log holds staff notes about a child: governors
never see it, and the access rules decide whose rows a user may read or change.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date

import duckdb
import pandas as pd

from data import audit
from data.scope import Scope

# The guidance's support-first sequence, roughly in the order a school reaches for them.
TYPES: tuple[str, ...] = (
    "First-day call",
    "Letter",
    "Attendance meeting",
    "Attendance clinic",
    "Home visit",
    "Attendance plan",
    "Mentoring",
    "Part-time timetable",
    "Early help referral",
    "Attendance contract",
    "Notice to Improve",
    "Penalty notice",
    "Referral to the local authority",
)
STATUSES: tuple[str, ...] = ("open", "closed")


def canonical_type(text: str) -> str:
    """A known type in its own spelling when ``text`` names one (any case or spacing), else ``text`` tidied."""
    tidy = " ".join(str(text).split())
    for known in TYPES:
        if known.casefold() == tidy.casefold():
            return known
    return tidy


def canonical_status(text: str | None) -> str | None:
    """``open`` or ``closed`` from what a file or form says (blank is open); None when it is neither."""
    tidy = (text or "").strip().casefold()
    if tidy in ("", "open", "active", "ongoing", "in progress"):
        return "open"
    if tidy in ("closed", "done", "complete", "completed", "ended"):
        return "closed"
    return None


def import_log(
    con: duckdb.DuckDBPyConnection,
    school_id: str,
    rows: Iterable[dict],
    *,
    by: str | None = None,
) -> int:
    """Write validated rows from an imported log; returns how many were written.

    Each row is a dict with ``upn``, ``date`` (a date), ``type`` and optionally ``owner``,
    ``status`` (``open``/``closed``), ``notes`` and ``review_date`` (a date or None), already
    checked by the importer. Re-importing the same file does not duplicate: a row with the same
    school, pupil, date and type replaces the earlier one. Runs inside the caller's transaction.
    """
    frame = pd.DataFrame(
        [
            {
                "upn": row["upn"],
                "date": row["date"],
                "type": canonical_type(row["type"]),
                "owner": row.get("owner") or None,
                "status": row.get("status") or "open",
                "notes": row.get("notes") or None,
                "review_date": row.get("review_date"),
            }
            for row in rows
        ],
        columns=["upn", "date", "type", "owner", "status", "notes", "review_date"],
    )
    if frame.empty:
        return 0
    # The same pupil, date and type twice in one file: the later row wins, as it would row by row.
    frame = frame.drop_duplicates(["upn", "date", "type"], keep="last")
    frame = frame.astype({"owner": object, "notes": object, "review_date": object}).where(frame.notna(), None)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _log_rows (upn VARCHAR, date DATE, type VARCHAR, owner VARCHAR, status VARCHAR,"
        " notes VARCHAR, review_date DATE)"
    )
    con.executemany("INSERT INTO _log_rows VALUES (?, ?, ?, ?, ?, ?, ?)", frame.values.tolist())
    try:
        con.execute(
            """DELETE FROM interventions i USING _log_rows r
               WHERE i.school_id = ? AND i.upn = r.upn AND i.date = r.date::DATE AND i.type = r.type""",
            [school_id],
        )
        con.execute(
            """INSERT INTO interventions (school_id, upn, date, type, owner, status, notes, review_date, source,
                                          created_by)
               SELECT ?, upn, date::DATE, type, owner, status, notes, review_date::DATE, 'import', ? FROM _log_rows""",
            [school_id, by],
        )
    finally:
        con.execute("DROP TABLE IF EXISTS _log_rows")
    return len(frame)


# The guidance's escalation sequence ("support first"), lowest first.
STAGES: tuple[str, ...] = (
    "expect",
    "monitor",
    "listen and understand",
    "facilitate support",
    "formalise support",
    "enforce",
)
SOURCES = ("app", "import", "letter")
EXPORT_HEADERS = ("UPN", "Date", "Type", "Owner", "Status", "Notes", "Review date")
_FIELDS = ("date", "type", "owner", "status", "notes", "review_date")


class InterventionError(ValueError):
    """A change to the log that cannot be made (message safe to show: no pupil data in it)."""


class LogDenied(PermissionError):
    """The user's role or scope does not reach this pupil's log."""


def _require_log(scope: Scope) -> None:
    if not scope.pupil_level:
        raise LogDenied("the intervention log is about individual pupils, which this role may not see")


def scope_sql(scope: Scope, alias: str = "i") -> tuple[str, list]:
    """A predicate keeping log rows (``alias`` has school_id, upn) whose pupil is in ``scope``.

    Year groups and forms are read from the pupil's enrolment in the school's current (latest)
    academic year and combine with OR, as ``Scope`` says: a pupil who has left is in no pastoral
    lead's year group any more (leaders still see their log).
    """
    clauses, params = [], []
    if scope.school_ids:
        clauses.append(f"{alias}.school_id IN ({', '.join('?' * len(scope.school_ids))})")
        params += list(scope.school_ids)
    if scope.year_groups or scope.forms:
        inner, inner_params = [], []
        if scope.year_groups:
            inner.append(f"le.year_group IN ({', '.join('?' * len(scope.year_groups))})")
            inner_params += list(scope.year_groups)
        if scope.forms:
            inner.append(f"le.form IN ({', '.join('?' * len(scope.forms))})")
            inner_params += list(scope.forms)
        clauses.append(
            f"""EXISTS (SELECT 1 FROM enrolments le
                        WHERE le.school_id = {alias}.school_id AND le.upn = {alias}.upn
                          AND le.academic_year = (SELECT max(academic_year) FROM enrolments
                                                  WHERE school_id = {alias}.school_id)
                          AND ({" OR ".join(inner)}))"""
        )
        params += inner_params
    return " AND ".join(clauses) or "TRUE", params


def in_scope(con: duckdb.DuckDBPyConnection, scope: Scope, school_id: str, upn: str) -> bool:
    """Whether the user may read and change this pupil's log."""
    if not scope.pupil_level:
        return False
    where, params = scope_sql(scope, "i")
    sql = f"SELECT count(*) FROM (SELECT ?::VARCHAR AS school_id, ?::VARCHAR AS upn) i WHERE {where}"
    return con.execute(sql, [school_id, upn, *params]).fetchone()[0] > 0


def _require_pupil(con, scope: Scope, school_id: str, upn: str) -> None:
    _require_log(scope)
    if not in_scope(con, scope, school_id, upn):
        raise LogDenied("this pupil is outside the year groups, forms or schools you look after")


def _clean(values: dict) -> dict:
    out = {}
    for key, value in values.items():
        if key not in _FIELDS:
            raise InterventionError(f"unknown field {key!r}")
        if key == "type":
            value = canonical_type(value or "")
            if not value:
                raise InterventionError("say what was done (a type)")
        elif key == "status":
            status = canonical_status(value)
            if status is None:
                raise InterventionError(f"status must be open or closed, not {value!r}")
            value = status
        elif key in ("owner", "notes"):
            value = (str(value).strip() or None) if value is not None else None
        elif key == "date" and not isinstance(value, date):
            raise InterventionError("the date is missing")
        out[key] = value
    if out.get("review_date") is not None and out.get("date") is not None and out["review_date"] < out["date"]:
        raise InterventionError("the review date is before the date of the intervention")
    return out


def record(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    who: str,
    school_id: str,
    upn: str,
    when: date,
    type: str,
    *,
    owner: str | None = None,
    status: str = "open",
    notes: str | None = None,
    review_date: date | None = None,
    source: str = "app",
    role: str | None = None,
) -> int:
    """Add one entry to a pupil's log (audited); returns its id."""
    _require_pupil(con, scope, school_id, upn)
    if source not in SOURCES:
        raise InterventionError(f"unknown source {source!r}")
    row = _clean(
        {"date": when, "type": type, "owner": owner, "status": status, "notes": notes, "review_date": review_date}
    )
    new_id = con.execute(
        "INSERT INTO interventions (school_id, upn, date, type, owner, status, notes, review_date, source, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING intervention_id",
        [school_id, upn, *(row[k] for k in _FIELDS), source, who],
    ).fetchone()[0]
    audit.record(con, who, "record intervention", role=role, upn=upn, school_id=school_id, detail=row["type"])
    return int(new_id)


def _entry(con, scope: Scope, intervention_id: int) -> dict:
    _require_log(scope)
    cur = con.execute("SELECT * FROM interventions WHERE intervention_id = ?", [int(intervention_id)])
    row = cur.fetchone()
    if row is None:
        raise InterventionError(f"no intervention with id {intervention_id}")
    entry = dict(zip([d[0] for d in cur.description], row, strict=True))
    _require_pupil(con, scope, entry["school_id"], entry["upn"])
    return entry


def edit(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    who: str,
    intervention_id: int,
    *,
    role: str | None = None,
    **changes,
) -> None:
    """Change fields of one entry (``date``, ``type``, ``owner``, ``status``, ``notes``, ``review_date``); audited."""
    entry = _entry(con, scope, intervention_id)
    merged = _clean({k: entry[k] for k in _FIELDS} | changes)
    changed = [k for k in _FIELDS if merged[k] != entry[k]]
    if not changed:
        return
    sets = ", ".join(f"{k} = ?" for k in changed)
    con.execute(
        f"UPDATE interventions SET {sets}, updated_at = current_timestamp WHERE intervention_id = ?",
        [*(merged[k] for k in changed), int(intervention_id)],
    )
    audit.record(
        con,
        who,
        "edit intervention",
        role=role,
        upn=entry["upn"],
        school_id=entry["school_id"],
        detail=f"{entry['type']}: {', '.join(changed)}",
    )


def close(
    con: duckdb.DuckDBPyConnection, scope: Scope, who: str, intervention_id: int, *, role: str | None = None
) -> None:
    """Mark one entry closed (audited)."""
    edit(con, scope, who, intervention_id, role=role, status="closed")


def entries(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    *,
    school_ids: tuple[str, ...] = (),
    upns: tuple[str, ...] = (),
    status: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> pd.DataFrame:
    """The log rows the user may see, newest first (governors: refused)."""
    _require_log(scope)
    where, params = scope_sql(scope, "i")
    clauses = [where]
    for column, values in (("school_id", school_ids), ("upn", upns)):
        if values:
            clauses.append(f"i.{column} IN ({', '.join('?' * len(values))})")
            params += list(values)
    for clause, value in (("i.status = ?", status), ("i.date >= ?", date_from), ("i.date <= ?", date_to)):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    sql = f"""
        SELECT i.intervention_id, i.school_id, i.upn, i.date, i.type, i.owner, i.status, i.notes,
               i.review_date, i.source, i.created_by, i.created_at, i.updated_at
        FROM interventions i WHERE {" AND ".join(clauses)}
        ORDER BY i.date DESC, i.intervention_id DESC
    """
    return con.execute(sql, params).df()


def _safe_cell(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _uk(d) -> str:
    return "" if d is None or d != d else d.strftime("%d/%m/%Y")


def export_csv(con: duckdb.DuckDBPyConnection, scope: Scope, who: str, *, role: str | None = None, **filters) -> str:
    """The visible log as CSV with the import's own headers, so it can be imported again (audited)."""
    df = entries(con, scope, **filters)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADERS)
    for r in df.itertuples(index=False):
        writer.writerow(
            [
                _safe_cell(r.upn),
                _uk(r.date),
                _safe_cell(r.type),
                _safe_cell(r.owner),
                r.status,
                _safe_cell(r.notes),
                _uk(r.review_date if r.review_date is not pd.NaT else None),
            ]
        )
    audit.record(con, who, "export intervention log", role=role, detail=f"{len(df)} rows")
    return out.getvalue()


def confirm_stage(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    who: str,
    school_id: str,
    upn: str,
    stage: str,
    *,
    role: str | None = None,
) -> None:
    """Store the escalation stage staff agree a pupil is at (audited)."""
    _require_pupil(con, scope, school_id, upn)
    if stage not in STAGES:
        raise InterventionError(f"stage must be one of: {', '.join(STAGES)}")
    con.execute(
        "INSERT INTO escalation_stages (school_id, upn, stage, confirmed_by) VALUES (?, ?, ?, ?)",
        [school_id, upn, stage, who],
    )
    audit.record(con, who, "confirm escalation stage", role=role, upn=upn, school_id=school_id, detail=stage)


def confirmed_stages(con: duckdb.DuckDBPyConnection, school_id: str) -> dict[str, str]:
    """The latest stage staff confirmed for each pupil at a school (callers apply the scope)."""
    rows = con.execute(
        """SELECT upn, stage FROM escalation_stages WHERE school_id = ?
           QUALIFY row_number() OVER (PARTITION BY upn ORDER BY confirmed_at DESC, stage_id DESC) = 1""",
        [school_id],
    ).fetchall()
    return dict(rows)

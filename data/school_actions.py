"""The school's attendance action plan: whole-school actions (no pupil in them), each with a linked measure.

Leaders add and change them (audited); governors read them. The linked measure is
a key of ``analytics.measures.MEASURE_KEYS`` whose trend the page shows beside it.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from data import audit

STATUSES: tuple[str, ...] = ("not started", "in progress", "done")
_FIELDS = ("action", "owner", "due_date", "status", "measure")


def _clean(values: dict) -> dict:
    out = {}
    for key, value in values.items():
        if key not in _FIELDS:
            raise ValueError(f"unknown field {key!r}")
        if key in ("action", "owner", "measure"):
            value = (str(value).strip() or None) if value is not None else None
        if key == "status" and value not in STATUSES:
            raise ValueError(f"status must be one of: {', '.join(STATUSES)}")
        if key == "due_date" and value is not None and not isinstance(value, date):
            raise ValueError("the due date is not a date")
        out[key] = value
    if "action" in out and not out["action"]:
        raise ValueError("say what the action is")
    return out


def add(
    con: duckdb.DuckDBPyConnection,
    who: str,
    school_id: str,
    action: str,
    *,
    owner: str | None = None,
    due_date: date | None = None,
    status: str = "not started",
    measure: str | None = None,
    role: str | None = None,
) -> int:
    """Add one action to a school's plan (audited); returns its id."""
    row = _clean({"action": action, "owner": owner, "due_date": due_date, "status": status, "measure": measure})
    new_id = con.execute(
        "INSERT INTO school_actions (school_id, action, owner, due_date, status, measure, updated_by)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING action_id",
        [school_id, *(row[k] for k in _FIELDS), who],
    ).fetchone()[0]
    audit.record(con, who, "add school action", role=role, school_id=school_id, detail=row["action"])
    return int(new_id)


def update(con: duckdb.DuckDBPyConnection, who: str, action_id: int, *, role: str | None = None, **changes) -> None:
    """Change an action's fields (audited)."""
    row = _clean(changes)
    if not row:
        return
    school = con.execute("SELECT school_id FROM school_actions WHERE action_id = ?", [int(action_id)]).fetchone()
    if school is None:
        raise ValueError(f"no action with id {action_id}")
    sets = ", ".join(f"{k} = ?" for k in row)
    con.execute(
        f"UPDATE school_actions SET {sets}, updated_by = ?, updated_at = current_timestamp WHERE action_id = ?",
        [*row.values(), who, int(action_id)],
    )
    audit.record(con, who, "edit school action", role=role, school_id=school[0], detail=", ".join(row))


def remove(con: duckdb.DuckDBPyConnection, who: str, action_id: int, *, role: str | None = None) -> None:
    school = con.execute("SELECT school_id FROM school_actions WHERE action_id = ?", [int(action_id)]).fetchone()
    con.execute("DELETE FROM school_actions WHERE action_id = ?", [int(action_id)])
    audit.record(con, who, "remove school action", role=role, school_id=school[0] if school else None)


def actions(con: duckdb.DuckDBPyConnection, school_ids: tuple[str, ...] = ()) -> pd.DataFrame:
    """The plan for the schools given (all when empty), due soonest first."""
    where = f"WHERE school_id IN ({', '.join('?' * len(school_ids))})" if school_ids else ""
    return con.execute(
        f"""SELECT action_id, school_id, action, owner, due_date, status, measure, updated_by, updated_at
            FROM school_actions {where} ORDER BY status = 'done', due_date NULLS LAST, action_id""",
        list(school_ids),
    ).df()

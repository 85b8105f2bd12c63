"""The intervention log: what staff did for a pupil, stored beside the registers.

Rows are recorded in the app, imported from a CSV through the same importer as the
registers (``UPN, Date, Type`` and optionally ``Owner, Status, Notes, Review date``),
or logged when a letter is made. The log holds staff notes about a child: governors
never see it, and the access rules decide whose rows a user may read or change.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

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
    written = 0
    for row in rows:
        key = [school_id, row["upn"], row["date"], canonical_type(row["type"])]
        con.execute(
            "DELETE FROM interventions WHERE school_id = ? AND upn = ? AND date = ? AND type = ?",
            key,
        )
        con.execute(
            "INSERT INTO interventions (school_id, upn, date, type, owner, status, notes, review_date,"
            " source, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'import', ?)",
            [
                *key,
                row.get("owner") or None,
                row.get("status") or "open",
                row.get("notes") or None,
                row.get("review_date"),
                by,
            ],
        )
        written += 1
    return written

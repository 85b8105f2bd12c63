"""Terms and half-terms, derived from the marks when the school has not imported its calendar.

School days are the dates with any session mark. A run of 3 or more weekdays
without marks is a holiday, which separates blocks of school days (a single
closure day or a bank-holiday Monday is not). Autumn term is September to
December; spring runs from January to the Easter holiday (the longest break
in mid-March to early May); summer follows. Each term splits at its longest
internal break into half-terms 1 and 2; a term with no break yet (the year so
far) has only half-term 1.

Rows imported from a calendar file (``source = 'imported'``) are never
overwritten: derivation only fills the half-terms they do not cover.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

BREAK_WEEKDAYS = 3  # 3+ weekdays without marks: a holiday rather than a closure day or long weekend
EASTER_WINDOW = ((3, 15), (5, 5))  # (month, day) bounds for the middle of the Easter holiday


def _weekdays_between(a: date, b: date) -> int:
    """Weekdays strictly between two dates."""
    n, d = 0, a + timedelta(days=1)
    while d < b:
        n += d.isoweekday() <= 5
        d += timedelta(days=1)
    return n


def _breaks(days: list[date]) -> list[tuple[int, int]]:
    """(index of the last day before the break, weekdays missed) for every holiday-length gap."""
    out = []
    for i in range(len(days) - 1):
        gap = _weekdays_between(days[i], days[i + 1])
        if gap >= BREAK_WEEKDAYS:
            out.append((i, gap))
    return out


def _split_at_longest_break(days: list[date]) -> list[list[date]]:
    breaks = _breaks(days)
    if not breaks:
        return [days]
    i, _ = max(breaks, key=lambda b: (b[1], -b[0]))  # longest; the earlier when equal
    return [days[: i + 1], days[i + 1 :]]


def terms_of(days: list[date]) -> dict[str, list[date]]:
    """School days grouped into autumn, spring and summer (terms without days are left out)."""
    days = sorted(set(days))
    autumn = [d for d in days if d.month >= 9]
    rest = [d for d in days if d.month < 9]
    lo, hi = EASTER_WINDOW
    easter = []
    for i, gap in _breaks(rest):
        a, b = rest[i], rest[i + 1]
        middle = a + (b - a) / 2
        if date(middle.year, *lo) <= middle <= date(middle.year, *hi):
            easter.append((i, gap))
    if easter:
        i, _ = max(easter, key=lambda b: (b[1], -b[0]))
        spring, summer = rest[: i + 1], rest[i + 1 :]
    else:
        spring, summer = rest, []
    return {t: d for t, d in (("autumn", autumn), ("spring", spring), ("summer", summer)) if d}


def half_terms_of(days: list[date]) -> list[tuple[str, int, date, date]]:
    """(term, half_term, first school day, last school day) for each half-term with marks."""
    out = []
    for term, term_days in terms_of(days).items():
        for half, block in enumerate(_split_at_longest_break(term_days), start=1):
            out.append((term, half, block[0], block[-1]))
    return out


def derive_calendar(
    con: duckdb.DuckDBPyConnection, school_id: str, academic_year: int
) -> list[tuple[str, int, date, date]]:
    """Refresh the derived half-terms of one school's year from its session marks; returns them.

    Runs inside the caller's transaction (the importer's), so it never commits.
    """
    days = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT date FROM session_marks WHERE school_id = ? AND academic_year = ? ORDER BY date",
            [school_id, academic_year],
        ).fetchall()
    ]
    con.execute(
        "DELETE FROM calendar WHERE school_id = ? AND academic_year = ? AND source <> 'imported'",
        [school_id, academic_year],
    )
    imported = {
        (r[0], r[1])
        for r in con.execute(
            "SELECT term, half_term FROM calendar WHERE school_id = ? AND academic_year = ?",
            [school_id, academic_year],
        ).fetchall()
    }
    derived = [row for row in half_terms_of(days) if (row[0], row[1]) not in imported]
    for term, half, start, end in derived:
        con.execute(
            "INSERT INTO calendar (school_id, academic_year, term, half_term, start_date, end_date, source) "
            "VALUES (?, ?, ?, ?, ?, ?, 'derived')",
            [school_id, academic_year, term, half, start, end],
        )
    return derived

"""Terms and half-terms derived from the marks, and imported calendars that win."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from data import calendar

# A real-looking 2025/26: the half-terms of tests/mis_files/term_dates.csv.
TERM_DATES = [
    ("autumn", 1, date(2025, 9, 3), date(2025, 10, 24)),
    ("autumn", 2, date(2025, 11, 3), date(2025, 12, 19)),
    ("spring", 1, date(2026, 1, 5), date(2026, 2, 13)),
    ("spring", 2, date(2026, 2, 23), date(2026, 3, 27)),
    ("summer", 1, date(2026, 4, 13), date(2026, 5, 22)),
    ("summer", 2, date(2026, 6, 1), date(2026, 7, 22)),
]
CLOSED = {date(2025, 12, 1), date(2026, 5, 4), date(2026, 1, 6), date(2026, 1, 7)}  # INSET days, a bank holiday


def school_days(until: date = date(2026, 7, 22)) -> list[date]:
    days = []
    for *_, start, end in TERM_DATES:
        d = start
        while d <= min(end, until):
            if d.isoweekday() <= 5 and d not in CLOSED:
                days.append(d)
            d += timedelta(days=1)
    return days


def test_full_year_splits_into_the_six_half_terms():
    assert calendar.half_terms_of(school_days()) == TERM_DATES


@pytest.mark.parametrize(
    ("until", "expected"),
    [
        (date(2025, 10, 10), [("autumn", 1, date(2025, 9, 3), date(2025, 10, 10))]),  # no holiday yet
        (date(2025, 12, 19), TERM_DATES[:2]),
        (date(2026, 3, 6), [*TERM_DATES[:3], ("spring", 2, date(2026, 2, 23), date(2026, 3, 6))]),
        (date(2026, 5, 1), [*TERM_DATES[:4], ("summer", 1, date(2026, 4, 13), date(2026, 5, 1))]),
    ],
)
def test_year_so_far(until, expected):
    assert calendar.half_terms_of(school_days(until)) == expected


@pytest.mark.parametrize(
    ("a", "b", "weekdays"),
    [
        (date(2025, 10, 24), date(2025, 11, 3), 5),
        (date(2025, 11, 28), date(2025, 12, 2), 1),
        (date(2025, 9, 3), date(2025, 9, 4), 0),
    ],
)
def test_weekdays_between(a, b, weekdays):
    assert calendar._weekdays_between(a, b) == weekdays


def _marks(register, days):
    register.pupil("A1")
    for d in days:
        register.mark("A1", d, "AM", "/", sync=False)
    register.sync()


def test_derive_calendar_writes_derived_rows(con, register):
    _marks(register, school_days(date(2025, 12, 19)))
    calendar.derive_calendar(con, "T1", 2025)
    assert con.execute(
        "SELECT term, half_term, start_date, end_date, source FROM calendar ORDER BY start_date"
    ).fetchall() == [(*row, "derived") for row in TERM_DATES[:2]]


def test_imported_rows_are_never_overwritten(con, register):
    _marks(register, school_days(date(2025, 12, 19)))
    register.calendar(2025, "autumn", 1, "2025-09-01", "2025-10-24")
    calendar.derive_calendar(con, "T1", 2025)
    assert con.execute("SELECT term, half_term, start_date, source FROM calendar ORDER BY start_date").fetchall() == [
        ("autumn", 1, date(2025, 9, 1), "imported"),
        ("autumn", 2, date(2025, 11, 3), "derived"),
    ]


def test_rederiving_follows_new_marks(con, register):
    _marks(register, school_days(date(2025, 10, 10)))
    calendar.derive_calendar(con, "T1", 2025)
    _marks(register, [d for d in school_days(date(2025, 12, 19)) if d > date(2025, 10, 10)])
    calendar.derive_calendar(con, "T1", 2025)
    assert con.execute("SELECT count(*), max(end_date) FROM calendar").fetchone() == (2, date(2025, 12, 19))

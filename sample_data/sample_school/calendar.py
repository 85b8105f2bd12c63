"""The school year: term dates, school days, half-terms, the exam season and festival days."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

LEGACY_CODES_END = date(2024, 8, 19)  # H and J are legacy after this date; C2, K, J1 start on it

# Pupil days of each half-term (first, last), then days inside them with no pupils
# (INSET days and bank holidays), then the planned closure day (marked '#').
# Easter dates are the real ones: 31 Mar 2024, 20 Apr 2025, 5 Apr 2026.
CALENDAR: dict[int, dict] = {
    2023: {
        "half_terms": [
            ("2023-09-05", "2023-10-20"),
            ("2023-10-30", "2023-12-20"),
            ("2024-01-04", "2024-02-09"),
            ("2024-02-19", "2024-03-28"),
            ("2024-04-15", "2024-05-24"),
            ("2024-06-03", "2024-07-23"),
        ],
        "no_pupils": ["2023-11-24", "2024-05-06", "2024-06-03", "2024-07-22", "2024-07-23"],
        "closure": "2024-07-04",  # general election polling day
    },
    2024: {
        "half_terms": [
            ("2024-09-04", "2024-10-25"),
            ("2024-11-04", "2024-12-20"),
            ("2025-01-07", "2025-02-14"),
            ("2025-02-24", "2025-04-04"),
            ("2025-04-22", "2025-05-23"),
            ("2025-06-02", "2025-07-22"),
        ],
        "no_pupils": ["2025-05-05", "2025-07-21", "2025-07-22"],
        "closure": "2025-05-01",  # local elections polling day
    },
    2025: {
        "half_terms": [
            ("2025-09-03", "2025-10-24"),
            ("2025-11-03", "2025-12-19"),
            ("2026-01-05", "2026-02-13"),
            ("2026-02-23", "2026-03-27"),
            ("2026-04-13", "2026-05-22"),
            ("2026-06-01", "2026-07-21"),
        ],
        "no_pupils": ["2025-11-28", "2026-01-05", "2026-05-04", "2026-06-01", "2026-07-21"],
        "closure": "2026-05-07",  # local elections polling day
    },
    2026: {
        # The current year: autumn term to date (today is Monday 23 November 2026).
        "half_terms": [("2026-09-02", "2026-10-23"), ("2026-11-02", "2026-11-20")],
        "no_pupils": [],
        "closure": None,
    },
}
CURRENT_YEAR = max(CALENDAR)  # the year to date: registers end on its last Friday
Y11_LAST_DAY = {2023: "2024-06-21", 2024: "2025-06-20", 2025: "2026-06-19"}  # last GCSE exam: Year 11 leave
EXAM_SEASON_START = {2023: "2024-05-13", 2024: "2025-05-12", 2025: "2026-05-11"}
WORK_EXPERIENCE_WEEK = {2023: "2024-07-08", 2024: "2025-07-07", 2025: "2026-07-06"}  # Year 10, a Monday

RELIGIOUS_DAYS = {  # school days on which some families keep a festival (code R)
    "2024-06-17": ("APKN", "ABAN", "AOTH", "BAFR", "BOTH"),  # Eid al-Adha
    "2025-03-31": ("APKN", "ABAN", "AOTH", "BAFR", "BOTH"),  # Eid al-Fitr
    "2025-06-06": ("APKN", "ABAN", "AOTH", "BAFR", "BOTH"),  # Eid al-Adha
    "2025-10-21": ("AIND",),  # Diwali
    "2026-03-20": ("APKN", "ABAN", "AOTH", "BAFR", "BOTH"),  # Eid al-Fitr
}


def iso(text: str) -> date:
    """A date written YYYY-MM-DD in the tables above."""
    return date.fromisoformat(text)


def is_complete(year: int) -> bool:
    """True for a whole academic year (six half-terms), False for the year to date."""
    return len(CALENDAR[year]["half_terms"]) == 6


def school_days(year: int) -> list[date]:
    """Every day with pupil registers in an academic year (the closure day included: it is marked '#')."""
    cal = CALENDAR[year]
    skip = {iso(t) for t in cal["no_pupils"]}
    days = []
    for first, last in cal["half_terms"]:
        day = iso(first)
        while day <= iso(last):
            if day.isoweekday() <= 5 and day not in skip:
                days.append(day)
            day += timedelta(days=1)
    return days


def half_term_index(year: int, days: list[date]) -> np.ndarray:
    """For each day, which half-term (0-5) it falls in."""
    bounds = [(iso(a), iso(b)) for a, b in CALENDAR[year]["half_terms"]]
    return np.array([next(i for i, (a, b) in enumerate(bounds) if a <= d <= b) for d in days])


def holiday_breaks(dates) -> list[int]:
    """Indexes of the first school day after each break longer than a weekend."""
    return [i for i in range(1, len(dates)) if (dates[i] - dates[i - 1]).days > 3]

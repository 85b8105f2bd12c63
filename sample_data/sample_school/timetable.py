"""The secondary timetable: subjects, lessons a week, option blocks, sets and periods."""

from __future__ import annotations

import numpy as np

from sample_school.model import SEED

SUBJECTS = {
    "Ma": "Maths",
    "En": "English",
    "Sc": "Science",
    "Hi": "History",
    "Gg": "Geography",
    "Fr": "French",
    "Sp": "Spanish",
    "PE": "PE",
    "Ar": "Art",
    "Mu": "Music",
    "Co": "Computing",
    "RE": "RE",
    "Dr": "Drama",
    "PS": "PSHE",
    "Bu": "Business",
    "Fd": "Food",
}
KS3_WEEK = {"Ma": 4, "En": 4, "Sc": 3, "Hi": 2, "Gg": 2, "Fr": 2, "PE": 2, "Ar": 1, "Mu": 1, "Co": 1, "RE": 1}
KS3_WEEK |= {"Dr": 1, "PS": 1}
KS4_WEEK = {"Ma": 4, "En": 4, "Sc": 5, "PE": 2, "RE": 1, "PS": 1, "A": 2, "B": 2, "C": 2, "D": 2}
OPTION_BLOCKS = {"A": ("Hi", "Gg"), "B": ("Fr", "Sp"), "C": ("Ar", "Dr", "Mu"), "D": ("Co", "Bu", "Fd")}
SETTED = ("Ma", "En", "Sc")
PERIODS = 5  # P1-P3 in the morning session, P4-P5 in the afternoon


def weekly_grid() -> dict[tuple[int, int], list[str]]:
    """A weekly grid (25 slots) for each year group and half-year band; its own generator, fixed by the seed."""
    r = np.random.default_rng(SEED + 7)
    grid = {}
    for g in range(7, 12):
        week = KS3_WEEK if g <= 9 else KS4_WEEK
        for band in (0, 1):
            slots = [s for s, c in week.items() for _ in range(c)]
            grid[g, band] = [str(s) for s in r.permutation(slots)]
    return grid

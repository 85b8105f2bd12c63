"""One school's four years: the roll, then each year's session marks, from one seeded generator.

The draws happen in a fixed order (the roll for a year, then its marks, then the next year),
so the same seed writes the same files. Lesson marks and the intervention log use their own
generators, so changing them leaves the session marks alone.
"""

from __future__ import annotations

import numpy as np

from sample_school import interventions, lessons
from sample_school.calendar import CALENDAR, school_days
from sample_school.enrolment import Roll
from sample_school.marks import Registers, simulate_year
from sample_school.model import SEED, SchoolModel
from sample_school.people import Pupil, next_year


class Generator:
    """Draws one school: ``run()`` returns the roll of each year and fills ``marks`` with its registers."""

    def __init__(self, model: SchoolModel, seed: int = SEED):
        self.m, self.seed = model, seed
        self.rng = np.random.default_rng(seed + (1 if model.primary else 0))
        self.marks: dict[int, Registers] = {}

    def run(self) -> dict[int, list[Pupil]]:
        """Everyone on roll in each academic year; each year's session marks go into ``self.marks``."""
        self.marks = {}
        roll = Roll(self.rng, self.m)
        years = sorted(CALENDAR)
        on_roll = roll.starting(years[0])
        by_year: dict[int, list[Pupil]] = {}
        shifts: dict[str, float] = {}
        for year in years:
            if year > years[0]:
                for p in on_roll:
                    next_year(self.rng, self.m, p, shifts.get(p.upn, 0.0))
            pupils = roll.year(on_roll, year)
            codes, shifts = simulate_year(self.rng, self.m, year, pupils)
            self.marks[year] = Registers(pupils, school_days(year), codes)
            by_year[year] = pupils
            on_roll = [p for p in pupils if p.leaving is None]
        return by_year

    def lesson_rows(self, year: int) -> list[str]:
        """Lesson-register lines for a year (secondary)."""
        return lessons.lesson_rows(year, *self.marks[year])

    def intervention_history(self, year: int, truth: dict | None = None) -> list[list]:
        """The attendance team's log for a year; changes that year's session marks as it acts (``truth``:
        see ``interventions.intervention_history``)."""
        return interventions.intervention_history(year, *self.marks[year], seed=self.seed, truth=truth)

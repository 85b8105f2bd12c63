"""Who is on roll each year: the yearly intake, in-year joiners and leavers, Year 11 leaving, forms."""

from __future__ import annotations

from datetime import date

import numpy as np

from sample_school.calendar import Y11_LAST_DAY, is_complete, iso, school_days
from sample_school.model import SchoolModel
from sample_school.people import Pupil, new_pupil

PRIMARY_CLASSES = ("Acorns", "Beech", "Cedar", "Elm", "Hazel", "Maple", "Oak")  # Reception .. Year 6


class Roll:
    """Admits pupils (each with a UPN never given before) and decides who is on roll each year."""

    def __init__(self, r: np.random.Generator, m: SchoolModel):
        self.r, self.m = r, m
        self.upns: set[str] = set()

    def admit(self, entry_year: int, admission: date) -> Pupil:
        return new_pupil(self.r, self.m, entry_year, admission, self.upns)

    def year_group(self, p: Pupil, year: int) -> int:
        return self.m.first_year_group + year - p.entry_year

    def entry_year(self, year_group: int, year: int) -> int:
        """The year a pupil in ``year_group`` in ``year`` was (or would have been) in the entry year group."""
        return year - (year_group - self.m.first_year_group)

    def form_name(self, yg: int, letter: int) -> str:
        if self.m.primary:
            return PRIMARY_CLASSES[yg]
        return f"{yg}{'ABCDEFGH'[letter]}"

    def starting(self, first: int) -> list[Pupil]:
        """Pupils already in the school when the sample starts: admitted in their entry September."""
        m, r = self.m, self.r
        on_roll = []
        for entry in range(first - (m.last_year_group - m.first_year_group), first):
            for _ in range(m.cohort + int(r.integers(-4, 3))):
                on_roll.append(self.admit(entry, date(entry, 9, 4 + int(r.integers(0, 3)))))
        return on_roll

    def year(self, on_roll: list[Pupil], year: int) -> list[Pupil]:
        """Everyone on roll at some point in ``year``, with that year's characteristics and form recorded."""
        days = school_days(year)
        on_roll = self._september(list(on_roll), year, days[0])
        on_roll = self._leavers_and_joiners(on_roll, year, days)
        self._year_end(on_roll, year, days[-1])
        self._assign_forms(on_roll, year)
        return on_roll

    def _september(self, on_roll: list[Pupil], year: int, first_day: date) -> list[Pupil]:
        """The new intake, and September in-year admissions that fill places left over the summer."""
        m, r = self.m, self.r
        intake = m.cohort + int(r.integers(-3, 4))
        on_roll += [self.admit(year, first_day) for _ in range(intake)]
        for yg in range(m.first_year_group + 1, m.last_year_group + 1):
            have = sum(1 for p in on_roll if self.year_group(p, year) == yg)
            for _ in range(max(0, m.cohort - 2 - have) // 2):
                on_roll.append(self.admit(self.entry_year(yg, year), first_day))
        return on_roll

    def _leavers_and_joiners(self, on_roll: list[Pupil], year: int, days: list[date]) -> list[Pupil]:
        """Mid-year leavers (more often the pupils who miss school) and the joiners who replace them."""
        m, r = self.m, self.r
        damp = 1 if is_complete(year) else 0.3
        leavers = [p for p in on_roll if r.random() < m.churn * (1.6 if p.z > 1 else 1.0) * damp]
        for p in leavers:
            p.leaving = days[int(r.integers(5, len(days) - 3))]
            yg = self.year_group(p, year)
            if r.random() < 0.85:
                admission = days[int(r.integers(3, len(days) - 2))]
                joiner = self.admit(self.entry_year(yg, year), admission)
                joiner.z += 0.3  # in-year admissions miss a little more school
                on_roll.append(joiner)
        return on_roll

    def _year_end(self, pupils: list[Pupil], year: int, last_day: date) -> None:
        """Who leaves at the end of a complete year, and each pupil's characteristics this year."""
        m, r = self.m, self.r
        complete = is_complete(year)
        for p in pupils:
            yg = self.year_group(p, year)
            if complete and p.leaving is None:
                if yg == m.last_year_group:
                    # Year 11 leave after their last exam; one admitted after it stays to the end of term.
                    exams_end = iso(Y11_LAST_DAY[year]) if not m.primary else last_day
                    p.leaving = exams_end if p.admission <= exams_end else last_day
                elif r.random() < 0.015:
                    p.leaving = last_day  # moving away over the summer
            p.history[year] = {"fsm": p.fsm, "sen": p.sen, "cin": p.cin, "lac": p.lac, "year_group": yg}

    def _assign_forms(self, pupils: list[Pupil], year: int) -> None:
        """Forms keep their letter as the year group moves up; newcomers join the smallest form."""
        m = self.m
        for yg in range(m.first_year_group, m.last_year_group + 1):
            group = [p for p in pupils if self.year_group(p, year) == yg]
            counts = [0] * m.forms_per_year
            for p in group:
                if "form" in p.history.get(year - 1, {}):
                    counts[p.form_letter] += 1
            for p in group:
                if "form" not in p.history.get(year - 1, {}):
                    k = int(np.argmin(counts))
                    p.form_letter = k
                    counts[k] += 1
                p.history[year]["form"] = self.form_name(yg, p.form_letter)

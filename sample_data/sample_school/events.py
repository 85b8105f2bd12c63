"""Marks beyond everyday absence: term-time holidays, what a school or year group shares, the rarer codes.

Religious observance on festival days, trips, fixtures, suspensions, Year 11 study leave,
Year 10 work experience, alternative provision, part-time timetables, dual registration,
the polling-day closure and a few registers never taken.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from sample_school.calendar import (
    CALENDAR,
    CURRENT_YEAR,
    EXAM_SEASON_START,
    LEGACY_CODES_END,
    RELIGIOUS_DAYS,
    WORK_EXPERIENCE_WEEK,
    Y11_LAST_DAY,
    holiday_breaks,
    iso,
)
from sample_school.model import SchoolModel
from sample_school.people import Pupil

HOLIDAY_PRONE = ("APKN", "ABAN", "WOTH", "BAFR")  # families more likely to travel far in term time


def holidays(r: np.random.Generator, m: SchoolModel, pupils: list[Pupil], codes: np.ndarray, dates) -> None:
    """Term-time holidays, mostly in the days next to a half-term break."""
    nd = len(dates)
    breaks = holiday_breaks(dates)
    if not breaks:
        return
    for i, p in enumerate(pupils):
        chance = m.holiday_chance * min(1.0, len(breaks) / 5) * (1.4 if p.ethnicity in HOLIDAY_PRONE else 1.0)
        if r.random() >= chance:
            continue
        b = breaks[int(r.integers(len(breaks)))]
        length = int(r.integers(2, 7))
        span = range(max(0, b - length), b) if r.random() < 0.5 else range(b, min(nd, b + length))
        day0 = dates[span[0]]
        code = ("H" if r.random() < 0.3 else "G") if day0 < LEGACY_CODES_END else "C" if r.random() < 0.05 else "G"
        for d in span:
            codes[i, d, :] = code


def shared_and_rare(
    r: np.random.Generator,
    m: SchoolModel,
    year: int,
    pupils: list[Pupil],
    codes: np.ndarray,
    dates,
    weekday: np.ndarray,
    yg: np.ndarray,
) -> None:
    """Marks the whole school or a year group shares, and the rarer codes for a few pupils.

    Each part sees who was present before any of them was marked.
    """
    present = np.isin(codes, ["/", "\\", "L"])
    _religious_observance(r, pupils, codes, dates, present)
    _trips_and_fixtures(r, m, codes, weekday, yg, present)
    if not m.primary:
        _suspensions(r, year, pupils, codes)
        if year in EXAM_SEASON_START:
            _study_leave_and_work_experience(r, year, codes, dates, yg, present)
        _alternative_provision(pupils, codes, dates, weekday, present)
    _part_time_and_dual_registration(r, m, codes, dates, weekday, present)
    _closure_and_registers_not_taken(r, year, pupils, codes, dates)


def _religious_observance(r, pupils, codes, dates, present) -> None:
    idx = {d: k for k, d in enumerate(dates)}
    for day, groups in RELIGIOUS_DAYS.items():
        k = idx.get(iso(day))
        if k is None:
            continue
        for i, p in enumerate(pupils):
            if p.ethnicity in groups and r.random() < 0.45:
                codes[i, k, :] = np.where(present[i, k], "R", codes[i, k, :])


def _trips_and_fixtures(r, m: SchoolModel, codes, weekday, yg, present) -> None:
    """Educational visits for a year group, and sports fixtures on Wednesday afternoons."""
    n, nd = codes.shape[:2]
    for g in range(m.first_year_group, m.last_year_group + 1):
        for k in r.choice(nd, size=max(1, round(2 * nd / 190)), replace=False):
            going = (yg == g) & (r.random(n) < 0.35)
            codes[going, k, :] = np.where(present[going, k], "V", codes[going, k, :])
    team = r.random(n) < (0.03 if m.primary else 0.06)
    for k in np.flatnonzero(weekday == 3):
        playing = team & (r.random(n) < 0.25) & present[:, k, 1]
        codes[playing, k, 1] = "P"


def _suspensions(r, year: int, pupils: list[Pupil], codes) -> None:
    """A day or three (secondary), more often for FSM and SEN pupils and for boys."""
    nd = codes.shape[1]
    for i, p in enumerate(pupils):
        h = p.history[year]
        chance = (
            0.025
            * nd
            / 190
            * (1.8 if h["fsm"] else 1)
            * (1.8 if h["sen"] != "N" else 1)
            * (1.4 if p.gender == "M" else 0.7)
        )
        if r.random() < chance:
            k = int(r.integers(0, nd - 3))
            codes[i, k : k + int(r.integers(1, 4)), :] = "E"


def _study_leave_and_work_experience(r, year: int, codes, dates, yg, present) -> None:
    """Year 11 study leave in the exam season; Year 10 work experience."""
    n = codes.shape[0]
    exams = (dates >= iso(EXAM_SEASON_START[year])) & (dates <= iso(Y11_LAST_DAY[year]))
    for k in np.flatnonzero(exams):
        for s in (0, 1):
            off = (yg == 11) & (r.random(n) < 0.15) & present[:, k, s]
            codes[off, k, s] = "S"
    wex = iso(WORK_EXPERIENCE_WEEK[year])
    for k in np.flatnonzero((dates >= wex) & (dates < wex + timedelta(days=5))):
        out = (yg == 10) & (present[:, k, 0] | present[:, k, 1]) & (r.random(n) < 0.9)
        codes[out, k, :] = "W"


def _alternative_provision(pupils: list[Pupil], codes, dates, weekday, present) -> None:
    """One day a week for the three pupils who struggle most (B before August 2024, then K)."""
    for i in np.argsort(-np.array([p.z for p in pupils]))[:3]:
        for k in np.flatnonzero(weekday == 3):
            if present[i, k, 0]:
                codes[i, k, :] = "B" if dates[k] < LEGACY_CODES_END else "K"


def _part_time_and_dual_registration(r, m: SchoolModel, codes, dates, weekday, present) -> None:
    """A part-time timetable (afternoons off for a half-term or two); Tuesdays and Thursdays at another school."""
    n, nd = codes.shape[:2]
    for i in r.choice(n, size=1 if m.primary else 2, replace=False):
        first = int(r.integers(0, max(1, nd - 60)))
        span = slice(first, min(nd, first + int(r.integers(30, 60))))
        codes[i, span, 1] = np.where(
            present[i, span, 1], "C2" if dates[first] >= LEGACY_CODES_END else "C", codes[i, span, 1]
        )
    for i in r.choice(n, size=1 if m.primary else 2, replace=False):
        both = np.isin(weekday, [2, 4])
        codes[i, both, :] = "D"


def _closure_and_registers_not_taken(r, year: int, pupils: list[Pupil], codes, dates) -> None:
    """The planned closure day ('#' for everyone), and a form's session left blank ('-') on a few dates."""
    nd = codes.shape[1]
    idx = {d: k for k, d in enumerate(dates)}
    closure = CALENDAR[year]["closure"]
    if closure and iso(closure) in idx:
        codes[:, idx[iso(closure)], :] = "#"
    forms = sorted({p.history[year]["form"] for p in pupils})
    form_of = np.array([p.history[year]["form"] for p in pupils])
    for _ in range(4 if year != CURRENT_YEAR else 2):
        f, k, s = forms[int(r.integers(len(forms)))], int(r.integers(nd)), int(r.integers(2))
        codes[form_of == f, k, s] = "-"
    if year == CURRENT_YEAR:  # the last Friday afternoon is still being chased
        f = forms[int(r.integers(len(forms)))]
        codes[form_of == f, nd - 1, 1] = "-"

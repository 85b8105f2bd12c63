"""Lesson registers (secondary): the session mark carried into each lesson, truancy after registration, lateness."""

from __future__ import annotations

from datetime import date

import numpy as np

from sample_school.model import SEED
from sample_school.people import Pupil
from sample_school.timetable import OPTION_BLOCKS, PERIODS, SETTED, SUBJECTS, weekly_grid

PRESENT = ("/", "\\", "-", "L")  # session marks after which the pupil is expected in lessons


def lesson_rows(year: int, pupils: list[Pupil], days: list[date], codes: np.ndarray) -> list[str]:
    """Lesson-register lines for a year (``UPN,Date,Period,Subject,Class,Mark,Minutes Late``), pupil by pupil.

    Its own generator, so the session marks do not shift when lessons change.
    """
    r = np.random.default_rng(SEED + year)
    grid = weekly_grid()
    rows = []
    for i in np.argsort([p.upn for p in pupils], kind="stable"):
        p = pupils[i]
        yg = p.history[year]["year_group"]
        band = 0 if p.form_letter < 4 else 1
        week = grid[yg, band]
        set_no = 1 + min(3, max(0, int((1.2 - p.attainment) * 1.6)))
        u = r.random((len(days), PERIODS, 3))
        for d, day in enumerate(days):
            am, pm = codes[i, d]
            if am == "" or am in ("#", "D") or pm in ("#", "D"):
                continue
            ds = day.strftime("%d/%m/%Y")
            wd = day.weekday()
            for k in range(PERIODS):
                slot = week[wd * PERIODS + k]
                subject = p.options[slot] if slot in OPTION_BLOCKS else slot
                cls = _class_name(p, yg, "XY"[band], slot, subject, set_no)
                mark, late = _lesson_mark(p, am if k < 3 else pm, k, wd, subject, u[d, k])
                rows.append(f"{p.upn},{ds},P{k + 1},{SUBJECTS[subject]},{cls},{mark},{late}")
    return rows


def _class_name(p: Pupil, yg: int, band: str, slot: str, subject: str, set_no: int) -> str:
    """Sets in Maths, English and Science (``9X/Ma2``); two option groups per band; four groups otherwise."""
    if subject in SETTED:
        return f"{yg}{band}/{subject}{set_no}"
    if slot in OPTION_BLOCKS:
        return f"{yg}{band}/{subject}{1 + p.form_letter % 2}"
    return f"{yg}{band}/{subject}{1 + p.form_letter % 4}"


def _lesson_mark(p: Pupil, session: str, k: int, wd: int, subject: str, u: np.ndarray) -> tuple[str, str]:
    """(mark, minutes late) for period ``k`` (0-4) on weekday ``wd`` (0 = Monday), given the session mark."""
    late = ""
    if session in PRESENT:
        mark = "/"
        if session == "L" and k in (0, 3):
            mark, late = "L", str(3 + int(u[1] * 22))
        elif subject in p.skip_subjects and u[0] < p.skip_rate:
            mark = "N" if u[1] < 0.7 else "O"
        elif u[0] < 0.003 + 0.01 * (k == 4 and wd == 4):
            mark = "O"
        elif u[2] < 0.02:
            mark, late = "L", str(1 + int(u[1] * 12))
    elif session == "U":
        mark = "U" if k == 0 else "/"
        late = str(31 + int(u[1] * 30)) if k == 0 else ""
    elif session == "M" and u[2] < 0.3:
        mark = "/"  # back from the appointment for the last lesson of the session
    else:
        mark = session
    return mark, late

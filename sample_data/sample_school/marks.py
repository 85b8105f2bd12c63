"""A year's session marks: each pupil's daily chance of absence, spells, and half-day patterns.

Absence comes in spells (a day-to-day Markov chain) whose chance of starting depends on the
pupil's propensity, the weekday, the season (winter illness, a summer rise), the days next to a
holiday and, for a few pupils, a steady decline through the year or a rise after the autumn
half-term. Half-day patterns (Friday afternoons, lateness, appointments) and a one-off long
illness come on top; ``events`` adds what a school or year group shares and the rarer codes.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import numpy as np

from sample_school import events
from sample_school.calendar import CURRENT_YEAR, half_term_index, holiday_breaks, school_days
from sample_school.model import SchoolModel
from sample_school.people import Pupil

WEEKDAY_FACTOR = np.array([0, 1.12, 0.97, 0.86, 0.97, 1.1])  # by ISO weekday: Mondays and Fridays worst
SEASON = np.array([0, 1.3, 1.22, 1.0, 0.95, 1.0, 1.12, 1.22, 0, 0.95, 1.0, 1.1, 1.25])  # by month: winter illness
HOLIDAY_EDGE = 1.3  # the days either side of a holiday


class Registers(NamedTuple):
    """A year's session marks: ``codes[i, d, s]`` is pupil i's mark on day d, morning (0) or afternoon (1)."""

    pupils: list[Pupil]
    days: list[date]
    codes: np.ndarray


class Traits(NamedTuple):
    """This year's characteristics of every pupil on roll, as arrays in the roll's order."""

    fsm: np.ndarray
    sen: np.ndarray
    cin: np.ndarray
    lac: np.ndarray
    eal: np.ndarray
    year_group: np.ndarray
    z: np.ndarray
    severe: np.ndarray
    late: np.ndarray

    @classmethod
    def of(cls, pupils: list[Pupil], year: int) -> Traits:
        h = [p.history[year] for p in pupils]
        return cls(
            fsm=np.array([x["fsm"] for x in h], dtype=float),
            sen=np.array([x["sen"] for x in h]),
            cin=np.array([x["cin"] for x in h], dtype=float),
            lac=np.array([x["lac"] for x in h], dtype=float),
            eal=np.array([p.eal for p in pupils], dtype=float),
            year_group=np.array([x["year_group"] for x in h], dtype=float),
            z=np.array([p.z for p in pupils]),
            severe=np.array([p.severe for p in pupils]),
            late=np.array([p.late for p in pupils]),
        )


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def simulate_year(
    r: np.random.Generator, m: SchoolModel, year: int, pupils: list[Pupil]
) -> tuple[np.ndarray, dict[str, float]]:
    """Session marks (pupil x day x AM/PM) for everyone on roll this year, and each pupil's propensity shift for next year.

    Cells outside a pupil's time on roll are empty.
    """
    days = school_days(year)
    dates = np.array(days)
    weekday = np.array([d.isoweekday() for d in days])
    t = Traits.of(pupils, year)
    yg = t.year_group - m.first_year_group
    rate, unauth_share = _propensity(r, m, t, yg)
    trend, shift = _trends(r, m, t, half_term_index(year, days))
    season = SEASON[np.array([d.month for d in days])]
    edge = np.ones(len(days))
    for a in holiday_breaks(dates):
        edge[a] = edge[a - 1] = HOLIDAY_EDGE
    p_day = np.clip(rate[:, None] * trend * (WEEKDAY_FACTOR[weekday] * season * edge)[None, :], 0, 0.97)
    stay = np.maximum(
        np.where(t.severe, 0.88, 0.42 + 0.1 * (t.z > 1)), np.minimum(p_day.max(axis=1) + 0.15, 0.95)
    )  # the chance an absence carries on to the next day
    codes = _spells(r, m, p_day, stay, unauth_share, current=year == CURRENT_YEAR)
    _half_days(r, pupils, codes, weekday)
    _long_illness(r, codes)
    events.holidays(r, m, pupils, codes, dates)
    events.shared_and_rare(r, m, year, pupils, codes, dates, weekday, t.year_group)
    codes[~_on_roll(pupils, days)] = ""
    return codes, {p.upn: float(shift[i]) for i, p in enumerate(pupils)}


def _on_roll(pupils: list[Pupil], days: list[date]) -> np.ndarray:
    """Pupil x day: True between admission and leaving."""
    dates = np.array(days)
    on = np.zeros((len(pupils), len(days)), dtype=bool)
    for i, p in enumerate(pupils):
        lo = p.admission if p.admission > days[0] else days[0]
        hi = p.leaving or days[-1]
        on[i] = (dates >= lo) & (dates <= hi)
    return on


def _propensity(r: np.random.Generator, m: SchoolModel, t: Traits, yg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pupil's typical daily chance of absence, and the share of their spells that are unauthorised."""
    n = len(t.z)
    logit = (
        m.base
        + m.spread * t.z
        + 0.95 * t.fsm
        + 0.35 * (t.sen == "K")
        + 0.7 * (t.sen == "E")
        + 0.95 * t.cin
        + 0.35 * t.lac
        - 0.3 * t.eal
        + m.year_slope * yg
    )
    rate = _sigmoid(logit)
    rate = np.where(t.severe, r.uniform(0.45, 0.8, n), rate)
    unauth_share = _sigmoid(m.unauth_base + 0.45 * t.z + 0.5 * t.fsm + 0.12 * yg + 0.8 * t.severe + r.normal(0, 0.6, n))
    return rate, unauth_share


def _trends(r: np.random.Generator, m: SchoolModel, t: Traits, half: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Trends inside the year (a steady decline for a few, a rise after the autumn half-term for others),
    and the shift in propensity each carries into next year."""
    n, nd = len(t.z), len(half)
    frac = np.arange(nd) / max(nd - 1, 1)
    trend = np.ones((n, nd))
    decline = r.random(n) < 0.04
    k = r.uniform(1.0, 2.2, n)
    trend[decline] = np.exp(np.outer(k[decline], frac))
    riser = (r.random(n) < 0.05 + 0.05 * (t.late > 0.04)) & ~decline
    lift = r.uniform(2.0, 4.5, n)
    trend[riser] = np.where(half[None, :] >= 1, lift[riser, None], 1.0)
    shift = np.zeros(n)
    shift[decline] = 0.45 * k[decline] / m.spread
    shift[riser] = 0.45 * np.log(lift[riser]) / m.spread
    return trend, shift


def _spells(
    r: np.random.Generator, m: SchoolModel, p_day: np.ndarray, stay: np.ndarray, unauth_share: np.ndarray, current: bool
) -> np.ndarray:
    """Day by day: who starts or carries on a spell of absence, and the reason a spell is given."""
    n, nd = p_day.shape
    codes = np.full((n, nd, 2), "/", dtype="<U2")
    codes[:, :, 1] = "\\" if m.primary else "/"  # some MIS write PM presence as a backslash
    absent = np.zeros(n, dtype=bool)
    reason = np.full(n, "I", dtype="<U2")
    for d in range(nd):
        pd_ = p_day[:, d]
        start = pd_ * (1 - stay) / np.maximum(1 - pd_, 0.03)
        u = r.random(n)
        new_abs = np.where(absent, u < stay, u < start)
        begins = new_abs & ~absent
        unauth = r.random(n) < unauth_share
        recent = current and d >= nd - 8  # reasons not yet established for the last fortnight
        unauth_code = np.where(r.random(n) < (0.75 if recent else 0.3), "N", "O")
        auth_code = np.where(r.random(n) < 0.03, "M", np.where(r.random(n) < 0.01, "C", "I"))
        reason = np.where(begins, np.where(unauth, unauth_code, auth_code), reason)
        absent = new_abs
        part = r.random(n)
        for s in (0, 1):
            mark = np.where(absent, reason, codes[:, d, s])
            if s == 0:  # a single-day spell is sometimes half a day: went home ill / came in late
                mark = np.where(begins & (part < 0.07), codes[:, d, s], mark)
            else:
                mark = np.where(begins & (part > 0.93), codes[:, d, s], mark)
            codes[:, d, s] = mark
    return codes


def _half_days(r: np.random.Generator, pupils: list[Pupil], codes: np.ndarray, weekday: np.ndarray) -> None:
    """Friday afternoons missed after the morning, lateness, and medical appointments."""
    n, nd = codes.shape[:2]
    present_am = codes[:, :, 0] == "/"
    present_pm = np.isin(codes[:, :, 1], ["/", "\\"])
    # Friday afternoons (and now and then another afternoon) missed after the morning.
    fri = np.array([p.friday_pm for p in pupils])
    skip_pm = (r.random((n, nd)) < fri[:, None] * np.where(weekday == 5, 1.0, 0.12)[None, :]) & present_am & present_pm
    codes[:, :, 1] = np.where(skip_pm, np.where(r.random((n, nd)) < 0.6, "O", "N"), codes[:, :, 1])
    # Lateness: L before the register closed, U after; Mondays worst.
    late = np.array([p.late for p in pupils])
    late_u = r.random((n, nd))
    late_p = late[:, None] * np.where(weekday == 1, 1.4, 1.0)[None, :]
    codes[:, :, 0] = np.where(present_am & (late_u < late_p), np.where(late_u < late_p * 0.1, "U", "L"), codes[:, :, 0])
    pm_late = present_pm & ~skip_pm & (r.random((n, nd)) < late[:, None] * 0.12)
    codes[:, :, 1] = np.where(pm_late, "L", codes[:, :, 1])
    # Medical and dental appointments: half days.
    for s in (0, 1):
        appt = r.random((n, nd)) < 0.0035
        codes[:, :, s] = np.where(appt & np.isin(codes[:, :, s], ["/", "\\", "L"]), "M", codes[:, :, s])


def _long_illness(r: np.random.Generator, codes: np.ndarray) -> None:
    """A one-off longer illness (flu, an operation) for a few pupils: high absence for a while
    that says little about the rest of the year, so absence to date alone misleads."""
    n, nd = codes.shape[:2]
    for i in np.flatnonzero(r.random(n) < 0.09 * nd / 190):
        k = int(r.integers(0, nd))
        codes[i, k : k + int(r.integers(4, 10)), :] = "I"

"""The attendance team's log (secondary), made with the registers it acted on.

Each Monday the team looks at pupils whose last four school weeks fell well below their own
usual attendance (a bad month) and acts for most of them; a stubborn case is escalated six
weeks later. Types differ in what they do: letters and first-day calls change nothing,
a meeting a little, an attendance plan or mentoring turns a real share of the following
eight weeks' absences into attendance. Pupils picked after a bad month mostly recover on
their own as well, which is why the impact page compares them with similar pupils.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from sample_school.model import SEED
from sample_school.people import Pupil

# How often each action is used and what share of the next eight weeks' absences it turns into
# attendance (the truth the impact page should find).
INTERVENTION_EFFECT = {
    "Letter": 0.0,
    "First-day call": 0.0,
    "Attendance meeting": 0.1,
    "Attendance plan": 0.35,
    "Mentoring": 0.45,
}
INTERVENTION_MIX = tuple(INTERVENTION_EFFECT)
INTERVENTION_WEIGHTS = (0.35, 0.15, 0.2, 0.15, 0.15)
ATTENDED = ["/", "\\", "L", "V", "P", "W", "K", "B"]
ABSENT_CODES = ("N", "O", "G", "U", "I", "M", "E", "C", "C1", "C2", "H", "R", "S", "T", "J1")
LIFTED = ("N", "O", "G", "U", "I")  # the absences an action can turn into attendance
NOTE = {
    "Letter": "First letter of concern sent home",
    "First-day call": "Called home on the first day of absence",
    "Attendance meeting": "Met parent: talked through barriers",
    "Attendance plan": "Attendance plan agreed with targets",
    "Mentoring": "Weekly mentoring with a learning mentor",
    "Attendance contract": "Attendance contract signed",
    "Notice to Improve": "Notice to Improve issued",
}
STAFF = ("Ms Okafor", "Mr Hughes", "Mrs Patel", "Mr Byrne")


class _Year:
    """One year's registers as the team sees them, week by week (changed in place as it acts)."""

    def __init__(self, days: list[date], codes: np.ndarray):
        self.days, self.codes = days, codes
        self.mondays = sorted({d - timedelta(days=d.weekday()) for d in days})
        self.week_of = np.array([self.mondays.index(d - timedelta(days=d.weekday())) for d in days])
        self.attended = np.isin(codes, ATTENDED)
        self.possible = self.attended | np.isin(codes, list(ABSENT_CODES))
        self.lifted: dict[tuple[int, int], np.ndarray] = {}  # (pupil, week) -> the sessions an action turned

    def bad_month(self, w: int, last_picked: np.ndarray) -> np.ndarray:
        """Pupils whose last four weeks before week ``w`` fell well below their earlier attendance."""
        attended, possible = self.attended, self.possible
        past = self.week_of < w
        recent = past & (self.week_of >= w - 4)
        rate_recent = attended[:, recent].sum(axis=(1, 2)) / np.maximum(possible[:, recent].sum(axis=(1, 2)), 1)
        rate_before = attended[:, past & ~recent].sum(axis=(1, 2)) / np.maximum(
            possible[:, past & ~recent].sum(axis=(1, 2)), 1
        )
        enough = possible[:, recent].sum(axis=(1, 2)) >= 20
        return np.flatnonzero(enough & (rate_recent < np.minimum(0.85, rate_before - 0.1)) & (w - last_picked >= 10))

    def lift(self, i: int, w: int, share: float, r: np.random.Generator) -> None:
        """Turn ``share`` of pupil i's absences in the 8 school weeks from week w into attendance."""
        if share > 0:
            before = self.codes[i].copy()
            span = (self.week_of >= w) & (self.week_of < w + 8)
            for d in np.flatnonzero(span):
                for s in (0, 1):
                    if self.codes[i, d, s] in LIFTED and r.random() < share:
                        self.codes[i, d, s] = "/"
            self.lifted[(i, w)] = before != self.codes[i]  # the truth an impact study reads
        self.attended[i] = np.isin(self.codes[i], ATTENDED)

    def still_bad(self, i: int, w: int) -> bool:
        """Below 85% in the six weeks from week ``w`` (False when the year ends sooner)."""
        if w + 6 >= len(self.mondays):
            return False
        later = (self.week_of >= w) & (self.week_of < w + 6)
        return self.attended[i, later].sum() / max(self.possible[i, later].sum(), 1) < 0.85


def intervention_history(
    year: int,
    pupils: list[Pupil],
    days: list[date],
    codes: np.ndarray,
    seed: int = SEED,
    truth: dict | None = None,
) -> list[list]:
    """What the attendance team did this year, changing ``codes`` in place: the log's rows, by date then UPN.

    A row is ``[UPN, date, type, owner, status, note, review date]``. Its own generator, so the
    rest of the sample does not shift. ``truth``, when given, receives the year's registers as the
    team left them (``truth[year]``: ``days``, ``mondays``, ``week_of``, ``possible`` and ``lifted``,
    the sessions each action turned into attendance), for ``benchmarks/impact_sample.py``.
    """
    r = np.random.default_rng(seed + 11 + year)
    registers = _Year(days, codes)
    if truth is not None:
        truth[year] = registers
    rows: list[list] = []
    last_picked = np.full(len(pupils), -99)
    for w in range(5, len(registers.mondays) - 1):
        for i in registers.bad_month(w, last_picked):
            last_picked[i] = w
            if r.random() < 0.25:  # a long list: not everyone gets something this week
                continue
            rows += _act(r, registers, pupils[i].upn, i, w)
    return sorted(rows, key=lambda x: (x[1], x[0]))


def _act(r: np.random.Generator, registers: _Year, upn: str, i: int, w: int) -> list[list]:
    """One action for pupil i in week w, and an escalation six weeks later if attendance stays low."""
    last_day = registers.days[-1]
    kind = INTERVENTION_MIX[int(r.choice(len(INTERVENTION_MIX), p=INTERVENTION_WEIGHTS))]
    when = registers.mondays[w] + timedelta(days=int(r.integers(0, 4)))
    registers.lift(i, w, INTERVENTION_EFFECT[kind], r)
    review = when + timedelta(days=42)
    still_bad = registers.still_bad(i, w)
    owner = STAFF[int(r.integers(len(STAFF)))]
    rows = [[upn, when, kind, owner, "Closed" if review < last_day else "Open", NOTE[kind], review]]
    if still_bad and r.random() < 0.6:
        later_kind = "Attendance contract" if r.random() < 0.6 else "Notice to Improve"
        when2 = when + timedelta(days=42)
        if when2 <= last_day:
            review2 = when2 + timedelta(days=28)
            status = "Closed" if review2 < last_day else "Open"
            rows.append([upn, when2, later_kind, owner, status, NOTE[later_kind], review2])
    return rows

"""Generate the sample schools: made-up pupils and registers in the formats MIS exports use.

    python sample_data/generate.py                 # the secondary school -> sample_data/secondary/
    python sample_data/generate.py --primary       # the primary school   -> sample_data/primary/
    python sample_data/generate.py --out DIR       # somewhere else (the tests compare bytes)

Everything is drawn from one seeded generator, so the same command writes the
same bytes every time (gzip and xlsx timestamps are pinned). No real pupil is
in here: names come from lists, UPNs use the non-existent authority number 999.

The model behind the marks (the figures it aims for are in sample_data/README.md):
- each pupil has a latent propensity to be absent that carries over from year
  to year with drift (so last year's persistent absence predicts this year's,
  imperfectly), shifted by FSM, SEN, CiN, LAC, EAL and year group;
- absence comes in spells (a day-to-day Markov chain) whose chance of starting
  depends on the weekday, the season (winter illness, a summer rise) and, for
  a few pupils, a steady decline through the year or a rise after the autumn
  half-term;
- on top come half-day patterns (Friday afternoons, appointments, lateness),
  term-time holidays next to half-terms, suspensions, trips, study leave,
  work experience, part-time timetables, dual registration, a polling-day
  closure and a few registers never taken;
- lesson marks follow the session mark, with post-registration truancy in
  particular subjects for some pupils, and minutes late.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import math
import re
import sys
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

SEED = 20261123  # the day the sample was frozen; change it and every file changes
HERE = Path(__file__).resolve().parent
LEGACY_CODES_END = date(2024, 8, 19)  # H and J are legacy after this date; C2, K, J1 start on it
FIXED_ZIP_TIME = (2026, 11, 23, 0, 0, 0)  # pinned timestamps inside .xlsx files, for byte-identical output

# --- calendar ------------------------------------------------------------------------------------
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
Y11_LAST_DAY = {2023: "2024-06-21", 2024: "2025-06-20", 2025: "2026-06-19"}  # last GCSE exam: Year 11 leave
EXAM_SEASON_START = {2023: "2024-05-13", 2024: "2025-05-12", 2025: "2026-05-11"}
WORK_EXPERIENCE_WEEK = {2023: "2024-07-08", 2024: "2025-07-07", 2025: "2026-07-06"}  # Year 10, a Monday
# The attendance team's actions in the sample (secondary): how often each is used and what share of the
# next eight weeks' absences it turns into attendance (the truth the impact page should find).
INTERVENTION_EFFECT = {
    "Letter": 0.0,
    "First-day call": 0.0,
    "Attendance meeting": 0.1,
    "Attendance plan": 0.35,
    "Mentoring": 0.45,
}
INTERVENTION_MIX = tuple(INTERVENTION_EFFECT)
INTERVENTION_WEIGHTS = (0.35, 0.15, 0.2, 0.15, 0.15)
ABSENT_CODES = ("N", "O", "G", "U", "I", "M", "E", "C", "C1", "C2", "H", "R", "S", "T", "J1")
NOTE = {
    "Letter": "First letter of concern sent home",
    "First-day call": "Called home on the first day of absence",
    "Attendance meeting": "Met parent: talked through barriers",
    "Attendance plan": "Attendance plan agreed with targets",
    "Mentoring": "Weekly mentoring with a learning mentor",
    "Attendance contract": "Attendance contract signed",
    "Notice to Improve": "Notice to Improve issued",
}

RELIGIOUS_DAYS = {  # school days on which some families keep a festival (code R)
    "2024-06-17": ("APKN", "ABAN", "AOTH", "BAFR", "BOTH"),  # Eid al-Adha
    "2025-03-31": ("APKN", "ABAN", "AOTH", "BAFR", "BOTH"),  # Eid al-Fitr
    "2025-06-06": ("APKN", "ABAN", "AOTH", "BAFR", "BOTH"),  # Eid al-Adha
    "2025-10-21": ("AIND",),  # Diwali
    "2026-03-20": ("APKN", "ABAN", "AOTH", "BAFR", "BOTH"),  # Eid al-Fitr
}


def _d(text: str) -> date:
    return date.fromisoformat(text)


def school_days(year: int) -> list[date]:
    """Every day with pupil registers in an academic year (the closure day included: it is marked '#')."""
    cal = CALENDAR[year]
    skip = {_d(t) for t in cal["no_pupils"]}
    days = []
    for first, last in cal["half_terms"]:
        day = _d(first)
        while day <= _d(last):
            if day.isoweekday() <= 5 and day not in skip:
                days.append(day)
            day += timedelta(days=1)
    return days


def half_term_index(year: int, days: list[date]) -> np.ndarray:
    bounds = [(_d(a), _d(b)) for a, b in CALENDAR[year]["half_terms"]]
    return np.array([next(i for i, (a, b) in enumerate(bounds) if a <= d <= b) for d in days])


# --- names and characteristics -------------------------------------------------------------------
# DfE ethnicity codes with shares for a mixed urban school, and the chance of EAL in each.
ETHNICITIES = [
    ("WBRI", 0.52, 0.01),
    ("WIRI", 0.01, 0.0),
    ("WOTH", 0.07, 0.75),
    ("WROM", 0.005, 0.6),
    ("MWBC", 0.03, 0.02),
    ("MWBA", 0.015, 0.05),
    ("MWAS", 0.015, 0.1),
    ("MOTH", 0.02, 0.1),
    ("AIND", 0.05, 0.45),
    ("APKN", 0.07, 0.55),
    ("ABAN", 0.03, 0.6),
    ("AOTH", 0.02, 0.6),
    ("BCRB", 0.02, 0.02),
    ("BAFR", 0.05, 0.5),
    ("BOTH", 0.01, 0.3),
    ("CHNE", 0.01, 0.6),
    ("OOTH", 0.015, 0.6),
    ("REFU", 0.01, 0.1),
]
# Names are fictional combinations, spelled within Windows-1252 (the wide export's encoding).
NAMES = {
    "british": (
        "Oliver George Harry Jack Noah Charlie Thomas Jacob Alfie Freddie Oscar Leo Archie Henry Joshua James "
        "William Ethan Samuel Daniel Joseph Max Logan Isaac Lucas Mason Finley Dylan Callum Kieran Reece Owen",
        "Olivia Amelia Isla Ava Emily Sophie Grace Lily Freya Ella Mia Evie Poppy Ruby Charlotte Chloë Jessica "
        "Holly Erin Megan Niamh Siân Zoë Lucy Millie Daisy Phoebe Scarlett Imogen Eleanor Rosie Abigail Ellie",
        "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White "
        "Roberts Green Hall Wood Jackson Clarke Hughes Edwards Turner Hill Moore Cooper Ward Morris King Baker "
        "Harris Lewis Marsh Fletcher Holt Pearson O'Brien O'Neill McCarthy Doherty Kavanagh Price Lloyd Griffiths",
    ),
    "white_other": (
        "Jakub Kacper Szymon Filip Mateusz Andrei Stefan Luca João Tiago Matteo Aleksander Tomas Dawid Mihai",
        "Zuzanna Julia Maja Natalia Alicja Ioana Elena Maria Beatriz Inês Sofia Giulia Emilia Oliwia Ana",
        "Nowak Kowalski Wisniewski Wójcik Kaminski Popescu Ionescu Silva Santos Ferreira Rossi Horvat Novak "
        "Kovacs Petrov Lewandowski Dumitru Costa Pereira Müller",
    ),
    "south_asian": (
        "Mohammed Muhammad Ayaan Zayn Ibrahim Hamza Yusuf Arjun Aarav Rohan Vihaan Krish Abdullah Hassan Imran "
        "Rayyan Amir Omar Ali Harjeet Jaspreet Sami",
        "Aisha Fatima Maryam Zara Hafsa Inaaya Amira Anaya Priya Riya Diya Simran Sana Layla Zainab Noor Ayesha "
        "Anika Jasleen Kavya Safa",
        "Khan Ahmed Hussain Ali Begum Rahman Patel Shah Singh Kaur Sharma Iqbal Akhtar Malik Chowdhury Islam "
        "Uddin Miah Mahmood Choudhury Gill Sandhu Mistry Parmar",
    ),
    "black": (
        "David Joshua Daniel Emmanuel Samuel Tyrese Malachi Kai Jayden Tobi Kwame Femi Chidi Ade Nathaniel "
        "Elijah Isaiah Marcus Dwayne",
        "Grace Precious Blessing Esther Ruth Adaeze Amara Chantelle Tiana Jada Abena Zainab Favour Naomi Shanice "
        "Destiny Deborah Leah",
        "Okafor Adeyemi Mensah Owusu Boateng Johnson Campbell Williams Brown Clarke Thomas Mohamed Abdi Osei "
        "Nwosu Asante Bello Francis Gordon Henry",
    ),
    "chinese": (
        "Wei Jun Hao Ming Chen Jia Zhi Kai Ethan Ryan",
        "Mei Li Xin Yi Ling Hui Jing Chloe Emily Lily",
        "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Lin Ng Wong Cheung",
    ),
}
NAME_GROUP = {
    "WBRI": "british",
    "WIRI": "british",
    "WOTH": "white_other",
    "WROM": "white_other",
    "AIND": "south_asian",
    "APKN": "south_asian",
    "ABAN": "south_asian",
    "AOTH": "south_asian",
    "BCRB": "black",
    "BAFR": "black",
    "BOTH": "black",
    "CHNE": "chinese",
}
NAME_LISTS = {k: tuple(part.split() for part in v) for k, v in NAMES.items()}

# --- the timetable (secondary) -------------------------------------------------------------------
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
PRIMARY_CLASSES = ("Acorns", "Beech", "Cedar", "Elm", "Hazel", "Maple", "Oak")  # Reception .. Year 6


@dataclass(frozen=True)
class SchoolModel:
    """The knobs that make a secondary look like a secondary and a primary like a primary."""

    name: str
    primary: bool
    first_year_group: int
    last_year_group: int
    forms_per_year: int
    cohort: int  # pupils admitted to the entry year each September
    base: float  # logit of a typical pupil's daily chance of being absent
    spread: float  # standard deviation of the latent propensity, on the logit scale
    year_slope: float  # logit added per year group above the first
    severe_share: float  # pupils whose absence is severe (school refusal, long illness)
    unauth_base: float  # logit of the share of absence spells that are unauthorised
    holiday_chance: float  # chance a pupil takes a term-time holiday in a given year
    friday_pm_skippers: float  # share of pupils who tend to miss Friday afternoons
    churn: float  # share of pupils leaving during a year (replaced by joiners)


SECONDARY = SchoolModel("secondary", False, 7, 11, 8, 240, -4.13, 0.95, 0.1, 0.014, -1.5, 0.16, 0.16, 0.03)
PRIMARY = SchoolModel("primary", True, 0, 6, 1, 30, -4.3, 1.0, -0.02, 0.006, -2.2, 0.14, 0.02, 0.03)


@dataclass
class Pupil:
    upn: str
    surname: str
    forename: str
    dob: date
    gender: str
    ethnicity: str
    eal: bool
    entry_year: int  # academic year the pupil was (or would have been) in the entry year group
    admission: date
    leaving: date | None = None
    fsm: bool = False
    sen: str = "N"
    cin: bool = False
    lac: bool = False
    z: float = 0.0  # latent propensity to be absent, carried over from year to year
    severe: bool = False
    late: float = 0.02  # chance of arriving late to the morning register
    friday_pm: float = 0.0  # chance of missing a Friday afternoon after the morning
    skip_subjects: tuple[str, ...] = ()  # subjects skipped after registering (post-registration truancy)
    skip_rate: float = 0.0
    attainment: float = 0.0  # decides the set for Maths, English and Science
    options: dict[str, str] = field(default_factory=dict)
    form_letter: int = 0
    history: dict[int, dict] = field(default_factory=dict)  # academic year -> characteristics that year


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class Generator:
    def __init__(self, model: SchoolModel, seed: int = SEED):
        self.m = model
        self.rng = np.random.default_rng(seed + (1 if model.primary else 0))
        self.pupils: list[Pupil] = []
        self.upns: set[str] = set()
        eth = np.array([e[1] for e in ETHNICITIES])
        self.eth_p = eth / eth.sum()

    # -- pupils --
    def _upn(self) -> str:
        while True:
            letter = "ABCDEFGHJKLMNPQRTUVWXYZ"[self.rng.integers(23)]
            upn = letter + "999" + "".join(str(d) for d in self.rng.integers(0, 10, 9))
            if upn not in self.upns:
                self.upns.add(upn)
                return upn

    def new_pupil(self, entry_year: int, admission: date, year: int) -> Pupil:
        r = self.rng
        e = ETHNICITIES[r.choice(len(ETHNICITIES), p=self.eth_p)]
        code = e[0]
        group = (
            NAME_GROUP.get(code)
            or ["british", "black", "south_asian", "white_other"][r.choice(4, p=[0.6, 0.2, 0.1, 0.1])]
        )
        firsts_m, firsts_f, surnames = NAME_LISTS[group]
        gender = "M" if r.random() < 0.5 else "F"
        forename = str(r.choice(firsts_m if gender == "M" else firsts_f))
        surname = str(r.choice(surnames))
        if code.startswith("M") and r.random() < 0.5:
            surname = str(r.choice(NAME_LISTS["british"][2]))
        # Born in the academic year that puts them in the entry year group on entry_year.
        age_at_entry = 4 if self.m.primary else 11
        start = date(entry_year - age_at_entry - 1, 9, 1)
        dob = start + timedelta(days=int(r.integers(0, 365)))
        fsm = r.random() < 0.24
        sen_u = r.random()
        sen = "E" if sen_u < 0.025 + 0.015 * fsm else ("K" if sen_u < 0.14 + 0.06 * fsm else "N")
        p = Pupil(
            upn=self._upn(),
            surname=surname,
            forename=forename,
            dob=dob,
            gender=gender,
            ethnicity=code,
            eal=bool(r.random() < e[2]),
            entry_year=entry_year,
            admission=admission,
            fsm=bool(fsm),
            sen=sen,
            cin=bool(r.random() < 0.015 + 0.04 * fsm),
            lac=bool(r.random() < 0.008),
            z=float(r.normal()),
        )
        p.severe = bool(r.random() < self.m.severe_share * (1.0 + 0.8 * max(p.z, 0)))
        p.late = float(min(0.35, r.lognormal(math.log(0.012), 1.0) * (1.6 if fsm else 1.0)))
        if r.random() < self.m.friday_pm_skippers * (1.5 if fsm else 1.0):
            p.friday_pm = float(r.uniform(0.05, 0.3))
        if not self.m.primary and r.random() < 0.05 + 0.04 * fsm:
            p.skip_subjects = tuple(
                r.choice(["PE", "Fr", "Ma", "Sc", "Mu", "RE", "Sp", "En"], size=int(r.integers(1, 3)), replace=False)
            )
            p.skip_rate = float(r.uniform(0.2, 0.6))
        p.attainment = float(r.normal() - 0.3 * fsm - 0.5 * (sen != "N"))
        p.options = {b: str(r.choice(subjects)) for b, subjects in OPTION_BLOCKS.items()}
        self.pupils.append(p)
        return p

    def year_group(self, p: Pupil, year: int) -> int:
        return self.m.first_year_group + year - p.entry_year

    def evolve(self, p: Pupil, shift: float) -> None:
        """A new academic year: characteristics change a little and the propensity drifts."""
        r = self.rng
        p.z = 0.8 * (p.z + shift) + 0.6 * float(r.normal())
        p.fsm = bool(r.random() < (0.94 if p.fsm else 0.03))
        if p.sen == "N" and r.random() < 0.03:
            p.sen = "K"
        elif p.sen == "K" and r.random() < 0.08:
            p.sen = "N"
        elif p.sen == "K" and r.random() < 0.05:
            p.sen = "E"
        p.cin = bool(r.random() < (0.5 if p.cin else 0.012 + 0.03 * p.fsm))
        p.lac = bool(r.random() < (0.92 if p.lac else 0.002))
        if p.severe:
            p.severe = bool(r.random() < 0.7)
        elif p.z > 1.0 and r.random() < self.m.severe_share * 1.3:
            p.severe = True

    # -- the roll --
    def roll(self) -> dict[int, list[Pupil]]:
        """Who is on roll in each academic year (joiners, leavers and the yearly cohorts)."""
        m, r = self.m, self.rng
        span = m.last_year_group - m.first_year_group
        years = sorted(CALENDAR)
        first = years[0]
        on_roll: list[Pupil] = []
        # Pupils already in the school when the sample starts: admitted in their entry September.
        for entry in range(first - span, first):
            for _ in range(m.cohort + int(r.integers(-4, 3))):
                on_roll.append(self.new_pupil(entry, date(entry, 9, 4 + int(r.integers(0, 3))), first))
        by_year: dict[int, list[Pupil]] = {}
        shifts: dict[str, float] = {}
        for year in years:
            days = school_days(year)
            first_day, last_day = days[0], days[-1]
            if year > first:
                for p in on_roll:
                    self.evolve(p, shifts.get(p.upn, 0.0))
            intake = m.cohort + int(r.integers(-3, 4))
            on_roll += [self.new_pupil(year, first_day, year) for _ in range(intake)]
            # September in-year admissions fill places left over the summer.
            for yg in range(m.first_year_group + 1, m.last_year_group + 1):
                have = sum(1 for p in on_roll if self.year_group(p, year) == yg)
                for _ in range(max(0, m.cohort - 2 - have) // 2):
                    on_roll.append(self.new_pupil(year - (yg - m.first_year_group), first_day, year))
            complete = len(CALENDAR[year]["half_terms"]) == 6
            # Mid-year leavers (more often the pupils who miss school) and the joiners who replace them.
            leavers = [
                p for p in on_roll if r.random() < m.churn * (1.6 if p.z > 1 else 1.0) * (1 if complete else 0.3)
            ]
            for p in leavers:
                p.leaving = days[int(r.integers(5, len(days) - 3))]
                yg = self.year_group(p, year)
                if r.random() < 0.85:
                    admission = days[int(r.integers(3, len(days) - 2))]
                    joiner = self.new_pupil(year - (yg - m.first_year_group), admission, year)
                    joiner.z += 0.3  # in-year admissions miss a little more school
                    on_roll.append(joiner)
            this_year = list(on_roll)
            for p in this_year:
                yg = self.year_group(p, year)
                if complete and p.leaving is None:
                    if yg == m.last_year_group:
                        # Year 11 leave after their last exam; one admitted after it stays to the end of term.
                        exams_end = _d(Y11_LAST_DAY[year]) if not m.primary else last_day
                        p.leaving = exams_end if p.admission <= exams_end else last_day
                    elif r.random() < 0.015:
                        p.leaving = last_day  # moving away over the summer
                p.history[year] = {"fsm": p.fsm, "sen": p.sen, "cin": p.cin, "lac": p.lac, "year_group": yg}
            self._assign_forms(this_year, year)
            by_year[year] = this_year
            shifts = self._simulate_year(year, this_year)
            on_roll = [p for p in this_year if p.leaving is None]
        return by_year

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

    def form_name(self, yg: int, letter: int) -> str:
        if self.m.primary:
            return PRIMARY_CLASSES[yg]
        return f"{yg}{'ABCDEFGH'[letter]}"

    # -- marks --
    def _simulate_year(self, year: int, pupils: list[Pupil]) -> dict[str, float]:
        """Session marks for every pupil on roll this year; returns each pupil's propensity shift for next year."""
        m, r = self.m, self.rng
        days = school_days(year)
        n, nd = len(pupils), len(days)
        dates = np.array(days)
        weekday = np.array([d.isoweekday() for d in days])
        month = np.array([d.month for d in days])
        half = half_term_index(year, days)
        frac = np.arange(nd) / max(nd - 1, 1)
        on = np.zeros((n, nd), dtype=bool)
        for i, p in enumerate(pupils):
            lo = p.admission if p.admission > days[0] else days[0]
            hi = p.leaving or days[-1]
            on[i] = (dates >= lo) & (dates <= hi)

        h = [p.history[year] for p in pupils]
        fsm = np.array([x["fsm"] for x in h], dtype=float)
        sen = np.array([x["sen"] for x in h])
        cin = np.array([x["cin"] for x in h], dtype=float)
        lac = np.array([x["lac"] for x in h], dtype=float)
        eal = np.array([p.eal for p in pupils], dtype=float)
        yg = np.array([x["year_group"] for x in h], dtype=float) - m.first_year_group
        z = np.array([p.z for p in pupils])
        severe = np.array([p.severe for p in pupils])
        logit = (
            m.base
            + m.spread * z
            + 0.95 * fsm
            + 0.35 * (sen == "K")
            + 0.7 * (sen == "E")
            + 0.95 * cin
            + 0.35 * lac
            - 0.3 * eal
            + m.year_slope * yg
        )
        rate = _sigmoid(logit)
        rate = np.where(severe, r.uniform(0.45, 0.8, n), rate)
        unauth_share = _sigmoid(m.unauth_base + 0.45 * z + 0.5 * fsm + 0.12 * yg + 0.8 * severe + r.normal(0, 0.6, n))

        # Trends inside the year: a steady decline for a few, a rise after the autumn half-term for others.
        trend = np.ones((n, nd))
        decline = r.random(n) < 0.04
        k = r.uniform(1.0, 2.2, n)
        trend[decline] = np.exp(np.outer(k[decline], frac))
        riser = (r.random(n) < 0.05 + 0.05 * (np.array([p.late for p in pupils]) > 0.04)) & ~decline
        lift = r.uniform(2.0, 4.5, n)
        trend[riser] = np.where(half[None, :] >= 1, lift[riser, None], 1.0)
        shift = np.zeros(n)
        shift[decline] = 0.45 * k[decline] / m.spread
        shift[riser] = 0.45 * np.log(lift[riser]) / m.spread

        weekday_factor = np.array([0, 1.12, 0.97, 0.86, 0.97, 1.1])[weekday]
        season = np.array([0, 1.3, 1.22, 1.0, 0.95, 1.0, 1.12, 1.22, 0, 0.95, 1.0, 1.1, 1.25])[month]
        edge = np.ones(nd)  # the days either side of a holiday
        for a in range(1, nd):
            if (dates[a] - dates[a - 1]).days > 3:
                edge[a] = edge[a - 1] = 1.3
        p_day = np.clip(rate[:, None] * trend * (weekday_factor * season * edge)[None, :], 0, 0.97)
        stay = np.maximum(np.where(severe, 0.88, 0.42 + 0.1 * (z > 1)), np.minimum(p_day.max(axis=1) + 0.15, 0.95))

        codes = np.full((n, nd, 2), "/", dtype="<U2")
        codes[:, :, 1] = "\\" if m.primary else "/"  # some MIS write PM presence as a backslash
        absent = np.zeros(n, dtype=bool)
        reason = np.full(n, "I", dtype="<U2")
        current = year == max(CALENDAR)
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
        present_am = codes[:, :, 0] == "/"
        present_pm = np.isin(codes[:, :, 1], ["/", "\\"])

        # Friday afternoons (and now and then another afternoon) missed after the morning.
        fri = np.array([p.friday_pm for p in pupils])
        skip_pm = (
            (r.random((n, nd)) < fri[:, None] * np.where(weekday == 5, 1.0, 0.12)[None, :]) & present_am & present_pm
        )
        codes[:, :, 1] = np.where(skip_pm, np.where(r.random((n, nd)) < 0.6, "O", "N"), codes[:, :, 1])
        # Lateness: L before the register closed, U after; Mondays worst.
        late = np.array([p.late for p in pupils])
        late_u = r.random((n, nd))
        late_p = late[:, None] * np.where(weekday == 1, 1.4, 1.0)[None, :]
        codes[:, :, 0] = np.where(
            present_am & (late_u < late_p), np.where(late_u < late_p * 0.1, "U", "L"), codes[:, :, 0]
        )
        pm_late = present_pm & ~skip_pm & (r.random((n, nd)) < late[:, None] * 0.12)
        codes[:, :, 1] = np.where(pm_late, "L", codes[:, :, 1])
        # Medical and dental appointments: half days.
        for s in (0, 1):
            appt = r.random((n, nd)) < 0.0035
            codes[:, :, s] = np.where(appt & np.isin(codes[:, :, s], ["/", "\\", "L"]), "M", codes[:, :, s])

        # A one-off longer illness (flu, an operation) for a few pupils: high absence for a while
        # that says little about the rest of the year, so absence to date alone misleads.
        for i in np.flatnonzero(r.random(n) < 0.09 * nd / 190):
            k = int(r.integers(0, nd))
            codes[i, k : k + int(r.integers(4, 10)), :] = "I"
        self._holidays(year, pupils, codes, dates, half)
        self._events(year, pupils, codes, dates, weekday, yg + m.first_year_group)
        codes[~on] = ""
        self.marks[year] = (pupils, days, codes)
        return {p.upn: float(shift[i]) for i, p in enumerate(pupils)}

    def _holidays(self, year, pupils, codes, dates, half) -> None:
        """Term-time holidays, mostly in the days next to a half-term break."""
        r, nd = self.rng, len(dates)
        breaks = [i for i in range(1, nd) if (dates[i] - dates[i - 1]).days > 3]
        if not breaks:
            return
        for i, p in enumerate(pupils):
            chance = (
                self.m.holiday_chance
                * min(1.0, len(breaks) / 5)
                * (1.4 if p.ethnicity in ("APKN", "ABAN", "WOTH", "BAFR") else 1.0)
            )
            if r.random() >= chance:
                continue
            b = breaks[int(r.integers(len(breaks)))]
            length = int(r.integers(2, 7))
            span = range(max(0, b - length), b) if r.random() < 0.5 else range(b, min(nd, b + length))
            day0 = dates[span[0]]
            code = ("H" if r.random() < 0.3 else "G") if day0 < LEGACY_CODES_END else "C" if r.random() < 0.05 else "G"
            for d in span:
                codes[i, d, :] = code

    def _events(self, year, pupils, codes, dates, weekday, yg) -> None:
        """Marks the whole school or a year group shares, and the rarer codes for a few pupils."""
        m, r, n, nd = self.m, self.rng, len(pupils), len(dates)
        idx = {d: k for k, d in enumerate(dates)}
        present = np.isin(codes, ["/", "\\", "L"])
        # Religious observance on festival days.
        for day, groups in RELIGIOUS_DAYS.items():
            k = idx.get(_d(day))
            if k is None:
                continue
            for i, p in enumerate(pupils):
                if p.ethnicity in groups and r.random() < 0.45:
                    codes[i, k, :] = np.where(present[i, k], "R", codes[i, k, :])
        # Educational visits for a year group, and sports fixtures on Wednesday afternoons.
        for g in range(m.first_year_group, m.last_year_group + 1):
            for k in r.choice(nd, size=max(1, round(2 * nd / 190)), replace=False):
                going = (yg == g) & (r.random(n) < 0.35)
                codes[going, k, :] = np.where(present[going, k], "V", codes[going, k, :])
        team = r.random(n) < (0.03 if m.primary else 0.06)
        for k in np.flatnonzero(weekday == 3):
            playing = team & (r.random(n) < 0.25) & present[:, k, 1]
            codes[playing, k, 1] = "P"
        # Suspensions (secondary): a day or three, more often for FSM and SEN pupils.
        if not m.primary:
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
            # Year 11 study leave in the exam season; Year 10 work experience.
            if year in EXAM_SEASON_START:
                exams = (dates >= _d(EXAM_SEASON_START[year])) & (dates <= _d(Y11_LAST_DAY[year]))
                for k in np.flatnonzero(exams):
                    for s in (0, 1):
                        off = (yg == 11) & (r.random(n) < 0.15) & present[:, k, s]
                        codes[off, k, s] = "S"
                wex = _d(WORK_EXPERIENCE_WEEK[year])
                for k in np.flatnonzero((dates >= wex) & (dates < wex + timedelta(days=5))):
                    out = (yg == 10) & (present[:, k, 0] | present[:, k, 1]) & (r.random(n) < 0.9)
                    codes[out, k, :] = "W"
            # Alternative provision one day a week for a few pupils who struggle (B before August 2024, then K).
            ap = np.argsort(-np.array([p.z for p in pupils]))[:3]
            for i in ap:
                for k in np.flatnonzero(weekday == 3):
                    if present[i, k, 0]:
                        codes[i, k, :] = "B" if dates[k] < LEGACY_CODES_END else "K"
        # A part-time timetable for two pupils (afternoons off for a half-term or two).
        for i in r.choice(n, size=1 if m.primary else 2, replace=False):
            first = int(r.integers(0, max(1, nd - 60)))
            span = slice(first, min(nd, first + int(r.integers(30, 60))))
            codes[i, span, 1] = np.where(
                present[i, span, 1], "C2" if dates[first] >= LEGACY_CODES_END else "C", codes[i, span, 1]
            )
        # Dual registration: one or two pupils spend Tuesdays and Thursdays at another school.
        for i in r.choice(n, size=1 if m.primary else 2, replace=False):
            both = np.isin(weekday, [2, 4])
            codes[i, both, :] = "D"
        # The planned closure day: '#' for everyone.
        closure = CALENDAR[year]["closure"]
        if closure and _d(closure) in idx:
            codes[:, idx[_d(closure)], :] = "#"
        # Registers not taken: a form's session left blank on a few dates.
        forms = sorted({p.history[year]["form"] for p in pupils})
        form_of = np.array([p.history[year]["form"] for p in pupils])
        for _ in range(4 if year != max(CALENDAR) else 2):
            f, k, s = forms[int(r.integers(len(forms)))], int(r.integers(nd)), int(r.integers(2))
            codes[form_of == f, k, s] = "-"
        if year == max(CALENDAR):  # the last Friday afternoon is still being chased
            f = forms[int(r.integers(len(forms)))]
            codes[form_of == f, nd - 1, 1] = "-"

    marks: dict[int, tuple]

    def run(self) -> dict[int, list[Pupil]]:
        self.marks = {}
        return self.roll()

    # -- interventions --
    def intervention_history(self, year: int) -> list[list[str]]:
        """What the attendance team did this year, and what it changed in the registers.

        Each Monday the team looks at pupils whose last four school weeks fell well below their own
        usual attendance (a bad month) and acts for most of them; a stubborn case is escalated six
        weeks later. Types differ in what they do: letters and first-day calls change nothing,
        a meeting a little, an attendance plan or mentoring turns a real share of the following
        eight weeks' absences into attendance. Pupils picked after a bad month mostly recover on
        their own as well, which is why the impact page compares them with similar pupils.
        Own generator, so the rest of the sample does not shift. Returns the log file's rows.
        """
        r = np.random.default_rng(SEED + 11 + year)
        pupils, days, codes = self.marks[year]
        mondays = sorted({d - timedelta(days=d.weekday()) for d in days})
        week_of = np.array([mondays.index(d - timedelta(days=d.weekday())) for d in days])
        attended = np.isin(codes, ["/", "\\", "L", "V", "P", "W", "K", "B"])
        possible = attended | np.isin(codes, list(ABSENT_CODES))
        first = week_of
        staff = ("Ms Okafor", "Mr Hughes", "Mrs Patel", "Mr Byrne")
        rows: list[list[str]] = []
        last_picked = np.full(len(pupils), -99)
        for w in range(5, len(mondays) - 1):
            past = first < w
            recent = past & (first >= w - 4)
            rate_recent = attended[:, recent].sum(axis=(1, 2)) / np.maximum(possible[:, recent].sum(axis=(1, 2)), 1)
            rate_before = attended[:, past & ~recent].sum(axis=(1, 2)) / np.maximum(
                possible[:, past & ~recent].sum(axis=(1, 2)), 1
            )
            enough = possible[:, recent].sum(axis=(1, 2)) >= 20
            flagged = np.flatnonzero(
                enough & (rate_recent < np.minimum(0.85, rate_before - 0.1)) & (w - last_picked >= 10)
            )
            for i in flagged:
                last_picked[i] = w
                if r.random() < 0.25:  # a long list: not everyone gets something this week
                    continue
                kind = INTERVENTION_MIX[int(r.choice(len(INTERVENTION_MIX), p=INTERVENTION_WEIGHTS))]
                when = mondays[w] + timedelta(days=int(r.integers(0, 4)))
                self._lift(codes, week_of, i, w, INTERVENTION_EFFECT[kind], r)
                attended[i] = np.isin(codes[i], ["/", "\\", "L", "V", "P", "W", "K", "B"])
                review = when + timedelta(days=42)
                still_bad = False
                if w + 6 < len(mondays):
                    later = (first >= w) & (first < w + 6)
                    got = attended[i, later].sum() / max(possible[i, later].sum(), 1)
                    still_bad = got < 0.85
                owner = staff[int(r.integers(len(staff)))]
                status = "Closed" if review < days[-1] else "Open"
                rows.append([pupils[i].upn, when, kind, owner, status, NOTE[kind], review])
                if still_bad and r.random() < 0.6:
                    later_kind = "Attendance contract" if r.random() < 0.6 else "Notice to Improve"
                    when2 = when + timedelta(days=42)
                    if when2 <= days[-1]:
                        review2 = when2 + timedelta(days=28)
                        rows.append(
                            [
                                pupils[i].upn,
                                when2,
                                later_kind,
                                owner,
                                "Closed" if review2 < days[-1] else "Open",
                                NOTE[later_kind],
                                review2,
                            ]
                        )
        return [[u, _dmy(d), k, o, s, n, _dmy(rv)] for u, d, k, o, s, n, rv in sorted(rows, key=lambda x: (x[1], x[0]))]

    @staticmethod
    def _lift(codes, week_of, i: int, w: int, share: float, r) -> None:
        """Turn ``share`` of pupil i's absences in the 8 school weeks from week w into attendance."""
        if share <= 0:
            return
        span = (week_of >= w) & (week_of < w + 8)
        for d in np.flatnonzero(span):
            for s in (0, 1):
                if codes[i, d, s] in ("N", "O", "G", "U", "I") and r.random() < share:
                    codes[i, d, s] = "/"

    # -- lessons --
    def timetable(self) -> dict[tuple[int, int], list[str]]:
        """A weekly grid (25 slots) for each year group and half-year band."""
        r = np.random.default_rng(SEED + 7)
        grid = {}
        for g in range(7, 12):
            week = KS3_WEEK if g <= 9 else KS4_WEEK
            for band in (0, 1):
                slots = [s for s, c in week.items() for _ in range(c)]
                grid[g, band] = [str(s) for s in r.permutation(slots)]
        return grid

    def lesson_rows(self, year: int) -> list[str]:
        """Lesson-register lines for a year: the session mark carried into each lesson, plus truancy and lateness."""
        pupils, days, codes = self.marks[year]
        r = np.random.default_rng(SEED + year)
        grid = self.timetable()
        rows = []
        for i in np.argsort([p.upn for p in pupils], kind="stable"):
            p = pupils[i]
            yg = p.history[year]["year_group"]
            band = 0 if p.form_letter < 4 else 1
            band_name = "XY"[band]
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
                    s = am if k < 3 else pm
                    slot = week[wd * PERIODS + k]
                    subject = p.options[slot] if slot in OPTION_BLOCKS else slot
                    if subject in SETTED:
                        cls = f"{yg}{band_name}/{subject}{set_no}"
                    elif slot in OPTION_BLOCKS:
                        cls = f"{yg}{band_name}/{subject}{1 + p.form_letter % 2}"
                    else:
                        cls = f"{yg}{band_name}/{subject}{1 + p.form_letter % 4}"
                    late = ""
                    if s in ("/", "\\", "-", "L"):
                        mark = "/"
                        if s == "L" and k in (0, 3):
                            mark, late = "L", str(3 + int(u[d, k, 1] * 22))
                        elif subject in p.skip_subjects and u[d, k, 0] < p.skip_rate:
                            mark = "N" if u[d, k, 1] < 0.7 else "O"
                        elif u[d, k, 0] < 0.003 + 0.01 * (k == 4 and wd == 4):
                            mark = "O"
                        elif u[d, k, 2] < 0.02:
                            mark, late = "L", str(1 + int(u[d, k, 1] * 12))
                    elif s == "U":
                        mark = "U" if k == 0 else "/"
                        late = str(31 + int(u[d, k, 1] * 30)) if k == 0 else ""
                    elif s == "M" and u[d, k, 2] < 0.3:
                        mark = "/"  # back from the appointment for the last lesson of the session
                    else:
                        mark = s
                    rows.append(f"{p.upn},{ds},P{k + 1},{SUBJECTS[subject]},{cls},{mark},{late}")
        return rows


# --- writers -------------------------------------------------------------------------------------


def _gzip_bytes(content: str | bytes) -> bytes:
    """Gzip with no file name and a zero timestamp, so the bytes depend only on the content."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(content.encode("utf-8") if isinstance(content, str) else content)
    return buf.getvalue()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def _xlsx_bytes(header: list[str], rows: list[list], sheet: str) -> bytes:
    """An Excel file whose bytes depend only on its content (openpyxl stamps the time; we pin it)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append(row)
    for cell in ws["D"][1:] + ws["N"][1:] + ws["O"][1:]:
        cell.number_format = "dd/mm/yyyy"
    fixed = datetime(*FIXED_ZIP_TIME)
    wb.properties.creator = "Sample generator"
    wb.properties.created = fixed
    raw = io.BytesIO()
    wb.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                stamp = fixed.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            info = zipfile.ZipInfo(item.filename, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    return out.getvalue()


def _yes_no(v: bool) -> str:
    return "Yes" if v else "No"


def _dmy(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def _label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def write_pupils(gen: Generator, year: int, pupils: list[Pupil], out: Path, style: str) -> str:
    """A pupils file in one of the MIS styles: 'sims' (xlsx), 'arbor' (CSV) or 'primary' (CSV)."""
    days = school_days(year)
    first, last = days[0], days[-1]
    ordered = sorted(
        pupils, key=lambda p: (p.history[year]["year_group"], p.history[year]["form"], p.surname, p.forename, p.upn)
    )

    def leaving(p: Pupil) -> date | None:
        return p.leaving if p.leaving and first <= p.leaving <= last else None

    sen_words = {"N": "No Special Educational Need", "K": "SEN Support", "E": "Education, Health and Care Plan"}
    if style == "sims":
        header = ["UPN", "Legal Surname", "Legal Forename", "DOB", "Year", "Reg", "Gender", "Ethnicity", "FSM Eligible"]
        header += ["SEN Provision", "EAL", "Child in Need", "Looked After", "Admission Date", "Leaving Date"]
        rows = []
        for p in ordered:
            h = p.history[year]
            rows.append(
                [
                    p.upn,
                    p.surname,
                    p.forename,
                    p.dob,
                    f"Year {h['year_group']}",
                    h["form"],
                    "Male" if p.gender == "M" else "Female",
                    p.ethnicity,
                    _yes_no(h["fsm"]),
                    sen_words[h["sen"]] if year % 2 else h["sen"],
                    _yes_no(p.eal),
                    _yes_no(h["cin"]),
                    _yes_no(h["lac"]),
                    p.admission,
                    leaving(p),
                ]
            )
        name = f"pupils_{_label(year)}.xlsx"
        _write(out / name, _xlsx_bytes(header, rows, "Students"))
        return name
    if style == "arbor":
        header = ["Student ID", "Surname", "First Name", "Date of Birth", "NC Year", "Tutor Group", "Sex", "Ethnicity"]
        header += ["FSM", "SEN Status", "First Language", "CiN", "LAC", "Admission Date", "Leaving Date"]
        rows = []
        for p in ordered:
            h = p.history[year]
            language = {"AIND": "Gujarati", "APKN": "Urdu", "ABAN": "Bengali", "WOTH": "Polish", "WROM": "Romanian"}
            rows.append(
                [
                    p.upn,
                    p.surname,
                    p.forename,
                    _dmy(p.dob),
                    f"Y{h['year_group']}",
                    h["form"],
                    p.gender,
                    p.ethnicity,
                    "Y" if h["fsm"] else "N",
                    h["sen"],
                    language.get(p.ethnicity, "Other") if p.eal else "English",
                    "Y" if h["cin"] else "N",
                    "Y" if h["lac"] else "N",
                    _dmy(p.admission),
                    _dmy(leaving(p)),
                ]
            )
        name = f"pupils_{_label(year)}.csv"
        _write(out / name, _csv_text(header, rows).encode("utf-8-sig"))
        return name
    header = ["UPN", "Surname", "Forename", "Date of Birth", "Year Group", "Class", "Gender", "Ethnicity", "FSM"]
    header += ["SEN", "EAL", "CiN", "LAC", "Admission Date", "Leaving Date"]
    rows = []
    for p in ordered:
        h = p.history[year]
        yg = "R" if h["year_group"] == 0 else str(h["year_group"])
        rows.append(
            [
                p.upn,
                p.surname,
                p.forename,
                _dmy(p.dob),
                yg,
                h["form"],
                p.gender,
                p.ethnicity,
                "Y" if h["fsm"] else "N",
                h["sen"],
                "Y" if p.eal else "N",
                "Y" if h["cin"] else "N",
                "Y" if h["lac"] else "N",
                _dmy(p.admission),
                _dmy(leaving(p)),
            ]
        )
    name = f"pupils_{_label(year)}.csv"
    _write(out / name, _csv_text(header, rows).encode("utf-8"))
    return name


def write_sessions_long(gen: Generator, year: int, out: Path, style: str) -> str:
    """One row per pupil and session: 'sims' (Pupil UPN, Session Date, AM/PM, Attendance Mark) or 'arbor'."""
    pupils, days, codes = gen.marks[year]
    order = np.argsort([p.upn for p in pupils], kind="stable")
    lines = []
    if style == "sims":
        header = "Pupil UPN,Session Date,AM/PM,Attendance Mark"
        texts = [d.strftime("%d/%m/%Y") for d in days]
        names = ("AM", "PM")
    else:
        header = "Student ID,Date,Session,Mark"
        texts = [d.isoformat() for d in days]
        names = ("Morning", "Afternoon")
    for i in order:  # pupil by pupil, as MIS reports list them (and it compresses far better)
        upn = pupils[i].upn
        for d, ds in enumerate(texts):
            for s in (0, 1):
                c = codes[i, d, s]
                if c:
                    lines.append(f"{upn},{ds},{names[s]},{'' if c == '-' and s else c}")
    name = f"sessions_{_label(year)}.csv.gz"
    _write(out / name, _gzip_bytes(header + "\r\n" + "\r\n".join(lines) + "\r\n"))
    return name


def write_sessions_wide(gen: Generator, year: int, out: Path, gzipped: bool = False) -> str:
    """The register report MIS print: a row per pupil, a column per date and session, Windows-1252."""
    pupils, days, codes = gen.marks[year]
    order = sorted(
        range(len(pupils)),
        key=lambda i: (pupils[i].history[year]["form"], pupils[i].surname, pupils[i].forename, pupils[i].upn),
    )
    header = ["UPN", "Surname", "Forename", "Reg"] + [
        f"{d.strftime('%d/%m/%Y')} {s}" for d in days for s in ("AM", "PM")
    ]
    rows = []
    for i in order:
        p = pupils[i]
        # Outside a pupil's time on roll the report leaves the cell empty; a register not taken shows '-'.
        rows.append([p.upn, p.surname, p.forename, p.history[year]["form"], *list(codes[i].reshape(-1))])
    data = _csv_text(header, rows).encode("cp1252")
    name = f"sessions_{_label(year)}_wide.csv" + (".gz" if gzipped else "")
    _write(out / name, _gzip_bytes(data) if gzipped else data)
    return name


def write_lessons(gen: Generator, year: int, out: Path) -> str:
    rows = gen.lesson_rows(year)
    name = f"lessons_{_label(year)}.csv.gz"
    _write(out / name, _gzip_bytes("UPN,Date,Period,Subject,Class,Mark,Minutes Late\r\n" + "\r\n".join(rows) + "\r\n"))
    return name


# Which format each year is written in: varied on purpose, so the sample exercises the importer.
# (pupils style, sessions style, lesson marks?). Older wide registers are gzipped to keep the sample small.
INTERVENTION_YEARS = (2025, 2026)  # the log covers the last full year and the current one
INTERVENTION_FILE = "interventions.csv"
SECONDARY_FILES = {
    2023: ("arbor", "wide-gz", False),
    2024: ("sims", "wide-gz", False),
    2025: ("sims", "long-sims", True),
    2026: ("sims", "wide", True),
}
PRIMARY_FILES = {
    2023: ("primary", "wide-gz", False),
    2024: ("primary", "wide-gz", False),
    2025: ("primary", "long-arbor", False),
    2026: ("primary", "wide", False),
}


def generate(primary: bool = False, out: Path | None = None) -> list[Path]:
    """Write the sample school's files into ``out`` and return their paths."""
    out = Path(out) if out else HERE / ("primary" if primary else "secondary")
    gen = Generator(PRIMARY if primary else SECONDARY)
    by_year = gen.run()
    plan = PRIMARY_FILES if primary else SECONDARY_FILES
    written = []
    if not primary:  # the intervention log changes the registers it acted on, so it comes first
        log = [row for year in INTERVENTION_YEARS for row in gen.intervention_history(year)]
        header = ["UPN", "Date", "Type", "Owner", "Status", "Notes", "Review date"]
        _write(out / INTERVENTION_FILE, _csv_text(header, log).encode("utf-8"))
        written.append(INTERVENTION_FILE)
    for year, (pupil_style, session_style, lessons) in plan.items():
        written.append(write_pupils(gen, year, by_year[year], out, pupil_style))
        if session_style.startswith("wide"):
            written.append(write_sessions_wide(gen, year, out, gzipped=session_style == "wide-gz"))
        else:
            written.append(write_sessions_long(gen, year, out, session_style.split("-")[1]))
        if lessons:
            written.append(write_lessons(gen, year, out))
    return [out / name for name in written]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the sample school files (deterministic).")
    parser.add_argument("--primary", action="store_true", help="the small primary school instead of the secondary")
    parser.add_argument("--out", help="output folder (default: sample_data/secondary or sample_data/primary)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    paths = generate(args.primary, Path(args.out) if args.out else None)
    total = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} files, {total / 1e6:.1f} MB, in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

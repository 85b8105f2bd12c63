"""Who the pupils are: ethnicities, names, characteristics, and how they change from year to year.

No real pupil is in here: names are fictional combinations drawn from lists, and UPNs use
the non-existent authority number 999.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from sample_school.model import SchoolModel
from sample_school.timetable import OPTION_BLOCKS

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

_ETHNICITY_SHARES = np.array([e[1] for e in ETHNICITIES])
_ETHNICITY_P = _ETHNICITY_SHARES / _ETHNICITY_SHARES.sum()
_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # the check letters a UPN can start with
_SKIPPED = ["PE", "Fr", "Ma", "Sc", "Mu", "RE", "Sp", "En"]  # subjects some pupils skip after registering


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


def new_upn(r: np.random.Generator, taken: set[str]) -> str:
    """A UPN with the authority number 999 (none exists), never one already given out."""
    while True:
        letter = _UPN_LETTERS[r.integers(23)]
        upn = letter + "999" + "".join(str(d) for d in r.integers(0, 10, 9))
        if upn not in taken:
            taken.add(upn)
            return upn


def new_pupil(r: np.random.Generator, m: SchoolModel, entry_year: int, admission: date, taken: set[str]) -> Pupil:
    """A pupil admitted on ``admission`` who was (or would have been) in the entry year group in ``entry_year``."""
    e = ETHNICITIES[r.choice(len(ETHNICITIES), p=_ETHNICITY_P)]
    code = e[0]
    group = (
        NAME_GROUP.get(code) or ["british", "black", "south_asian", "white_other"][r.choice(4, p=[0.6, 0.2, 0.1, 0.1])]
    )
    firsts_m, firsts_f, surnames = NAME_LISTS[group]
    gender = "M" if r.random() < 0.5 else "F"
    forename = str(r.choice(firsts_m if gender == "M" else firsts_f))
    surname = str(r.choice(surnames))
    if code.startswith("M") and r.random() < 0.5:
        surname = str(r.choice(NAME_LISTS["british"][2]))
    # Born in the academic year that puts them in the entry year group on entry_year.
    age_at_entry = 4 if m.primary else 11
    start = date(entry_year - age_at_entry - 1, 9, 1)
    dob = start + timedelta(days=int(r.integers(0, 365)))
    fsm = r.random() < 0.24
    sen_u = r.random()
    sen = "E" if sen_u < 0.025 + 0.015 * fsm else ("K" if sen_u < 0.14 + 0.06 * fsm else "N")
    p = Pupil(
        upn=new_upn(r, taken),
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
    _habits(r, m, p, fsm)
    return p


def _habits(r: np.random.Generator, m: SchoolModel, p: Pupil, fsm: bool) -> None:
    """How a new pupil tends to miss school: severity, lateness, Friday afternoons, skipped lessons; sets, options."""
    p.severe = bool(r.random() < m.severe_share * (1.0 + 0.8 * max(p.z, 0)))
    p.late = float(min(0.35, r.lognormal(math.log(0.012), 1.0) * (1.6 if fsm else 1.0)))
    if r.random() < m.friday_pm_skippers * (1.5 if fsm else 1.0):
        p.friday_pm = float(r.uniform(0.05, 0.3))
    if not m.primary and r.random() < 0.05 + 0.04 * fsm:
        p.skip_subjects = tuple(r.choice(_SKIPPED, size=int(r.integers(1, 3)), replace=False))
        p.skip_rate = float(r.uniform(0.2, 0.6))
    p.attainment = float(r.normal() - 0.3 * fsm - 0.5 * (p.sen != "N"))
    p.options = {b: str(r.choice(subjects)) for b, subjects in OPTION_BLOCKS.items()}


def next_year(r: np.random.Generator, m: SchoolModel, p: Pupil, shift: float) -> None:
    """A new academic year: characteristics change a little and the propensity drifts."""
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
    elif p.z > 1.0 and r.random() < m.severe_share * 1.3:
        p.severe = True

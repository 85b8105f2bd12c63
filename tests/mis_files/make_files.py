"""Write the small, real-looking MIS exports in this folder (run once; the output is committed).

    .venv/bin/python tests/mis_files/make_files.py

Six pupils, the first two weeks of autumn 2025 (Wed 3 - Tue 16 September).
The names are invented. The files imitate SIMS / Arbor exports: Windows-1252,
dd/mm/yyyy, padded and lower-case values, an .xlsx pupils list with "Year 7"
and Yes/No flags, a wide register and a lesson-marks export.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
PUPILS = [
    # upn, surname, forename, dob, year, reg, gender, ethnicity, fsm, sen, language, cin, lac, admission
    (
        "A100000000001",
        "Brontë",
        "Zoë",
        date(2014, 10, 2),
        "Year 7",
        "7B",
        "Female",
        "WBRI",
        "Yes",
        "No Special Educational Need",
        "English",
        "No",
        "No",
        date(2025, 9, 3),
    ),
    (
        "A100000000002",
        "O'Neill",
        "Seán",
        date(2014, 11, 12),
        "Year 7",
        "7B",
        "Male",
        "WIRI",
        "No",
        "SEN Support",
        "English",
        "No",
        "No",
        date(2025, 9, 3),
    ),
    (
        "A100000000003",
        "Nowak",
        "Kacper",
        date(2013, 1, 20),
        "Year 8",
        "8R",
        "Male",
        "WOTH",
        "No",
        "No Special Educational Need",
        "Polish",
        "No",
        "No",
        date(2024, 9, 4),
    ),
    (
        "A100000000004",
        "Okafor",
        "Chidi",
        date(2012, 5, 5),
        "Year 9",
        "9G",
        "Male",
        "BAFR",
        "Yes",
        "EHC Plan",
        "Igbo",
        "Yes",
        "No",
        date(2023, 9, 5),
    ),
    (
        "A100000000005",
        "Smith",
        "Ella",
        date(2011, 3, 30),
        "Year 10",
        "10Y",
        "Female",
        "WBRI",
        "No",
        "No Special Educational Need",
        "English",
        "No",
        "Yes",
        date(2022, 9, 5),
    ),
    (
        "A100000000006",
        "Khan",
        "Amira",
        date(2010, 7, 14),
        "Year 11",
        "11P",
        "Female",
        "APKN",
        "Yes",
        "No Special Educational Need",
        "Urdu",
        "No",
        "No",
        date(2021, 9, 3),
    ),
]
CODES = ["/", "/", "/", "/", "/", "/", "/", "/", "l", "i", "n", "m", "o", "g"]


def school_days() -> list[date]:
    d, out = date(2025, 9, 3), []
    while d <= date(2025, 9, 16):
        if d.isoweekday() <= 5:
            out.append(d)
        d += timedelta(days=1)
    return out


def write_pupils() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Student List"
    ws.append(
        [
            "Pupil UPN",
            "Legal Surname",
            "Legal Forename",
            "DOB",
            "Year",
            "Reg",
            "Gender",
            "Ethnicity",
            "FSM Eligible",
            "SEN Provision",
            "First Language",
            "Child in Need",
            "Looked After",
            "Admission Date",
        ]
    )
    for p in PUPILS:
        ws.append(list(p))
    wb.save(HERE / "sims_pupils.xlsx")


def marks(rng: random.Random) -> list[tuple[str, date, str, str]]:
    out = []
    for upn, *_ in PUPILS:
        for d in school_days():
            for session in ("AM", "PM"):
                out.append((upn, d, session, rng.choice(CODES)))
    out[5] = (out[5][0], out[5][1], out[5][2], "")  # a register not taken
    out[17] = (out[17][0], out[17][1], out[17][2], "-")
    return out


def write_sessions(rng: random.Random) -> None:
    sessions = {"AM": [" am", "AM ", "Morning"], "PM": [" pm", "PM", "Afternoon"]}
    lines = ["Pupil UPN,Session Date,AM/PM,Attendance Mark,Comment"]
    for upn, d, session, code in marks(rng):
        comment = "café trip – parent rang" if code == "m" else ""
        mark = code if code in ("", "-") else f" {code} "
        lines.append(f"{upn} ,{d:%d/%m/%Y},{rng.choice(sessions[session])},{mark},{comment}")
    (HERE / "sims_sessions.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def write_wide(rng: random.Random) -> None:
    days = school_days()
    header = ["Surname", "Forename", "UPN", "Reg"] + [f"{d:%a %d/%m/%Y} {s}" for d in days for s in ("AM", "PM")]
    rows = [";".join(header)]
    for upn, surname, forename, _dob, _year, reg, *_ in PUPILS:
        codes = [rng.choice(CODES).upper() for _ in days for _ in range(2)]
        codes[3] = ""
        rows.append(";".join([surname, forename, upn, reg, *codes]))
    (HERE / "arbor_wide_register.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))


def write_lessons(rng: random.Random) -> None:
    subjects = ["Maths", "English", "Science", "History", "PE"]
    lines = ["UPN\tDate\tPeriod\tSubject\tClass\tMark\tMinutes Late"]
    for upn, *_ in PUPILS:
        for d in school_days()[:5]:
            for period in range(1, 6):
                code = rng.choice(["/", "/", "/", "L", "N"])
                late = str(rng.randint(2, 15)) if code == "L" else ""
                subject = subjects[period - 1]
                lines.append(f"{upn}\t{d:%Y-%m-%d}\tP{period}\t{subject}\t{subject[:2]}1\t{code}\t{late}")
    (HERE / "lessons.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


def write_calendar() -> None:
    rows = [
        "Term,Half Term,Start Date,End Date",
        "Autumn,1,03/09/2025,24/10/2025",
        "Autumn,2,03/11/2025,19/12/2025",
        "Spring,1,05/01/2026,13/02/2026",
        "Spring,2,23/02/2026,27/03/2026",
        "Summer,1,13/04/2026,22/05/2026",
        "Summer,2,01/06/2026,22/07/2026",
    ]
    (HERE / "term_dates.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    rng = random.Random(42)
    write_pupils()
    write_sessions(rng)
    write_wide(rng)
    write_lessons(rng)
    write_calendar()

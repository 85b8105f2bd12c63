"""The files: pupils, session marks (long and wide), lesson marks and the intervention log, in MIS styles.

Every writer's bytes depend only on the content: gzip has no name and a zero timestamp,
and the timestamps inside .xlsx files are pinned.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import numpy as np

from sample_school.calendar import school_days
from sample_school.marks import Registers
from sample_school.people import Pupil

FIXED_ZIP_TIME = (2026, 11, 23, 0, 0, 0)  # pinned timestamps inside .xlsx files, for byte-identical output
SEN_WORDS = {"N": "No Special Educational Need", "K": "SEN Support", "E": "Education, Health and Care Plan"}
LANGUAGE = {"AIND": "Gujarati", "APKN": "Urdu", "ABAN": "Bengali", "WOTH": "Polish", "WROM": "Romanian"}
INTERVENTION_HEADER = ["UPN", "Date", "Type", "Owner", "Status", "Notes", "Review date"]

# --- bytes ---------------------------------------------------------------------------------------


def gzip_bytes(content: str | bytes) -> bytes:
    """Gzip with no file name and a zero timestamp, so the bytes depend only on the content."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(content.encode("utf-8") if isinstance(content, str) else content)
    return buf.getvalue()


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def xlsx_bytes(header: list[str], rows: list[list], sheet: str) -> bytes:
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


def _y_n(v: bool) -> str:
    return "Y" if v else "N"


def dmy(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def label(year: int) -> str:
    """2025 -> '2025-26', as file names write an academic year."""
    return f"{year}-{(year + 1) % 100:02d}"


# --- pupils --------------------------------------------------------------------------------------


def write_pupils(year: int, pupils: list[Pupil], out: Path, style: str) -> str:
    """A pupils file in one of the MIS styles: 'sims' (xlsx), 'arbor' (CSV) or 'primary' (CSV)."""
    days = school_days(year)
    first, last = days[0], days[-1]
    ordered = sorted(
        pupils, key=lambda p: (p.history[year]["year_group"], p.history[year]["form"], p.surname, p.forename, p.upn)
    )

    def leaving(p: Pupil) -> date | None:
        return p.leaving if p.leaving and first <= p.leaving <= last else None

    if style == "sims":
        name = f"pupils_{label(year)}.xlsx"
        write(out / name, xlsx_bytes(*_sims_pupils(year, ordered, leaving), "Students"))
    elif style == "arbor":
        name = f"pupils_{label(year)}.csv"
        write(out / name, csv_text(*_arbor_pupils(year, ordered, leaving)).encode("utf-8-sig"))
    else:
        name = f"pupils_{label(year)}.csv"
        write(out / name, csv_text(*_primary_pupils(year, ordered, leaving)).encode("utf-8"))
    return name


def _sims_pupils(year: int, ordered: list[Pupil], leaving) -> tuple[list[str], list[list]]:
    """SIMS-style: words and Excel dates; SEN as words in odd years, letters in even ones."""
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
                SEN_WORDS[h["sen"]] if year % 2 else h["sen"],
                _yes_no(p.eal),
                _yes_no(h["cin"]),
                _yes_no(h["lac"]),
                p.admission,
                leaving(p),
            ]
        )
    return header, rows


def _arbor_pupils(year: int, ordered: list[Pupil], leaving) -> tuple[list[str], list[list]]:
    """Arbor-style: Y/N flags, UK dates, and the family's first language rather than an EAL flag."""
    header = ["Student ID", "Surname", "First Name", "Date of Birth", "NC Year", "Tutor Group", "Sex", "Ethnicity"]
    header += ["FSM", "SEN Status", "First Language", "CiN", "LAC", "Admission Date", "Leaving Date"]
    rows = []
    for p in ordered:
        h = p.history[year]
        rows.append(
            [
                p.upn,
                p.surname,
                p.forename,
                dmy(p.dob),
                f"Y{h['year_group']}",
                h["form"],
                p.gender,
                p.ethnicity,
                _y_n(h["fsm"]),
                h["sen"],
                LANGUAGE.get(p.ethnicity, "Other") if p.eal else "English",
                _y_n(h["cin"]),
                _y_n(h["lac"]),
                dmy(p.admission),
                dmy(leaving(p)),
            ]
        )
    return header, rows


def _primary_pupils(year: int, ordered: list[Pupil], leaving) -> tuple[list[str], list[list]]:
    """The primary's export: ``R`` for Reception, a class name, Y/N flags."""
    header = ["UPN", "Surname", "Forename", "Date of Birth", "Year Group", "Class", "Gender", "Ethnicity", "FSM"]
    header += ["SEN", "EAL", "CiN", "LAC", "Admission Date", "Leaving Date"]
    rows = []
    for p in ordered:
        h = p.history[year]
        rows.append(
            [
                p.upn,
                p.surname,
                p.forename,
                dmy(p.dob),
                "R" if h["year_group"] == 0 else str(h["year_group"]),
                h["form"],
                p.gender,
                p.ethnicity,
                _y_n(h["fsm"]),
                h["sen"],
                _y_n(p.eal),
                _y_n(h["cin"]),
                _y_n(h["lac"]),
                dmy(p.admission),
                dmy(leaving(p)),
            ]
        )
    return header, rows


# --- marks ---------------------------------------------------------------------------------------


def write_sessions_long(year: int, registers: Registers, out: Path, style: str) -> str:
    """One row per pupil and session: 'sims' (Pupil UPN, Session Date, AM/PM, Attendance Mark) or 'arbor'."""
    pupils, days, codes = registers
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
    name = f"sessions_{label(year)}.csv.gz"
    write(out / name, gzip_bytes(header + "\r\n" + "\r\n".join(lines) + "\r\n"))
    return name


def write_sessions_wide(year: int, registers: Registers, out: Path, gzipped: bool = False) -> str:
    """The register report MIS print: a row per pupil, a column per date and session, Windows-1252."""
    pupils, days, codes = registers
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
    data = csv_text(header, rows).encode("cp1252")
    name = f"sessions_{label(year)}_wide.csv" + (".gz" if gzipped else "")
    write(out / name, gzip_bytes(data) if gzipped else data)
    return name


def write_lessons(year: int, rows: list[str], out: Path) -> str:
    name = f"lessons_{label(year)}.csv.gz"
    write(out / name, gzip_bytes("UPN,Date,Period,Subject,Class,Mark,Minutes Late\r\n" + "\r\n".join(rows) + "\r\n"))
    return name


def write_interventions(rows: list[list], out: Path, name: str) -> str:
    """The attendance team's log with UK dates: ``UPN, Date, Type, Owner, Status, Notes, Review date``."""
    log = [[u, dmy(d), k, o, s, n, dmy(rv)] for u, d, k, o, s, n, rv in rows]
    write(out / name, csv_text(INTERVENTION_HEADER, log).encode("utf-8"))
    return name

"""Write one small school's registers in the shapes MIS reports, census tools and aggregators produce.

    .venv/bin/python tests/mis_files/make_shapes.py

Twelve pupils (Years 7-11, one joining and one leaving during the fortnight, a
temporary UPN and one whose check letter is wrong), two weeks of autumn 2025.
``plain_pupils.csv`` and ``plain_sessions.csv`` are the plain export; every
other file holds the same registers in another shape, and
tests/test_import_shapes.py imports each to exactly the same figures. The
output is committed; names are invented.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl

OUT = Path(__file__).resolve().parent / "shapes"
LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
DAYS = [date(2025, 9, 8) + timedelta(days=i) for i in range(12) if (date(2025, 9, 8) + timedelta(days=i)).weekday() < 5]
CODES = ["/", "/", "/", "/", "/", "/", "/", "L", "I", "N", "M", "O", "G", "B", "U"]
SEN_WORDS = {"N": "No Special Educational Need", "K": "SEN Support", "E": "EHC Plan"}


def upn(serial: int, temporary: bool = False, wrong: bool = False) -> str:
    """A UPN with its check letter (DfE): LA 891, school 4021, year 25, then the serial."""
    body = f"891402125{serial:03d}"
    if temporary:
        body = body[:-1] + "T"
    total = sum((int(c) if c.isdigit() else LETTERS.index(c)) * w for w, c in enumerate(body, start=2))
    letter = LETTERS[total % 23]
    if wrong:
        letter = LETTERS[(total + 1) % 23]
    return letter + body


# upn, adno, assembly id, surname, forename, year, form, gender, fsm, sen, language, lac, admission, leaving
PUPILS = [
    (upn(1), 101, 5001, "Bront\u00eb", "Zo\u00eb", 7, "7B", "F", True, "N", "English", False, date(2025, 9, 3), None),
    (upn(2), 102, 5002, "O'Neill", "Se\u00e1n", 7, "7B", "M", False, "K", "English", False, date(2025, 9, 3), None),
    (upn(3), 103, 5003, "Nowak", "Kacper", 8, "8R", "M", False, "N", "Polish", False, date(2024, 9, 4), None),
    (upn(4), 104, 5004, "Okafor", "Chidi", 9, "9G", "M", True, "E", "Igbo", False, date(2023, 9, 5), None),
    (upn(5), 105, 5005, "Smith", "Ella", 10, "10Y", "F", False, "N", "English", True, date(2022, 9, 5), None),
    (upn(6), 106, 5006, "Khan", "Amira", 11, "11P", "F", True, "N", "Urdu", False, date(2021, 9, 3), None),
    (upn(7), 107, 5007, "Evans", "Rhys", 7, "7R", "M", False, "N", "English", False, date(2025, 9, 3), None),
    (upn(8), 108, 5008, "Patel", "Anya", 8, "8B", "F", True, "K", "Gujarati", False, date(2024, 9, 4), None),
    (
        upn(9, temporary=True),
        109,
        5009,
        "Lee",
        "Min",
        9,
        "9G",
        "F",
        False,
        "N",
        "English",
        False,
        date(2025, 9, 10),
        None,
    ),
    (
        upn(10),
        110,
        5010,
        "Brown",
        "Jack",
        10,
        "10Y",
        "M",
        True,
        "N",
        "English",
        False,
        date(2022, 9, 5),
        date(2025, 9, 12),
    ),
    (
        upn(11, wrong=True),
        111,
        5011,
        "Ahmed",
        "Sara",
        11,
        "11P",
        "F",
        False,
        "E",
        "Arabic",
        False,
        date(2021, 9, 3),
        None,
    ),
    (upn(12), 112, 5012, "Taylor", "Noah", 7, "7R", "M", False, "N", "English", False, date(2025, 9, 3), None),
]


def marks(rng: random.Random) -> dict[tuple[str, date, str], str]:
    """(upn, day, session) -> code ('' = register not taken) for the days each pupil is on roll."""
    out = {}
    for p in PUPILS:
        for d in DAYS:
            if d < p[12] or (p[13] and d > p[13]):
                continue
            for s in ("AM", "PM"):
                out[p[0], d, s] = rng.choice(CODES)
    first = next(iter(out))
    out[first[0], DAYS[3], "PM"] = ""  # a register not taken
    return out


def csv_text(rows: list[list], sep: str = ",") -> str:
    def cell(v) -> str:
        s = "" if v is None else str(v)
        return f'"{s}"' if sep in s or '"' in s else s

    return "\r\n".join(sep.join(cell(v) for v in r) for r in rows) + "\r\n"


def write(name: str, rows: list[list], encoding: str = "utf-8", sep: str = ",") -> None:
    (OUT / name).write_bytes(csv_text(rows, sep).encode(encoding))


def yn(v: bool) -> str:
    return "Y" if v else "N"


def plain(m) -> None:
    head = ["UPN", "Surname", "Forename", "Year Group", "Reg Group", "Gender", "FSM", "SEN", "EAL", "LAC"]
    rows = [[*head, "Admission Date", "Leaving Date"]]
    for p in PUPILS:
        eal = p[10] != "English"
        rows.append([p[0], p[3], p[4], p[5], p[6], p[7], yn(p[8]), p[9], yn(eal), yn(p[11]), f"{p[12]:%d/%m/%Y}"])
        rows[-1].append(f"{p[13]:%d/%m/%Y}" if p[13] else "")
    write("plain_pupils.csv", rows)
    write(
        "plain_sessions.csv",
        [["UPN", "Date", "Session", "Mark"]] + [[u, f"{d:%d/%m/%Y}", s, c] for (u, d, s), c in m.items()],
    )


def sims_report(m) -> None:
    """SIMS report output: title rows, 'Year  7', Adno, Legal names, 'In Care', a 'Total records' footer."""
    rows = [["Student List"], ["Oak Academy"], ["Printed 20/09/2025 09:14 by SIMS Reporting"], []]
    rows.append(["Adno", "UPN", "Legal Surname", "Legal Forename", "Year", "Reg", "Gender", "FSM Eligible"])
    rows[-1] += ["SEN Provision", "First Language", "In Care", "Admission Date", "Date of Leaving"]
    for p in PUPILS:
        rows.append([f"{p[1]:06d}", p[0], p[3], p[4], f"Year  {p[5]}", p[6], "Male" if p[7] == "M" else "Female"])
        rows[-1] += ["Yes" if p[8] else "No", SEN_WORDS[p[9]], p[10], "Yes" if p[11] else "No", f"{p[12]:%d/%m/%Y}"]
        rows[-1].append(f"{p[13]:%d/%m/%Y}" if p[13] else "")
    rows += [[], [f"Total records: {len(PUPILS)}"]]
    write("sims_report_pupils.csv", rows, "cp1252")
    rows = [["Attendance Marks"], ["Oak Academy"], ["Date range: 08/09/2025 - 19/09/2025"], []]
    rows.append(["UPN", "Mark date", "AM/PM", "Mark"])
    rows += [[u, f"{d:%d/%m/%Y}", s, c] for (u, d, s), c in m.items()]
    rows += [[], [f"Total records: {len(m)}"]]
    write("sims_report_marks.csv", rows, "cp1252")


def sims_report_pages(m) -> None:
    """The same report printed in pages: the title block and the header again at each page break."""
    title = [["Attendance Marks"], ["Oak Academy"], []]
    header = ["UPN", "Mark date", "AM/PM", "Mark"]
    rows, items = [*title, header], list(m.items())
    for page in range(0, len(items), 100):
        if page:
            rows += [[f"Page {page // 100} of {(len(items) + 99) // 100}"], [], *title, header]
        rows += [[u, f"{d:%d/%m/%Y}", s, c] for (u, d, s), c in items[page : page + 100]]
    rows += [[f"Page {(len(items) + 99) // 100} of {(len(items) + 99) // 100}"]]
    write("sims_report_pages.csv", rows)


def assembly(m) -> None:
    """An aggregator (Assembly, Wonde): snake_case, ISO date-times, true/false, 2079-06-06 as 'no end'."""
    rows = [["id", "mis_id", "upn", "first_name", "last_name", "year_code", "registration_group", "gender"]]
    rows[-1] += ["is_fsm", "is_eal", "sen_category", "in_care", "start_date", "end_date"]
    for p in PUPILS:
        rows.append([p[2], f"S{p[1]}", p[0], p[4], p[3], str(p[5]), p[6], p[7], str(p[8]).lower()])
        rows[-1] += ["T" if p[10] != "English" else "F", p[9], int(p[11]), f"{p[12]}T00:00:00"]
        rows[-1].append(f"{p[13]}T00:00:00" if p[13] else "2079-06-06T00:00:00")
    write("assembly_students.csv", rows)
    ids = {p[0]: p[2] for p in PUPILS}
    rows = [["student_id", "session_date", "session_name", "attendance_mark", "minutes_late"]]
    rows += [[ids[u], f"{d}T00:00:00.000Z", s, c, 5 if c == "L" else ""] for (u, d, s), c in m.items()]
    write("assembly_attendance.csv", rows)


def adno(m) -> None:
    """A SIMS pupil list with Adno and UPN (zero-padded in Excel), marks keyed by Adno alone."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Students"
    ws.append(["Adno", "UPN", "Surname", "Forename", "Year", "Reg", "FSM", "SEN Status", "EAL", "LAC"])
    ws.cell(1, 11, "Admission Date")
    ws.cell(1, 12, "Leaving Date")
    for p in PUPILS:
        ws.append([f"{p[1]:06d}", p[0], p[3], p[4], p[5], p[6], yn(p[8]), p[9], yn(p[10] != "English"), yn(p[11])])
        ws.cell(ws.max_row, 11, datetime.combine(p[12], datetime.min.time()))
        ws.cell(ws.max_row, 12, datetime.combine(p[13], datetime.min.time()) if p[13] else None)
    wb.save(OUT / "adno_pupils.xlsx")
    adnos = {p[0]: p[1] for p in PUPILS}
    rows = [["Adno", "Date", "Session", "Mark"]] + [[adnos[u], f"{d:%d/%m/%Y}", s, c] for (u, d, s), c in m.items()]
    write("adno_marks.csv", rows)


def bromcom(m) -> None:
    """Bromcom: Upn, YearGroup, TutorGroupName, *Flag columns; CalendarStartDate with a time, PeriodDisplayName."""
    rows = [["Upn", "LegalForename", "LegalSurname", "YearGroup", "TutorGroupName", "Gender", "FsmFlag"]]
    rows[-1] += ["SenStatus", "EalFlag", "InCareFlag", "AdmissionDate", "LeavingDate"]
    for p in PUPILS:
        rows.append([p[0], p[4], p[3], f"Year {p[5]}", p[6], p[7], "True" if p[8] else "False", p[9]])
        rows[-1] += ["True" if p[10] != "English" else "False", "True" if p[11] else "False", f"{p[12]}T00:00:00"]
        rows[-1].append(f"{p[13]}T00:00:00" if p[13] else "")
    write("bromcom_students.csv", rows)
    rows = [["Upn", "CalendarStartDate", "PeriodDisplayName", "AttendanceCode"]]
    rows += [[u, f"{d}T00:00:00", s, c] for (u, d, s), c in m.items()]
    write("bromcom_attendance.csv", rows)


def census(m) -> None:
    """The DfE school census's names: NCyearActual, FSMeligible, SENProvision, FirstLanguage codes, EntryDate."""
    code = {"English": "ENG", "Polish": "POL", "Igbo": "IGB", "Urdu": "URD", "Gujarati": "GUJ", "Arabic": "ARA"}
    rows = [["UPN", "Surname", "Forename", "Sex", "NCyearActual", "FSMeligible", "SENProvision", "FirstLanguage"]]
    rows[-1] += ["InCare", "EntryDate", "LeavingDate", "RegGroup"]
    for i, p in enumerate(PUPILS):
        language = "ENB" if p[10] == "English" and i % 2 else code[p[10]]
        rows.append([p[0], p[3], p[4], p[7], p[5], "1" if p[8] else "0", p[9], language, "1" if p[11] else "0"])
        rows[-1] += [f"{p[12]}", f"{p[13]}" if p[13] else "", p[6]]
    write("census_pupils.csv", rows)


def unicode_text(m) -> None:
    """Excel's 'Unicode Text': UTF-16 with a byte-order mark, tab-separated."""
    rows = [["Pupil UPN", "Session Date", "Session", "Attendance Mark"]]
    rows += [[u, f"{d:%d/%m/%Y}", s, c] for (u, d, s), c in m.items()]
    write("unicode_text.txt", rows, "utf-16", "\t")


def workbook(m) -> None:
    """A workbook of several sheets: a read-me, the register (below a title), and the code key."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Read me"
    ws.append(["This workbook was exported on 20/09/2025."])
    ws.append(["The register is on the sheet called Register."])
    ws = wb.create_sheet("Register")
    ws.append(["Session attendance, 08/09/2025 to 19/09/2025"])
    ws.append([])
    ws.append(["UPN", "Date", "AM/PM", "Mark"])
    for (u, d, s), c in m.items():
        ws.append([u, datetime.combine(d, datetime.min.time()), s, c or None])
    ws = wb.create_sheet("Key")
    ws.append(["Code", "Meaning"])
    ws.append(["/", "Present (AM)"])
    ws.append(["N", "No reason yet provided"])
    wb.save(OUT / "workbook_sheets.xlsx")


def _grid_rows(m, date_cell) -> tuple[list, list, list[list]]:
    """A printed register's two header rows and its pupil rows (blank where not on roll)."""
    top, second = ["Name", "UPN", "Reg"], ["", "", ""]
    for d in DAYS:
        top += [date_cell(d), None]
        second += ["AM", "PM"]
    body = []
    for p in PUPILS:
        row = [f"{p[3]}, {p[4]}", p[0], p[6]]
        for d in DAYS:
            row += [m.get((p[0], d, "AM")), m.get((p[0], d, "PM"))]
        body.append(row)
    return top, second, body


def grids(m) -> None:
    """A register grid printed to Excel: title rows, each date merged over AM and PM, a Totals row."""
    for name, cell in (
        ("printed_grid_dates.xlsx", lambda d: datetime.combine(d, datetime.min.time())),
        ("printed_grid_serials.xlsx", lambda d: (d - date(1899, 12, 30)).days),
    ):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Register"
        ws.append(["Oak Academy: attendance register"])
        ws.append(["Weeks beginning 08/09/2025 and 15/09/2025"])
        ws.append([])
        top, second, body = _grid_rows(m, cell)
        ws.append(top)
        ws.append(second)
        for j in range(3, len(top), 2):
            ws.merge_cells(start_row=4, start_column=j + 1, end_row=4, end_column=j + 2)
        for row in body:
            ws.append([v or None for v in row])
        totals = ["Totals", None, None] + [sum(1 for r in body if r[j] == "/") for j in range(3, len(top))]
        ws.append(totals)
        ws.append(["Printed on 20/09/2025"])
        wb.save(OUT / name)
    # The same printed to CSV: each date written over both its columns as 'Mon 08/09/2025'.
    top, second, body = _grid_rows(m, lambda d: f"{d:%a %d/%m/%Y}")
    top = [top[j] if top[j] is not None else top[j - 1] for j in range(len(top))]
    totals = ["Totals", "", ""] + [sum(1 for r in body if r[j] == "/") for j in range(3, len(top))]
    page_break = [["Attendance register (continued)"], [], top, second]
    write(
        "printed_grid_text.csv",
        [["Attendance register"], [], top, second, *body[:6], *page_break, *body[6:], [], totals],
    )


def main() -> None:
    OUT.mkdir(exist_ok=True)
    m = marks(random.Random(2025))
    for make in (plain, sims_report, sims_report_pages, assembly, adno, bromcom, census, unicode_text, workbook, grids):
        make(m)


if __name__ == "__main__":
    main()

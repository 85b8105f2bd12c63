"""Write the bad-file corpus in this folder (run once; the output is committed).

    .venv/bin/python tests/bad_files/make_files.py

Each file is refused by the importer with a clear message; the pupils they
refer to are those of tests/mis_files/sims_pupils.xlsx. The 50 MB file is
generated at test time in a temporary folder, never committed.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
HEAD = "Pupil UPN,Session Date,AM/PM,Attendance Mark"
GOOD = [
    "A100000000001,03/09/2025,AM,/",
    "A100000000001,03/09/2025,PM,/",
    "A100000000002,03/09/2025,AM,N",
    "A100000000002,03/09/2025,PM,I",
]


def text(name: str, lines: list[str], encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))


def main() -> None:
    (HERE / "binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)))
    text("missing_columns.csv", ["UPN,Date,Mark", "A100000000001,03/09/2025,/"])
    text("unrecognised.csv", ["Colour,Size", "red,large"])
    text("unknown_codes.csv", [HEAD, *GOOD[:2], "A100000000002,03/09/2025,AM,ZZ", "A100000000002,03/09/2025,PM,I"])
    text("impossible_dates.csv", [HEAD, "A100000000001,31/02/2025,AM,/", "A100000000001,2025-13-01,PM,/"])
    text("bad_sessions.csv", [HEAD, "A100000000001,03/09/2025,Evening,/"])
    text("duplicate_marks.csv", [HEAD, *GOOD, "A100000000001,03/09/2025,am,N"])
    text("unknown_pupils.csv", [HEAD, *GOOD[:2], "Z999999999999,03/09/2025,AM,/"])
    (HERE / "empty.csv").write_bytes(b"")
    text("header_only.csv", [HEAD])
    text(
        "formulas.csv",
        [HEAD, '=HYPERLINK("http://example.com","x"),03/09/2025,AM,/', "A100000000001,03/09/2025,PM,+1", GOOD[2]],
    )
    (HERE / "not_really.xlsx").write_text(HEAD + "\n" + GOOD[0] + "\n")  # a CSV with an Excel name
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEAD.split(","))
    ws.append(["A100000000001", "03/09/2025", "AM", "/"])
    ws.append(["A100000000001", "03/09/2025", "PM", '=IF(1,"/","N")'])
    wb.save(HERE / "formulas.xlsx")
    # Never guess: which of two mark columns holds the marks? Which of two register sheets is the register?
    text("two_mark_columns.csv", [HEAD + ",Attendance Mark", *(g + ",N" for g in GOOD)])
    wb = openpyxl.Workbook()
    for title in ("Week 1", "Week 2"):
        ws = wb.create_sheet(title)
        ws.append(HEAD.split(","))
        ws.append(["A100000000001", "03/09/2025", "AM", "/"])
    wb.remove(wb["Sheet"])
    wb.save(HERE / "two_registers.xlsx")
    text(
        "leaving_before_admission.csv",
        [
            "UPN,Surname,Year,Admission Date,Leaving Date",
            "A100000000001,Bront\u00eb,7,03/09/2025,",
            "A100000000002,O'Neill,7,03/09/2025,01/09/2025",
        ],
    )
    # An Excel 97-2003 workbook: only its container's signature matters to the importer.
    (HERE / "old_excel.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    grids()


def grids() -> None:
    """Printed grids whose dates cannot be read (no year): refused, never imported as a pupils list."""
    text(
        "grid_without_dates.csv",
        ["Attendance by session,,,,", ",,Mon 08/09,,Tue 09/09", "Name,UPN,AM,PM,AM", "Zoe Bronte,A100000000001,/,/,N"],
    )
    text(
        "grid_without_years.csv",
        [
            "Attendance register,,,,,,",
            "Name,UPN,Reg,08 Sep,,09 Sep,",
            ",,,AM,PM,AM,PM",
            "Zoe Bronte,A100000000001,7B,/,/,N,/",
            "Totals,,,1,1,0,1",
        ],
    )


if __name__ == "__main__":
    main()

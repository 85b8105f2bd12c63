"""Reading MIS exports: value spellings, header aliases, encodings, separators, layouts."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from data import importer, readers
from data.readers import BadValue
from data.readers.values import LANGUAGE_CODES

MIS = Path(__file__).resolve().parent / "mis_files"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("02/09/2025", date(2025, 9, 2)),
        (" 2/9/2025 ", date(2025, 9, 2)),
        ("02-09-2025", date(2025, 9, 2)),
        ("02.09.2025", date(2025, 9, 2)),
        ("2/9/25", date(2025, 9, 2)),
        ("02/09/2025 8:45 AM", date(2025, 9, 2)),
        ("2025-09-02", date(2025, 9, 2)),
        ("2025-09-02 00:00:00", date(2025, 9, 2)),
        ("02/09/2025 00:00", date(2025, 9, 2)),
        ("45902", date(2025, 9, 2)),  # Excel serial day
        ("2 Sep 2025", date(2025, 9, 2)),
        ("", None),
    ],
)
def test_dates(text, expected):
    assert readers.parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/02/2025", "impossible date$"),
        ("2025-13-01", "impossible date$"),  # year first: no day/month order to blame
        ("09/15/2025", "impossible date: it reads as month/day \\(US order\\)"),
        ("next Tuesday", "not a date"),
    ],
)
def test_bad_dates(text, message):
    with pytest.raises(BadValue, match=message):
        readers.parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AM", "AM"),
        ("am", "AM"),
        (" Am ", "AM"),
        ("Morning", "AM"),
        ("A", "AM"),
        ("PM", "PM"),
        ("pm", "PM"),
        ("Afternoon", "PM"),
        ("p", "PM"),
        ("AM Registration", "AM"),
        ("PM reg", "PM"),
        ("Morning session", "AM"),
    ],
)
def test_sessions(text, expected):
    assert readers.parse_session(text) == expected


@pytest.mark.parametrize("text", ["Evening", "", "AMPM", "1"])
def test_bad_sessions(text):
    with pytest.raises(BadValue, match="AM or PM"):
        readers.parse_session(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Y", True),
        ("N", False),
        ("yes", True),
        ("No", False),
        ("TRUE", True),
        ("false", False),
        ("1", True),
        ("0", False),
        ("", None),
        (" ", None),
    ],
)
def test_yes_no(text, expected):
    assert readers.parse_yes_no(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", 7),
        ("07", 7),
        ("Year 7", 7),
        ("Y7", 7),
        ("Yr 11", 11),
        ("year 10", 10),
        ("R", 0),
        ("Reception", 0),
        ("Year R", 0),
        ("N2", -1),
        ("N1", -2),
        ("", None),
    ],
)
def test_year_groups(text, expected):
    assert readers.parse_year_group(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("E", "E"),
        ("EHC Plan", "E"),
        ("EHCP", "E"),
        ("K", "K"),
        ("SEN Support", "K"),
        ("N", "N"),
        ("No Special Educational Need", "N"),
        ("", None),
    ],
)
def test_sen(text, expected):
    assert readers.parse_sen(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("English", False),
        ("ENG", False),
        ("Polish", True),
        ("Urdu", True),
        ("Y", True),
        ("N", False),
        ("", None),
        ("Information not obtained", None),
    ],
)
def test_eal(text, expected):
    assert readers.parse_eal(text) is expected


# Codes and names as the DfE's language code set has them (data/reference/language_codes.csv,
# CBDS language codes: see data/reference/README.md for the sources).
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ENG", "English"),
        ("ENB", "English"),  # census: English (believed to be)
        ("Believed to be English", "English"),
        ("English", "English"),
        ("POL", "Polish"),
        ("pol", "Polish"),
        ("Polish", "Polish"),
        (" polish ", "Polish"),
        ("URD", "Urdu"),
        ("PNJ", "Panjabi"),
        ("Panjabi", "Panjabi"),
        ("PNJM", "Panjabi"),  # an extended census code, Panjabi (Mirpuri): letters in its main language
        ("pnjm", "Panjabi"),  # an extended code in lower case
        ("Panjabi (Mirpuri)", "Panjabi"),  # an extended code's name
        ("BNGS", "Bengali"),  # Bengali (Sylheti)
        ("Sylheti", "Bengali"),  # the variety an extended code names
        ("CHIC", "Chinese"),  # Chinese (Cantonese)
        ("Cantonese", "Chinese"),
        ("POLX", "Polish"),  # an extended code the list does not hold: its main code
        ("Polish (believed to be)", "Polish"),
        ("ALB", "Albanian/Shqip"),  # the DfE's name, brackets and slashes as the list writes them
        ("Albanian", "Albanian/Shqip"),  # a part of a name
        ("AKA", "Akan/Twi-Fante"),
        ("AKAT", "Akan/Twi-Fante"),  # Akan (Twi/Asante)
        ("Akan (Twi)", "Akan/Twi-Fante"),  # a variety the list does not name: the language before the bracket
        ("PRS", "Persian/Farsi"),
        ("Farsi", "Persian/Farsi"),
        ("PAT", "Pashto/Pakhto"),
        ("CYM", "Welsh/Cymraeg"),
        ("HGR", "Hungarian"),
        ("LTV", "Latvian"),
        ("RMN", "Romanian"),
        ("FAR", "FAR"),  # not a DfE code (Persian is PRS): kept as given
        ("Gaelic", "Gaelic"),  # a part shared by two languages (Gaelic/Irish, Gaelic (Scotland)): kept as given
        ("Tigrinya", "Tigrinya"),
        ("Klingon", "Klingon"),  # a language the code list does not hold: kept as given
        ("Other", None),
        ("OTH", None),  # census: other than English
        ("OTB", None),  # census: other than English (believed to be)
        ("Believed to be other than English", None),
        ("OTL", None),  # census: other language
        ("ZZZ", None),  # census: classification pending
        ("NOT", None),
        ("REF", None),
        ("Refused", None),
        ("Y", None),  # an EAL flag, not a language
        ("", None),
        ("  ", None),
    ],
)
def test_language(text, expected):
    assert readers.parse_language(text) == expected


@pytest.mark.parametrize("language", ["English", "Urdu", "Polish", "Bengali", "Gujarati", "Romanian"])
def test_the_sample_schools_languages_are_names_in_the_code_list(language):
    assert readers.parse_language(language) == language  # sample_data/sample_school/writers.py LANGUAGE


def test_the_language_code_list_is_the_dfe_shape():
    """code,name rows; 3-letter main codes, 4-letter extended codes each under a main code."""
    with LANGUAGE_CODES.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    codes = [r["code"] for r in rows]
    assert list(rows[0]) == ["code", "name"] and len(codes) == len(set(codes))
    assert all(c.isalpha() and c.isupper() and len(c) in (3, 4) for c in codes) and all(r["name"] for r in rows)
    assert not [c for c in codes if len(c) == 4 and c[:3] not in codes]
    assert {"ENG", "ENB", "OTH", "OTB", "NOT", "REF", "PNJ", "BNG", "POL"} <= set(codes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(" / ", "/"), ("n", "N"), (" l", "L"), ("", None), ("-", None), (" - ", None), ("c1", "C1")],
)
def test_marks_trimmed_and_upper_cased(text, expected):
    assert readers.parse_mark(text) == expected


@pytest.mark.parametrize(("text", "expected"), [("1", 1), ("P1", 1), ("Mon:3", 3), ("Period 5", 5), ("Reg", None)])
def test_period_numbers(text, expected):
    assert readers.parse_period_number(text) == expected


@pytest.mark.parametrize(
    ("header", "field"),
    [
        *[(h, "upn") for h in ("UPN", "Pupil UPN", "Upn", "upn ", "PUPIL  UPN", "Student_UPN")],
        *[(h, "admission_number") for h in ("Adno", "Admission No", "Admission Number")],
        *[(h, "pupil_id") for h in ("Student ID", "student_id", "Pupil ID")],
        *[(h, "mis_id") for h in ("MIS ID", "mis_id")],
        ("id", "record_id"),
        *[(h, "date") for h in ("Date", "Session Date", "session date")],
        *[(h, "session") for h in ("Session", "AM/PM", "Session Name", "am/pm")],
        *[(h, "mark") for h in ("Mark", "Code", "Attendance Mark", "Attendance Code")],
        *[(h, "period") for h in ("Period", "Lesson")],
        ("Subject", "subject"),
        ("Class", "class"),
        ("Minutes Late", "minutes_late"),
        *[(h, "surname") for h in ("Legal Surname", "Surname")],
        *[(h, "forename") for h in ("Forename", "First Name", "Legal Forename")],
        *[(h, "date_of_birth") for h in ("DOB", "Date of Birth")],
        *[(h, "year_group") for h in ("Year", "Year Group", "NC Year")],
        *[(h, "form") for h in ("Reg", "Reg Group", "Form", "Tutor Group")],
        *[(h, "gender") for h in ("Gender", "Sex")],
        ("Ethnicity", "ethnicity"),
        *[(h, "fsm") for h in ("FSM", "FSM Eligible")],
        *[(h, "sen") for h in ("SEN", "SEN Status", "SEN Provision")],
        *[(h, "eal") for h in ("EAL", "Is EAL")],
        *[
            (h, "language")
            for h in (
                "First Language",
                "FirstLanguage",  # the census
                "first_language",  # Wonde, Assembly
                "home_language",
                "Home Language",
                "Main Language",
                "Language",
            )
        ],
        *[(h, "cin") for h in ("CiN", "Child in Need")],
        *[(h, "lac") for h in ("LAC", "Looked After", "In Care")],
        ("Admission Date", "admission_date"),
        ("Leaving Date", "leaving_date"),
        ("Academic Year", "academic_year"),
        ("Favourite colour", None),
    ],
)
def test_header_aliases(header, field):
    assert readers.field_of(header) == field


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("02/09/2025 AM", ("02/09/2025", "AM")),
        ("02/09/2025 pm", ("02/09/2025", "PM")),
        ("Mon 02/09/2025 AM", ("02/09/2025", "AM")),
        ("Monday 02/09/2025 Afternoon", ("02/09/2025", "PM")),
        ("2025-09-02 AM", ("2025-09-02", "AM")),
        ("02/09/2025", None),
        ("UPN", None),
    ],
)
def test_wide_register_headers(header, expected):
    assert readers.wide_column(header) == expected


@pytest.mark.parametrize(
    ("headers", "kind", "missing"),
    [
        (["Pupil UPN", "Session Date", "AM/PM", "Attendance Mark"], "sessions", []),
        (["UPN", "Date", "Period", "Subject", "Class", "Mark", "Minutes Late"], "lessons", []),
        (["UPN", "Legal Surname", "Year", "Reg", "FSM"], "pupils", []),
        (["Surname", "Forename", "UPN", "02/09/2025 AM", "02/09/2025 PM"], "sessions", []),
        (["Term", "Half Term", "Start Date", "End Date"], "calendar", []),
        (["Name", "Start", "End"], "calendar", []),
        (["UPN", "Date", "Mark"], None, ["session"]),
        (["Colour", "Size"], None, []),
    ],
)
def test_layout_kinds(headers, kind, missing):
    layout = readers.recognise(headers)
    assert layout.kind == kind
    assert layout.missing == missing


def test_detect_layout_of_the_sample_files():
    layout = readers.detect_layout(MIS / "sims_sessions.csv")
    assert layout.kind == "sessions"
    assert layout.fields == {"upn": "Pupil UPN", "date": "Session Date", "session": "AM/PM", "mark": "Attendance Mark"}
    assert layout.columns[-1] == "Comment"
    assert layout.signature == "pupilupn|sessiondate|ampm|attendancemark|comment"
    wide = readers.detect_layout(MIS / "arbor_wide_register.csv")
    assert wide.wide and len(wide.wide_columns) == 20


SESSION_ROWS = [["UPN", "Date", "Session", "Mark"], ["A1", "03/09/2025", "AM", "/"], ["A1", "03/09/2025", "PM", "Ñ"]]


@pytest.mark.parametrize(
    ("encoding", "sep"),
    [("utf-8", ","), ("utf-8-sig", ","), ("cp1252", ","), ("utf-8", ";"), ("cp1252", ";"), ("utf-8", "\t")],
)
def test_encodings_and_separators_read_the_same(con, tmp_path, encoding, sep):
    path = tmp_path / "f.csv"
    path.write_bytes("\r\n".join(sep.join(r) for r in SESSION_ROWS).encode(encoding))
    raw = readers.load_table(con, readers.open_source(path), "t", tmp_path)
    assert raw.headers == ["UPN", "Date", "Session", "Mark"]
    assert con.execute("SELECT line, c0, c2, c3 FROM t ORDER BY line").fetchall() == [
        (2, "A1", "AM", "/"),
        (3, "A1", "PM", "Ñ"),
    ]


def test_title_lines_and_blank_lines_keep_spreadsheet_line_numbers(con, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(
        "Attendance report,,,\nPrinted 17/09/2025,,,\nUPN,Date,Session,Mark\nA1,03/09/2025,AM,/\n\nA1,03/09/2025,PM,N\n"
    )
    raw = readers.load_table(con, readers.open_source(path), "t", tmp_path)
    assert raw.header_line == 3
    assert con.execute("SELECT line, c3 FROM t WHERE c0 IS NOT NULL ORDER BY line").fetchall() == [(4, "/"), (6, "N")]


def test_gzipped_csv(con, tmp_path):
    import gzip

    path = tmp_path / "f.csv.gz"
    path.write_bytes(gzip.compress("\n".join(",".join(r) for r in SESSION_ROWS).encode()))
    readers.load_table(con, readers.open_source(path), "t", tmp_path)
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 2


def test_xlsx_dates_and_numbers_become_text(con, tmp_path):
    from datetime import datetime

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["UPN", "DOB", "Year", "Admission Date"])
    ws.append(["A1", datetime(2014, 10, 2), 7, 45903])
    wb.save(tmp_path / "p.xlsx")
    readers.load_table(con, readers.open_source(tmp_path / "p.xlsx"), "t", tmp_path)
    assert con.execute("SELECT line, c0, c1, c2, c3 FROM t").fetchall() == [(2, "A1", "2014-10-02", "7", "45903")]
    result = importer.import_files(con, [tmp_path / "p.xlsx"], year=2025)
    assert result.ok
    assert con.execute("SELECT admission_date FROM enrolments").fetchone() == (date(2025, 9, 3),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon 08/09/2025", date(2025, 9, 8)),
        ("Monday, 08/09/2025", date(2025, 9, 8)),
        ("2025-09-08T00:00:00", date(2025, 9, 8)),
        ("2025-09-08T00:00:00.000Z", date(2025, 9, 8)),
        ("2025-09-08T00:00:00+01:00", date(2025, 9, 8)),
        ("45908", date(2025, 9, 8)),
        ("2025/09/08", date(2025, 9, 8)),
        ("Mon 08 Sep 2025", date(2025, 9, 8)),
    ],
)
def test_dates_as_reports_and_aggregators_write_them(text, expected):
    assert readers.parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2079-06-06", None), ("2079-06-06T00:00:00", None), ("31/08/2026", date(2026, 8, 31)), ("", None)],
)
def test_leaving_date_no_end(text, expected):
    assert readers.parse_end_date(text) == expected


@pytest.mark.parametrize(
    ("parse", "text", "expected"),
    [
        (readers.parse_yes_no, "T", True),
        (readers.parse_yes_no, "f", False),
        (readers.parse_yes_no, "true", True),
        (readers.parse_eal, "ENB", False),
        (readers.parse_eal, "ENG", False),
        (readers.parse_eal, "POL", True),
        (readers.parse_eal, "NOT", None),
        (readers.parse_eal, "REF", None),
        (readers.parse_year_group, "Year  7", 7),
        (readers.parse_year_group, "NC Year 7", 7),
        (readers.parse_year_group, "Y07", 7),
        (readers.parse_year_group, "N1", -2),
        (readers.parse_sen, "false", "N"),
    ],
)
def test_values_from_census_and_aggregators(parse, text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("upn", "ok"),
    [
        ("K891402125001", True),  # from tests/mis_files/make_shapes.py
        ("Z891402125002", True),
        ("X89140212500T", True),  # a temporary UPN ends in a letter
        ("L891402125001", False),  # one letter off
        ("A100000000001", False),
        ("A1", None),  # not shaped like a UPN: not judged
        ("", None),
    ],
)
def test_upn_check_letter(upn, ok):
    assert readers.upn_check_letter_ok(upn) is ok


@pytest.mark.parametrize(
    ("headers", "kind", "fields"),
    [
        (
            ["Upn", "CalendarStartDate", "PeriodDisplayName", "AttendanceCode"],
            "sessions",
            {"upn": "Upn", "date": "CalendarStartDate", "session": "PeriodDisplayName", "mark": "AttendanceCode"},
        ),
        (
            ["student_id", "session_date", "session_name", "attendance_mark", "minutes_late"],
            "sessions",
            {"pupil_id": "student_id", "date": "session_date", "session": "session_name", "mark": "attendance_mark"},
        ),
        (
            ["UPN", "Mark date", "AM/PM", "Mark", "Taken by"],
            "sessions",
            {"upn": "UPN", "date": "Mark date", "session": "AM/PM", "mark": "Mark", "recorded_by": "Taken by"},
        ),
        (
            ["id", "upn", "year_code", "start_date", "end_date"],
            "pupils",
            {
                "record_id": "id",
                "upn": "upn",
                "year_group": "year_code",
                "admission_date": "start_date",
                "leaving_date": "end_date",
            },
        ),
        (
            ["UPN", "Legal Surname", "Preferred Surname", "NCyearActual", "First Language", "EAL"],
            "pupils",
            {
                "upn": "UPN",
                "surname": "Legal Surname",
                "year_group": "NCyearActual",
                "eal": "EAL",
                "language": "First Language",
            },
        ),
        (
            ["UPN", "Year", "Home Language"],  # no EAL column: the language gives it
            "pupils",
            {"upn": "UPN", "year_group": "Year", "eal": "Home Language", "language": "Home Language"},
        ),
        (
            ["UPN", "Year", "First Language", "Home Language"],  # letters in the family's, EAL from the child's
            "pupils",
            {"upn": "UPN", "year_group": "Year", "eal": "First Language", "language": "Home Language"},
        ),
        (
            ["UPN", "Date", "Type", "Staff", "Status", "Notes", "Review date"],
            "interventions",
            {
                "upn": "UPN",
                "date": "Date",
                "type": "Type",
                "owner": "Staff",
                "status": "Status",
                "notes": "Notes",
                "review_date": "Review date",
            },
        ),
        (["Name", "UPN", "Reg", "AM", "PM", "AM", "PM"], None, {"upn": "UPN"}),  # a grid without dates: never pupils
        (["Name", "UPN", "Reg", "Mon 08/09", "Tue 09/09"], None, {"upn": "UPN"}),  # days without a year
        (["UPN", "Reg", "08/09/2025", "09/09/2025"], None, {"upn": "UPN"}),  # days without AM/PM
    ],
)
def test_layouts_of_real_exports(headers, kind, fields):
    layout = readers.recognise(headers)
    assert layout.kind == kind
    assert {k: v for k, v in layout.fields.items() if k in fields} == fields
    assert set(layout.fields) >= set(fields)


@pytest.mark.parametrize(
    ("headers", "field", "columns"),
    [
        (["UPN", "Date", "Session", "Attendance Mark", "Attendance Mark"], "mark", [3, 4]),
        (["UPN", "Date", "Session", "Mark", "Code"], "mark", [3, 4]),
        (["UPN", "Session Date", "Date", "Session", "Mark"], "date", [1, 2]),
    ],
)
def test_two_columns_for_one_field_are_refused_naming_both(headers, field, columns):
    layout = readers.recognise(headers)
    assert layout.kind is None and layout.guess == "sessions"
    assert [j for _, j in layout.ambiguous_columns()[field]] == columns
    assert all(f"(column {j + 1})" in layout.message() for j in columns)
    # The column mapping settles it: the other column is marked "not used" (by position when names are equal).
    chosen = readers.recognise(headers, {f"#{columns[1] + 1}": ""})
    assert chosen.kind == "sessions" and chosen.index[field] == columns[0]


@pytest.mark.parametrize(
    ("top", "second", "expected"),
    [
        (  # merged: the date only above the AM column
            ["Name", "UPN", "45908", None, "45909", None],
            ["", "", "AM", "PM", "AM", "PM"],
            ["Name", "UPN", "45908 AM", "45908 PM", "45909 AM", "45909 PM"],
        ),
        (  # repeated, with the day's name
            ["Name", "UPN", "Mon 08/09/2025", "Mon 08/09/2025"],
            [None, None, "AM", "PM"],
            ["Name", "UPN", "08/09/2025 AM", "08/09/2025 PM"],
        ),
        (  # header names on the second row, dates from an Excel date cell
            [None, None, "2025-09-08", None, None],
            ["UPN", "Reg", "AM", "PM", "Comment"],
            ["UPN", "Reg", "2025-09-08 AM", "2025-09-08 PM", "Comment"],
        ),
    ],
)
def test_grid_header_rows_become_one(top, second, expected):
    header = readers.find_header([["Attendance register"], top, second, ["A1", "7A", "/", "/"]])
    assert (header.index, header.rows, header.headers) == (2, 2, expected)


def test_utf16_without_byte_order_mark_and_with_tabs(con, tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes("\r\n".join("\t".join(r) for r in SESSION_ROWS).encode("utf-16-le"))
    raw = readers.load_table(con, readers.open_source(path), "t", tmp_path)
    assert raw.headers == ["UPN", "Date", "Session", "Mark"]
    assert con.execute("SELECT c3 FROM t ORDER BY line").fetchall() == [("/",), ("Ñ",)]


def test_register_sheet_is_found_among_several(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["Exported from the MIS"])
    ws = wb.create_sheet("Marks")
    ws.append(["Report: session marks"])
    ws.append(["UPN", "Date", "Session", "Mark"])
    wb.save(tmp_path / "w.xlsx")
    layout = readers.detect_layout(tmp_path / "w.xlsx")
    assert (layout.kind, layout.sheet, layout.header_line) == ("sessions", "Marks", 2)


def test_a_file_split_two_ways_is_refused_naming_both():
    lines = ["UPN;Date;Session;Mark", "UPN,Date,Session,Mark", "A1,03/09/2025,AM,/"]
    with pytest.raises(
        readers.ReadError,
        match=r"two ways: split by commas its header is line 2 \(UPN, Date, Session, Mark\) or by semicolons its header is line 1",
    ):
        readers.detect_layout(("two.csv", "\n".join(lines).encode()))

"""Turning an MIS export into a table of strings with line numbers, and recognising its kind.

A file becomes a DuckDB temporary table ``(line, c0, c1, ...)`` of VARCHAR
cells, where ``line`` is the row number a spreadsheet user sees (the header is
line 1 when it is the first row). Its headers are matched case- and
space-insensitively against the aliases real exports use (SIMS, Arbor,
Bromcom, ...), which tells us whether it holds session marks, lesson marks,
pupils or a calendar.

The small parsers here (dates, sessions, yes/no, year groups, SEN) run once
per *distinct* value in a file, so a 1.7 million row file costs a few hundred
Python calls; the rows themselves stay in DuckDB.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb

# --- fields and their aliases -------------------------------------------------------------------

# Every alias is compared after _norm(): lower case, letters and digits only.
ALIASES: dict[str, tuple[str, ...]] = {
    "upn": (
        "UPN",
        "Pupil UPN",
        "Student UPN",
        "Student ID",
        "Pupil ID",
        "MIS ID",
        "Admission No",
        "Admission Number",
        "Adno",
    ),
    "date": ("Date", "Session Date", "Lesson Date", "Attendance Date"),
    "session": ("Session", "AM/PM", "Session Name", "AM PM"),
    "mark": ("Mark", "Code", "Attendance Mark", "Attendance Code", "Session Mark", "Lesson Mark"),
    "period": ("Period", "Lesson", "Period Name", "Lesson Period"),
    "subject": ("Subject", "Subject Name"),
    "class": ("Class", "Class Name", "Teaching Group"),
    "minutes_late": ("Minutes Late", "Mins Late", "Late Minutes", "Minutes"),
    "surname": ("Legal Surname", "Surname", "Last Name", "Family Name", "Preferred Surname"),
    "forename": ("Legal Forename", "Forename", "First Name", "Given Name", "Preferred Forename"),
    "date_of_birth": ("DOB", "Date of Birth", "Birth Date"),
    "year_group": ("Year", "Year Group", "NC Year", "Curriculum Year", "Yr", "Year Taught In"),
    "form": ("Reg", "Reg Group", "Registration Group", "Form", "Form Group", "Tutor Group", "Reg Form"),
    "gender": ("Gender", "Sex"),
    "ethnicity": ("Ethnicity", "Ethnic Code", "Ethnic Group", "Ethnic Origin"),
    "fsm": ("FSM", "FSM Eligible", "FSM Eligibility", "Free School Meals", "Eligible for FSM"),
    "sen": ("SEN", "SEN Status", "SEN Provision", "SEND", "SEND Status", "SEN Stage"),
    "eal": ("EAL", "First Language", "Home Language"),
    "cin": ("CiN", "Child in Need"),
    "lac": ("LAC", "Looked After", "In Care", "CLA", "Looked After Child", "Child Looked After"),
    "admission_date": ("Admission Date", "Date of Admission", "Entry Date", "Date of Entry"),
    "leaving_date": ("Leaving Date", "Date of Leaving", "Leave Date"),
    "academic_year": ("Academic Year",),
    "term": ("Term", "Term Name"),
    "half_term": ("Half Term", "Half", "Half-Term Number"),
    "name": ("Name", "Description"),
    "start_date": ("Start Date", "Start", "From", "Date From", "First Day"),
    "end_date": ("End Date", "End", "To", "Date To", "Last Day"),
}

LABELS: dict[str, str] = {
    "upn": "UPN (or Pupil UPN, Student ID, MIS ID, Admission No)",
    "date": "Date (or Session Date)",
    "session": "Session (AM/PM)",
    "mark": "Mark (or Code, Attendance Mark)",
    "period": "Period (or Lesson)",
    "subject": "Subject",
    "class": "Class",
    "minutes_late": "Minutes Late",
    "surname": "Surname",
    "forename": "Forename",
    "date_of_birth": "Date of Birth",
    "year_group": "Year Group",
    "form": "Reg Group (or Form, Tutor Group)",
    "gender": "Gender",
    "ethnicity": "Ethnicity",
    "fsm": "FSM",
    "sen": "SEN Provision",
    "eal": "EAL (or First Language)",
    "cin": "CiN",
    "lac": "LAC (or Looked After)",
    "admission_date": "Admission Date",
    "leaving_date": "Leaving Date",
    "academic_year": "Academic Year",
    "term": "Term",
    "half_term": "Half Term",
    "name": "Name (e.g. Autumn 1)",
    "start_date": "Start Date",
    "end_date": "End Date",
}

PUPIL_FIELDS = (
    "surname",
    "forename",
    "date_of_birth",
    "year_group",
    "form",
    "gender",
    "ethnicity",
    "fsm",
    "sen",
    "eal",
    "cin",
    "lac",
    "admission_date",
    "leaving_date",
    "academic_year",
)

REQUIRED: dict[str, tuple[str, ...]] = {
    "sessions": ("upn", "date", "session", "mark"),
    "lessons": ("upn", "date", "period", "mark"),
    "pupils": ("upn", "year_group"),
    "calendar": ("term", "half_term", "start_date", "end_date"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "sessions": (),
    "lessons": ("session", "subject", "class", "minutes_late"),
    "pupils": tuple(f for f in PUPIL_FIELDS if f != "year_group"),
    "calendar": ("name",),
}
KINDS = tuple(REQUIRED)


def _norm(text) -> str:
    return re.sub(r"[^a-z0-9]", "", str(text or "").lower())


_ALIAS_INDEX: dict[str, str] = {}
for _field, _names in ALIASES.items():
    for _name in _names:
        _ALIAS_INDEX.setdefault(_norm(_name), _field)


def field_of(header: str) -> str | None:
    """The field a column header stands for, or None."""
    return _ALIAS_INDEX.get(_norm(header))


# --- small value parsers (run once per distinct value) -----------------------------------------

EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (it counts 1900 as a leap year)
_MONTHS = {
    m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)
}


class BadValue(ValueError):
    """A cell that cannot be read; the message says why, for the data manager."""


def parse_date(text) -> date | None:
    """UK dates as MIS exports write them; None for blank. Raises BadValue when impossible.

    dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, d/m/yy, yyyy-mm-dd (with an optional time),
    2 Sep 2025, and Excel serial day numbers (45902).
    """
    s = str(text or "").strip()
    if not s:
        return None
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", s)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?", s)
        if m:
            d, mo, y = int(m[1]), int(m[2]), int(m[3])
            if len(m[3]) == 2:
                y += 2000 if y < 70 else 1900  # two-digit years: 00-69 are this century
        else:
            m = re.fullmatch(r"(\d{1,2})[ \-]([A-Za-z]{3})[a-z]*[ \-,]+(\d{4})", s)
            if m and m[2].lower() in _MONTHS:
                d, mo, y = int(m[1]), _MONTHS[m[2].lower()], int(m[3])
            elif re.fullmatch(r"\d{5}(?:\.0+)?", s):
                serial = int(float(s))
                if not 10000 <= serial <= 80000:  # 1927-2119: anything else is not a school date
                    raise BadValue(f"not a date: {s!r}")
                return EXCEL_EPOCH + timedelta(days=serial)
            else:
                raise BadValue("not a date (expected dd/mm/yyyy)")
    try:
        return date(y, mo, d)
    except ValueError:
        raise BadValue("impossible date") from None


_SESSIONS = {"am": "AM", "pm": "PM", "a": "AM", "p": "PM", "morning": "AM", "afternoon": "PM", "m": "AM"}


def parse_session(text) -> str:
    """AM / PM from AM, pm, Morning, Afternoon, A, P. Raises BadValue otherwise."""
    s = _SESSIONS.get(_norm(text))
    if s is None:
        raise BadValue("session must be AM or PM")
    return s


_YES = {"y", "yes", "true", "t", "1", "eligible", "fsm"}
_NO = {"n", "no", "false", "f", "0", "noteligible", "not", "none"}


def parse_yes_no(text) -> bool | None:
    """Y/N, Yes/No, True/False, 1/0; None for blank (unknown). Raises BadValue otherwise."""
    s = _norm(text)
    if not s:
        return None
    if s in _YES:
        return True
    if s in _NO:
        return False
    raise BadValue("expected Y or N (Yes/No, True/False, 1/0)")


def parse_year_group(text) -> int | None:
    """National curriculum year: 7, 07, Year 7, Y7, Yr 7, R, Reception, N1, N2; None for blank."""
    s = _norm(text)
    if not s:
        return None
    s = re.sub(r"^(year|yr|y|nc|ncyear)", "", s) or s
    if s in ("r", "rec", "reception"):
        return 0
    if s in ("n2", "nursery", "nursery2", "n"):
        return -1  # N2 is the year before Reception
    if s in ("n1", "nursery1"):
        return -2
    if s.isdigit() and 0 <= int(s) <= 14:
        return int(s)
    raise BadValue("not a year group (expected e.g. 7, Year 7, Y7, R)")


def parse_sen(text) -> str | None:
    """SEN provision E (EHC plan), K (SEN support) or N (none); None for blank."""
    s = _norm(text)
    if not s:
        return None
    if s in ("e", "ehc", "ehcp", "ehcplan", "s", "statement", "statemented") or "educationhealth" in s:
        return "E"
    if s in ("k", "a", "p", "sensupport", "support", "schoolaction", "schoolactionplus") or s.startswith("sensupport"):
        return "K"
    if s in ("n", "no", "none", "nosen", "nosend", "notsen") or "nospecial" in s:
        return "N"
    raise BadValue("SEN provision must be E, K or N (or EHC Plan, SEN Support, No SEN)")


_ENGLISH = {"english", "eng", "englishbelievedtobe", "engb", "believedtobeenglish"}
_LANGUAGE_UNKNOWN = {"notknown", "unknown", "informationnotobtained", "refused", "informationrefused", "notobtained"}


def parse_eal(text) -> bool | None:
    """EAL from Y/N or from a first language (English -> False, another language -> True)."""
    s = _norm(text)
    if not s or s in _LANGUAGE_UNKNOWN:
        return None
    if s in _YES or s in _NO:
        return parse_yes_no(text)
    return not (s in _ENGLISH or s.startswith("english"))  # another first language: EAL


def parse_gender(text) -> str | None:
    s = _norm(text)
    if not s:
        return None
    return {"m": "M", "male": "M", "boy": "M", "f": "F", "female": "F", "girl": "F"}.get(s, str(text).strip().upper())


def parse_mark(text) -> str | None:
    """Trimmed and upper-cased; blank, '-' or '.' is a missing mark (None)."""
    s = str(text or "").strip().upper()
    return None if s in ("", "-", ".") else s


def parse_period_number(text) -> int | None:
    """The ordinal of a period label: the last group of digits (1, P1, Mon:1, Period 5)."""
    m = re.search(r"(\d+)\D*$", str(text or ""))
    return int(m[1]) if m else None


def is_formula(text) -> bool:
    """A cell a spreadsheet would evaluate (CSV injection): starts with = + or @."""
    return bool(text) and str(text).lstrip()[:1] in ("=", "+", "@")


# --- wide registers -----------------------------------------------------------------------------

_WIDE = re.compile(
    r"^\s*(?:[A-Za-z]{3,9}\.?,?\s+)?"  # optional weekday: Mon, Monday,
    r"(\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2})"
    r"\s*[-_:]?\s*(am|pm|a|p|morning|afternoon)\s*$",
    re.IGNORECASE,
)


def wide_column(header) -> tuple[str, str] | None:
    """('02/09/2025', 'AM') for a wide register header such as 'Mon 02/09/2025 am'."""
    m = _WIDE.match(str(header or ""))
    if not m:
        return None
    return m[1], parse_session(m[2])


# --- layout --------------------------------------------------------------------------------------


@dataclass
class Layout:
    """What the importer makes of a file's header row."""

    kind: str | None  # sessions | lessons | pupils | calendar, or None when not importable
    columns: list[str]  # headers as found
    fields: dict[str, str]  # field -> header, recognised
    expected: list[str]  # fields the (likely) kind needs
    missing: list[str]  # of those, not found
    signature: str  # normalised headers, for remembering a hand mapping
    wide: bool = False  # one column per date and session
    wide_columns: list[str] = field(default_factory=list)
    guess: str | None = None  # the kind it most resembles when kind is None
    header_line: int = 1

    def message(self) -> str:
        """Why the file cannot be imported, for the data manager."""
        found = ", ".join(c for c in self.columns if c) or "(none)"
        if self.guess:
            missing = "; ".join(LABELS[f] for f in self.missing)
            return (
                f"looks like a {self.guess} file but has no column for: {missing}. Columns found: {found}. "
                f"Expected: {', '.join(LABELS[f] for f in self.expected)}"
            )
        expected = "; ".join(
            f"{kind}: {', '.join(LABELS[f] for f in REQUIRED[kind])}" for kind in ("sessions", "lessons", "pupils")
        )
        return (
            f"layout not recognised. Columns found: {found}. Expected one of — {expected}; "
            "or a wide register with a UPN column and columns like '02/09/2025 AM'"
        )


def signature_of(headers: list[str]) -> str:
    return "|".join(_norm(h) for h in headers)


def recognise(headers: list[str], mapping: dict[str, str] | None = None, header_line: int = 1) -> Layout:
    """Match headers to fields; ``mapping`` ({header: field}) overrides the aliases."""
    mapping = {k: v for k, v in (mapping or {}).items() if v}
    fields: dict[str, str] = {}
    for h, f in mapping.items():
        if f in ALIASES and h in headers:
            fields.setdefault(f, h)
    for h in headers:
        if h in mapping:
            continue
        f = field_of(h)
        if f and f not in fields:
            fields[f] = h
    wide_cols = [h for h in headers if h not in mapping and wide_column(h)]
    if "class" in fields and "form" not in fields and "period" not in fields:
        fields["form"] = fields.pop("class")  # a primary school's class is its registration group
    if "name" in fields and "term" not in fields:
        fields["term"] = fields["name"]  # "Autumn 1": term and half-term in one column
    if "term" in fields and "half_term" not in fields:
        fields["half_term"] = fields["term"]

    def layout(kind, guess=None, wide=False):
        k = kind or guess
        expected = list(REQUIRED[k]) if k else []
        if k == "sessions" and wide:
            expected = ["upn"]
        missing = [f for f in expected if f not in fields]
        return Layout(
            kind,
            list(headers),
            fields,
            expected,
            missing,
            signature_of(headers),
            wide=wide,
            wide_columns=wide_cols if wide else [],
            guess=guess,
            header_line=header_line,
        )

    has = fields.__contains__
    if has("start_date") and has("end_date") and has("term") and not has("upn"):
        return layout("calendar")
    if wide_cols and not has("mark"):
        return layout("sessions", wide=True) if has("upn") else layout(None, "sessions", wide=True)
    if has("mark") or has("period") or (has("date") and has("session")):
        kind = "lessons" if has("period") else "sessions"
        return layout(kind) if all(has(f) for f in REQUIRED[kind]) else layout(None, kind)
    pupil_fields = [f for f in PUPIL_FIELDS if has(f)]
    if has("upn") and pupil_fields:
        return layout("pupils")
    if len(pupil_fields) >= 2:
        return layout(None, "pupils")
    if has("start_date") or has("end_date"):
        return layout(None, "calendar")
    return layout(None)


def _score(headers: list[str]) -> int:
    return sum(1 for h in headers if field_of(h)) + (3 if any(wide_column(h) for h in headers) else 0)


# --- reading files --------------------------------------------------------------------------------


class ReadError(ValueError):
    """The file as a whole cannot be read; the message is for the data manager."""


@dataclass
class Source:
    name: str
    data: bytes
    path: Path | None = None  # the original file on disk, when there is one

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def suffix(self) -> str:
        name = self.name.lower()
        for ext in (".csv.gz", ".txt.gz", ".xlsx", ".xlsm", ".xls", ".csv", ".txt", ".tsv", ".gz"):
            if name.endswith(ext):
                return ext
        return Path(name).suffix


def open_source(source) -> Source:
    """A path or a ``(file_name, bytes)`` pair (an upload) as a Source. Raises OSError when unreadable."""
    if isinstance(source, tuple):
        name, data = source
        return Source(Path(str(name)).name, bytes(data))
    path = Path(source)
    return Source(path.name, path.read_bytes(), path)


@dataclass
class RawTable:
    """A file loaded into DuckDB: temp table ``table`` with columns line, c0..cN (VARCHAR)."""

    table: str
    headers: list[str]
    header_line: int
    rows: int


_HEADER_SCAN = 10  # header may sit below a title block of a few lines


def _xlsx_rows(src: Source):
    """Rows of the first sheet with a recognisable header (else the first sheet), cells as text."""
    import openpyxl

    if src.data[:2] != b"PK":
        raise ReadError(
            "is not an Excel workbook (.xlsx), although its name says so: save it again from Excel as .xlsx or CSV"
        )
    try:
        wb = openpyxl.load_workbook(io.BytesIO(src.data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ReadError(
            f"cannot be opened as an Excel workbook ({type(exc).__name__}): save it again as .xlsx or CSV"
        ) from None
    sheets = wb.worksheets
    chosen = sheets[0] if sheets else None
    for ws in sheets:
        head = [[_cell_text(v) for v in row] for row in ws.iter_rows(max_row=_HEADER_SCAN, values_only=True)]
        if any(_score([h or "" for h in row]) >= 2 for row in head):
            chosen = ws
            break
    if chosen is None:
        raise ReadError("is an empty workbook")
    for row in chosen.iter_rows(values_only=True):
        yield [_cell_text(v) for v in row]
    wb.close()


def _cell_text(v) -> str | None:
    """An Excel cell as the text a CSV export would hold (dates as yyyy-mm-dd)."""
    if v is None:
        return None
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == time(0) else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, int):
        return str(v)
    text = str(v)
    return text if text.strip() else None


def _decode(src: Source) -> str:
    data = src.data
    if src.suffix.endswith(".gz") or data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            raise ReadError("is not a readable gzip file") from None
    if not data.strip():
        raise ReadError("is empty")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4000].count(b"\x00") > 0:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[1:200:2].count(b"\x00") > 50:
            raise ReadError(
                "is encoded as UTF-16 (Excel's 'Unicode Text'), which is not supported: "
                "save it as 'CSV UTF-8' or 'CSV (comma delimited)' and import again"
            )
        raise ReadError("is not a text file (it contains binary data): export the register as CSV or .xlsx")
    if data[:4] == b"PK\x03\x04":
        raise ReadError("is a zip or Excel file with a CSV name: rename it to .xlsx, or export it as CSV")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # Excel's "CSV (comma delimited)" on UK Windows
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _sniff_separator(lines: list[str]) -> str:
    """The separator that splits the header-like lines most consistently: , ; or tab."""
    best, best_score = ",", 0
    for sep in (",", ";", "\t", "|"):
        counts = [len(next(csv.reader([ln], delimiter=sep), [])) for ln in lines[:5] if ln.strip()]
        if not counts:
            continue
        score = max(counts) if max(counts) > 1 else 0
        if score > best_score:
            best, best_score = sep, score
    return best


def _header_index(rows: list[list[str | None]]) -> int:
    """Index of the header row among the first rows: the one that names most known fields."""
    best, best_score = None, 0
    for i, row in enumerate(rows[:_HEADER_SCAN]):
        score = _score([c or "" for c in row])
        if score > best_score:
            best, best_score = i, score
    if best is not None:
        return best
    for i, row in enumerate(rows):
        if any(c and str(c).strip() for c in row):
            return i
    return 0


def read_header(source) -> tuple[list[str], int]:
    """The header row and its line number (1-based), reading only the top of the file."""
    src = source if isinstance(source, Source) else open_source(source)
    if src.suffix in (".xlsx", ".xlsm"):
        rows = []
        for row in _xlsx_rows(src):
            rows.append(row)
            if len(rows) >= _HEADER_SCAN:
                break
    else:
        _reject_legacy_excel(src)
        text = _decode(src)
        lines = text.splitlines()[:_HEADER_SCAN]
        sep = _sniff_separator([ln for ln in lines if ln.strip()])
        rows = [next(csv.reader([ln], delimiter=sep), []) for ln in lines]
    if not rows or not any(any(c and str(c).strip() for c in r) for r in rows):
        raise ReadError("is empty")
    i = _header_index(rows)
    return [str(c).strip() if c is not None else "" for c in rows[i]], i + 1


def _reject_legacy_excel(src: Source) -> None:
    if src.suffix == ".xls" or src.data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ReadError("is an old-style Excel .xls file: save it as .xlsx or CSV and import again")


def detect_layout(source, mapping: dict[str, str] | None = None) -> Layout:
    """The layout of a file (path or (name, bytes)), for the manual column-mapping screen."""
    headers, header_line = read_header(source)
    return recognise(headers, mapping, header_line)


def load_table(con: duckdb.DuckDBPyConnection, source: Source, table: str, tmpdir: Path) -> RawTable:
    """Load a file into temp table ``table`` (line, c0..cN VARCHAR). Raises ReadError."""
    if source.suffix in (".xlsx", ".xlsm"):
        return _load_xlsx(con, source, table)
    _reject_legacy_excel(source)
    return _load_csv(con, source, table, tmpdir)


def _load_xlsx(con, src: Source, table: str) -> RawTable:
    import pyarrow as pa

    rows = list(_xlsx_rows(src))
    if not rows or not any(any(c is not None for c in r) for r in rows):
        raise ReadError("is empty")
    h = _header_index(rows)
    headers = [(c or "").strip() for c in rows[h]]
    n = len(headers)
    lines, cols = [], [[] for _ in range(n)]
    for i, row in enumerate(rows[h + 1 :], start=h + 2):
        if not any(c is not None for c in row):
            continue
        lines.append(i)
        for j in range(n):
            cols[j].append(row[j] if j < len(row) else None)
    arrow = pa.table(
        {"line": pa.array(lines, pa.int64()), **{f"c{j}": pa.array(cols[j], pa.string()) for j in range(n)}}
    )
    temp_table_from_arrow(con, table, arrow)
    return RawTable(table, headers, h + 1, len(lines))


def temp_table_from_arrow(con: duckdb.DuckDBPyConnection, table: str, arrow) -> None:
    """Copy an Arrow table into a DuckDB temp table (never into the database file)."""
    # DuckDB 2 refuses register() while an earlier result is unread: finish it first.
    con.execute("SELECT 1").fetchall()
    con.register("_arrow_upload", arrow)
    try:
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{table}" AS SELECT * FROM _arrow_upload').fetchall()
    finally:
        con.unregister("_arrow_upload")


def _load_csv(con, src: Source, table: str, tmpdir: Path) -> RawTable:
    text = _decode(src)
    head_lines = text[:200_000].splitlines()[: _HEADER_SCAN + 1]
    sep = _sniff_separator([ln for ln in head_lines[:_HEADER_SCAN] if ln.strip()])
    rows = [next(csv.reader([ln], delimiter=sep), []) for ln in head_lines[:_HEADER_SCAN]]
    if not any(any(c.strip() for c in r) for r in rows):
        raise ReadError("is empty")
    h = _header_index(rows)
    headers = [c.strip() for c in rows[h]]
    n = len(headers)
    # Skip the header (and any title lines above it) as text so DuckDB reads only data rows.
    pos = 0
    for _ in range(h + 1):
        nl = text.find("\n", pos)
        pos = len(text) if nl < 0 else nl + 1
    body = text[pos:]
    if not body.strip():
        raise ReadError("has a header row but no data rows")
    # DuckDB skips blank lines, which would shift line numbers: keep them as empty rows instead.
    if re.search(r"\n\r?\n", body) or body.startswith(("\n", "\r\n")):
        body = re.sub(r"(?m)^\r?$", sep, body.rstrip("\r\n")) + "\n"
    path = tmpdir / f"{table}.csv"
    path.write_text(body, encoding="utf-8")
    columns = "{" + ", ".join(f"'c{j}': 'VARCHAR'" for j in range(n)) + "}"
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE "{table}_t" AS
                SELECT * FROM read_csv(?, delim = ?, header = false, columns = {columns}, quote = '"',
                    escape = '"', null_padding = true, auto_detect = false, strict_mode = false)""",
            [str(path), sep],
        )
    except duckdb.Error as exc:
        raise ReadError(f"cannot be read as CSV: {str(exc).splitlines()[0]}") from None
    finally:
        path.unlink(missing_ok=True)
    # A table keeps file order in its rowid (insertion order is preserved): that gives line numbers.
    con.execute(f'CREATE OR REPLACE TEMP VIEW "{table}" AS SELECT rowid + {h + 2} AS line, * FROM "{table}_t"')
    count = con.execute(f'SELECT count(*) FROM "{table}_t"').fetchone()[0]
    return RawTable(table, headers, h + 1, count)

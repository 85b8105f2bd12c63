"""The importer: MIS exports in, validated, written in one transaction.

Two front doors share this code path: ``python -m data import FILE...`` (a
nightly scheduled job) and the app's Import page (uploads as ``(name, bytes)``).

    result = import_files(con, ["pupils.xlsx", "marks.csv"], school_id="100001")
    if not result.ok:
        print(result.summary())

How it works: every file is loaded into a DuckDB temp table of strings
(``readers.load_table``), its kind recognised from its headers, and its values
parsed once per *distinct* value (dates, sessions, codes) into small lookup
tables that are joined back in SQL. Every check (unknown codes, impossible
dates, sessions other than AM/PM, unknown pupils, duplicates, formulas) is a
query over the staged rows. Only when the whole batch is clean does one
transaction write it: pupils are upserted, marks with the same key (school,
pupil, date, session) or (school, pupil, date, period) are deleted and
re-inserted, so re-importing an overlapping export replaces rather than adds.

Decisions a data manager should know:
- A refused batch writes nothing at all, not even an import-log entry: the
  database is exactly as it was. The refusal is reported to the caller (stderr
  and exit code 1 on the command line).
- With no ``school_id`` the importer uses the database's only school; when the
  database has none it creates school ``school`` ("My school", phase from the
  pupils' year groups: any Year 7 or above makes it secondary).
- A pupils file's academic year is its ``Academic Year`` column, else the
  ``year`` argument, else the current academic year.
- Marks for a pupil with no enrolment in that academic year get one carried
  from the pupil's nearest year (year group shifted, ``source = 'carried'``).
- Blank, ``-`` or ``.`` marks are stored as missing (NULL code).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from data import calendar as school_calendar
from data import db, on_roll, readers, staging
from data.readers import BadValue, Layout, RawTable, Source

PROBLEMS_SHOWN = 20  # the summary lists this many, then a count
PROBLEMS_KEPT = 500  # per check and file: enough to fix a file, bounded for a 50 MB file of errors
DEFAULT_SCHOOL = ("school", "My school")


@dataclass
class Problem:
    file: str | None
    line: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file or "import"]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column '{self.column}'")
        if self.value not in (None, ""):
            where.append(f"value '{self.value}'")
        return f"{', '.join(where)}: {self.message}"


@dataclass
class FileOutcome:
    name: str
    kind: str | None
    rows: int
    sha256: str
    replaced: int = 0  # existing rows this file replaced (re-imported marks, updated pupils)


@dataclass
class ImportResult:
    ok: bool
    problems: list[Problem] = field(default_factory=list)
    files: list[FileOutcome] = field(default_factory=list)
    problem_count: int = 0  # every problem found, including those not kept in ``problems``
    school_id: str | None = None
    usage_error: bool = False  # the request itself was wrong (file missing, several schools)

    def summary(self) -> str:
        if self.ok:
            lines = [f"Imported {len(self.files)} file(s) into school {self.school_id}:"]
            for f in self.files:
                extra = f"; replaced {f.replaced:,}" if f.replaced else ""
                lines.append(f"  {f.name}: {f.kind}, {f.rows:,} rows{extra}")
            return "\n".join(lines)
        total = max(self.problem_count, len(self.problems))
        lines = [f"Refused: nothing was imported. {total:,} problem(s):"]
        lines += [f"  {p}" for p in self.problems[:PROBLEMS_SHOWN]]
        if total > PROBLEMS_SHOWN:
            lines.append(f"  ... and {total - PROBLEMS_SHOWN:,} more")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "school_id": self.school_id,
            "files": [asdict(f) for f in self.files],
            "problem_count": max(self.problem_count, len(self.problems)),
            "problems": [asdict(p) for p in self.problems],
        }


# --- mappings saved from the app ----------------------------------------------------------------


def save_mapping(con: duckdb.DuckDBPyConnection, signature: str, kind: str, mapping: dict[str, str]) -> None:
    """Remember a hand mapping ({file column: field}) for files with this header signature."""
    con.execute(
        "INSERT OR REPLACE INTO column_mappings (signature, kind, mapping, saved_at) VALUES (?, ?, ?, current_timestamp)",
        [signature, kind, json.dumps(mapping, sort_keys=True)],
    )


def saved_mapping(con: duckdb.DuckDBPyConnection, signature: str) -> dict[str, str] | None:
    row = con.execute("SELECT mapping FROM column_mappings WHERE signature = ?", [signature]).fetchone()
    return json.loads(row[0]) if row else None


# --- the batch ----------------------------------------------------------------------------------


@dataclass
class _File:
    index: int
    src: Source
    raw: RawTable
    layout: Layout
    stage: str = ""  # temp table of parsed rows, ready to write
    rows: int = 0
    years: set[int] = field(default_factory=set)

    @property
    def kind(self) -> str:
        return self.layout.kind

    def col(self, fld: str) -> str | None:
        """The raw table column (c3) holding ``fld``, or None."""
        header = self.layout.fields.get(fld)
        return f"c{self.raw.headers.index(header)}" if header is not None else None


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.count = 0
        self.usage = False

    def add(self, problem: Problem, usage: bool = False) -> None:
        self.items.append(problem)
        self.count += 1
        self.usage = self.usage or usage

    def query(self, con, f: _File, sql: str, params: list, column: str | None, message) -> None:
        """Add a problem per row of ``sql`` (columns: line, value[, detail]); ``message`` text or fn(detail)."""
        rows = con.execute(
            f"SELECT *, count(*) OVER () AS n FROM ({sql}) ORDER BY line LIMIT {PROBLEMS_KEPT}", params
        ).fetchall()
        if not rows:
            return
        for row in rows:
            text = message(row[2]) if callable(message) else message
            where = row[3] if len(row) > 4 else column  # a fourth column names the file column per row
            self.items.append(Problem(f.src.name, int(row[0]), where, row[1], text))
        self.count += rows[0][-1]

    def sorted(self, order: dict[str, int]) -> list[Problem]:
        return sorted(self.items, key=lambda p: (order.get(p.file, -1), p.line or 0))


def _year_arg(year) -> int | None:
    if year is None or year == "":
        return None
    return year if isinstance(year, int) else db.parse_academic_year(year)


def import_files(
    con: duckdb.DuckDBPyConnection,
    sources: list,
    school_id: str | None = None,
    year: str | int | None = None,
    mapping: dict[str, str] | None = None,
) -> ImportResult:
    """Validate every file, then write them all in one transaction, or nothing at all.

    ``sources``: paths or ``(file_name, bytes)`` pairs. ``mapping`` ({file column:
    field}) is a hand mapping for headers the importer does not recognise; without
    one, a mapping saved for the same header signature is used.
    """
    problems = _Problems()
    try:
        default_year = _year_arg(year)
    except ValueError as exc:
        problems.add(Problem(None, None, None, str(year), str(exc)), usage=True)
        return _refused(problems, {}, None)
    if default_year is None:
        default_year = db.academic_year_of(date.today())
    temps: list[str] = []
    files: list[_File] = []
    con.execute("SET enable_progress_bar = false").fetchall()  # a nightly job's log wants no progress bars
    with tempfile.TemporaryDirectory(prefix="attendance-import-") as tmp:
        try:
            for i, source in enumerate(sources):
                f = _load(con, i, source, mapping, Path(tmp), problems, temps)
                if f:
                    files.append(f)
            order = {f.src.name: f.index for f in files}
            school, new_school = _resolve_school(con, school_id, problems)
            codes = {r[0] for r in con.execute("SELECT code FROM codes").fetchall()}
            # Pupils first, so marks in the same batch can refer to them.
            batch_pupils = "_imp_batch_pupils"
            temps.append(batch_pupils)
            con.execute(f"CREATE OR REPLACE TEMP TABLE {batch_pupils} (upn VARCHAR)")
            for f in sorted(files, key=lambda f: ("pupils", "calendar", "sessions", "lessons").index(f.kind)):
                stager = {"pupils": _stage_pupils, "sessions": _stage_sessions, "lessons": _stage_lessons}.get(f.kind)
                if f.kind == "calendar":
                    _stage_calendar(con, f, problems, temps)
                elif stager is _stage_pupils:
                    _stage_pupils(con, f, default_year, problems, temps)
                    con.execute(f"INSERT INTO {batch_pupils} SELECT upn FROM {f.stage}")
                else:
                    stager(con, f, school, codes, batch_pupils, problems, temps)
            if problems.count or school is None:
                return _refused(problems, order, school)
            outcomes = _write(con, files, school, new_school)
            return ImportResult(True, [], outcomes, 0, school)
        finally:
            _drop(con, temps)


def _drop(con, temps: list[str]) -> None:
    """Drop the batch's temp tables and views (raw CSV tables are views over a table)."""
    con.execute("SELECT 1").fetchall()
    for t in reversed(temps):
        for kind in ("VIEW", "TABLE"):
            try:
                con.execute(f'DROP {kind} IF EXISTS "{t}"').fetchall()
            except duckdb.CatalogException:
                pass


def _refused(problems: _Problems, order: dict[str, int], school: str | None) -> ImportResult:
    return ImportResult(False, problems.sorted(order), [], problems.count, school, problems.usage)


def _load(con, i: int, source, mapping, tmp: Path, problems: _Problems, temps: list[str]) -> _File | None:
    name = source[0] if isinstance(source, tuple) else Path(source).name
    try:
        src = readers.open_source(source)
    except OSError as exc:
        problems.add(Problem(str(name), None, None, None, f"cannot be read ({exc.strerror or exc})"), usage=True)
        return None
    table = f"_imp_raw{i}"
    temps += [f"{table}_t", table]
    try:
        raw = readers.load_table(con, src, table, tmp)
    except readers.ReadError as exc:
        problems.add(Problem(src.name, None, None, None, str(exc)))
        return None
    signature = readers.signature_of(raw.headers)
    layout = readers.recognise(raw.headers, mapping or saved_mapping(con, signature), raw.header_line)
    if layout.kind is None:
        problems.add(Problem(src.name, raw.header_line, None, None, layout.message()))
        return None
    if raw.rows == 0:
        problems.add(Problem(src.name, None, None, None, "has a header row but no data rows"))
        return None
    return _File(i, src, raw, layout)


def _resolve_school(con, school_id: str | None, problems: _Problems) -> tuple[str | None, bool]:
    """The school to import into, and whether it must be created."""
    schools = [r[0] for r in con.execute("SELECT school_id FROM schools ORDER BY school_id").fetchall()]
    if school_id:
        return school_id, school_id not in schools
    if len(schools) == 1:
        return schools[0], False
    if not schools:
        return DEFAULT_SCHOOL[0], True
    problems.add(
        Problem(None, None, None, None, f"the database holds {len(schools)} schools: say which with --school"),
        usage=True,
    )
    return None, False


def _lookup(con, name: str, values: list[str], parse: Callable, arrow_type, temps: list[str]) -> str:
    """A temp table (raw, val, err) parsing each distinct raw value once."""
    vals, errs = [], []
    for v in values:
        try:
            vals.append(parse(v))
            errs.append(None)
        except BadValue as exc:
            vals.append(None)
            errs.append(str(exc))
    arrow = pa.table(
        {"raw": pa.array(values, pa.string()), "val": pa.array(vals, arrow_type), "err": pa.array(errs, pa.string())}
    )
    temps.append(name)
    readers.temp_table_from_arrow(con, name, arrow)
    return name


def _distinct(con, table: str, column: str) -> list[str]:
    return [r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall()]


def _text(col: str | None) -> str:
    """SQL for a trimmed cell, '' when blank or the column is absent."""
    return f"coalesce(trim({col}), '')" if col else "''"


def _code_parser(codes: set[str]) -> Callable:
    def parse(raw: str) -> str | None:
        if readers.is_formula(raw):
            raise BadValue("spreadsheet formula in a mark cell (refused, never evaluated)")
        code = readers.parse_mark(raw)
        if code is not None and code not in codes:
            raise BadValue("unknown attendance code (see the DfE code table)")
        return code

    return parse


def _required_date(raw: str) -> date:
    d = readers.parse_date(raw)
    if d is None:
        raise BadValue("missing date")
    return d


_ACADEMIC_YEAR_SQL = "CASE WHEN month({d}) >= 9 THEN year({d}) ELSE year({d}) - 1 END"


def _check_identity(con, f: _File, stage: str, problems: _Problems) -> None:
    upn_col = f.layout.fields["upn"]
    problems.query(
        con,
        f,
        f"SELECT line, upn AS value FROM {stage} WHERE regexp_matches(upn, '^[=+@]')",
        [],
        upn_col,
        "spreadsheet formula in an identifier cell (refused, never evaluated)",
    )
    problems.query(con, f, f"SELECT line, '' AS value FROM {stage} WHERE upn = ''", [], upn_col, "missing pupil UPN")


def _check_marks_common(con, f, stage, school, batch_pupils, problems, mark_column, key_sql, key_name) -> None:
    """Checks shared by session and lesson marks, on a stage with date/date_err, mark_raw/code_err."""
    _check_identity(con, f, stage, problems)
    problems.query(
        con,
        f,
        f"SELECT line, date_raw AS value, date_err FROM {stage} WHERE date_err IS NOT NULL",
        [],
        f.layout.fields.get("date"),
        lambda err: err,
    )
    problems.query(
        con,
        f,
        f"SELECT line, mark_raw AS value, code_err FROM {stage} WHERE code_err IS NOT NULL",
        [],
        mark_column,
        lambda err: err,
    )
    problems.query(
        con,
        f,
        f"""SELECT line, '' AS value FROM {stage} s
            WHERE s.upn <> '' AND NOT regexp_matches(s.upn, '^[=+@]')
              AND s.upn NOT IN (SELECT upn FROM pupils WHERE school_id = ?)
              AND s.upn NOT IN (SELECT upn FROM {batch_pupils})""",
        [school],
        f.layout.fields["upn"],
        "pupil not known to this school: import the pupils file first, or in the same batch",
    )
    problems.query(
        con,
        f,
        f"""SELECT line, value, first_line FROM (
                SELECT line, {key_sql} AS value,
                       row_number() OVER w AS n, first_value(line) OVER w AS first_line
                FROM {stage}
                WHERE upn <> '' AND date IS NOT NULL AND {key_name} IS NOT NULL
                WINDOW w AS (PARTITION BY upn, date, {key_name} ORDER BY line)
            ) WHERE n > 1""",
        [],
        None,
        lambda first: f"duplicate mark: same pupil, date and {key_name} as line {first}",
    )


def _stage_sessions(con, f: _File, school, codes, batch_pupils, problems: _Problems, temps) -> None:
    raw, i = f.raw.table, f.index
    pre = f"_imp_pre{i}"
    temps.append(pre)
    upn = f"upper({_text(f.col('upn'))})"
    if f.layout.wide:
        wide_map = _wide_map(con, f, problems, temps)
        cols = ", ".join(f"c{f.raw.headers.index(h)}" for h in f.layout.wide_columns)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {pre} AS
                SELECT u.line, u.upn, w.date_raw, w.session_raw, coalesce(trim(u.v), '') AS mark_raw, w.header
                FROM (SELECT line, {upn} AS upn, v, col FROM {raw}
                      UNPIVOT INCLUDE NULLS (v FOR col IN ({cols}))) u
                JOIN {wide_map} w USING (col)"""
        )
        # A row with no UPN and no marks (a spacer or a totals line) is not data.
        con.execute(
            f"""DELETE FROM {pre} WHERE upn = '' AND line IN (
                  SELECT line FROM {pre} GROUP BY line HAVING max(mark_raw) = '')"""
        )
    else:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {pre} AS
                SELECT line, {upn} AS upn, {_text(f.col("date"))} AS date_raw,
                       {_text(f.col("session"))} AS session_raw, {_text(f.col("mark"))} AS mark_raw
                FROM {raw}
                WHERE {_text(f.col("upn"))} <> '' OR {_text(f.col("date"))} <> '' OR {_text(f.col("mark"))} <> ''"""
        )
    dates = _lookup(con, f"_imp_dates{i}", _distinct(con, pre, "date_raw"), _required_date, pa.date32(), temps)
    sessions = _lookup(
        con, f"_imp_sess{i}", _distinct(con, pre, "session_raw"), readers.parse_session, pa.string(), temps
    )
    marks = _lookup(con, f"_imp_codes{i}", _distinct(con, pre, "mark_raw"), _code_parser(codes), pa.string(), temps)
    f.stage = f"_imp_stage{i}"
    temps.append(f.stage)
    header = "p.header" if f.layout.wide else "NULL::VARCHAR"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {f.stage} AS
            SELECT p.line, p.upn, d.val AS date, s.val AS session, m.val AS code,
                   p.date_raw, p.session_raw, p.mark_raw, d.err AS date_err, s.err AS session_err,
                   m.err AS code_err, {header} AS header
            FROM {pre} p
            JOIN {dates} d ON d.raw = p.date_raw
            JOIN {sessions} s ON s.raw = p.session_raw
            JOIN {marks} m ON m.raw = p.mark_raw"""
    )
    mark_column = f.layout.fields.get("mark")
    if f.layout.wide:
        # In a wide register the column names the date and session; report it per problem.
        problems.query(
            con,
            f,
            f"SELECT line, mark_raw AS value, code_err, header FROM {f.stage} WHERE code_err IS NOT NULL",
            [],
            None,
            lambda err: err,
        )
        con.execute(f"UPDATE {f.stage} SET code_err = NULL")
    else:
        problems.query(
            con,
            f,
            f"SELECT line, session_raw AS value, session_err FROM {f.stage} WHERE session_err IS NOT NULL",
            [],
            f.layout.fields.get("session"),
            lambda err: err if err else "session must be AM or PM",
        )
    _check_marks_common(
        con,
        f,
        f.stage,
        school,
        batch_pupils,
        problems,
        mark_column,
        "strftime(date, '%d/%m/%Y') || ' ' || session",
        "session",
    )
    f.rows = con.execute(f"SELECT count(*) FROM {f.stage}").fetchone()[0]


def _wide_map(con, f: _File, problems: _Problems, temps) -> str:
    """(col, header, date_raw, session_raw) per date-and-session column, checking the headers."""
    rows, seen = [], {}
    for h in f.layout.wide_columns:
        text, session = readers.wide_column(h)
        try:
            d = readers.parse_date(text)
        except BadValue as exc:
            problems.add(Problem(f.src.name, f.raw.header_line, h, text, str(exc)))
            continue
        if (d, session) in seen:
            problems.add(
                Problem(
                    f.src.name, f.raw.header_line, h, None, f"the same date and session as column '{seen[d, session]}'"
                )
            )
            continue
        seen[d, session] = h
        rows.append((f"c{f.raw.headers.index(h)}", h, d.isoformat(), session))
    name = f"_imp_wide{f.index}"
    temps.append(name)
    arrow = pa.table(
        {
            k: pa.array([r[j] for r in rows], pa.string())
            for j, k in enumerate(["col", "header", "date_raw", "session_raw"])
        }
    )
    readers.temp_table_from_arrow(con, name, arrow)
    return name


def _minutes(raw: str) -> int | None:
    s = raw.strip().lower().removesuffix("mins").removesuffix("min").strip()
    if not s:
        return None
    if s.isdigit():
        return int(s)
    if s.replace(".", "", 1).isdigit():
        return round(float(s))
    raise BadValue("minutes late must be a whole number")


def _stage_lessons(con, f: _File, school, codes, batch_pupils, problems: _Problems, temps) -> None:
    raw, i = f.raw.table, f.index
    pre = f"_imp_pre{i}"
    temps.append(pre)
    subject = f.col("subject") or f.col("class")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {pre} AS
            SELECT line, upper({_text(f.col("upn"))}) AS upn, {_text(f.col("date"))} AS date_raw,
                   {_text(f.col("session"))} AS session_raw, {_text(f.col("mark"))} AS mark_raw,
                   {_text(f.col("period"))} AS period, nullif({_text(subject)}, '') AS subject,
                   {_text(f.col("minutes_late"))} AS minutes_raw
            FROM {raw}
            WHERE {_text(f.col("upn"))} <> '' OR {_text(f.col("date"))} <> '' OR {_text(f.col("mark"))} <> ''"""
    )
    dates = _lookup(con, f"_imp_dates{i}", _distinct(con, pre, "date_raw"), _required_date, pa.date32(), temps)

    def optional_session(raw: str) -> str | None:
        return readers.parse_session(raw) if raw.strip() else None

    sessions = _lookup(con, f"_imp_sess{i}", _distinct(con, pre, "session_raw"), optional_session, pa.string(), temps)
    marks = _lookup(con, f"_imp_codes{i}", _distinct(con, pre, "mark_raw"), _code_parser(codes), pa.string(), temps)
    minutes = _lookup(con, f"_imp_mins{i}", _distinct(con, pre, "minutes_raw"), _minutes, pa.int32(), temps)
    periods = _lookup(
        con, f"_imp_periods{i}", _distinct(con, pre, "period"), readers.parse_period_number, pa.int32(), temps
    )
    f.stage = f"_imp_stage{i}"
    temps.append(f.stage)
    # A lesson's registration session: its own column, else the period number: the first 60%
    # of the day's periods (rounded up) are morning lessons (5 periods: 1-3 AM, 4-5 PM).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {f.stage} AS
            WITH staged AS (
                SELECT p.line, p.upn, d.val AS date, nullif(p.period, '') AS period, pn.val AS period_number,
                       s.val AS given_session, p.subject, m.val AS code, mi.val AS minutes_late,
                       p.date_raw, p.session_raw, p.mark_raw, p.minutes_raw,
                       d.err AS date_err, s.err AS session_err, m.err AS code_err, mi.err AS minutes_err
                FROM {pre} p
                JOIN {dates} d ON d.raw = p.date_raw
                JOIN {sessions} s ON s.raw = p.session_raw
                JOIN {marks} m ON m.raw = p.mark_raw
                JOIN {minutes} mi ON mi.raw = p.minutes_raw
                JOIN {periods} pn ON pn.raw = p.period
            ), day_periods AS (SELECT date, max(period_number) AS last_period FROM staged GROUP BY date)
            SELECT staged.*, coalesce(given_session,
                       CASE WHEN period_number IS NULL THEN NULL
                            WHEN period_number <= ceil(0.6 * last_period) THEN 'AM' ELSE 'PM' END) AS session
            FROM staged LEFT JOIN day_periods USING (date)"""
    )
    problems.query(
        con,
        f,
        f"SELECT line, '' AS value FROM {f.stage} WHERE period IS NULL",
        [],
        f.layout.fields.get("period"),
        "missing period",
    )
    problems.query(
        con,
        f,
        f"SELECT line, session_raw AS value, session_err FROM {f.stage} WHERE session_err IS NOT NULL",
        [],
        f.layout.fields.get("session"),
        lambda err: err,
    )
    problems.query(
        con,
        f,
        f"SELECT line, minutes_raw AS value, minutes_err FROM {f.stage} WHERE minutes_err IS NOT NULL",
        [],
        f.layout.fields.get("minutes_late"),
        lambda err: err,
    )
    _check_marks_common(
        con,
        f,
        f.stage,
        school,
        batch_pupils,
        problems,
        f.layout.fields.get("mark"),
        "strftime(date, '%d/%m/%Y') || ' period ' || period",
        "period",
    )
    f.rows = con.execute(f"SELECT count(*) FROM {f.stage}").fetchone()[0]


# Pupil fields: (column in pupils/enrolments, parser, arrow type). Identity lives in pupils.
_PUPIL_IDENTITY = {
    "surname": (lambda s: s.strip() or None, pa.string()),
    "forename": (lambda s: s.strip() or None, pa.string()),
    "date_of_birth": (readers.parse_date, pa.date32()),
    "gender": (readers.parse_gender, pa.string()),
    "ethnicity": (lambda s: s.strip() or None, pa.string()),
}
_ENROLMENT = {
    "year_group": (readers.parse_year_group, pa.int32()),
    "form": (lambda s: s.strip() or None, pa.string()),
    "fsm": (readers.parse_yes_no, pa.bool_()),
    "sen": (readers.parse_sen, pa.string()),
    "eal": (readers.parse_eal, pa.bool_()),
    "cin": (readers.parse_yes_no, pa.bool_()),
    "lac": (readers.parse_yes_no, pa.bool_()),
    "admission_date": (readers.parse_date, pa.date32()),
    "leaving_date": (readers.parse_date, pa.date32()),
}


def _academic_year_value(raw: str) -> int | None:
    if not raw.strip():
        return None
    try:
        return db.parse_academic_year(raw)
    except ValueError:
        raise BadValue("not an academic year (expected e.g. 2025/26)") from None


def _stage_pupils(con, f: _File, default_year: int, problems: _Problems, temps) -> None:
    raw, i = f.raw.table, f.index
    present = [k for k in (*_PUPIL_IDENTITY, *_ENROLMENT, "academic_year") if f.col(k)]
    selects = [f"{_text(f.col(k))} AS {k}_raw" for k in present]
    pre = f"_imp_pre{i}"
    temps.append(pre)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {pre} AS
            SELECT line, upper({_text(f.col("upn"))}) AS upn{"".join(", " + s for s in selects)}
            FROM {raw}
            WHERE {" OR ".join(f"{_text(f.col(k))} <> ''" for k in ("upn", *present))}"""
    )
    joins, cols, errs = [], [], []
    parsers = {**_PUPIL_IDENTITY, **_ENROLMENT, "academic_year": (_academic_year_value, pa.int32())}
    for k in present:
        parse, typ = parsers[k]
        lk = _lookup(con, f"_imp_{k}{i}", _distinct(con, pre, f"{k}_raw"), parse, typ, temps)
        joins.append(f"JOIN {lk} ON {lk}.raw = p.{k}_raw")
        cols.append(f"{lk}.val AS {k}")
        errs.append(f"{lk}.err AS {k}_err")
    f.stage = f"_imp_stage{i}"
    temps.append(f.stage)
    year_sql = f"coalesce(academic_year, {int(default_year)})" if "academic_year" in present else str(int(default_year))
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {f.stage} AS
            SELECT *, {year_sql} AS year FROM (
                SELECT p.* {"".join(", " + c for c in cols + errs)}
                FROM {pre} p {" ".join(joins)})"""
    )
    f.layout.fields.setdefault("upn", "UPN")
    _check_identity(con, f, f.stage, problems)
    for k in present:
        problems.query(
            con,
            f,
            f"SELECT line, {k}_raw AS value, {k}_err FROM {f.stage} WHERE {k}_err IS NOT NULL",
            [],
            f.layout.fields[k],
            lambda err: err,
        )
    problems.query(
        con,
        f,
        f"""SELECT line, '' AS value, first_line FROM (
                SELECT line, row_number() OVER w AS n, first_value(line) OVER w AS first_line
                FROM {f.stage} WHERE upn <> ''
                WINDOW w AS (PARTITION BY upn, year ORDER BY line)) WHERE n > 1""",
        [],
        f.layout.fields["upn"],
        lambda first: f"the same pupil appears twice (first on line {first})",
    )
    f.rows = con.execute(f"SELECT count(*) FROM {f.stage}").fetchone()[0]
    f.years = {r[0] for r in con.execute(f"SELECT DISTINCT year FROM {f.stage}").fetchall()}


_TERMS = ("autumn", "spring", "summer")


def _term_half(name: str, half: str) -> tuple[str, int]:
    text = name.lower()
    term = next((t for t in _TERMS if t in text), None)
    if term is None:
        raise BadValue("term must name autumn, spring or summer")
    digits = readers.parse_period_number(half) if half and half != name else None
    if digits is None:
        digits = readers.parse_period_number(name)
        if digits is None:
            words = half.lower() if half else text
            digits = (
                2
                if any(w in words for w in ("second", "2nd", "ii"))
                else 1
                if "first" in words or "1st" in words
                else None
            )
    if digits not in (1, 2):
        raise BadValue("half-term must be 1 or 2 (e.g. 'Autumn 1')")
    return term, digits


def _stage_calendar(con, f: _File, problems: _Problems, temps) -> None:
    """A calendar file is a few rows: checked in Python."""
    cols = [f.col(k) or "NULL" for k in ("term", "half_term", "start_date", "end_date")]
    rows = con.execute(f"SELECT line, {', '.join(cols)} FROM {f.raw.table} ORDER BY line").fetchall()
    parsed, heads = [], f.layout.fields
    for line, term_raw, half_raw, start_raw, end_raw in rows:
        if not any((term_raw, start_raw, end_raw)):
            continue
        try:
            term, half = _term_half(term_raw or "", half_raw or "")
        except BadValue as exc:
            problems.add(Problem(f.src.name, line, heads["term"], term_raw, str(exc)))
            continue
        try:
            start, end = readers.parse_date(start_raw), readers.parse_date(end_raw)
        except BadValue as exc:
            problems.add(Problem(f.src.name, line, heads["start_date"], f"{start_raw} - {end_raw}", str(exc)))
            continue
        if start is None or end is None or end < start:
            problems.add(
                Problem(
                    f.src.name,
                    line,
                    heads["start_date"],
                    f"{start_raw} - {end_raw}",
                    "start and end dates needed, end not before start",
                )
            )
            continue
        parsed.append((line, db.academic_year_of(start), term, half, start, end))
    seen: dict = {}
    for line, year, term, half, _, _ in parsed:
        if (year, term, half) in seen:
            problems.add(
                Problem(
                    f.src.name,
                    line,
                    heads["term"],
                    f"{term} {half}",
                    f"listed twice (first on line {seen[year, term, half]})",
                )
            )
        seen.setdefault((year, term, half), line)
    f.stage = f"_imp_stage{f.index}"
    temps.append(f.stage)
    arrow = pa.table(
        {
            "academic_year": pa.array([r[1] for r in parsed], pa.int32()),
            "term": pa.array([r[2] for r in parsed], pa.string()),
            "half_term": pa.array([r[3] for r in parsed], pa.int32()),
            "start_date": pa.array([r[4] for r in parsed], pa.date32()),
            "end_date": pa.array([r[5] for r in parsed], pa.date32()),
        }
    )
    readers.temp_table_from_arrow(con, f.stage, arrow)
    f.rows = len(parsed)
    f.years = {r[1] for r in parsed}


# --- writing ------------------------------------------------------------------------------------


def _write(con, files: list[_File], school: str, new_school: bool) -> list[FileOutcome]:
    """Everything in one transaction: all files are written, or none."""
    outcomes: dict[int, FileOutcome] = {}
    affected: set[int] = set()
    enrolled: set[int] = set()
    con.execute("BEGIN TRANSACTION")
    try:
        if new_school:
            _create_school(con, school, files)
        for f in sorted(files, key=lambda f: ("pupils", "calendar", "sessions", "lessons").index(f.kind)):
            replaced = {
                "pupils": _write_pupils,
                "sessions": _write_sessions,
                "lessons": _write_lessons,
                "calendar": _write_calendar,
            }[f.kind](con, f, school)
            if f.kind in ("sessions", "calendar"):
                affected |= f.years
            if f.kind != "calendar":
                enrolled |= f.years
            outcomes[f.index] = FileOutcome(f.src.name, f.kind, f.rows, f.src.sha256, replaced)
        for year in sorted(affected):
            school_calendar.derive_calendar(con, school, year)
        # The years whose marks or enrolments changed: their on-roll registers are rebuilt (a new
        # enrolment or a moved admission or leaving date changes both kinds of marks).
        kinds = {f.kind for f in files}
        changed = [t for k, t in (("sessions", "session_marks"), ("lessons", "lesson_marks")) if k in kinds]
        on_roll.refresh(con, school, enrolled, marks=on_roll.TABLES if "pupils" in kinds else changed)
        for f in files:
            o = outcomes[f.index]
            con.execute(
                """INSERT INTO import_log (school_id, file_name, sha256, kind, rows, outcome, message)
                   VALUES (?, ?, ?, ?, ?, 'imported', ?)""",
                [school, o.name, o.sha256, o.kind, o.rows, f"replaced {o.replaced}" if o.replaced else None],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return [outcomes[f.index] for f in files]


def _create_school(con, school: str, files: list[_File]) -> None:
    years = [
        r[0]
        for f in files
        if f.kind == "pupils" and f.col("year_group")
        for r in con.execute(f"SELECT max(year_group) FROM {f.stage}").fetchall()
        if r[0] is not None
    ]
    phase = "primary" if years and max(years) < 7 else "secondary"
    name = DEFAULT_SCHOOL[1] if school == DEFAULT_SCHOOL[0] else f"School {school}"
    con.execute("INSERT INTO schools (school_id, name, phase) VALUES (?, ?, ?)", [school, name, phase])


def _write_pupils(con, f: _File, school: str) -> int:
    ident = [k for k in _PUPIL_IDENTITY if f.col(k)]
    enrol = [k for k in _ENROLMENT if f.col(k)]
    existing = con.execute(
        f"SELECT count(*) FROM enrolments e JOIN {f.stage} s ON e.school_id = ? AND e.upn = s.upn AND e.academic_year = s.year",
        [school],
    ).fetchone()[0]
    update = ", ".join(f"{k} = excluded.{k}" for k in ident)
    con.execute(
        f"""INSERT INTO pupils (school_id, upn{"".join(", " + k for k in ident)})
            SELECT ?, upn{"".join(", " + k for k in ident)} FROM {f.stage}
            ON CONFLICT (school_id, upn) DO {"UPDATE SET " + update if update else "NOTHING"}""",
        [school],
    )
    update = ", ".join([f"{k} = excluded.{k}" for k in enrol] + ["source = 'imported'"])
    con.execute(
        f"""INSERT INTO enrolments (school_id, upn, academic_year{"".join(", " + k for k in enrol)}, source)
            SELECT ?, upn, year{"".join(", " + k for k in enrol)}, 'imported' FROM {f.stage}
            ON CONFLICT (school_id, upn, academic_year) DO UPDATE SET {update}""",
        [school],
    )
    # An existing enrolment keeps its id (the upsert never sets it); a new one may enrol marks
    # already stored without one (marks imported before the pupils file): label them now.
    db.link_marks(con, school)
    return existing


def _replace_marks(con, f: _File, school: str, table: str, key: str, columns: str) -> int:
    """Delete the marks this file replaces (same key), then insert its rows."""
    replaced = con.execute(
        f"""DELETE FROM {table} t USING {f.stage} s
            WHERE t.school_id = ? AND t.upn = s.upn AND t.date = s.date AND t.{key} = s.{key}""",
        [school],
    ).fetchone()[0]
    # Enrolments first (carried from another year where the pupil has none), so that every mark
    # is written with its enrolment's id: the one integer the measures join on.
    _carry_enrolments(con, f, school)
    names = [c.strip() for c in columns.split(",")]
    con.execute(
        f"""INSERT INTO {table} (school_id, {", ".join(names)}, academic_year, enrolment_id)
            SELECT ?, {", ".join("s." + c for c in names)}, s.mark_year, e.enrolment_id
            FROM (SELECT *, {_ACADEMIC_YEAR_SQL.format(d="date")} AS mark_year FROM {f.stage}) s
            LEFT JOIN enrolments e ON e.school_id = ? AND e.upn = s.upn AND e.academic_year = s.mark_year""",
        [school, school],
    )
    f.years = {
        r[0] for r in con.execute(f"SELECT DISTINCT {_ACADEMIC_YEAR_SQL.format(d='date')} FROM {f.stage}").fetchall()
    }
    return replaced


def _write_sessions(con, f: _File, school: str) -> int:
    if f.layout.wide:
        # MIS reports leave a wide register's cells blank on days the pupil was not on roll:
        # outside the enrolment a blank is "not on roll", not a register left incomplete.
        con.execute(
            f"""DELETE FROM {f.stage} s USING enrolments e
                WHERE s.mark_raw = '' AND e.school_id = ? AND e.upn = s.upn
                  AND e.academic_year = {_ACADEMIC_YEAR_SQL.format(d="s.date")}
                  AND (s.date < e.admission_date OR s.date > e.leaving_date)""",
            [school],
        )
    return _replace_marks(con, f, school, "session_marks", "session", "upn, date, session, code")


def _write_lessons(con, f: _File, school: str) -> int:
    return _replace_marks(
        con,
        f,
        school,
        "lesson_marks",
        "period",
        "upn, date, period, period_number, session, subject, code, minutes_late",
    )


def _carry_enrolments(con, f: _File, school: str) -> None:
    """An enrolment for each (pupil, year) with marks but none yet: the nearest year's, year group shifted."""
    con.execute(
        f"""INSERT INTO enrolments (school_id, upn, academic_year, year_group, form, fsm, sen, eal, cin, lac,
                                    admission_date, leaving_date, source)
            SELECT school_id, upn, target, year_group + (target - academic_year), form, fsm, sen, eal, cin, lac,
                   admission_date, leaving_date, 'carried'
            FROM (
                SELECT e.*, m.target,
                       row_number() OVER (PARTITION BY e.upn, m.target
                                          ORDER BY abs(e.academic_year - m.target), e.academic_year) AS n
                FROM (SELECT DISTINCT upn, {_ACADEMIC_YEAR_SQL.format(d="date")} AS target FROM {f.stage}) m
                JOIN enrolments e ON e.school_id = ? AND e.upn = m.upn
                WHERE NOT EXISTS (SELECT 1 FROM enrolments x
                                  WHERE x.school_id = ? AND x.upn = m.upn AND x.academic_year = m.target)
            ) WHERE n = 1""",
        [school, school],
    )


def _write_calendar(con, f: _File, school: str) -> int:
    replaced = con.execute(
        f"DELETE FROM calendar WHERE school_id = ? AND academic_year IN (SELECT academic_year FROM {f.stage})",
        [school],
    ).fetchone()[0]
    con.execute(
        f"""INSERT INTO calendar (school_id, academic_year, term, half_term, start_date, end_date, source)
            SELECT ?, academic_year, term, half_term, start_date, end_date, 'imported' FROM {f.stage}""",
        [school],
    )
    return replaced


# --- command line -------------------------------------------------------------------------------


def cli(args) -> int:
    """``python -m data import FILE... [--db PATH] [--school ID] [--year 2025/26] [--json]``.

    Exit 0 imported, 1 refused (problems on stderr), 2 usage error.
    """
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(f"file not found: {name}", file=sys.stderr)
            return 2
        try:
            with path.open("rb") as fh:
                fh.read(1)
        except OSError as exc:
            print(f"cannot read {name}: {exc.strerror}", file=sys.stderr)
            return 2
    try:
        _year_arg(args.year)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    room = 3 * sum(Path(name).stat().st_size for name in args.files)  # the marks as stored and derived
    with staging.staged_import(args.db, extra_bytes=room) as con:  # readers keep the file as it was
        result = import_files(con, list(args.files), school_id=args.school, year=args.year)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
        if not result.ok:
            print(result.summary(), file=sys.stderr)
    elif result.ok:
        print(result.summary())
    else:
        print(result.summary(), file=sys.stderr)
    if result.ok:
        return 0
    return 2 if result.usage_error else 1

"""The batch: every file read, recognised and checked, then all written in one transaction or none.

Order matters: marks files are read first (their dates say which academic year
a pupils file without one describes), then pupils files (so marks in the same
batch can name their pupils by any id), then the marks are linked and checked.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb

from data import db, readers
from data.importer import identities, intervention_log, marks, pupils, term_dates, writing
from data.importer.mappings import saved_mapping
from data.importer.result import ImportResult, Problem, Problems
from data.importer.staging import StagedFile, mark_skipped_rows

Progress = Callable[[float, str], None]  # (fraction done 0-1, what is happening) for a progress bar


def year_arg(year) -> int | None:
    if year is None or year == "":
        return None
    return year if isinstance(year, int) else db.parse_academic_year(year)


def import_files(
    con: duckdb.DuckDBPyConnection,
    sources: list,
    school_id: str | None = None,
    year: str | int | None = None,
    mapping: dict[str, str] | None = None,
    by: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate every file, then write them all in one transaction, or nothing at all.

    ``sources``: paths or ``(file_name, bytes)`` pairs. ``year``: the academic year of a
    pupils file that does not say (else the year all the batch's marks fall in, else the
    current one). ``mapping`` ({file column: field}) is a hand mapping for headers the
    importer does not recognise; without one, a mapping saved for the same header signature
    is used. ``by`` (the signed-in user's email, or 'command line') is recorded in the
    import log, for refused batches too. ``progress(fraction, text)`` is told as files are
    read, checked and written.
    """
    say = progress or (lambda _fraction, _text: None)
    problems = Problems()
    attempted: list[tuple[str, str, str | None]] = []
    try:
        asked_year = year_arg(year)
    except ValueError as exc:
        problems.add(Problem(None, None, None, str(year), str(exc)), usage=True)
        return _refused(con, problems, {}, None, [(_name(s), "", None) for s in sources], by)
    temps: list[str] = []
    files: list[StagedFile] = []
    con.execute("SET enable_progress_bar = false").fetchall()  # a nightly job's log wants no progress bars
    with tempfile.TemporaryDirectory(prefix="attendance-import-") as tmp:
        try:
            for i, source in enumerate(sources):
                say(0.3 * i / max(len(sources), 1), f"Reading {_name(source)}")
                f = _load(con, i, source, mapping, Path(tmp), problems, temps, attempted)
                if f:
                    files.append(f)
            order = {f.name: f.index for f in files}
            school, new_school = _resolve_school(con, school_id, problems)
            codes = {r[0] for r in con.execute("SELECT code FROM codes").fetchall()}
            identities.create_batch_ids(con, temps)
            by_kind = {k: [f for f in files if f.kind == k] for k in writing.ORDER}
            say(0.3, "Checking")
            for f in by_kind["calendar"]:
                term_dates.stage(con, f, problems, temps)
            for f in by_kind["sessions"] + by_kind["lessons"]:
                marks.prepare(con, f, codes, problems, temps)
            pupil_year, why = _pupils_year(asked_year, by_kind["sessions"] + by_kind["lessons"])
            for f in by_kind["pupils"]:
                pupils.stage(con, f, pupil_year, problems, temps)
                if not f.col("academic_year"):
                    f.year_note = (db.academic_year_label(pupil_year), why)
            for f in by_kind["sessions"] + by_kind["lessons"]:
                say(0.3 + 0.4 * (f.index + 1) / len(files), f"Checking {f.name}")
                marks.stage(con, f, school, problems, temps)
            for f in by_kind["interventions"]:
                intervention_log.stage(con, f, school, problems, temps)
            if problems.count or school is None:
                return _refused(con, problems, order, school, attempted, by)
            say(0.7, "Writing")
            outcomes = writing.write(con, files, school, new_school, by, say)
            say(1.0, "Done")
            return ImportResult(True, [], outcomes, 0, school)
        finally:
            _drop(con, temps)


def _name(source) -> str:
    return str(source[0] if isinstance(source, tuple) else Path(source).name)


def _pupils_year(asked: int | None, mark_files: list[StagedFile]) -> tuple[int, str]:
    """The academic year of a pupils file that does not say, and why."""
    if asked is not None:
        return asked, "the year asked for"
    years = set().union(*(f.years for f in mark_files)) if mark_files else set()
    if len(years) == 1:
        (only,) = years
        return only, "every mark in this batch falls in that year"
    today = db.academic_year_of(date.today())
    if years:
        return today, "the current year: this batch's marks span several years"
    return today, "the current year: no marks in this batch to go by"


def _drop(con, temps: list[str]) -> None:
    """Drop the batch's temp tables and views (raw CSV tables are views over a table)."""
    con.execute("SELECT 1").fetchall()
    for t in reversed(temps):
        for kind in ("VIEW", "TABLE"):
            try:
                con.execute(f'DROP {kind} IF EXISTS "{t}"').fetchall()
            except duckdb.CatalogException:
                pass


def _refused(con, problems: Problems, order: dict[str, int], school, attempted, by) -> ImportResult:
    writing.log_refusal(con, attempted, school, problems, by)
    return ImportResult(False, problems.sorted(order), [], problems.count, school, problems.usage)


def _load(con, i, source, mapping, tmp: Path, problems: Problems, temps, attempted) -> StagedFile | None:
    name = _name(source)
    try:
        src = readers.open_source(source)
    except OSError as exc:
        problems.add(Problem(name, None, None, None, f"cannot be read ({exc.strerror or exc})"), usage=True)
        attempted.append((name, "", None))
        return None
    attempted.append((src.name, src.sha256, None))
    table = f"_imp_raw{i}"
    temps += [f"{table}_t", table]
    try:
        raw = readers.load_table(con, src, table, tmp)
    except readers.ReadError as exc:
        problems.add(Problem(src.name, None, None, None, str(exc)))
        return None
    signature = readers.signature_of(raw.headers)
    layout = readers.recognise(raw.headers, mapping or saved_mapping(con, signature), raw.header_line)
    layout.sheet = raw.sheet
    if layout.kind is None:
        value = next(iter(layout.ambiguous.values()), [None])[0]  # the header that matched twice
        problems.add(Problem(src.name, raw.header_line, None, value, layout.message()))
        return None
    attempted[-1] = (src.name, src.sha256, layout.kind)
    if raw.rows == 0:
        problems.add(Problem(src.name, None, None, None, "has a header row but no data rows"))
        return None
    f = StagedFile(i, src, raw, layout)
    mark_skipped_rows(con, f, temps)
    return f


def _resolve_school(con, school_id: str | None, problems: Problems) -> tuple[str | None, bool]:
    """The school to import into, and whether it must be created."""
    schools = [r[0] for r in con.execute("SELECT school_id FROM schools ORDER BY school_id").fetchall()]
    if school_id:
        return school_id, school_id not in schools
    if len(schools) == 1:
        return schools[0], False
    if not schools:
        return writing.DEFAULT_SCHOOL[0], True
    problems.add(
        Problem(None, None, None, None, f"the database holds {len(schools)} schools: say which with --school"),
        usage=True,
    )
    return None, False

"""Finding the table inside a file and loading it into DuckDB as strings with line numbers.

Reports put title rows, notes and blank rows above the header and totals below
it; a printed register grid has a two-row header (each date, merged or repeated,
over an AM and a PM column). The header is the row (or pair of rows) that
names most known fields, wherever it is. A file becomes a DuckDB temporary
table ``(line, c0, c1, ...)`` of VARCHAR cells, where ``line`` is the row number
a spreadsheet user sees.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

import duckdb

from data.readers.fields import norm
from data.readers.files import (
    ReadError,
    Source,
    decode,
    open_source,
    open_workbook,
    reject_legacy_excel,
    sheet_rows,
)
from data.readers.layout import Layout, recognise, score
from data.readers.values import SESSION_WORDS, looks_like_date, strip_weekday

HEADER_SCAN = 30  # a report's title block and notes can run to a couple of dozen lines
SEPARATORS = (",", ";", "\t", "|")
_SEP_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}


@dataclass
class Header:
    index: int  # 0-based row of the (last) header row
    headers: list[str]
    score: int
    rows: int = 1  # 2 for a grid's date row over its AM/PM row

    @property
    def first(self) -> int:
        return self.index - self.rows + 1


def _clean(c) -> str:
    return str(c).strip() if c is not None else ""


def grid_headers(above: list, row: list) -> list[str] | None:
    """One header per column from a grid's two header rows: 'date AM' under each date, merged or repeated."""
    out, current, made = [], None, 0
    for j in range(max(len(above), len(row))):
        a = _clean(above[j]) if j < len(above) else ""
        b = _clean(row[j]) if j < len(row) else ""
        if a:
            current = strip_weekday(a) if looks_like_date(a) else None
        if norm(b) in SESSION_WORDS and current:
            out.append(f"{current} {b}")
            made += 1
        else:
            out.append(b or a)
            if not a:
                current = None
    return out if made >= 2 else None


def find_header(rows: list[list]) -> Header:
    """The header among the first rows: the one (or the pair) that names most known fields."""
    best: Header | None = None
    for i, row in enumerate(rows[:HEADER_SCAN]):
        cells = [_clean(c) for c in row]
        candidates = [Header(i, cells, score(cells))]
        if i > 0 and sum(1 for c in cells if norm(c) in SESSION_WORDS) >= 2:
            merged = grid_headers(rows[i - 1], row)
            if merged:
                candidates.append(Header(i, merged, score(merged), rows=2))
        for c in candidates:
            if c.score > 0 and (best is None or c.score > best.score):
                best = c
    if best is not None:
        below = rows[best.index + 1] if best.rows == 1 and best.index + 1 < len(rows) else []
        if sum(1 for c in below if norm(c) in SESSION_WORDS) >= 2:
            # An AM/PM row under the header whose dates could not be read: still a grid, never a pupils list.
            pair = [_clean(b) or _clean(a) for a, b in zip_longest(rows[best.index], below)]
            return Header(best.index + 1, pair, score(pair), rows=2)
        return best
    for i, row in enumerate(rows):
        if any(_clean(c) for c in row):
            return Header(i, [_clean(c) for c in row], 0)
    raise ReadError("is empty")


def _split(lines: list[str], sep: str) -> list[list[str]]:
    return [next(csv.reader([ln], delimiter=sep), []) for ln in lines]


def choose_separator(lines: list[str]) -> str:
    """The separator whose reading finds the best header; two equally good readings are refused."""
    readings = []
    for sep in SEPARATORS:
        rows = _split(lines, sep)
        if not any(len(r) > 1 for r in rows):
            continue
        try:
            h = find_header(rows)
        except ReadError:
            continue
        readings.append((h.score, len(h.headers), sep, h))
    if not readings:
        return ","
    readings.sort(key=lambda r: (-r[0], -r[1]))
    best = readings[0]
    for other in readings[1:]:
        if best[0] >= 2 and other[0] == best[0] and other[3].headers != best[3].headers:
            raise ReadError(
                "could be read two ways: split by "
                + " or by ".join(
                    f"{_SEP_NAMES[r[2]]} its columns are {', '.join(c for c in r[3].headers if c)}"
                    for r in (best, other)
                )
                + ". Save it again with one separator (CSV UTF-8 uses commas)"
            )
    return best[2]


@dataclass
class RawTable:
    """A file loaded into DuckDB: temp table ``table`` with columns line, c0..cN (VARCHAR)."""

    table: str
    headers: list[str]
    header_line: int
    rows: int
    title_rows: int = 0  # non-blank rows above the header (titles, notes), skipped
    sheet: str | None = None  # the workbook sheet read, when there were several


def _title_rows(rows: list[list], header: Header) -> int:
    return sum(1 for r in rows[: header.first] if any(_clean(c) for c in r))


def _choose_sheet(src: Source):
    """(worksheet, its first rows, its header, the sheet's name when the workbook has several)."""
    wb = open_workbook(src)
    found = []
    for ws in wb.worksheets:
        head = list(sheet_rows(ws, HEADER_SCAN))
        try:
            found.append((ws, head, find_header(head)))
        except ReadError:
            continue
    if not found:
        raise ReadError("is an empty workbook")
    # The sheet that can be imported; two that could each be (a pupils list and a register, or two
    # registers) are named rather than one chosen.
    usable = [(f, recognise(f[2].headers).kind) for f in found]
    usable = [(f, kind) for f, kind in usable if kind]
    if len(usable) > 1:
        names = " and ".join(f"'{f[0].title}' ({kind})" for f, kind in usable)
        raise ReadError(
            f"has several sheets that could each be imported: {names}. "
            "Save each sheet to import as its own file (File > Save As, one sheet at a time), or delete the others"
        )
    best = usable[0][0] if usable else max(found, key=lambda f: f[2].score)
    return wb, best[0], best[1], best[2], best[0].title if len(wb.worksheets) > 1 else None


def read_header(source) -> tuple[list[str], int, str | None]:
    """The header row, its line number (1-based) and the sheet read, from the top of the file."""
    src = source if isinstance(source, Source) else open_source(source)
    if src.is_workbook:
        wb, _ws, _head, h, sheet = _choose_sheet(src)
        wb.close()
    else:
        reject_legacy_excel(src)
        lines = decode(src)[:400_000].splitlines()[:HEADER_SCAN]
        if not any(ln.strip() for ln in lines):
            raise ReadError("is empty")
        h, sheet = find_header(_split(lines, choose_separator(lines))), None
    return h.headers, h.index + 1, sheet


def detect_layout(source, mapping: dict[str, str] | None = None) -> Layout:
    """The layout of a file (path or (name, bytes)), for the manual column-mapping screen."""
    headers, header_line, sheet = read_header(source)
    layout = recognise(headers, mapping, header_line)
    layout.sheet = sheet
    return layout


def load_table(con: duckdb.DuckDBPyConnection, source: Source, table: str, tmpdir: Path) -> RawTable:
    """Load a file into temp table ``table`` (line, c0..cN VARCHAR). Raises ReadError."""
    if source.is_workbook:
        return _load_xlsx(con, source, table)
    reject_legacy_excel(source)
    return _load_csv(con, source, table, tmpdir)


def _load_xlsx(con, src: Source, table: str) -> RawTable:
    import pyarrow as pa

    wb, ws, _head, h, sheet = _choose_sheet(src)
    try:
        rows = list(sheet_rows(ws))
    finally:
        wb.close()
    headers = h.headers
    n = len(headers)
    lines, cols = [], [[] for _ in range(n)]
    for i, row in enumerate(rows[h.index + 1 :], start=h.index + 2):
        if not any(c is not None for c in row):
            continue
        lines.append(i)
        for j in range(n):
            cols[j].append(row[j] if j < len(row) else None)
    arrow = pa.table(
        {"line": pa.array(lines, pa.int64()), **{f"c{j}": pa.array(cols[j], pa.string()) for j in range(n)}}
    )
    temp_table_from_arrow(con, table, arrow)
    return RawTable(table, headers, h.index + 1, len(lines), _title_rows(rows, h), sheet)


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
    text = decode(src)
    head_lines = text[:400_000].splitlines()[:HEADER_SCAN]
    if not any(ln.strip() for ln in head_lines):
        raise ReadError("is empty")
    sep = choose_separator(head_lines)
    rows = _split(head_lines, sep)
    h = find_header(rows)
    n = len(h.headers)
    # Skip the header (and any title lines above it) as text so DuckDB reads only data rows.
    pos = 0
    for _ in range(h.index + 1):
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
    con.execute(f'CREATE OR REPLACE TEMP VIEW "{table}" AS SELECT rowid + {h.index + 2} AS line, * FROM "{table}_t"')
    count = con.execute(f'SELECT count(*) FROM "{table}_t"').fetchone()[0]
    return RawTable(table, h.headers, h.index + 1, count, _title_rows(rows, h))


# Rows below the header that are not pupils: totals, counts, page footers, notes, a repeated header.
_NOT_A_PUPIL = (
    r"^\s*((sub|grand)\s*)?totals?\b|^\s*(count|number of|no\.? of|total records|records|page \d|printed|"
    r"generated|produced|report|end of|key\b|notes?\b|source\b|run (on|by)|filter|average|%)"
)
_NOT_A_PUPIL_RE = re.compile(_NOT_A_PUPIL, re.IGNORECASE)
TOTALS, REPEATED_HEADER = "total or note row", "repeated header row"


def not_a_pupil(cell: str | None, header: str) -> str | None:
    """Why an identifier cell shows its row is not a pupil (a total, a note, the header again), else None."""
    text = (cell or "").strip()
    if not text:
        return None
    if text.lower() == header.strip().lower():
        return REPEATED_HEADER
    return TOTALS if _NOT_A_PUPIL_RE.search(text) else None


def note_row_sql(columns: list[int]) -> str:
    """SQL: whether a row's descriptive cells (names, form) say it is a total or a note."""
    pattern = _NOT_A_PUPIL.replace("'", "''")
    return " OR ".join(f"regexp_matches(lower(coalesce(c{j}, '')), '{pattern}')" for j in columns) or "FALSE"

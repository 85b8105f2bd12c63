"""What every file's staging shares: the staged file, lookups of distinct values, and small SQL pieces.

A file's values are parsed once per *distinct* value into a small lookup table
(raw, val, err) joined back in SQL, so the rows themselves never leave DuckDB.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa

from data import readers
from data.readers import BadValue, Layout, RawTable, Source

ACADEMIC_YEAR_SQL = "CASE WHEN month({d}) >= 9 THEN year({d}) ELSE year({d}) - 1 END"


@dataclass
class StagedFile:
    index: int
    src: Source
    raw: RawTable
    layout: Layout
    data: str = ""  # the raw rows that are data (titles, totals and repeated headers left out)
    skipped: dict[str, int] = field(default_factory=dict)
    stage: str = ""  # temp table of parsed rows, ready to write
    rows: int = 0
    years: set[int] = field(default_factory=set)
    year_note: tuple[str, str] | None = None  # (academic year, why) for a pupils file without one
    rows_out: list = field(default_factory=list)  # parsed rows of a small file (the intervention log)

    @property
    def kind(self) -> str:
        return self.layout.kind

    @property
    def name(self) -> str:
        return self.src.name

    def col(self, fld: str) -> str | None:
        """The raw table column (c3) holding ``fld``, or None."""
        j = self.layout.index.get(fld)
        return f"c{j}" if j is not None else None

    def id_col(self) -> str | None:
        """The column holding the identifier the rows are keyed by."""
        return self.col(self.layout.id_field) if self.layout.id_field else None

    def id_header(self) -> str | None:
        return self.layout.fields.get(self.layout.id_field) if self.layout.id_field else None

    def header(self, fld: str) -> str | None:
        return self.layout.fields.get(fld)


def text(col: str | None) -> str:
    """SQL for a trimmed cell, '' when blank or the column is absent."""
    return f"coalesce(trim({col}), '')" if col else "''"


def distinct(con, table: str, column: str) -> list[str]:
    return [r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM {table}").fetchall()]


def lookup(con, name: str, values: list[str], parse: Callable, arrow_type, temps: list[str]) -> str:
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


def required_date(raw: str):
    d = readers.parse_date(raw)
    if d is None:
        raise BadValue("missing date")
    return d


def value_errors(con, f: StagedFile, stage: str, problems, fields: list[str]) -> None:
    """A problem for each cell of ``fields`` (stage columns {k}_raw / {k}_err) that could not be read."""
    for k in fields:
        problems.query(
            con,
            f.name,
            f"SELECT line, {k}_raw AS value, {k}_err FROM {stage} WHERE {k}_err IS NOT NULL",
            [],
            f.header(k),
            lambda err: err,
        )


def check_identity(con, f: StagedFile, stage: str, problems, column: str = "ident") -> None:
    """Formulas and blanks in the identifier column."""
    header = f.id_header()
    problems.query(
        con,
        f.name,
        f"SELECT line, {column} AS value FROM {stage} WHERE regexp_matches({column}, '^[=+@]')",
        [],
        header,
        "spreadsheet formula in an identifier cell (refused, never evaluated)",
    )
    problems.query(
        con, f.name, f"SELECT line, '' AS value FROM {stage} WHERE {column} = ''", [], header, "missing pupil UPN"
    )


def mark_skipped_rows(con, f: StagedFile, temps: list[str]) -> None:
    """Leave out rows that are not data (totals, notes, a title or header repeated at a page break), counted by why.

    Read from the identifier's distinct values (one cheap pass), so a plain export pays little;
    only rows whose identifier is blank or reads like words have their other cells looked at.
    """
    layout = f.layout
    if f.raw.title_rows:
        f.skipped["title row"] = f.raw.title_rows
    f.data = f.raw.table
    if not layout.id_field:
        return
    j = layout.index[layout.id_field]
    fields = sorted(set(layout.index.values()) - {j})
    values = set(layout.wide_index) | {layout.index[k] for k in ("mark", "date", "session") if k in layout.index}
    others = [c for c in range(len(f.raw.headers)) if c != j and c not in values][:4]
    bad, blanks, wordy = {}, [], []
    for value, n in con.execute(f"SELECT c{j}, count(*) FROM {f.raw.table} GROUP BY ALL").fetchall():
        if value is None or not value.strip():
            blanks.append(value)
        elif why := readers.not_a_pupil(value, f.raw.headers[j]):
            bad[value] = why
            f.skipped[why] = f.skipped.get(why, 0) + n
        elif re.search(r"\s|:", value.strip()):
            wordy.append(value)  # no identifier has spaces: a title or note, if the row holds nothing else
    lines: list[int] = []

    def skip(where: str, params: list, why: str) -> None:
        found = [r[0] for r in con.execute(f"SELECT line FROM {f.raw.table} WHERE {where}", params).fetchall()]
        if found:
            lines.extend(found)
            f.skipped[why] = f.skipped.get(why, 0) + len(found)

    if blanks:
        present = [v for v in blanks if v is not None]
        blank = f"(c{j} IS NULL" + (f" OR c{j} IN ({', '.join('?' for _ in present)}))" if present else ")")
        if others:
            skip(f"{blank} AND ({readers.note_row_sql(others)})", present, readers.TOTALS)
        if len(layout.wide_index) >= 2:
            # A grid's AM/PM header row repeated at a page break.
            cells = [f"lower(trim(coalesce(c{c}, ''))) IN ('am', 'pm')" for c in layout.wide_index[:2]]
            skip(f"{blank} AND {' AND '.join(cells)}", present, readers.REPEATED_HEADER)
    if wordy:
        empty = " AND ".join(f"coalesce(trim(c{c}), '') = ''" for c in fields) or "TRUE"
        skip(f"c{j} IN ({', '.join('?' for _ in wordy)}) AND {empty}", wordy, readers.TOTALS)
    if not bad and not lines:
        return
    f.data = f"{f.raw.table}_data"
    temps.append(f.data)
    conditions = []
    if bad:
        # A view cannot hold parameters: the (few) values are written in as SQL string literals.
        literals = ", ".join("'" + v.replace("'", "''") + "'" for v in bad)
        conditions.append(f"coalesce(c{j}, '') NOT IN ({literals})")
    if lines:
        conditions.append(f"line NOT IN ({', '.join(str(int(x)) for x in sorted(set(lines)))})")
    sql = " AND ".join(conditions)
    con.execute(f'CREATE OR REPLACE TEMP VIEW "{f.data}" AS SELECT * FROM {f.raw.table} WHERE {sql}')

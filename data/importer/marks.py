"""Staging session and lesson marks: read in two steps around the pupils files of the batch.

``prepare`` parses the values (dates, sessions, codes, periods) of a marks file
once per distinct value, which also tells the batch which academic years its
marks fall in; ``stage`` then links each row's identifier to a pupil (pupils
files of the same batch included) and runs every check as a query.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from data import readers
from data.importer import identities
from data.importer.result import Problem
from data.importer.staging import (
    ACADEMIC_YEAR_SQL,
    StagedFile,
    check_identity,
    distinct,
    lookup,
    required_date,
    text,
)
from data.readers import BadValue


def code_parser(codes: set[str]) -> Callable:
    def parse(raw: str) -> str | None:
        if readers.is_formula(raw):
            raise BadValue("spreadsheet formula in a mark cell (refused, never evaluated)")
        code = readers.parse_mark(raw)
        if code is not None and code not in codes:
            raise BadValue("unknown attendance code (see the DfE code table)")
        return code

    return parse


def _minutes(raw: str) -> int | None:
    s = raw.strip().lower().removesuffix("mins").removesuffix("min").strip()
    if not s:
        return None
    if s.isdigit():
        return int(s)
    if s.replace(".", "", 1).isdigit():
        return round(float(s))
    raise BadValue("minutes late must be a whole number")


def _optional_session(raw: str) -> str | None:
    return readers.parse_session(raw) if raw.strip() else None


def prepare(con, f: StagedFile, codes: set[str], problems, temps: list[str]) -> None:
    """The file's rows as text (``_imp_pre{i}``) and a lookup per value column; ``f.years`` from its dates."""
    i, data = f.index, f.data
    pre = f"_imp_pre{i}"
    temps.append(pre)
    ident = f"upper({text(f.id_col())})"
    if f.kind == "sessions" and f.layout.wide:
        wide_map = _wide_map(con, f, problems, temps)
        cols = ", ".join(f"c{j}" for j in f.layout.wide_index)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {pre} AS
                SELECT u.line, u.ident, w.date_raw, w.session_raw, coalesce(trim(u.v), '') AS mark_raw, w.header,
                       u.recorded_by
                FROM (SELECT line, {ident} AS ident, nullif({text(f.col("recorded_by"))}, '') AS recorded_by, v, col
                      FROM {data} UNPIVOT INCLUDE NULLS (v FOR col IN ({cols}))) u
                JOIN {wide_map} w USING (col)"""
        )
        # A row with no identifier and no marks (a spacer or a totals line) is not data.
        con.execute(
            f"""DELETE FROM {pre} WHERE ident = '' AND line IN (
                  SELECT line FROM {pre} GROUP BY line HAVING max(mark_raw) = '')"""
        )
    else:
        lesson_cols = ""
        if f.kind == "lessons":
            subject = f.col("subject") or f.col("class")
            lesson_cols = (
                f", {text(f.col('period'))} AS period, nullif({text(subject)}, '') AS subject, "
                f"{text(f.col('minutes_late'))} AS minutes_raw"
            )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {pre} AS
                SELECT line, {ident} AS ident, {text(f.col("date"))} AS date_raw,
                       {text(f.col("session"))} AS session_raw, {text(f.col("mark"))} AS mark_raw,
                       nullif({text(f.col("recorded_by"))}, '') AS recorded_by {lesson_cols}
                FROM {data}
                WHERE {text(f.id_col())} <> '' OR {text(f.col("date"))} <> '' OR {text(f.col("mark"))} <> ''"""
        )
    session_parser = _optional_session if f.kind == "lessons" else readers.parse_session
    lookup(con, f"_imp_dates{i}", distinct(con, pre, "date_raw"), required_date, pa.date32(), temps)
    lookup(con, f"_imp_sess{i}", distinct(con, pre, "session_raw"), session_parser, pa.string(), temps)
    lookup(con, f"_imp_codes{i}", distinct(con, pre, "mark_raw"), code_parser(codes), pa.string(), temps)
    if f.kind == "lessons":
        lookup(con, f"_imp_mins{i}", distinct(con, pre, "minutes_raw"), _minutes, pa.int32(), temps)
        periods = distinct(con, pre, "period")
        lookup(con, f"_imp_periods{i}", periods, readers.parse_period_number, pa.int32(), temps)
    f.years = {
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT {ACADEMIC_YEAR_SQL.format(d='val')} FROM _imp_dates{i} WHERE val IS NOT NULL"
        ).fetchall()
    }


def stage(con, f: StagedFile, school: str | None, problems, temps: list[str]) -> None:
    """Join the rows to their parsed values and pupils (``f.stage``), then check them."""
    i, pre = f.index, f"_imp_pre{f.index}"
    resolved = identities.resolve(con, f, pre, school, temps)
    f.stage = f"_imp_stage{i}"
    temps.append(f.stage)
    joins = f"""FROM {pre} p
                JOIN _imp_dates{i} d ON d.raw = p.date_raw
                JOIN _imp_sess{i} s ON s.raw = p.session_raw
                JOIN _imp_codes{i} m ON m.raw = p.mark_raw
                LEFT JOIN {resolved} r ON r.ident = p.ident"""
    common = """p.line, p.ident, coalesce(r.upn, p.ident) AS upn, r.matches, d.val AS date, m.val AS code,
                p.date_raw, p.session_raw, p.mark_raw, p.recorded_by,
                d.err AS date_err, s.err AS session_err, m.err AS code_err"""
    if f.kind == "sessions":
        header = "p.header" if f.layout.wide else "NULL::VARCHAR"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {f.stage} AS SELECT {common}, s.val AS session, {header} AS header {joins}"
        )
        key_sql, key_name = "strftime(date, '%d/%m/%Y') || ' ' || session", "session"
    else:
        # A lesson's registration session: its own column, else the period number: the first 60%
        # of the day's periods (rounded up) are morning lessons (5 periods: 1-3 AM, 4-5 PM).
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {f.stage} AS
                WITH staged AS (
                    SELECT {common}, s.val AS given_session, nullif(p.period, '') AS period,
                           pn.val AS period_number, p.subject, mi.val AS minutes_late, p.minutes_raw,
                           mi.err AS minutes_err
                    {joins}
                    JOIN _imp_mins{i} mi ON mi.raw = p.minutes_raw
                    JOIN _imp_periods{i} pn ON pn.raw = p.period
                ), day_periods AS (SELECT date, max(period_number) AS last_period FROM staged GROUP BY date)
                SELECT staged.*, coalesce(given_session,
                           CASE WHEN period_number IS NULL THEN NULL
                                WHEN period_number <= ceil(0.6 * last_period) THEN 'AM' ELSE 'PM' END) AS session
                FROM staged LEFT JOIN day_periods USING (date)"""
        )
        key_sql, key_name = "strftime(date, '%d/%m/%Y') || ' period ' || period", "period"
    _checks(con, f, problems, key_sql, key_name)
    f.rows = con.execute(f"SELECT count(*) FROM {f.stage}").fetchone()[0]


def _checks(con, f: StagedFile, problems, key_sql: str, key_name: str) -> None:
    """Every check on staged marks, session and lesson alike."""
    st, name = f.stage, f.name
    check_identity(con, f, st, problems)
    problems.query(
        con,
        name,
        f"SELECT line, date_raw AS value, date_err FROM {st} WHERE date_err IS NOT NULL",
        [],
        f.header("date"),
        lambda err: err,
    )
    if f.layout.wide:
        # In a wide register the column names the date and session; report it per problem.
        problems.query(
            con,
            name,
            f"SELECT line, mark_raw AS value, code_err, header FROM {st} WHERE code_err IS NOT NULL",
            [],
            None,
            lambda err: err,
        )
    else:
        problems.query(
            con,
            name,
            f"SELECT line, mark_raw AS value, code_err FROM {st} WHERE code_err IS NOT NULL",
            [],
            f.header("mark"),
            lambda err: err,
        )
        problems.query(
            con,
            name,
            f"SELECT line, session_raw AS value, session_err FROM {st} WHERE session_err IS NOT NULL",
            [],
            f.header("session"),
            lambda err: err,
        )
    if f.kind == "lessons":
        problems.query(
            con,
            name,
            f"SELECT line, '' AS value FROM {st} WHERE period IS NULL",
            [],
            f.header("period"),
            "missing period",
        )
        problems.query(
            con,
            name,
            f"SELECT line, minutes_raw AS value, minutes_err FROM {st} WHERE minutes_err IS NOT NULL",
            [],
            f.header("minutes_late"),
            lambda err: err,
        )
    identities.check_resolved(con, f, st, problems)
    problems.query(
        con,
        name,
        f"""SELECT line, value, first_line FROM (
                SELECT line, {key_sql} AS value,
                       row_number() OVER w AS n, first_value(line) OVER w AS first_line
                FROM {st}
                WHERE upn <> '' AND date IS NOT NULL AND {key_name} IS NOT NULL
                WINDOW w AS (PARTITION BY upn, date, {key_name} ORDER BY line)
            ) WHERE n > 1""",
        [],
        None,
        lambda first: f"duplicate mark: same pupil, date and {key_name} as line {first}",
    )


def _wide_map(con, f: StagedFile, problems, temps) -> str:
    """(col, header, date_raw, session_raw) per date-and-session column, checking the headers."""
    rows, seen = [], {}
    for j in f.layout.wide_index:
        h = f.raw.headers[j]
        date_text, session = readers.wide_column(h)
        try:
            d = readers.parse_date(date_text)
        except BadValue as exc:
            problems.add(Problem(f.name, f.raw.header_line, h, date_text, str(exc)))
            continue
        if (d, session) in seen:
            problems.add(
                Problem(f.name, f.raw.header_line, h, None, f"the same date and session as column '{seen[d, session]}'")
            )
            continue
        seen[d, session] = h
        rows.append((f"c{j}", h, d.isoformat(), session))
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

"""Staging a term-dates file: a few rows, checked in Python."""

from __future__ import annotations

import pyarrow as pa

from data import db, readers
from data.importer.result import Problem
from data.importer.staging import StagedFile
from data.readers import BadValue

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


def stage(con, f: StagedFile, problems, temps: list[str]) -> None:
    cols = [f.col(k) or "NULL" for k in ("term", "half_term", "start_date", "end_date")]
    rows = con.execute(f"SELECT line, {', '.join(cols)} FROM {f.data} ORDER BY line").fetchall()
    parsed, heads = [], f.layout.fields
    for line, term_raw, half_raw, start_raw, end_raw in rows:
        if not any((term_raw, start_raw, end_raw)):
            continue
        try:
            term, half = _term_half(term_raw or "", half_raw or "")
        except BadValue as exc:
            problems.add(Problem(f.name, line, heads["term"], term_raw, str(exc)))
            continue
        try:
            start, end = readers.parse_date(start_raw), readers.parse_date(end_raw)
        except BadValue as exc:
            problems.add(Problem(f.name, line, heads["start_date"], f"{start_raw} - {end_raw}", str(exc)))
            continue
        if start is None or end is None or end < start:
            problems.add(
                Problem(
                    f.name,
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
                    f.name,
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


def write(con, f: StagedFile, school: str) -> int:
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

"""Schools as first-class data: URN, name, phase, local authority (code and name) and trust.

An import names its school with ``--school URN``; this module names the rest:

    python -m data schools load schools.csv     # URN, Name, Phase, LA code, LA name, Trust
    python -m data schools set 100001 --name "Oak Primary" --phase primary --la-code E09000030 --trust "Oak Trust"
    python -m data schools list [--json]

A schools file may be loaded before or after the registers: a school it names
that has no registers yet is created, one that exists has the file's non-blank
values written over its own. Nothing is written when any line is wrong: every
problem is reported with the file, line and value.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from data import db

PHASES = ("primary", "secondary", "special")  # as the DfE's statistics split schools
FIELDS = ("school_id", "name", "phase", "la_code", "la_name", "trust")
# Header spellings in schools' and trusts' own lists (compared lower-case without spaces, dots or underscores).
_HEADERS = {
    "urn": "school_id",
    "schoolid": "school_id",
    "laestab": "school_id",
    "dfenumber": "school_id",
    "name": "name",
    "school": "name",
    "schoolname": "name",
    "establishmentname": "name",
    "phase": "phase",
    "phaseofeducation": "phase",
    "lacode": "la_code",
    "newlacode": "la_code",
    "la": "la_code",
    "localauthoritycode": "la_code",
    "laname": "la_name",
    "localauthority": "la_name",
    "localauthorityname": "la_name",
    "trust": "trust",
    "trustname": "trust",
    "mat": "trust",
}
_PHASE_WORDS = {
    "primary": "primary",
    "infant": "primary",
    "junior": "primary",
    "firstschool": "primary",
    "secondary": "secondary",
    "middledeemedsecondary": "secondary",
    "allthrough": "secondary",
    "16plus": "secondary",
    "special": "special",
    "alternativeprovision": "special",
    "pru": "special",
}


class SchoolsFileError(ValueError):
    """A schools file that cannot be loaded as it is; ``problems`` name each line and value."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _key(text: str) -> str:
    return "".join(ch for ch in str(text).lower() if ch.isalnum())


def parse_phase(text: str | None) -> str | None:
    """'Primary', 'Middle deemed secondary', 'All-through' ... -> primary | secondary | special; None if blank."""
    if text is None or not str(text).strip():
        return None
    phase = _PHASE_WORDS.get(_key(text))
    if phase is None:
        raise ValueError(f"unknown phase {text!r}: use primary, secondary or special")
    return phase


@dataclass(frozen=True)
class SchoolRow:
    school_id: str
    name: str | None = None
    phase: str | None = None
    la_code: str | None = None
    la_name: str | None = None
    trust: str | None = None


def _text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def read_file(path: str | Path) -> list[SchoolRow]:
    """The schools a CSV names (columns in any order; only URN is required). Raises SchoolsFileError."""
    path = Path(path)
    text = _text(path)
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text.strip() else ",", delimiters=",;\t")
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise SchoolsFileError([f"{path.name}: the file is empty (expected a header line: URN, Name, Phase, ...)"])
    columns = {i: _HEADERS.get(_key(h)) for i, h in enumerate(header)}
    if "school_id" not in columns.values():
        raise SchoolsFileError([f"{path.name}, line 1: no URN column among {', '.join(header)}"])
    rows, problems, seen = [], [], {}
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        values = {f: cells[i].strip() or None for i, f in columns.items() if f and i < len(cells)}
        urn = values.get("school_id")
        if not urn:
            problems.append(f"{path.name}, line {line}: no URN")
            continue
        if urn in seen:
            problems.append(f"{path.name}, line {line}: URN {urn} is also on line {seen[urn]}")
            continue
        seen[urn] = line
        try:
            values["phase"] = parse_phase(values.get("phase"))
        except ValueError as exc:
            problems.append(f"{path.name}, line {line}: {exc}")
            continue
        rows.append(SchoolRow(**{f: values.get(f) for f in FIELDS}))
    if problems:
        raise SchoolsFileError(problems)
    return rows


def save(con: duckdb.DuckDBPyConnection, rows: list[SchoolRow]) -> int:
    """Create or update each school; a blank value keeps what is stored. Returns how many rows were written."""
    with db.transaction(con):
        for r in rows:
            con.execute(
                """INSERT INTO schools (school_id, name, phase, la_code, la_name, trust)
                   VALUES (?, coalesce(?, 'School ' || ?), coalesce(?, 'secondary'), ?, ?, ?)
                   ON CONFLICT (school_id) DO UPDATE SET
                       name = coalesce(?, schools.name), phase = coalesce(?, schools.phase),
                       la_code = coalesce(?, schools.la_code), la_name = coalesce(?, schools.la_name),
                       trust = coalesce(?, schools.trust)""",
                [
                    r.school_id,
                    r.name,
                    r.school_id,
                    r.phase,
                    r.la_code,
                    r.la_name,
                    r.trust,
                    r.name,
                    r.phase,
                    r.la_code,
                    r.la_name,
                    r.trust,
                ],
            )
    return len(rows)


def listing(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every school with its details and how many enrolments it holds, by name."""
    cur = con.execute(
        """SELECT s.school_id, s.name, s.phase, s.la_code, s.la_name, s.trust,
                  (SELECT count(*) FROM enrolments e WHERE e.school_id = s.school_id) AS enrolments
           FROM schools s ORDER BY s.name, s.school_id"""
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def label(name: str | None, school_id: str, la_name: str | None = None) -> str:
    """How a school is shown wherever one is chosen: 'Oak Primary (100001, Tower Hamlets)'."""
    where = f", {la_name}" if la_name else ""
    return f"{name or 'School'} ({school_id}{where})"


def cli(args) -> int:
    """``python -m data schools load FILE | set URN [...] | list [--json]``: 0 done, 1 refused, 2 usage."""
    if args.schools_command == "load":
        try:
            rows = read_file(args.file)
        except FileNotFoundError:
            print(f"file not found: {args.file}", file=sys.stderr)
            return 2
        except SchoolsFileError as exc:
            print(f"Nothing was changed: {len(exc.problems)} problem(s)\n{exc}", file=sys.stderr)
            return 1
    elif args.schools_command == "set":
        try:
            phase = parse_phase(args.phase)
        except ValueError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        rows = [SchoolRow(args.urn, args.name, phase, args.la_code, args.la_name, args.trust)]
    else:
        with db.connection(args.db, read_only=True) as con:
            found = listing(con)
        if args.json:
            print(json.dumps(found, indent=2))
        else:
            for s in found:
                where = " / ".join(x for x in (s["la_code"], s["la_name"], s["trust"]) if x)
                print(f"{s['school_id']}  {s['name']}  {s['phase']}  {where}  {s['enrolments']} enrolments")
        return 0
    # Schools change beside the registers: wait for a running import rather than be lost in its swap.
    with db.import_lock(args.db), db.connection(args.db) as con:
        written = save(con, rows)
    print(f"Saved {written} school(s).")
    return 0

"""The generated sample schools, loaded through the importer like any school's exports.

``load_sample(con)`` creates (or updates) the sample school's row and imports the
committed files in ``sample_data/secondary`` (or ``sample_data/primary``) with
``data.importer.import_files``, so the sample also exercises every import path.
Every pupil in them is made up: see ``sample_data/README.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from data import db, importer, staging

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
INTERVENTION_LOG = "interventions.csv"  # the attendance team's log (secondary sample), no academic year in the name
NOTICE = "This is generated sample data: made-up pupils in a made-up school, not a real school's registers."


@dataclass(frozen=True)
class SampleSchool:
    school_id: str  # 999xxx: not a real URN
    name: str
    phase: str
    la_code: str  # a real local authority, so the local comparison has figures
    folder: str


SECONDARY = SampleSchool("999001", "Riverside Academy (sample)", "secondary", "E08000030", "secondary")
PRIMARY = SampleSchool("999002", "Brookfield Primary School (sample)", "primary", "E08000030", "primary")


def sample_school(primary: bool = False) -> SampleSchool:
    return PRIMARY if primary else SECONDARY


def sample_files(primary: bool = False, root: Path | None = None) -> dict[int, list[Path]]:
    """The files by academic year (pupils first within a year), from the names ``*_2025-26*``: the committed
    ones, or a redrawn sample's under ``root`` (benchmarks/impact_sample.py)."""
    folder = (root or SAMPLE_DIR) / sample_school(primary).folder
    by_year: dict[int, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        m = re.search(r"_(\d{4})-\d{2}", path.name)
        if m and not path.name.startswith("."):
            by_year.setdefault(int(m[1]), []).append(path)
    for paths in by_year.values():
        paths.sort(key=lambda p: (not p.name.startswith("pupils"), p.name))
    return dict(sorted(by_year.items()))


def load_sample(
    con: duckdb.DuckDBPyConnection, primary: bool = False, root: Path | None = None
) -> importer.ImportResult:
    """Import the sample school into ``con`` (its files under ``root``, the committed ones by default); returns the
    importer's result for the last batch that ran.

    One batch per academic year, because a pupils file carries no academic year
    of its own (as in real exports) and the importer takes it from ``year``.
    A refused batch stops the load and is returned as it is.
    """
    school = sample_school(primary)
    con.execute(
        """INSERT INTO schools (school_id, name, phase, la_code, is_sample) VALUES (?, ?, ?, ?, TRUE)
           ON CONFLICT (school_id) DO UPDATE SET name = excluded.name, phase = excluded.phase,
               la_code = excluded.la_code, is_sample = TRUE""",
        [school.school_id, school.name, school.phase, school.la_code],
    )
    files: list[importer.FileOutcome] = []
    result = importer.ImportResult(True, school_id=school.school_id)
    for year, paths in sample_files(primary, root).items():
        result = importer.import_files(con, [str(p) for p in paths], school_id=school.school_id, year=year)
        if not result.ok:
            return result
        files += result.files
    log = load_intervention_log(con, school, root)
    if log is not None:
        if not log.ok:
            return log
        files += log.files
    result.files = files
    return result


def load_intervention_log(
    con: duckdb.DuckDBPyConnection, school: SampleSchool, root: Path | None = None
) -> importer.ImportResult | None:
    """Import the sample's intervention log (``UPN, Date, Type, Owner, Status, Notes, Review date``).

    Through the importer, as a school's own log would come in (after the pupils it names).
    None when the school has no log file. Importing it again changes nothing.
    """
    path = (root or SAMPLE_DIR) / school.folder / INTERVENTION_LOG
    if not path.exists():
        return None
    return importer.import_files(con, [str(path)], school_id=school.school_id)


def cli(args) -> int:
    """``python -m data load-sample [--db PATH] [--primary] [--if-empty]``."""
    school = sample_school(args.primary)
    with staging.staged_import(args.db) as con:
        if args.if_empty and not db.is_empty(con):
            print("The database already has registers: the sample school was not loaded.")
            return 0
        result = load_sample(con, primary=args.primary)
    if not result.ok:
        print(result.summary())
        return 1
    rows = sum(f.rows for f in result.files)
    print(f"Loaded {school.name}: {len(result.files)} files, {rows:,} rows.")
    print(NOTICE)
    return 0

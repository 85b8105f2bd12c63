"""Import speed: a generated year of a 1,500-pupil secondary school.

``run(repeats)`` returns one dict per case with the median seconds of a full
import (validation, one transaction, calendar derivation) into a fresh
database, and, as the same-process yardstick, the median seconds of a bare
DuckDB ``read_csv`` of the same file into a table. ``ratio`` = import / bare read.
Peak memory (``peak_mb``) is the peak resident size of a fresh process doing one
import (``benchmarks/memory.py``), beside the same for the bare read.

    .venv/bin/python -m benchmarks.bench_import        # prints the table
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from benchmarks.memory import peak_rss_mb
from data import db, importer

PUPILS = 1500  # a large secondary: about 570,000 session marks in a year
PERIODS = 6  # lessons a day: about 1.7 million lesson marks
CODES = ["/"] * 40 + ["\\"] * 0 + ["L", "I", "I", "N", "M", "O", "G", "U", "-"]


def _school_days(year: int = 2025) -> list[date]:
    """190 weekdays from 1 September, skipping a fortnight at Christmas and Easter and three half-terms."""
    holidays = set()
    for start, weeks in (
        (date(year, 10, 27), 1),
        (date(year, 12, 22), 2),
        (date(year + 1, 2, 16), 1),
        (date(year + 1, 3, 30), 2),
        (date(year + 1, 5, 25), 1),
    ):
        holidays |= {start + timedelta(days=i) for i in range(7 * weeks)}
    days, d = [], date(year, 9, 3)
    while len(days) < 190:
        if d.isoweekday() <= 5 and d not in holidays:
            days.append(d)
        d += timedelta(days=1)
    return days


def _upn(i: int) -> str:
    return f"B{800000000000 + i:012d}"


def write_files(folder: Path, pupils: int = PUPILS) -> dict[str, Path]:
    """Pupils, long sessions, wide sessions and lesson marks CSVs for one generated year."""
    rng = random.Random(7)
    days = _school_days()
    paths = {k: folder / f"{k}.csv" for k in ("pupils", "sessions_long", "sessions_wide", "lessons")}
    with paths["pupils"].open("w", encoding="utf-8") as fh:
        fh.write("UPN,Surname,Forename,Year,Reg,FSM,SEN\n")
        for i in range(pupils):
            year = 7 + i % 5
            fh.write(f"{_upn(i)},S{i},F{i},{year},{year}{'ABCDEF'[i % 6]},{'Y' if i % 4 == 0 else 'N'},N\n")
    marks = [[rng.choice(CODES) for _ in range(2 * len(days))] for _ in range(pupils)]
    with paths["sessions_long"].open("w", encoding="cp1252") as fh:
        fh.write("Pupil UPN,Session Date,AM/PM,Attendance Mark\n")
        for i in range(pupils):
            upn, row = _upn(i), marks[i]
            for j, d in enumerate(days):
                ds = d.strftime("%d/%m/%Y")
                fh.write(f"{upn},{ds},AM,{row[2 * j]}\n{upn},{ds},PM,{row[2 * j + 1]}\n")
    with paths["sessions_wide"].open("w", encoding="cp1252") as fh:
        fh.write("UPN," + ",".join(f"{d:%d/%m/%Y} {s}" for d in days for s in ("AM", "PM")) + "\n")
        for i in range(pupils):
            fh.write(_upn(i) + "," + ",".join(c if c != "-" else "" for c in marks[i]) + "\n")
    with paths["lessons"].open("w", encoding="utf-8") as fh:
        fh.write("UPN,Date,Period,Subject,Class,Mark,Minutes Late\n")
        for i in range(pupils):
            upn = _upn(i)
            for j, d in enumerate(days):
                ds = d.isoformat()
                for p in range(1, PERIODS + 1):
                    code = "/" if marks[i][2 * j + (p > 3)] in ("/", "L") else "N"
                    fh.write(f"{upn},{ds},{p},Subject{p},{7 + i % 5}X{p},{code},\n")
    return paths


def _bare_read(path: Path) -> float:
    con = duckdb.connect()
    t = time.perf_counter()
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, all_varchar = true)", [str(path)])
    elapsed = time.perf_counter() - t
    con.close()
    return elapsed


def _import(folder: Path, pupils_file: Path, path: Path, n: int) -> tuple[float, int]:
    target = folder / f"bench{n}.duckdb"
    con = db.connect(target)
    result = importer.import_files(con, [pupils_file], school_id="BENCH", year=2025)
    assert result.ok, result.summary()
    t = time.perf_counter()
    result = importer.import_files(con, [path], school_id="BENCH")
    elapsed = time.perf_counter() - t
    assert result.ok, result.summary()
    con.close()
    target.unlink()
    return elapsed, result.files[0].rows


def _import_in_fresh_db(folder: str, pupils_file: str, path: str) -> int:
    """One import into a new database (run in its own process to measure its peak memory)."""
    _, rows = _import(Path(folder), Path(pupils_file), Path(path), 0)
    return rows


def _bare_read_only(path: str) -> float:
    return _bare_read(Path(path))


def run(repeats: int = 3) -> dict:
    """Median import time and, from one import in its own process, peak memory, beside a bare read of the file."""
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        folder = Path(tmp)
        paths = write_files(folder)
        n = 0
        for case in ("sessions_long", "sessions_wide", "lessons"):
            imports, reads, rows = [], [], 0
            for _ in range(repeats):
                n += 1
                seconds, rows = _import(folder, paths["pupils"], paths[case], n)
                imports.append(seconds)
                reads.append(_bare_read(paths[case]))
            imp, bare = statistics.median(imports), statistics.median(reads)
            _, peak = peak_rss_mb(_import_in_fresh_db, str(folder), str(paths["pupils"]), str(paths[case]))
            _, bare_peak = peak_rss_mb(_bare_read_only, str(paths[case]))
            out.append(
                {
                    "benchmark": f"import {case.replace('_', ' ')} ({PUPILS} pupils, one year)",
                    "rows": rows,
                    "megabytes": round(paths[case].stat().st_size / 1e6, 1),
                    "median_seconds": round(imp, 3),
                    "bare_read_csv_seconds": round(bare, 3),
                    "ratio": round(imp / bare, 2) if bare else None,
                    "peak_mb": peak,
                    "bare_read_peak_mb": bare_peak,
                    "memory_ratio": round(peak / bare_peak, 2) if bare_peak else None,
                    "repeats": repeats,
                }
            )
    return {
        "title": "Import",
        "description": (
            f"A generated year of a {PUPILS:,}-pupil secondary school, imported into a fresh database after its "
            "pupils file: validation, one transaction, calendar derivation and the rebuild of the on-roll "
            "registers (data/on_roll.py). median_seconds over the repeats; bare_read_csv_seconds = DuckDB reading "
            "the same file into a table, in the same process. peak_mb = peak resident size of a fresh process "
            "doing one import, beside the same for the bare read (benchmarks/memory.py)."
        ),
        "rows": out,
        "notes": [
            "Before the on-roll registers (run of 2026-11-24 01:08) the three imports took 0.83, 0.89 and 3.41 s: "
            "about 0.5-1 s per school-year is now spent at import placing each mark in its enrolment, looking up "
            "its code and storing the spells of absence, so that no question has to.",
        ],
    }


if __name__ == "__main__":
    for row in run(1)["rows"]:
        print(row)

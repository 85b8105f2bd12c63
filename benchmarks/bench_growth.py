"""How it grows: 1, 5, 20 and 100 schools (``benchmarks.trust`` registers, 1,500 pupils each).

For each size, in the same process:

- **import**: one more school's year of session marks (300 pupils) through ``python -m data import``'s
  staged import (copy, import, swap) into a copy of the store, against a bare DuckDB read of the same file
  and ``pandas.read_csv`` of it;
- **question**: ``summary --by school`` (``analytics.trust.summary_by_school_records``) against a bare DuckDB
  scan of the same marks and a straightforward pandas version of the same figures (the answers are checked
  to agree: every school's possible and absent sessions and persistent absentees);
- **memory**: peak resident memory of a fresh process asking the question, against the bare scan's and
  the pandas version's;
- **reader during an import**: the question asked while an import of one school runs, against the same
  question on the idle store.

``BENCH_QUICK=1`` (``make bench-quick``) runs 1 and 5 schools; ``BENCH_GROWTH_SIZES=1,5,20`` any list.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from analytics import trust
from analytics.filters import Filter
from benchmarks import bench_import, memory
from benchmarks import trust as trust_store
from data import db, staging

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1, 5, 20, 100)
QUICK_SIZES = (1, 5)
IMPORT_PUPILS = 300


def _sizes() -> tuple[int, ...]:
    if os.environ.get("BENCH_GROWTH_SIZES"):
        return tuple(int(s) for s in os.environ["BENCH_GROWTH_SIZES"].split(","))
    return QUICK_SIZES if os.environ.get("BENCH_QUICK") else SIZES


def store(schools: int) -> Path:
    path = trust_store.OUT_DIR / f"growth_{schools}.duckdb"
    if not path.exists():
        trust_store.build(path, schools)
    return path


def _median(fn, repeats: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def question(path: str) -> list[dict]:
    with db.connection(path, read_only=True) as con:
        return trust.summary_by_school_records(con, Filter())


def bare_scan(path: str) -> int:
    with db.connection(path, read_only=True) as con:
        return con.execute("SELECT count(*), count(code) FROM on_roll_sessions").fetchone()[0]


def pandas_version(path: str) -> dict[str, tuple[int, int, int]]:
    """The same figures the obvious pandas way: every on-roll mark into a frame, then group."""
    with db.connection(path, read_only=True) as con:
        marks = con.execute("SELECT school_id, enrolment_id, possible, absent FROM on_roll_sessions").df()
    per = marks.groupby(["school_id", "enrolment_id"])[["possible", "absent"]].sum()
    per = per[per["possible"] > 0]
    per["persistent"] = per["absent"] * 10 >= per["possible"]
    schools = per.groupby(level="school_id").agg(
        possible=("possible", "sum"), absent=("absent", "sum"), persistent=("persistent", "sum")
    )
    return {s: (int(r.possible), int(r.absent), int(r.persistent)) for s, r in schools.iterrows()}


def _agree(records: list[dict], by_pandas: dict) -> bool:
    ours = {
        r["group"]: (
            r["possible_sessions"],
            r["possible_sessions"] - r["attendance_sessions"],
            r["persistent_absence_count"],
        )
        for r in records
    }
    return ours == by_pandas


def _import_times(path: Path, files: dict[str, Path], work: Path) -> tuple[float, float, float]:
    """Seconds for a staged import of one school into a copy of the store, a bare read, and read_csv."""
    copy = work / "copy.duckdb"
    shutil.copyfile(path, copy)
    shutil.rmtree(db.backup_dir(copy), ignore_errors=True)
    started = time.perf_counter()
    argv = [sys.executable, "-m", "data", "import", str(files["pupils"]), str(files["sessions_long"])]
    subprocess.run(
        [*argv, "--school", "NEW1", "--year", "2025/26", "--db", str(copy)], cwd=ROOT, check=True, capture_output=True
    )
    staged = time.perf_counter() - started
    bare = bench_import._bare_read(files["sessions_long"])
    t = time.perf_counter()
    pd.read_csv(files["sessions_long"], dtype=str, encoding="cp1252")
    return staged, bare, time.perf_counter() - t


def _reader_during_import(path: Path, files: dict[str, Path], work: Path, idle: float) -> float | None:
    """The question's time while an import runs on the store, as a ratio to the idle time."""
    copy = work / "copy.duckdb"
    shutil.copyfile(path, copy)
    argv = [sys.executable, "-m", "data", "import", str(files["pupils"]), str(files["sessions_long"])]
    proc = subprocess.Popen(
        [*argv, "--school", "NEW2", "--year", "2025/26", "--db", str(copy)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stage = staging.stage_path(copy)
    while not stage.exists() and proc.poll() is None:
        time.sleep(0.01)
    if proc.poll() is not None:
        return None
    t = time.perf_counter()
    question(str(copy))
    during = time.perf_counter() - t
    proc.wait()
    return during / idle


def run(repeats: int = 3) -> dict:
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as tmp:
        work = Path(tmp)
        files = bench_import.write_files(work, pupils=IMPORT_PUPILS)
        for n in _sizes():
            started = time.perf_counter()
            path = store(n)
            built = time.perf_counter() - started
            with db.connection(path, read_only=True) as con:
                marks = con.execute("SELECT count(*) FROM session_marks").fetchone()[0]
            q = _median(lambda p=str(path): question(p), repeats)
            scan = _median(lambda p=str(path): bare_scan(p), repeats)
            pand = _median(lambda p=str(path): pandas_version(p), max(1, repeats // 2))
            agree = _agree(question(str(path)), pandas_version(str(path)))
            _, q_mb = memory.peak_rss_mb(question, str(path))
            _, scan_mb = memory.peak_rss_mb(bare_scan, str(path))
            _, pandas_mb = memory.peak_rss_mb(pandas_version, str(path))
            staged, bare_read, read_csv = _import_times(path, files, work)
            during = _reader_during_import(path, files, work, q)
            rows.append(
                {
                    "schools": n,
                    "session marks": f"{marks:,}",
                    "file MB": f"{path.stat().st_size / 2**20:,.0f}",
                    "question s": f"{q:.2f}",
                    "÷ bare scan": f"{q / scan:.1f}",
                    "÷ pandas": f"{q / pand:.2f}",
                    "answers agree": "yes" if agree else "NO",
                    "memory MB": f"{q_mb:,.0f}",
                    "÷ scan memory": f"{q_mb / scan_mb:.2f}",
                    "÷ pandas memory": f"{q_mb / pandas_mb:.2f}",
                    "import s": f"{staged:.1f}",
                    "÷ bare read": f"{staged / bare_read:.0f}",
                    "÷ read_csv": f"{staged / read_csv:.1f}",
                    "reader during import ÷ idle": "-" if during is None else f"{during:.2f}",
                }
            )
            notes.append(f"{n} schools: store {'built' if built > 1 else 'reused'} ({built:.0f} s).")
    missing = [n for n in SIZES if n not in _sizes()]
    if missing:
        notes.append(f"Not run this time: {', '.join(map(str, missing))} schools (see docs/SCALING.md).")
    notes += [
        "question: `summary --by school` trust-wide; bare scan: `count(*), count(code)` over the same on-roll "
        "marks; pandas: the same marks into a DataFrame, grouped per enrolment then per school.",
        f"import: one more school ({IMPORT_PUPILS} pupils, a year of session marks) through `python -m data "
        "import` (copy of the store, import, swap; process start included), against a bare DuckDB read and "
        "`pandas.read_csv` of the marks file. The copy grows with the store: see docs/SCALING.md.",
        "reader during import: the question asked while that import runs, as a ratio to the idle question.",
    ]
    return {
        "title": "How it grows",
        "description": "Each figure beside the bare DuckDB scan and a straightforward pandas version of the same "
        "question, timed in the same process (medians).",
        "rows": rows,
        "notes": notes,
    }


if __name__ == "__main__":
    result = run()
    print(pd.DataFrame(result["rows"]).to_string(index=False))
    print("\n".join(result["notes"]))

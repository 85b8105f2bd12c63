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

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from analytics import trust
from analytics.filters import Filter
from benchmarks import bench_import, memory, pages
from benchmarks import trust as trust_store
from data import db, staging

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1, 5, 20, 100)
QUICK_SIZES = (1, 5)
IMPORT_PUPILS = 300
READERS = 5  # questions asked, one after another, while an import runs
SAVED = ROOT / "docs" / "growth.json"  # every size's last figures: a quick run replaces only the sizes it ran
PAGE_LABELS = {"overview": "Overview", "groups": "Groups", "trust": "Schools side by side", "pupil": "A pupil"}
PAGES_PLOTTED = ("trust", "overview", "groups", "pupil")


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


def bare_scan(path: str, school_id: str | None = None) -> int:
    """Every on-roll mark read once (of one school, or of all): the floor under any question about them."""
    where = "" if school_id is None else " WHERE school_id = ?"
    with db.connection(path, read_only=True) as con:
        sql = f"SELECT count(*), count(code) FROM on_roll_sessions{where}"
        return con.execute(sql, [] if school_id is None else [school_id]).fetchone()[0]


def pandas_version(path: str, school_id: str | None = None) -> dict[str, tuple[int, int, int]]:
    """The same figures the obvious pandas way: every on-roll mark (of one school, or of all) into a frame, then group."""
    where = "" if school_id is None else " WHERE school_id = ?"
    with db.connection(path, read_only=True) as con:
        sql = f"SELECT school_id, enrolment_id, possible, absent FROM on_roll_sessions{where}"
        marks = con.execute(sql, [] if school_id is None else [school_id]).df()
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
    """The question's median time while an import runs on the store, as a ratio to the idle time."""
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
    during = []  # every question started while the import still ran (one alone is at the mercy of the load)
    while proc.poll() is None and len(during) < READERS:
        t = time.perf_counter()
        question(str(copy))
        during.append(time.perf_counter() - t)
    proc.wait()
    return statistics.median(during) / idle


def _page_rows(path: Path, work: Path, scan: float, pand: float, scan_mb: float) -> tuple[dict, dict]:
    """The pages' times on a copy of the store (the app writes its audit log), and what they are measured against."""
    copy = work / "pages.duckdb"
    shutil.copyfile(path, copy)
    shutil.rmtree(db.backup_dir(copy), ignore_errors=True)
    result, app_mb = memory.peak_rss_mb(pages.page_times, str(copy))
    school_id = result["school_id"]
    school_scan = _median(lambda: bare_scan(str(path), school_id), 3)
    school_pandas = _median(lambda: pandas_version(str(path), school_id), 1)
    against = {"school": (school_scan, school_pandas), "trust": (scan, pand)}
    times = {}
    for key, t in result["times"].items():
        rows_scanned, by_pandas = against["trust" if key == "trust" else "school"]
        times[key] = {**t, "scan": rows_scanned, "pandas": by_pandas}
    copy.unlink()
    return times, {"school_id": school_id, "app_mb": app_mb, "app_mb_ratio": app_mb / scan_mb}


def _load_average() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def measure(n: int, files: dict[str, Path], work: Path, repeats: int) -> dict:
    """Every figure of the growth series for ``n`` schools."""
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
    page_times, app = _page_rows(path, work, scan, pand, scan_mb)
    row = {
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
        "app memory MB": f"{app['app_mb']:,.0f}",
        "app memory ÷ scan memory": f"{app['app_mb_ratio']:.2f}",
        "measured": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {_load_average()}",
    }
    return {
        "row": row,
        "pages": page_times,
        "school_id": app["school_id"],
        "built": f"store {'built' if built > 1 else 'reused'} ({built:.0f} s)",
    }


def _saved() -> dict:
    try:
        return json.loads(SAVED.read_text())
    except (OSError, ValueError):
        return {}


def merged(saved: dict, new: dict) -> dict:
    """The saved figures with the sizes measured now replaced; sizes not run this time keep their last figures."""
    return {
        str(k): v
        for k, v in sorted({**saved, **{str(n): m for n, m in new.items()}}.items(), key=lambda kv: int(kv[0]))
    }


def _ratio(x: float) -> str:
    """Two significant figures: 20, 2.8, 0.53, 0.0044 (a cached page next to pandas reading millions of marks)."""
    if x < 0.01:
        return f"{x:.3f}"
    return f"{x:.2g}" if x < 100 else f"{x:.0f}"


def _page_table(series: dict) -> list[dict]:
    rows = []
    for n, m in series.items():
        for key, t in m.get("pages", {}).items():
            rows.append(
                {
                    "schools": n,
                    "page": PAGE_LABELS[key],
                    "cold s": f"{t['cold']:.2f}",
                    "warm s": f"{t['warm']:.2f}",
                    "bare scan s": f"{t['scan']:.3f}",
                    "cold ÷ scan": _ratio(t["cold"] / t["scan"]),
                    "warm ÷ scan": _ratio(t["warm"] / t["scan"]),
                    "cold ÷ pandas": _ratio(t["cold"] / t["pandas"]),
                    "warm ÷ pandas": _ratio(t["warm"] / t["pandas"]),
                    "measured": m["row"]["measured"],
                }
            )
    return rows


def _plot(series: dict) -> list[str]:
    """A line chart of seconds against schools (GitHub draws mermaid's xychart in the page)."""
    sizes = [n for n, m in series.items() if m.get("pages")]
    if len(sizes) < 2:
        return []
    lines = {PAGE_LABELS[k] + " (cold)": [series[n]["pages"][k]["cold"] for n in sizes] for k in PAGES_PLOTTED}
    lines["`summary --by school`"] = [float(series[n]["row"]["question s"]) for n in sizes]
    lines["bare scan of every mark"] = [series[n]["pages"]["trust"]["scan"] for n in sizes]
    chart = [
        "```mermaid",
        "xychart-beta",
        '    title "Seconds against the number of schools"',
        f'    x-axis "schools" [{", ".join(sizes)}]',
        '    y-axis "seconds"',
        *(f"    line [{', '.join(f'{v:.2f}' for v in values)}]" for values in lines.values()),
        "```",
    ]
    return [*chart, "", f"The lines, from the first drawn: {'; '.join(lines)}.", ""]


def run(repeats: int = 3) -> dict:
    measured = {}
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as tmp:
        work = Path(tmp)
        files = bench_import.write_files(work, pupils=IMPORT_PUPILS)
        for n in _sizes():
            print(f"  {n} schools ...", flush=True)
            measured[n] = measure(n, files, work, repeats)
            print(f"  {n} schools: {measured[n].pop('built')}", flush=True)
    series = merged(_saved(), measured)
    SAVED.write_text(json.dumps(series, indent=1, ensure_ascii=False) + "\n")
    return report(series)


def report(series: dict) -> dict:
    """The section of docs/PERFORMANCE.md for every size saved (``python -c`` it to re-render without measuring)."""
    notes = [
        f"Each size's rows are from the last run that measured it (`{SAVED.relative_to(ROOT)}`; the measured column "
        "says when): `make bench` measures all four sizes, `make bench-quick` 1 and 5 schools."
    ]
    notes += [
        "question: `summary --by school` trust-wide; bare scan: `count(*), count(code)` over the same on-roll "
        "marks; pandas: the same marks into a DataFrame, grouped per enrolment then per school.",
        f"import: one more school ({IMPORT_PUPILS} pupils, a year of session marks) through `python -m data "
        "import` (copy of the store, import, swap; process start included), against a bare DuckDB read and "
        "`pandas.read_csv` of the marks file. The copy grows with the store: see docs/SCALING.md.",
        "reader during import: the median of the questions asked one after another while that import runs "
        f"(up to {READERS}, from the moment it starts writing its copy), as a ratio to the idle question.",
        "app memory: peak resident size of the process that ran the page times below (the whole app: Streamlit, "
        "the pages' libraries, DuckDB, the cache), against the bare scan's process.",
        "measured: when, and the machine's load average (1, 5, 15 minutes) as that size finished. Six "
        "sessions share this 2-core machine: with a load above 2 every figure is slowed, the ratios less so.",
    ]
    page_rows = _page_table(series)
    return {
        "title": "How it grows",
        "description": "Each figure beside the bare DuckDB scan and a straightforward pandas version of the same "
        "question, timed in the same process (medians).",
        "rows": [m["row"] for m in series.values()],
        "notes": notes,
        "subsections": [
            {
                "title": "Page times as it grows",
                "description": "The pages as a signed-in leader meets them, run headless by Streamlit's AppTest "
                "(`benchmarks/pages.py`: the real app.py, sign-in, sidebar, page script and cache, on a copy of "
                "the store; no browser drawing). cold: caches emptied first (after an import, or the first "
                "visit); warm: the page shown again. Median of 3 views each. Overview, Groups and the pupil "
                "page are the sidebar's first school's (a 1,500-pupil school, as every school here): their "
                "bare scan and pandas version are that school's marks; the trust view's are every school's.",
                "rows": page_rows,
                "notes": [
                    "A bare scan takes a tenth of a second or less, so it is the noisiest figure on a loaded "
                    "machine: at 1 school the school's scan and the scan of every mark read the same rows, and "
                    "they have differed by up to five times within one run. Read a page's ratios across the sizes, "
                    "not one alone; the warm times show what the cache leaves to pay.",
                ],
            },
            {"title": "Plot", "lines": _plot(series)},
        ],
    }


if __name__ == "__main__":
    result = run()
    print(pd.DataFrame(result["rows"]).to_string(index=False))
    print(pd.DataFrame(result["subsections"][0]["rows"]).to_string(index=False))
    print("\n".join(result["notes"]))

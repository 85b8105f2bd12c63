"""``python -m benchmarks`` (``make bench``): run every ``benchmarks/bench_*.py`` and write docs/PERFORMANCE.md.

Each module offers ``run(repeats) -> dict`` with ``title``, optional
``description``, ``columns``, ``rows`` (a list of dicts) and optional
``notes``. Browser timings written by the UI tests to
``docs/browser_timings.json`` are included when that file exists.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import traceback
from datetime import datetime
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "PERFORMANCE.md"
BROWSER_TIMINGS = ROOT / "docs" / "browser_timings.json"
FIRST_VISIT = ROOT / "docs" / "browser_first_visit.json"
# What a first visit used to pay for, and what the server now does before its first request (issue 15, item 15).
FIRST_VISIT_NOTES = [
    "Before (2026-11-28 13:55, load average 1.2-2.1 on 2 cores): the Overview in 7.7 s and then a pupil's page in "
    "2.4 s. A profile of the first script run gave 5.8 s: 3.7 s of imports (scipy.stats, pandas, python-docx), "
    "Plotly's first figure 0.6 s, Streamlit's REPL check 0.7 s, beside a warm-up thread competing with it. A first "
    "round (scipy.special for the intervals, the warm-up thread also importing and drawing) brought the Overview "
    "to 5.9 s and the pupil's page to 2.0 s (15:07, load 3.3-4.3).",
    "Changed (profiled with py-spy on the server): the server's start works out the first screen before it answers "
    "(app.py serves an st.App whose lifespan, ui/warm.py, imports what every page imports, draws Plotly's first "
    "figure, makes Streamlit's REPL check and asks the default view's figures through the pages' cache, on its own "
    "connection, closed with its reader lock when done), then gc.freeze(), so the full garbage collection Streamlit "
    "makes after every run (0.25 s with everything scanned) skips what is loaded for good; no source-file watcher "
    "(.streamlit/config.toml: it walked every loaded module on each new session's first run, over a second on the "
    "server's event loop); the page's HTML preloads Plotly's JavaScript (4.7 MB) and imports it once the script "
    "starts (st.App middleware), so the browser does that while it waits for the server.",
    "Side by side at the same load (2026-11-28 18:10-18:11 UTC, main's code and this one started in turn, four "
    "servers each, load average 0.5-2.1): the Overview 4.9 s before and 3.3 s after (medians; script finished 4.1 "
    "and 2.1 s), the pupil's page 1.6 s and 1.4 s; the server answers after 2.6 s instead of 0.6 s. At load 10 "
    "(17:40): the Overview 10.4 s and 6.3 s, the pupil's page 2.9 s and 4.5 s before the charts' preload.",
    "The 2-second aim of issue 15 (item 15): met for a pupil's page (1.4 s); not met for the Overview opened by a "
    "browser with nothing cached (2.8-3.3 s). What is left is the browser's: about 1 s to start Streamlit's own "
    "JavaScript, 1 s to run Plotly's module and 1 s to draw the page, on a shared 2-core machine; the server's "
    "part is about half a second. A browser that has opened the dashboard before opens it by its address in "
    "1.0-1.2 s (the warm timings above).",
    "Later (2026-11-28 21:00-22:10): a chart's Figures table and the Overview's headline table are drawn only when "
    'their expander is opened (st.expander on_change="rerun"), so a first visit no longer loads the table\'s code '
    "(about 1.5 MB of JavaScript) or receives the tables: the Overview's charts drawn at 2.45 s instead of 2.8 s at "
    "load 0.3-1.2 (three fresh servers each, a probe with an empty browser cache), but the same (about 2.7 s) side by "
    "side at load 3-4. The browser's timeline on that probe (long tasks, element marks, resource timings): 0.75 s "
    "to load Streamlit's JavaScript, 0.7-1.0 s of main-thread work running Plotly's module, about 0.25 s drawing "
    "the charts; the server's script (0.2-0.7 s) runs while Plotly loads. Waiting for the first chart before "
    "loading Plotly, or preloading the small element modules, was measured and changes nothing: the cards are "
    "drawn in the same render as the chart and wait for Plotly either way. Under 2 s would need a first screen "
    "without a Plotly chart or a much smaller charting module.",
    "Then (2026-11-28 23:00-23:50): the first screens without Plotly. The Overview's trend and 'what changed most', "
    "and a pupil's calendar (the first tab of their page), are drawn as Vega-Lite specs (ui/charts/vega.py, the "
    "same inputs, palette, titles, hover and clicks; the packs keep printing the Plotly figures). Streamlit's "
    "Vega-Lite module is about 0.8 MB against Plotly's 4.7 MB. Built as plain dicts, not Altair objects: Altair "
    "cost 0.28 s of the script's 0.33 s (py-spy on the server: building the layers, then checking the spec against "
    "the schema), the dicts 12 ms; tests/test_vega.py checks each against Vega-Lite's schema instead. Plotly's "
    "module is still fetched at once on every page, and run as the script starts only where the first screen draws "
    "with it. Measured and not kept: running Vega-Lite's module early too (it held up the cards by about what it "
    "saved the chart), preloading the cards' and buttons' modules (no change), and running Plotly's once the "
    "Overview is drawn and idle (the page stayed busy for most of a second after it looked ready). Side by side "
    "(the previous commit and this one started in turn, five fresh servers each, a browser with nothing cached, "
    "the Overview then a pupil's page by its address in the same tab, load average 1.8-3.9 on 2 cores): the "
    "Overview drawn in 2.07 s against 2.68 s (medians; script finished 1.40 and 2.08 s), the pupil's page "
    "1.40 s against 1.64 s. The browser's timeline of the Overview at load 0.5-1.2: Streamlit's own JavaScript "
    "loaded at 0.8 s, the script starts at 0.95 s, the heading at 1.3 s, the cards at 1.75-1.85 s and the trend "
    "at 1.92-1.97 s. The browser test's figures at 23:51 (load 2.9-3.2): the Overview in 1.83 s, "
    "then a pupil's page in 1.32 s. Pages whose first screen draws with Plotly (Groups, Patterns, the governors' "
    "pack) still pay its module once per page load; their first visits are not measured in the test.",
    "Later (2026-11-29 00:45-01:05): a pupil's figures against their year group drawn when their expander is opened "
    "(as the Overview's headline table), and the test also opens a pupil's page as the first page of another "
    "browser with nothing cached (a second pupil, so the server has not worked it out either). At load 2-4 (the "
    "table above): the Overview 1.8-2.3 s, a pupil's page after it 1.4-1.7 s, a pupil's page opened first 2.2-3.1 "
    "s. What a pupil's page opened first waits for is the browser's: its queries take about 50 ms on the server, "
    "its script finishes at about 1.7 s, and the rest is Streamlit loading each kind of element's code as it first "
    "meets it (the sidebar's radio, selects and text box, the cards, the tabs), several small files one after "
    "another. Naming those files for the browser to fetch and run at once was measured and was no quicker (3.0 s "
    "against 2.8 s, four fresh servers each). The 2-second aim is met for the Overview at low load and for a "
    "pupil's page opened from the dashboard; not for a pupil's page opened as the very first page of a browser.",
    "Then (2026-11-29 02:00-03:00): the rest of a first visit to a pupil's page. The browser's main thread was busy "
    "for about 1.4 s of the first 1.9 s (a Chromium trace): Streamlit's own JavaScript, React drawing each element "
    "as it arrived, and each kind of element's code fetched from a server busy running the script. Each change "
    "below was measured side by side against the commit before it (fresh servers started in turn, a browser with "
    "nothing cached, the page of a pupil with no actions logged, load average about 2 on 2 cores; medians of 6-7 "
    "each, until the calendar is drawn): the forms under 'Actions and letters' (record, edit, letter home) drawn "
    "when their box is opened and the pupil groups, which never narrow one pupil's page, left out of its sidebar: "
    "2.29 s against 2.41 s; uvicorn's C parser and event loop (httptools, uvloop, which Streamlit's server uses "
    "when installed; the app's JavaScript is loaded about 0.25 s sooner): 1.84 s against 2.05 s; Plotly's module "
    "fetched a second after the first screen is drawn, not with it, on the Overview and a pupil's page (fetched "
    "and parsed at once, it took about 0.19 s of a core in the first second): 1.81 s against 1.97 s. For a pupil "
    "with actions logged, attendance since the latest action against similar pupils took 0.7-0.9 s of the "
    "script: analytics/attendance_windows.py now reads only the days its windows reach and finds each pupil's row "
    "by hashing, not by a binary search over UPN strings (0.11-0.23 s, the same figures to the last digit for "
    "three pupils and for the Impact page's table); the script then finishes at 1.45-1.65 s instead of "
    "2.5-2.85 s. That pupil's log is a plain table, not a grid. The test's pupil opened first is now one with "
    "actions logged. Measured and not kept: the sidebar's pupil groups drawn only once their box is opened on "
    "every page (the Overview 1.87 s against 1.93 s, within the noise, for a wait each time the box is opened); "
    "the first screen's element modules fetched as the script starts (1.81 s either way); the log as a Markdown "
    "table (about 0.07 s, but staff's free-text notes would need escaping of Markdown and LaTeX marks).",
    "Then (2026-11-29 04:45-05:05): a pupil's page opened first, with actions logged. A resource timeline showed "
    "each kind of element's code fetched as it first arrived, and the cards drawn only once the last of them had "
    "loaded, after the script had finished. Each change side by side against the commit before it (fresh "
    "servers in turn, a browser with nothing cached, medians of 5 each, until the calendar is drawn, load "
    "average 1-2): the calendar of marks as an HTML table (ui/charts/calendar_grid.py, drawn by the browser "
    "itself: no Vega module to fetch and run, no 800 marks to lay out; a screen reader reads it as a table): "
    "1.75 s against 2.27 s; the action log as a plain HTML table (st.table loaded Arrow's formatting code, "
    "0.74 MB): 1.70 s against 1.87 s, the cards drawn about 0.15 s sooner. A page opened by its address "
    "(/pupils) asked /pupils/_stcore/health first, got 'not found' and waited 0.1 s before asking "
    "/_stcore/health: the page now tells Streamlit where its server is (window.__streamlit.BACKEND_BASE_URL, "
    "ui/warm.py); the script starts about 0.03-0.1 s sooner, within the noise of these runs. The browser test at "
    "05:05 (load 2.1-3.0): the Overview in 1.70 s, a pupil's page after it in 0.72 s, a pupil's page opened first "
    "in 1.60 s (2.44 s the session before, at load 2.2-3.3).",
]


def _modules() -> list[str]:
    return sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))


def _table(columns: list[str], rows: list[dict]) -> list[str]:
    if not rows:
        return ["(no rows)"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for r in rows:
        lines.append("| " + " | ".join("" if r.get(c) is None else str(r.get(c)) for c in columns) + " |")
    return lines


def _section(result, title: str = "Benchmark", level: int = 2) -> list[str]:
    """A module's result as markdown: heading, description, table, notes, then its ``subsections`` (one level
    down; a subsection may instead give ready ``lines``, such as a chart)."""
    if isinstance(result, str):  # a module may hand back its own markdown
        return [result.strip(), ""]
    if isinstance(result, list):  # bare rows: a table under the module's name
        result = {"title": title, "rows": [r if isinstance(r, dict) else {"value": r} for r in result]}
    lines = [f"{'#' * level} {result.get('title', 'Benchmark')}", ""]
    if "lines" in result:
        return lines + result["lines"] if result["lines"] else []
    rows = result.get("rows", [])
    columns = result.get("columns") or list(dict.fromkeys(k for r in rows for k in r))
    if result.get("description"):
        lines += [result["description"], ""]
    lines += [*_table(columns, rows), ""]
    for note in result.get("notes", []):
        lines.append(f"- {note}")
    if result.get("notes"):
        lines.append("")
    for sub in result.get("subsections", []):
        lines += _section(sub, level=level + 1)
    return lines


def _browser_section() -> list[str]:
    if not BROWSER_TIMINGS.exists():
        return []
    try:
        data = json.loads(BROWSER_TIMINGS.read_text())
    except ValueError:
        return ["## Browser timings", "", f"{BROWSER_TIMINGS.name} could not be read.", ""]
    lines = ["## Browser timings", "", f"From `{BROWSER_TIMINGS.relative_to(ROOT)}` (real-browser tests).", ""]
    if isinstance(data, dict) and "rows" in data:
        if FIRST_VISIT.exists():  # its own subsection below, from the newer file: not an older run's note
            data["notes"] = [n for n in data.get("notes", []) if not n.startswith("First visit after the server")]
        return lines + _section({"title": "", **data})[2:] + _first_visit_section()
    rows = data if isinstance(data, list) else [{"measure": k, "value": v} for k, v in data.items()]
    rows = [r if isinstance(r, dict) else {"value": r} for r in rows]
    columns = list(dict.fromkeys(k for r in rows for k in r))
    return [*lines, *_table(columns, rows), "", *_first_visit_section()]


def _first_visit_section() -> list[str]:
    """The first visit after a server starts, from tests/browser's test_a_first_visit_is_measured."""
    if not FIRST_VISIT.exists():
        return []
    try:
        data = json.loads(FIRST_VISIT.read_text())
    except ValueError:
        return []
    lines = [
        "### First visit (a freshly started server)",
        "",
        f"From `{FIRST_VISIT.relative_to(ROOT)}` (`tests/browser/test_pages_in_browser.py::"
        "test_a_first_visit_is_measured`). " + str(data.get("description", "")),
        "",
    ]
    rows = [{"measure": k, "value": v} for k, v in data.items() if k != "description"]
    return [*lines, *_table(["measure", "value"], rows), "", *(f"- {note}" for note in FIRST_VISIT_NOTES), ""]


def _splice(report: str, section: list[str]) -> str:
    """The report with the section of the same heading replaced (or added before the browser timings)."""
    heading = section[0]
    lines = report.splitlines()
    if heading in lines:
        start = lines.index(heading)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = section
    else:
        at = lines.index("## Browser timings") if "## Browser timings" in lines else len(lines)
        lines[at:at] = section
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", help="run one module, e.g. bench_analytics")
    parser.add_argument("--output", default=str(REPORT))
    parser.add_argument("--quick", action="store_true", help="fewer sizes (the growth series: 1 and 5 schools)")
    args = parser.parse_args(argv)
    if args.quick:
        os.environ["BENCH_QUICK"] = "1"

    sections, failures = [], []
    for name in _modules():
        if args.only and name != args.only:
            continue
        print(f"running benchmarks.{name} ...", flush=True)
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            sections += _section(module.run(args.repeats), title=f"benchmarks.{name}")
        except Exception:
            failures.append(name)
            sections += [f"## benchmarks.{name}", "", "Failed:", "", "```", traceback.format_exc(limit=3), "```", ""]
    header = [
        "# Performance",
        "",
        "Written by `make bench` (`python -m benchmarks`); do not edit by hand.",
        "",
        "## Machine and method",
        "",
        f"- Run {datetime.now():%Y-%m-%d %H:%M}; {os.cpu_count()} CPU cores "
        f"({platform.machine()}, {platform.system()}), Python {platform.python_version()}, DuckDB {duckdb.__version__}.",
        "- The machine is shared: absolute times vary with its load, so each table also gives the ratio to a "
        "bare scan of the same rows timed in the same process.",
        "- Each function is timed after the database is open and after one warm-up call; the median of "
        f"{args.repeats} runs is reported. This is a benchmark, not a timed test: nothing fails on a number.",
        "",
    ]
    output = Path(args.output)
    if args.only and output.exists():  # one module re-run: replace its section, keep the rest of the report
        text = _splice(output.read_text(), sections)
    else:
        text = "\n".join([*header, *sections, *_browser_section()])
    output.write_text(text.rstrip() + "\n")
    print(f"wrote {args.output}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

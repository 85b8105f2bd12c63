"""Time every public analytics function on the trust-scale database (benchmarks/trust.py).

Each function runs ``repeats`` times after the database is open and one
warm-up call; the median is reported beside the median of a bare scan in the
same process (``SELECT school_id, count(*) FROM session_marks GROUP BY
school_id``, or the one school's rows), so the ratio says how much work a
question adds over merely reading the marks, whatever the machine's load.

Modules another helper is still writing (patterns, pupils, lists) are imported
defensively: their functions are found by name and called with the filter and,
where asked for, a pupil; anything that cannot run is listed, not hidden.
"""

from __future__ import annotations

import importlib
import inspect
import statistics
import time
from collections.abc import Callable
from datetime import date

from analytics.filters import Filter
from benchmarks.trust import trust_db
from data import db

TRUST = Filter(academic_year=2025)
SCHOOL = Filter(school_ids=("TS13",), academic_year=2025)  # a secondary school with lesson registers
LAST_MONTH = Filter(school_ids=("TS13",), academic_year=2025, date_from=date(2026, 6, 22), date_to=date(2026, 7, 21))


def _median_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up: first use of a plan, file pages into memory
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _core_cases(con) -> list[tuple[str, str, Callable[[], object]]]:
    """(name, scope, call) for the measures, groups and school lookups built here."""
    from analytics import groups, measures, school

    autumn = TRUST.replace(term="autumn")
    spring = TRUST.replace(term="spring")
    return [
        ("measures.summary", "trust", lambda: measures.summary(con, TRUST)),
        ("measures.summary", "school", lambda: measures.summary(con, SCHOOL)),
        ("measures.summary (half-term)", "trust", lambda: measures.summary(con, spring.replace(half_term=1))),
        ("measures.summary (date range)", "school", lambda: measures.summary(con, LAST_MONTH)),
        ("measures.summary_by year_group", "trust", lambda: measures.summary_by(con, TRUST, "year_group")),
        ("measures.enrolment_measures", "school", lambda: measures.enrolment_measures(con, SCHOOL)),
        ("groups.group_breakdown fsm", "trust", lambda: groups.group_breakdown(con, TRUST, "fsm")),
        ("groups.group_breakdown ethnicity", "school", lambda: groups.group_breakdown(con, SCHOOL, "ethnicity")),
        ("groups.intersection_breakdown fsm x sen", "trust", lambda: groups.intersection_breakdown(con, TRUST, "fsm", "sen")),
        ("groups.group_gap_trend half_term", "trust", lambda: groups.group_gap_trend(con, TRUST, "fsm", True)),
        ("groups.group_gap_trend week", "school", lambda: groups.group_gap_trend(con, SCHOOL, "sen", "K", "week")),
        ("groups.biggest_changes", "trust", lambda: groups.biggest_changes(con, spring, autumn)),
        ("school.year_groups", "school", lambda: school.year_groups(con, SCHOOL)),
        ("school.calendar", "school", lambda: school.calendar(con, SCHOOL)),
        ("school.latest_date", "trust", lambda: school.latest_date(con, TRUST)),
    ]  # fmt: skip


def _discovered_cases(con) -> tuple[list[tuple[str, str, Callable[[], object]]], list[str]]:
    """Public functions of patterns, pupils and lists, called as (con, f[, upn]) on one school."""
    upn = con.execute(
        "SELECT upn FROM enrolments WHERE school_id = ? AND academic_year = 2025 ORDER BY upn LIMIT 1", ["TS13"]
    ).fetchone()[0]
    cases, skipped = [], []
    for module_name in ("patterns", "pupils", "lists"):
        try:
            module = importlib.import_module(f"analytics.{module_name}")
        except Exception as exc:  # not written yet, or broken mid-edit: report, don't fail the run
            skipped.append(f"analytics.{module_name}: not importable ({exc.__class__.__name__})")
            continue
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            kwargs, missing = {}, []
            params = list(inspect.signature(fn).parameters.values())
            for p in params[2:]:
                if p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                    continue
                if p.name in ("upn", "pupil"):
                    kwargs[p.name] = upn
                else:
                    missing.append(p.name)
            if len(params) < 2 or params[0].name != "con" or missing:
                skipped.append(f"analytics.{module_name}.{name}: needs {', '.join(missing) or 'other arguments'}")
                continue
            cases.append((f"{module_name}.{name}", "school", lambda fn=fn, kw=kwargs: fn(con, SCHOOL, **kw)))
            if "upn" not in kwargs and "pupil" not in kwargs:
                cases.append((f"{module_name}.{name}", "trust", lambda fn=fn, kw=kwargs: fn(con, TRUST, **kw)))
    return cases, skipped


def run(repeats: int = 5) -> dict:
    """Medians (ms) of each analytics function at trust scale, with the bare-scan ratio.

    Returns ``{"title", "description", "columns", "rows", "notes"}``; rows are dicts.
    """
    path = trust_db()
    con = db.connect(path, read_only=True)
    try:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("schools", "enrolments", "session_marks", "lesson_marks")}  # fmt: skip
        baselines = {
            "trust": _median_ms(
                lambda: con.execute("SELECT school_id, count(*) FROM session_marks GROUP BY school_id").fetchall(),
                repeats,
            ),
            "school": _median_ms(
                lambda: con.execute(
                    "SELECT school_id, count(*) FROM session_marks WHERE school_id = ? GROUP BY school_id", ["TS13"]
                ).fetchall(),
                repeats,
            ),
        }
        discovered, skipped = _discovered_cases(con)
        rows, notes = [], list(skipped)
        for name, scope, call in _core_cases(con) + discovered:
            try:
                ms = _median_ms(call, repeats)
            except Exception as exc:  # a function that fails here is a finding, reported in the table
                notes.append(f"{name} ({scope}): failed with {exc.__class__.__name__}: {str(exc)[:120]}")
                continue
            rows.append(
                {
                    "function": name,
                    "scope": scope,
                    "median_ms": round(ms, 1),
                    "bare_scan_ms": round(baselines[scope], 1),
                    "ratio": round(ms / baselines[scope], 1) if baselines[scope] else None,
                }
            )
    finally:
        con.close()
    return {
        "title": "Analytics functions at trust scale",
        "description": (
            f"{counts['schools']} schools, {counts['enrolments']:,} enrolments, {counts['session_marks']:,} session "
            f"marks, {counts['lesson_marks']:,} lesson marks (benchmarks/trust.py). 'trust' = all schools, 2025/26; "
            "'school' = one secondary school (1,500 pupils). Median of "
            f"{repeats} runs after one warm-up; bare scan = `SELECT school_id, count(*) FROM session_marks GROUP BY "
            "school_id` over the same rows, in the same process."
        ),
        "columns": ["function", "scope", "median_ms", "bare_scan_ms", "ratio"],
        "rows": rows,
        "notes": notes,
    }

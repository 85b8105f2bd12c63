"""Each pupil's road to the end of the year (``analytics.projection``) on the trust-scale database.

The road is worked out for every pupil at once (the Lists page, the At risk
page) or for one pupil (the pupil page, a letter), so both are timed, trust-wide
over all the trust's schools (``benchmarks/trust.py``) and for one secondary
school, beside the same bare scan as ``bench_analytics`` so that the ratio says
what the question adds over reading the marks, whatever the machine's load.
"""

from __future__ import annotations

from benchmarks.bench_analytics import SCHOOL, TRUST, _medians_ms
from benchmarks.trust import trust_db
from data import db

ONE_SECOND_MS = 1000.0


def _cases(con) -> list[tuple[str, str, object]]:
    from analytics import projection

    upn = con.execute(
        "SELECT upn FROM enrolments WHERE school_id = ? AND academic_year = 2025 ORDER BY upn LIMIT 1", ["TS13"]
    ).fetchone()[0]
    return [
        ("projection.year_end_outlook", "trust", lambda: projection.year_end_outlook(con, TRUST)),
        ("projection.year_end_outlook", "school", lambda: projection.year_end_outlook(con, SCHOOL)),
        ("projection.cannot_avoid_persistent_absence", "trust", lambda: projection.cannot_avoid_persistent_absence(con, TRUST)),
        ("projection.bad_weeks_from_persistent_absence", "trust", lambda: projection.bad_weeks_from_persistent_absence(con, TRUST)),
        ("projection.pupil_outlook (one pupil)", "school", lambda: projection.pupil_outlook(con, SCHOOL, upn)),
    ]  # fmt: skip


def run(repeats: int = 5) -> dict:
    """Medians (ms) of the projection questions at trust scale, with the bare-scan ratio."""
    path = trust_db()
    con = db.connect(path, read_only=True)
    try:
        schools = con.execute("SELECT count(*) FROM schools").fetchone()[0]
        enrolments = con.execute("SELECT count(*) FROM enrolments WHERE academic_year = 2025").fetchone()[0]
        bare = {
            "trust": _medians_ms(
                lambda: con.execute("SELECT school_id, count(*) FROM session_marks GROUP BY school_id").fetchall(),
                repeats,
            )[0],
            "school": _medians_ms(
                lambda: con.execute(
                    "SELECT school_id, count(*) FROM session_marks WHERE school_id = ? GROUP BY school_id", ["TS13"]
                ).fetchall(),
                repeats,
            )[0],
        }
        rows = []
        for name, scope, call in _cases(con):
            ms, cpu_ms = _medians_ms(call, repeats)
            rows.append(
                {
                    "function": name,
                    "scope": scope,
                    "median_ms": round(ms, 1),
                    "cpu_ms": round(cpu_ms, 1),
                    "bare_scan_ms": round(bare[scope], 1),
                    "ratio": round(ms / bare[scope], 1) if bare[scope] else None,
                }
            )
    finally:
        con.close()
    trust_wide = next(r for r in rows if r["function"] == "projection.year_end_outlook" and r["scope"] == "trust")
    verdict = "under" if trust_wide["median_ms"] <= ONE_SECOND_MS else "over"
    return {
        "title": "Each pupil's road to the end of the year at trust scale",
        "description": (
            f"{schools} schools, {enrolments:,} enrolments in 2025/26 (benchmarks/trust.py). 'trust' = all "
            f"{schools} schools; 'school' = one secondary school (1,500 pupils). Median of {repeats} runs after one "
            "warm-up; bare scan and cpu_ms as in the analytics table."
        ),
        "columns": ["function", "scope", "median_ms", "cpu_ms", "bare_scan_ms", "ratio"],
        "rows": rows,
        "notes": [
            f"Every pupil's road across all {schools} schools takes {trust_wide['median_ms'] / 1000:.2f} s "
            f"({verdict} one second) in this run, {trust_wide['cpu_ms'] / 1000:.2f} s of CPU (the bare scan, "
            f"{bare['trust']:.0f} ms here, shows how loaded the shared machine was): one pass over the year's on-roll marks per school, the calendar's "
            "half-terms for the days left, and the unauthorised sessions of the last ten school weeks for the "
            "penalty date. The two lists filter that one result.",
        ],
    }

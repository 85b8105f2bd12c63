"""How well the impact estimate does: bias and 95% interval coverage over many generated schools.

A second generator, written differently from ``tests/impact_register.py`` on
purpose, so that the estimate is not tuned to one way of making data:

- a real 2025/26 calendar (half-terms, Christmas, Easter, a bank holiday; school
  weeks that start on a Wednesday), holiday days either absent from the file or
  marked ``#`` (school closed) for everyone;
- absence drawn per session or per day (both sessions together), with illness
  spells of a few days and bad spells of two to six weeks, and (in one design) a
  pupil's usual level drifting through the year;
- pupils picked after a bad month, a bad fortnight, or for being below 90% so
  far this year, on any weekday, right up to the last weeks before the summer;
- a share of the pupils picked get nothing; a pupil can be picked again after a
  few weeks (so comparison pupils are later helped themselves, and a pupil can
  have both types);
- pupils joining and leaving through the year;
- one type that does nothing and one that raises the chance of attending each
  session by 3 or 8 points, lasting or fading over the window.

The true effect of each type is the average, over the pupils who had it (their
first of that type), of attendance over the estimate's after-window with the
help minus without it, drawn from the same random numbers.

    python -m benchmarks.impact_study            # the table in docs/ARCHITECTURE.md
    python -m benchmarks.impact_study --seeds 2  # quicker
    python -m benchmarks.impact_study --seeds 2 --designs 0,5,6,7 --set MATCHES=2  # an ablation
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analytics import impact
from analytics.filters import Filter
from analytics.impact import settings
from data import db, on_roll

SCHOOL = "STUDY"
YEAR = 2025
START, END = date(2025, 9, 3), date(2026, 7, 17)
HOLIDAY_WEEKS = ("2025-10-27", "2025-12-22", "2025-12-29", "2026-02-16", "2026-03-30", "2026-04-06", "2026-05-25")
CLOSED_DAYS = ("2026-05-04",)  # bank holiday


@dataclass(frozen=True)
class Design:
    name: str
    pupils: int = 1500
    effect: float = 0.08  # lift in the chance of attending a session, for the type that works
    shape: str = "lasting"  # lasting | fading (to nothing over the window)
    pick: str = "month"  # month | fortnight | below90
    unit: str = "session"  # session | day: absence drawn per session or per whole day
    holiday_marks: bool = False  # holiday weekdays written as '#' for everyone
    drift: float = 0.0  # weekly random walk in a pupil's usual level
    untreated_share: float = 0.3  # of the pupils picked, the share who get nothing
    repick_after: int = 8  # school weeks before a picked pupil can be picked again (0: never)
    movers: float = 0.08  # share of pupils joining, and share leaving, during the year
    weeks: int = 6


@dataclass
class Truth:
    effect: dict[str, float] = field(default_factory=dict)
    pupils: dict[str, int] = field(default_factory=dict)


def school_days(holiday_marks: bool) -> tuple[list[date], list[date]]:
    """(school days, holiday weekdays) of the year."""
    holidays = {date.fromisoformat(w) + timedelta(days=n) for w in HOLIDAY_WEEKS for n in range(5)}
    holidays |= {date.fromisoformat(d) for d in CLOSED_DAYS}
    days, off = [], []
    d = START
    while d <= END:
        if d.weekday() < 5:
            (off if d in holidays else days).append(d)
        d += timedelta(days=1)
    return days, off if holiday_marks else []


def generate(con: duckdb.DuckDBPyConnection, design: Design, seed: int) -> Truth:
    rng = np.random.default_rng(seed)
    types = {"Letter": 0.0, "Mentoring": design.effect}
    days, off = school_days(design.holiday_marks)
    n, n_days = design.pupils, len(days)
    monday = np.array([d - timedelta(days=d.weekday()) for d in days])
    week_starts = sorted(set(monday))
    week = np.searchsorted(np.array(week_starts), monday)  # school week number of each day
    n_weeks = len(week_starts)
    # Pupils: usual level, drift, bad spells, illness spells.
    usual = np.clip(rng.beta(14, 1.1, n), 0.5, 0.995)
    level = usual[:, None] + np.cumsum(rng.normal(0, design.drift, (n, n_weeks)), axis=1)[:, week]
    weekly = rng.normal(0, 0.03, (n, n_weeks))[:, week]
    bad = np.zeros((n, n_days))
    for i in np.where(rng.random(n) < 0.45)[0]:
        for _ in range(rng.integers(1, 3)):
            w0, length = rng.integers(0, n_weeks), rng.integers(2, 7)
            bad[i, (week >= w0) & (week < w0 + length)] -= rng.uniform(0.1, 0.35)
    ill = np.zeros((n, n_days))
    starts = np.argwhere(rng.random((n, n_days)) < 0.008)
    for i, t in starts:
        ill[i, t : t + rng.integers(1, 5)] = -0.85
    prob = np.clip(level + weekly + bad + ill, 0.02, 1.0)
    # On roll: some join, some leave.
    first = np.zeros(n, int)
    last = np.full(n, n_days - 1)
    joiners = rng.random(n) < design.movers
    first[joiners] = rng.integers(5, n_days - 40, joiners.sum())
    leavers = rng.random(n) < design.movers
    last[leavers] = np.maximum(first[leavers] + 30, rng.integers(40, n_days, leavers.sum()))
    last = np.minimum(last, n_days - 1)
    onroll = (np.arange(n_days)[None, :] >= first[:, None]) & (np.arange(n_days)[None, :] <= last[:, None])
    # One random number per session, or one per day shared by both sessions.
    u = np.repeat(rng.random((n, n_days, 1)), 2, axis=2) if design.unit == "day" else rng.random((n, n_days, 2))
    lift = np.zeros((n, n_days))
    episodes = []  # (pupil, day index, type, lift row over days)
    blocked_until = np.full(n, -1)
    attended = np.zeros((n, n_days))  # sessions attended per day, filled in as the weeks pass
    possible = 2 * onroll
    done = 0
    for w in range(4, n_weeks):
        start = int(np.searchsorted(week, w))  # first day of school week w
        # Days before this week are settled (help given from now on changes only later days).
        settled = (u[:, done:start, :] < np.clip(prob[:, done:start] + lift[:, done:start], 0, 1)[:, :, None]).sum(2)
        attended[:, done:start] = settled * onroll[:, done:start]
        done = start

        def rate(from_day: int, attended=attended, possible=possible, start=start) -> np.ndarray:
            a, p = attended[:, from_day:start].sum(axis=1), possible[:, from_day:start].sum(axis=1)
            return np.where(p > 0, a / np.maximum(p, 1), np.nan)

        so_far = rate(0)
        month = rate(int(np.searchsorted(week, w - 4)))
        fortnight = rate(int(np.searchsorted(week, w - 2)))
        enough = possible[:, int(np.searchsorted(week, w - 2)) : start].sum(axis=1) >= 16
        if design.pick == "month":
            flag = month < np.minimum(0.85, so_far - 0.08)
        elif design.pick == "fortnight":
            flag = fortnight < 0.8
        else:
            flag = (so_far < 0.9) & (possible[:, :start].sum(axis=1) >= 60)
        flag &= enough & onroll[:, start] & (blocked_until < w)
        for i in np.where(flag)[0]:
            blocked_until[i] = w + design.repick_after if design.repick_after else n_weeks
            if rng.random() < design.untreated_share:
                continue
            kind = list(types)[rng.integers(0, len(types))]
            days_in_week = np.where(week == w)[0]
            t0 = int(rng.choice(days_in_week))
            row = np.zeros(n_days)
            k = week[t0]
            span = np.where((week >= k) & (week < k + design.weeks) & (np.arange(n_days) >= t0))[0]
            if design.shape == "lasting":
                row[t0 : t0 + 5 * (design.weeks + 4)] = types[kind]
            else:  # fading: full on the day, nothing by the end of the window
                row[span] = types[kind] * np.linspace(1, 0, len(span))
            lift[i] += row
            episodes.append((i, t0, kind, row, span))
    attend = u < np.clip(prob + lift, 0, 1)[:, :, None]
    truth = Truth(effect={t: 0.0 for t in types}, pupils={t: 0 for t in types})
    diffs: dict[str, list[float]] = {t: [] for t in types}
    seen_first = set()
    for i, t0, kind, row, span in episodes:
        if (i, kind) in seen_first:
            continue
        seen_first.add((i, kind))
        keep = span[onroll[i, span]]
        if not len(keep) or not onroll[i, :t0].any():
            continue
        without = u[i, keep] < np.clip(prob[i, keep] + lift[i, keep] - row[keep], 0, 1)[:, None]
        diffs[kind].append(100.0 * (attend[i, keep].mean() - without.mean()))
    for kind, values in diffs.items():
        truth.effect[kind] = float(np.mean(values)) if values else float("nan")
        truth.pupils[kind] = len(values)
    _write(con, design, rng, days, off, attend, onroll, first, last)
    log = [(SCHOOL, f"S{i:05d}", days[t0], kind) for i, t0, kind, _row, _span in episodes]
    con.executemany("INSERT INTO interventions (school_id, upn, date, type, source) VALUES (?, ?, ?, ?, 'import')", log)
    return truth


def _write(con, design, rng, days, off, attend, onroll, first, last) -> None:
    n = design.pupils
    upns = np.array([f"S{i:05d}" for i in range(n)], dtype=object)
    con.execute("INSERT OR REPLACE INTO schools (school_id, name, phase) VALUES (?, 'Study', 'secondary')", [SCHOOL])
    roll = pd.DataFrame(
        {
            "upn": upns,
            "year_group": rng.integers(7, 12, n),
            "admission": [days[f] if f > 0 else None for f in first],
            "leaving": [days[x] if x < len(days) - 1 else None for x in last],
        }
    )
    con.register("study_roll", roll)
    con.execute(
        "INSERT INTO pupils (school_id, upn, surname, forename, date_of_birth, gender, ethnicity)"
        " SELECT ?, upn, 'S', 'F', NULL, 'F', 'WBRI' FROM study_roll",
        [SCHOOL],
    )
    con.execute(
        """INSERT INTO enrolments (school_id, upn, academic_year, year_group, form, fsm, sen, eal, cin, lac,
                                   admission_date, leaving_date)
           SELECT ?, upn, ?, year_group, year_group || 'A', FALSE, 'N', FALSE, FALSE, FALSE, admission, leaving
           FROM study_roll""",
        [SCHOOL, YEAR],
    )
    con.unregister("study_roll")
    codes = np.where(attend, "/", np.where(rng.random(attend.shape) < 0.7, "I", "O"))
    p, t = np.nonzero(onroll)
    frame = pd.DataFrame(
        {
            "upn": np.repeat(upns[p], 2),
            "date": np.repeat(np.array(days, dtype="datetime64[D]")[t], 2),
            "session": np.tile(np.array(["AM", "PM"], dtype=object), len(p)),
            "code": codes[p, t].reshape(-1),
        }
    )
    if off:
        closed = pd.DataFrame(
            {
                "upn": np.repeat(upns, 2 * len(off)),
                "date": np.tile(np.repeat(np.array(off, dtype="datetime64[D]"), 2), n),
                "session": np.tile(np.array(["AM", "PM"], dtype=object), n * len(off)),
                "code": "#",
            }
        )
        frame = pd.concat([frame, closed], ignore_index=True)
    con.register("study_marks", frame)
    con.execute(
        "INSERT INTO session_marks (school_id, upn, date, session, code, academic_year)"
        " SELECT ?, upn, date, session, code, ? FROM study_marks",
        [SCHOOL, YEAR],
    )
    con.unregister("study_marks")
    db.link_marks(con, SCHOOL)
    on_roll.refresh(con, SCHOOL)


BASE = Design("base")
DESIGNS = (
    Design("bad month, +8 lasting, 1,500"),
    Design("bad month, +3 lasting, 1,500", effect=0.03),
    Design("bad month, +8 fading, 1,500", shape="fading"),
    Design("bad fortnight, +8, by day", pick="fortnight", unit="day"),
    Design("below 90%, +8, drift", pick="below90", drift=0.01),
    Design("bad month, +8, '#' holidays, nobody left out", holiday_marks=True, untreated_share=0.0),
    Design("bad month, +8, 300 pupils", pupils=300),
    Design("bad month, +3 fading, 300, by day", pupils=300, effect=0.03, shape="fading", unit="day"),
)


def run(design: Design, seed: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        con = db.connect(Path(tmp) / "study.duckdb")
        try:
            truth = generate(con, design, seed)
            result = impact.intervention_impact(con, Filter(), weeks=design.weeks).set_index("type")
        finally:
            con.close()
    rows = []
    for kind, true in truth.effect.items():
        if kind not in result.index:
            continue
        r = result.loc[kind]
        rows.append(
            {
                "design": design.name,
                "seed": seed,
                "type": kind,
                "pupils": int(r["pupils"]),
                "true": true,
                "effect": r["effect"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "change": r["change"],
            }
        )
    return rows


def summary(df: pd.DataFrame) -> pd.DataFrame:
    df = df.assign(
        error=df["effect"] - df["true"],
        covered=(df["ci_low"] <= df["true"]) & (df["true"] <= df["ci_high"]),
        width=df["ci_high"] - df["ci_low"],
        success=df["ci_low"] > 0,
        harm=df["ci_high"] < 0,
    )
    out = df.groupby(["design", "type"], sort=False).agg(
        runs=("seed", "size"),
        pupils=("pupils", "mean"),
        true=("true", "mean"),
        naive=("change", "mean"),
        bias=("error", "mean"),
        coverage=("covered", "mean"),
        width=("width", "mean"),
        called_success=("success", "mean"),
        called_harm=("harm", "mean"),
    )
    return out.round(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--designs", default="", help="comma-separated design numbers (default all)")
    parser.add_argument("--csv", default="", help="also write every run's row here")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a setting of analytics.impact for an ablation, e.g. MATCHES=2 or YEAR_GROUP_PENALTY=2",
    )
    args = parser.parse_args(argv)
    override(parser, args.set)
    chosen = [DESIGNS[int(x)] for x in args.designs.split(",")] if args.designs else list(DESIGNS)
    rows, started = [], time.monotonic()
    for design in chosen:
        for seed in range(args.seeds):
            rows += run(design, 1000 + seed)
        print(f"{design.name}: done ({time.monotonic() - started:.0f} s)", file=sys.stderr)
    df = pd.DataFrame(rows)
    if args.csv:
        df.to_csv(args.csv, index=False)
    print(table_text(summary(df)))
    both = df.assign(covered=(df["ci_low"] <= df["true"]) & (df["true"] <= df["ci_high"]))
    print(f"\nOverall coverage: {both['covered'].mean():.1%} over {len(both)} estimates")
    return 0


def override(parser: argparse.ArgumentParser, items: list[str]) -> None:
    """``--set NAME=VALUE``: a setting of analytics.impact (its ``settings`` module) changed for an ablation."""
    for item in items:
        name, _, value = item.partition("=")
        if not name.isupper() or not hasattr(settings, name):
            parser.error(f"analytics.impact has no setting {name!r}")
        current = getattr(settings, name)
        if isinstance(current, bool):
            setattr(settings, name, value.lower() in ("1", "true", "yes"))
        else:
            setattr(settings, name, type(current)(value))


def table_text(table: pd.DataFrame) -> str:
    return table.to_markdown() if _has_tabulate() else table.to_string()


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["DESIGNS", "Design", "generate", "override", "replace", "run", "summary", "table_text"]

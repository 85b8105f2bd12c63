"""The impact estimate on the sample school itself, redrawn with other seeds, against the truth its generator knows.

A third generator beside ``tests/impact_register.py`` and ``benchmarks/impact_study.py``, and
the richest: the sample school's registers (absence in spells, winter illness, a few pupils
declining through the year, year-group events, half-day patterns, joiners and leavers) and its
attendance team (each week, pupils whose last four weeks fell well below their earlier
attendance are picked, a quarter get nothing, the rest one of five actions, and pupils still
below 85% six weeks on are escalated to an attendance contract or a Notice to Improve).
Letters, first-day calls, contracts and notices change nothing; the other actions turn a share
of the next eight weeks' unexplained absences into attendance (``sample_school/interventions.py``).

The true effect of a type is the average, over the pupils who had it (their first of that type),
of the sessions their action turned into attendance in the estimate's after-window, as a share
of their possible sessions there. Each seed is written as the sample's files and loaded through
the importer like the sample itself (only the two years the log covers).

    python -m benchmarks.impact_sample             # 8 seeds, 6 weeks
    python -m benchmarks.impact_sample --seeds 2 --set YEAR_GROUP_PENALTY=10
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from analytics import impact
from analytics.filters import Filter
from benchmarks.impact_study import override, summary, table_text
from data import db, sample

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "sample_data"))

from sample_school import SECONDARY, Generator, writers  # noqa: E402
from sample_school.files import INTERVENTION_FILE, INTERVENTION_YEARS, SECONDARY_FILES  # noqa: E402

DESIGN = "sample school"


def true_effects(log: list[list], truth: dict, upns: dict[int, list[str]], weeks: int) -> dict[str, float]:
    """Each type's true effect (points): its pupils' sessions turned into attendance in the after-window."""
    first: dict[tuple[str, str], object] = {}
    for upn, when, kind, *_ in sorted(log, key=lambda row: (row[1], row[0])):
        first.setdefault((upn, kind), when)
    effects: dict[str, list[float]] = {}
    for (upn, kind), when in first.items():
        year = next(y for y, regs in truth.items() if regs.days[0] <= when <= regs.days[-1])
        regs = truth[year]
        i = upns[year].index(upn)
        monday = when - timedelta(days=when.weekday())
        w = next((n for n, m in enumerate(regs.mondays) if m >= monday), len(regs.mondays))
        days = np.array(regs.days)
        after = (days >= when) & (regs.week_of < w + weeks)
        before = (days < when) & (regs.week_of >= w - weeks)
        possible = regs.possible[i][after].sum()
        if not possible or not regs.possible[i][before].sum():
            continue  # no sessions on one side: the estimate leaves the pupil out too
        lifted = regs.lifted.get((i, w))
        effects.setdefault(kind, []).append(0.0 if lifted is None else 100.0 * lifted[after].sum() / possible)
    return {kind: float(np.mean(v)) for kind, v in effects.items()}


def run(seed: int, weeks: int) -> list[dict]:
    gen = Generator(SECONDARY, seed)
    by_year = gen.run()
    truth: dict = {}
    log = [row for year in INTERVENTION_YEARS for row in gen.intervention_history(year, truth=truth)]
    effects = true_effects(log, truth, {year: [p.upn for p in by_year[year]] for year in truth}, weeks)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "secondary"
        out.mkdir()
        writers.write_interventions(log, out, INTERVENTION_FILE)
        for year in INTERVENTION_YEARS:
            pupil_style, session_style, _ = SECONDARY_FILES[year]
            writers.write_pupils(year, by_year[year], out, pupil_style)
            if session_style.startswith("wide"):
                writers.write_sessions_wide(year, gen.marks[year], out, gzipped=False)
            else:
                writers.write_sessions_long(year, gen.marks[year], out, session_style.split("-")[1])
        con = db.connect(Path(tmp) / "school.duckdb")
        try:
            sample.load_sample(con, root=Path(tmp))
            result = impact.intervention_impact(con, Filter(), weeks=weeks).set_index("type")
        finally:
            con.close()
    return [
        {
            "design": DESIGN,
            "seed": seed,
            "type": kind,
            "pupils": int(result.loc[kind, "pupils"]),
            "true": true,
            "effect": result.loc[kind, "effect"],
            "ci_low": result.loc[kind, "ci_low"],
            "ci_high": result.loc[kind, "ci_high"],
            "change": result.loc[kind, "change"],
        }
        for kind, true in effects.items()
        if kind in result.index
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--weeks", type=int, default=impact.DEFAULT_WEEKS)
    parser.add_argument("--csv", default="", help="also write every run's row here")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="as impact_study's --set")
    args = parser.parse_args(argv)
    override(parser, args.set)
    rows, started = [], time.monotonic()
    for seed in range(1, args.seeds + 1):
        rows += run(seed, args.weeks)
        print(f"seed {seed}: done ({time.monotonic() - started:.0f} s)", file=sys.stderr)
    df = pd.DataFrame(rows)
    if args.csv:
        df.to_csv(args.csv, index=False)
    print(table_text(summary(df)))
    covered = (df["ci_low"] <= df["true"]) & (df["true"] <= df["ci_high"])
    print(f"\nOverall coverage: {covered.mean():.1%} over {len(df)} estimates")
    print(f"Mean absolute error: {(df['effect'] - df['true']).abs().mean():.2f} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())

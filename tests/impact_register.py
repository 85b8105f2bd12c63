"""A generated register where the effect of each intervention type is known.

Every pupil has their own usual attendance, weeks vary around it, and now and
then a pupil has a bad month. Each Monday in the decision period, pupils whose
last four school weeks fell well below their usual level are picked (as a
pastoral lead would pick them) and given one of the types at random; a share of
them is left without anything, as happens when a list is long. One type does
nothing; another raises the chance of attending each session by ``lift`` for
``lasting`` school weeks. The true effect on the pupils who had it is known
exactly, because each session's outcome is drawn from one uniform number for
both what happened and what would have happened without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from data import db, on_roll

SCHOOL = "IMP1"


@dataclass
class Generated:
    weeks: int
    true_effect: dict[str, float] = field(default_factory=dict)  # points of attendance over ``weeks`` after
    treated: dict[str, list[tuple[str, date]]] = field(default_factory=dict)


def school_weeks(start: date, count: int, holidays: tuple[int, ...]) -> list[date]:
    """Mondays of ``count`` school weeks from ``start``, skipping holiday weeks by their number."""
    out, n, monday = [], 0, start
    while len(out) < count:
        if n not in holidays:
            out.append(monday)
        n += 1
        monday += timedelta(days=7)
    return out


def generate(
    con: duckdb.DuckDBPyConnection,
    *,
    seed: int = 7,
    pupils: int = 600,
    weeks: int = 6,
    effects: dict[str, float] | None = None,
    lasting: int = 8,
    untreated_share: float = 0.3,
) -> Generated:
    rng = np.random.default_rng(seed)
    effects = effects if effects is not None else {"Letter": 0.0, "Mentoring": 0.08}
    types = list(effects)
    mondays = school_weeks(date(2025, 9, 1), 34, holidays=(8, 16, 17, 24))
    n_weeks = len(mondays)
    con.execute(
        "INSERT OR REPLACE INTO schools (school_id, name, phase) VALUES (?, 'Impact test', 'secondary')", [SCHOOL]
    )
    upns = [f"P{i:04d}" for i in range(pupils)]
    years = rng.integers(7, 12, pupils)
    usual = np.clip(rng.beta(18, 1.3, pupils), 0.55, 0.995)  # mean about 93%
    wobble = rng.normal(0, 0.03, (pupils, n_weeks))  # week-to-week
    bad = np.zeros((pupils, n_weeks))
    for i in range(pupils):  # about one pupil in three has one bad month somewhere
        if rng.random() < 0.35:
            start = rng.integers(0, n_weeks - 4)
            bad[i, start : start + 4] = -rng.uniform(0.1, 0.3)
    prob = np.clip(usual[:, None] + wobble + bad, 0.05, 1.0)
    u = rng.random((pupils, n_weeks, 10))  # one number per session (5 days x AM/PM)
    lift = np.zeros((pupils, n_weeks))
    untreated_attend = u < prob[:, :, None]
    out = Generated(weeks=weeks, true_effect={t: 0.0 for t in types}, treated={t: [] for t in types})
    picked = np.zeros(pupils, bool)
    for w in range(8, n_weeks - weeks):  # decisions from week 8, leaving room to see the after-window
        recent = untreated_attend[:, w - 4 : w].mean(axis=(1, 2))
        earlier = untreated_attend[:, :w].mean(axis=(1, 2))
        flagged = np.where(~picked & (recent < np.minimum(0.85, earlier - 0.08)))[0]
        for i in flagged:
            picked[i] = True
            if rng.random() < untreated_share:
                continue
            kind = types[rng.integers(0, len(types))]
            lift[i, w : w + lasting] = effects[kind]
            out.treated[kind].append((upns[i], mondays[w] + timedelta(days=int(rng.integers(0, 3)))))
    attend = u < np.clip(prob + lift, 0, 1)[:, :, None]
    # The true effect on those who had it: the after-window with and without, same uniform numbers.
    upn_index = {u_: n for n, u_ in enumerate(upns)}
    week_of = {m: n for n, m in enumerate(mondays)}
    for kind, rows in out.treated.items():
        diffs = []
        for upn, when in rows:
            i, w = upn_index[upn], week_of[when - timedelta(days=when.weekday())]
            day = when.weekday()
            with_it = np.concatenate([attend[i, w, 2 * day :], attend[i, w + 1 : w + weeks].ravel()])
            without = np.concatenate(
                [untreated_attend[i, w, 2 * day :], untreated_attend[i, w + 1 : w + weeks].ravel()]
            )
            diffs.append(100.0 * (with_it.mean() - without.mean()))
        out.true_effect[kind] = float(np.mean(diffs)) if diffs else 0.0
    _write(con, upns, years, mondays, attend, rng)
    for kind, rows in out.treated.items():
        con.executemany(
            "INSERT INTO interventions (school_id, upn, date, type, source) VALUES (?, ?, ?, ?, 'import')",
            [[SCHOOL, upn, when, kind] for upn, when in rows],
        )
    return out


def _write(con, upns, years, mondays, attend, rng) -> None:
    roll = pd.DataFrame({"upn": upns, "year_group": years.astype(int)})
    con.register("generated_roll", roll)
    con.execute(
        "INSERT INTO pupils (school_id, upn, surname, forename, date_of_birth, gender, ethnicity) SELECT ?, upn, 'Surname' || upn, 'Forename' || upn, NULL, 'F', 'WBRI' FROM generated_roll",
        [SCHOOL],
    )
    con.execute(
        """INSERT INTO enrolments (school_id, upn, academic_year, year_group, form, fsm, sen, eal, cin, lac)
           SELECT ?, upn, 2025, year_group, year_group || 'A', FALSE, 'N', FALSE, FALSE, FALSE FROM generated_roll""",
        [SCHOOL],
    )
    con.unregister("generated_roll")
    # Absent sessions are a mix of authorised illness and unauthorised absence.
    codes = np.where(attend, "/", np.where(rng.random(attend.shape) < 0.7, "I", "O"))
    n_pupils, n_weeks = len(upns), len(mondays)
    offsets = np.array([timedelta(days=s // 2) for s in range(10)])
    dates = (np.array(mondays)[:, None] + offsets[None, :]).ravel().astype("datetime64[D]")  # week-major
    df = pd.DataFrame(
        {
            "upn": np.repeat(np.array(upns, dtype=object), n_weeks * 10),
            "date": np.tile(dates, n_pupils),
            "session": np.tile(np.array(["AM", "PM"] * 5, dtype=object), n_pupils * n_weeks),
            "code": codes.reshape(-1),
        }
    )
    con.register("generated_marks", df)
    con.execute(
        "INSERT INTO session_marks (school_id, upn, date, session, code, academic_year)"
        " SELECT ?, upn, date, session, code, 2025 FROM generated_marks",
        [SCHOOL],
    )
    con.unregister("generated_marks")
    db.link_marks(con, SCHOOL)
    on_roll.refresh(con, SCHOOL)

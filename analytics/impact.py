"""Did it work? Attendance before and after each kind of intervention, against matched pupils who had none.

A pupil is usually picked for help after a bad spell, and most pupils recover
from a bad spell on their own (regression to the mean): a plain before/after
change makes every intervention look like a success. So each pupil who had an
intervention is compared with the pupils at the same school who had none in the
same weeks and whose attendance before was most like theirs (over the weeks just
before, and over the rest of the year before that; the same year group where
one is close), and the effect is the change beyond theirs.

Windows are counted in school weeks (weeks with any session marks at the school,
so holidays do not count): ``weeks`` school weeks before the date and ``weeks``
from it. Attendance is the DfE rate over each pupil's own possible sessions
(``measures.marks_sql``). The 95% interval resamples pupils in both arms (a
bootstrap that repeats the matching), so it carries the comparison's own noise.
"""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from analytics.attendance_windows import pupil_windows, window_rates
from analytics.filters import Filter, require_pupil_level
from data import interventions

DEFAULT_WEEKS = 6  # half a term: long enough to see a change, short enough to stay about this one action
MATCHES = 5  # comparison pupils per pupil who had the intervention
SMALL_GROUP = 10  # fewer pupils than this: the estimate is shown but flagged as fragile
YEAR_GROUP_PENALTY = 2.0  # points of attendance a comparison in another year group counts as further away
CANDIDATES_KEPT = 60  # nearest comparison pupils kept per pupil (the bootstrap draws from these)
BOOTSTRAP = 1000  # resamples for the interval
SEED = 20240819  # fixed: the same register always gives the same interval
# What a comparison pupil is matched on: attendance over the whole before-window, its second half,
# and the rest of the year before it (each in percent).
FEATURES = ("before", "recent", "prior")
IMPACT_KEYS = (
    "type",
    "pupils",
    "before_attendance",
    "after_attendance",
    "change",
    "comparison_pupils",
    "comparison_change",
    "effect",
    "ci_low",
    "ci_high",
)


def _match(treated: pd.DataFrame, pool: pd.DataFrame, matches: int) -> dict | None:
    """Nearest comparison pupils for each treated row, as arrays the bootstrap re-weights.

    Returns treated ``change``, the candidates' ids (per school and pupil), and the candidates'
    change adjusted by a regression on attendance before (bias-corrected matching), one row per
    treated pupil, nearest first.
    """
    pool = pool[(~pool["busy"]) & pool["before"].notna() & pool["after"].notna()]
    if pool.empty or treated.empty:
        return None
    # The comparison's own relationship between attendance before and the change: corrects what
    # remains of the difference between a pupil and their nearest matches.
    xs = pool[list(FEATURES)].to_numpy(float)
    design = np.column_stack([np.ones(len(xs)), xs])
    beta = np.linalg.lstsq(design, pool["change"].to_numpy(float), rcond=None)[0][1:]
    ids = {key: n for n, key in enumerate(sorted(set(zip(pool["school_id"], pool["upn"], strict=True))))}
    groups = {}
    for key, g in pool.groupby(["school_id", "d"], sort=False):
        groups[key] = (
            g["upn"].to_numpy(),
            g[list(FEATURES)].to_numpy(float),
            g["change"].to_numpy(float),
            g["year_group"].to_numpy(),
            np.array([ids[(key[0], u)] for u in g["upn"]]),
        )
    keep_t, cand_ids, cand_adj = [], [], []
    for n, row in enumerate(treated.itertuples(index=False)):
        if (row.school_id, row.d) not in groups:
            continue
        upns, gx, change, year_groups, gid = groups[(row.school_id, row.d)]
        x = np.array([getattr(row, name) for name in FEATURES])
        dist = np.sqrt(((gx - x) ** 2).sum(axis=1))
        if row.year_group == row.year_group and row.year_group is not None:  # known
            dist = dist + YEAR_GROUP_PENALTY * (year_groups != row.year_group)
        dist[upns == row.upn] = np.inf
        order = np.argsort(dist, kind="stable")[:CANDIDATES_KEPT]
        order = order[np.isfinite(dist[order])]
        if not len(order):
            continue
        pad = CANDIDATES_KEPT - len(order)
        cand_ids.append(np.pad(gid[order], (0, pad)))
        cand_adj.append(np.pad(change[order] + (x - gx[order]) @ beta, (0, pad), constant_values=np.nan))
        keep_t.append(n)
    if not keep_t:
        return None
    t = treated.iloc[keep_t]
    return {
        "treated": t,
        "ids": np.array(cand_ids, dtype=int),
        "adj": np.array(cand_adj, dtype=float),
        "n_ids": len(ids),
        "matches": matches,
    }


def _matched_change(m: dict, counts: np.ndarray) -> np.ndarray:
    """Each treated pupil's comparison change: the nearest ``matches`` pupils, counted ``counts`` times each."""
    adj = m["adj"]
    w = np.where(np.isnan(adj), 0.0, counts[m["ids"]].astype(float))
    before = np.cumsum(w, axis=1) - w
    take = np.clip(m["matches"] - before, 0, w)
    total = take.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (take * np.nan_to_num(adj)).sum(axis=1) / total, np.nan)


def _estimate(m: dict, rng: np.random.Generator) -> dict:
    t = m["treated"]
    change = t["change"].to_numpy(float)
    comparison = _matched_change(m, np.ones(m["n_ids"]))
    effects = []
    n_t = len(t)
    for _ in range(BOOTSTRAP):
        pick = rng.integers(0, n_t, n_t)
        counts = rng.multinomial(m["n_ids"], np.full(m["n_ids"], 1.0 / m["n_ids"]))
        comp = _matched_change(m, counts)[pick]
        diff = change[pick] - comp
        if np.isfinite(diff).any():
            effects.append(np.nanmean(diff))
    used = np.unique(m["ids"][:, : m["matches"]][~np.isnan(m["adj"][:, : m["matches"]])])
    low, high = np.percentile(effects, [2.5, 97.5]) if effects else (np.nan, np.nan)
    comparison_change = float(np.nanmean(comparison))
    return {
        "pupils": n_t,
        "before_attendance": float(t["before"].mean()),
        "after_attendance": float(t["after"].mean()),
        "change": float(change.mean()),
        "comparison_pupils": len(used),
        "comparison_change": comparison_change,
        "effect": float(change.mean()) - comparison_change,
        "ci_low": float(low),
        "ci_high": float(high),
    }


def _treated_first(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Each pupil's first intervention of each type in the filter's schools, scope and dates."""
    where, params = interventions.scope_sql(f.scope, "i")
    clauses = [where]
    if f.school_ids:
        clauses.append(f"i.school_id IN ({', '.join('?' * len(f.school_ids))})")
        params += list(f.school_ids)
    if f.date_from is not None:
        clauses.append("i.date >= ?")
        params.append(f.date_from)
    if f.date_to is not None:
        clauses.append("i.date <= ?")
        params.append(f.date_to)
    if f.academic_year is not None and f.date_from is None and f.date_to is None:
        clauses.append("i.date BETWEEN ? AND ?")
        params += [date(f.academic_year, 9, 1), date(f.academic_year + 1, 8, 31)]
    return con.execute(
        f"""SELECT i.school_id, i.upn, i.type, min(i.date) AS d FROM interventions i
            WHERE {" AND ".join(clauses)} GROUP BY ALL ORDER BY i.type, d, i.upn""",
        params,
    ).df()


def _type_order(types) -> list[str]:
    known = [t for t in interventions.TYPES if t in set(types)]
    return known + sorted(set(types) - set(known))


def intervention_impact(con: duckdb.DuckDBPyConnection, f: Filter, weeks: int = DEFAULT_WEEKS) -> pd.DataFrame:
    """One row per intervention type: ``IMPACT_KEYS`` plus ``small`` (fewer than ``SMALL_GROUP`` pupils).

    Attendance in percent, per-pupil averages. ``change`` = after - before for the pupils who
    had it; ``comparison_change`` = the same for their matched comparison pupils; ``effect`` =
    the difference, with a 95% bootstrap interval (``ci_low``, ``ci_high``). A pupil counts
    once per type, from their first intervention of that type; pupils without possible sessions
    on both sides of the date are left out. Groups only: no pupil is named.
    """
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    empty = pd.DataFrame(columns=[*IMPACT_KEYS, "small"])
    first = _treated_first(con, f)
    if first.empty:
        return empty
    first["d"] = pd.to_datetime(first["d"]).dt.date
    windows = pupil_windows(con, f, list(zip(first["school_id"], first["d"], strict=True)), weeks)
    if windows.empty:
        return empty
    windows = window_rates(windows)
    windows["d"] = pd.to_datetime(windows["d"]).dt.date
    rng = np.random.default_rng(SEED)
    rows = []
    for kind in _type_order(first["type"].unique()):
        episodes = first[first["type"] == kind][["school_id", "upn", "d"]]
        treated = windows.merge(episodes, on=["school_id", "upn", "d"])
        treated = treated[treated["before"].notna() & treated["after"].notna()]
        pool = windows.merge(episodes[["school_id", "d"]].drop_duplicates(), on=["school_id", "d"])
        m = _match(treated, pool, MATCHES)
        if m is None:
            continue
        rows.append({"type": kind, **_estimate(m, rng)})
    if not rows:
        return empty
    out = pd.DataFrame(rows)
    out["small"] = out["pupils"] < SMALL_GROUP
    return out[[*IMPACT_KEYS, "small"]]


def impact_record(df: pd.DataFrame, weeks: int) -> dict:
    """The command line's JSON: exactly ``{"weeks": N, "types": [IMPACT_KEYS ...]}``, figures to 2 places."""
    types = []
    for row in df.to_dict("records"):
        item = {}
        for key in IMPACT_KEYS:
            value = row[key]
            if key in ("type",):
                item[key] = str(value)
            elif key in ("pupils", "comparison_pupils"):
                item[key] = int(value)
            else:
                item[key] = None if value is None or value != value else round(float(value), 2)
        types.append(item)
    return {"weeks": int(weeks), "types": types}


def since_last_action(con: duckdb.DuckDBPyConnection, f: Filter, upn: str, weeks: int = DEFAULT_WEEKS) -> dict | None:
    """One pupil's attendance since their latest logged action against similar pupils who had none.

    Keys: ``date``, ``type``, ``before`` (the ``weeks`` school weeks up to it), ``after`` (since it,
    to the latest mark), ``change``, ``comparison_before``, ``comparison_after``,
    ``comparison_change``, ``comparison_pupils``, ``after_possible``. None when nothing is logged
    or the pupil has no sessions before it; ``after`` is None until a session after it is marked.
    """
    require_pupil_level(f)
    log = interventions.entries(con, f.scope, school_ids=f.school_ids, upns=(upn,))
    if log.empty:
        return None
    latest = log.iloc[0]
    when = pd.Timestamp(latest["date"]).date()
    windows = pupil_windows(con, f.replace(upns=()), [(latest["school_id"], when)], weeks, to_latest=True)
    if windows.empty:
        return None
    windows = window_rates(windows)
    me = windows[windows["upn"] == upn]
    result = {"date": when, "type": latest["type"], "before": None, "after": None, "change": None}
    result |= {"comparison_before": None, "comparison_after": None, "comparison_change": None}
    result |= {"comparison_pupils": 0, "after_possible": 0}
    if me.empty or me["before"].isna().all():
        return None
    row = me.iloc[0]
    result.update(before=float(row["before"]), after_possible=int(row["after_possible"]))
    if pd.isna(row["after"]):
        return result
    result.update(after=float(row["after"]), change=float(row["change"]))
    pool = windows[(~windows["busy"]) & windows["before"].notna() & windows["after"].notna()]
    pool = pool[pool["upn"] != upn]
    if pool.empty:
        return result
    dist = np.sqrt(sum((pool[name] - row[name]) ** 2 for name in FEATURES))
    dist = dist + YEAR_GROUP_PENALTY * (pool["year_group"] != row["year_group"])
    near = pool.loc[dist.sort_values(kind="stable").index[: MATCHES * 2]]
    result.update(
        comparison_before=float(near["before"].mean()),
        comparison_after=float(near["after"].mean()),
        comparison_change=float(near["change"].mean()),
        comparison_pupils=len(near),
    )
    return result

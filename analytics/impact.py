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

from analytics.attendance_windows import attendance_percent, pupil_windows, window_rates
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
SLOPE_ROWS = 40  # fewest matched pupils to fit the correction's slopes on; fewer: all candidates kept
LATER_HELP_ROUNDS = 3  # rounds of estimating every type's effect to take it out of later actions' weeks
SLOPES_FROM = "matched"  # the bias correction's regression: fitted on the matched pupils ("pool": everyone)
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


def _match(treated: pd.DataFrame, pool: pd.DataFrame) -> dict | None:
    """Each treated row's nearest comparison candidates at the same school and date, nearest first.

    Matching reads attendance before only, so it is done once; the changes it is applied to may be
    corrected afterwards (``_after_help_removed``). Returns the treated rows kept, the usable pool,
    the candidates' positions in it (-1 pads), their pupil ids (one per school and pupil, for the
    bootstrap) and how far each candidate is from the treated pupil on ``FEATURES``.
    """
    pool = pool[(~pool["busy"]) & pool["before"].notna() & pool["after"].notna()].reset_index(drop=True)
    if pool.empty or treated.empty:
        return None
    ids = {key: n for n, key in enumerate(sorted(set(zip(pool["school_id"], pool["upn"], strict=True))))}
    pid = np.array([ids[key] for key in zip(pool["school_id"], pool["upn"], strict=True)], dtype=int)
    features = pool[list(FEATURES)].to_numpy(float)
    groups = pool.groupby(["school_id", "d"], sort=False).indices
    upn, year_group = pool["upn"].to_numpy(), pool["year_group"].to_numpy()
    keep_t, cand, dx = [], [], []
    for n, row in enumerate(treated.itertuples(index=False)):
        rows = groups.get((row.school_id, row.d))
        if rows is None:
            continue
        x = np.array([getattr(row, name) for name in FEATURES])
        dist = np.sqrt(((features[rows] - x) ** 2).sum(axis=1))
        if row.year_group == row.year_group and row.year_group is not None:  # known
            dist = dist + YEAR_GROUP_PENALTY * (year_group[rows] != row.year_group)
        dist[upn[rows] == row.upn] = np.inf
        order = np.argsort(dist, kind="stable")[:CANDIDATES_KEPT]
        order = rows[order[np.isfinite(dist[order])]]
        if not len(order):
            continue
        pad = CANDIDATES_KEPT - len(order)
        keep_t.append(n)
        cand.append(np.pad(order, (0, pad), constant_values=-1))
        dx.append(np.pad(x - features[order], ((0, pad), (0, 0))))
    if not keep_t:
        return None
    cand = np.array(cand, dtype=int)
    return {
        "treated": treated.iloc[keep_t].reset_index(drop=True),
        "pool": pool,
        "cand": cand,
        "ids": np.where(cand >= 0, pid[np.maximum(cand, 0)], 0),
        "dx": np.array(dx, dtype=float),
        "n_ids": len(ids),
    }


def _comparison_changes(m: dict, pool_change: np.ndarray) -> np.ndarray:
    """Each candidate's change, moved to where the treated pupil started (bias-corrected matching).

    The slopes of change on ``FEATURES`` are fitted on the matched pupils (each as often as
    matched), not the whole school: the school's good attenders follow another line, and a line
    fitted to them would bend the correction for the pupils who were picked.
    """
    cand = m["cand"]
    valid = cand >= 0
    change = np.where(valid, pool_change[np.maximum(cand, 0)], np.nan)
    features = m["pool"][list(FEATURES)].to_numpy(float)
    if SLOPES_FROM == "pool":
        xs, ys = features, pool_change
    else:
        near = valid & (np.arange(cand.shape[1]) < MATCHES)
        if near.sum() < SLOPE_ROWS:  # a handful of pupils (or one, on a pupil's page): all their candidates
            near = valid
        xs, ys = features[cand[near]], change[near]
    beta = np.zeros(len(FEATURES))
    if len(xs) > 2 * (len(FEATURES) + 1):
        beta = np.linalg.lstsq(np.column_stack([np.ones(len(xs)), xs]), ys, rcond=None)[0][1:]
    return change + m["dx"] @ beta


def _matched_change(m: dict, adj: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each treated pupil's comparison change: the nearest ``MATCHES`` pupils, counted ``counts`` times each."""
    w = np.where(np.isnan(adj), 0.0, counts[m["ids"]].astype(float))
    before = np.cumsum(w, axis=1) - w
    take = np.clip(MATCHES - before, 0, w)
    total = take.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (take * np.nan_to_num(adj)).sum(axis=1) / total, np.nan)


def _after_help_removed(df: pd.DataFrame, effects: dict[str, float], own: str | None = None) -> pd.Series:
    """Change after - before, less the estimated effect of a later action inside the after-window.

    A comparison pupil helped a few weeks after the date would otherwise carry that help into the
    comparison (and a pupil who had this type and then another would carry the other's). Leaving
    such pupils out, or counting them only up to their help, would keep the ones whose attendance
    went on to fall out of the comparison instead; so their sessions after that action keep counting,
    less that type's estimated effect. A later action of the pupil's ``own`` type is part of it.
    """
    effect = df["later_type"].map(lambda t: effects.get(t, 0.0) if isinstance(t, str) else 0.0).astype(float)
    if own is not None:
        effect = effect.where(df["later_type"] != own, 0.0)
    attended = df["after_attended"] - effect / 100.0 * df["later_possible"]
    return attendance_percent(attended, df["after_possible"]) - df["before"]


def _estimate(m: dict, kind: str, effects: dict[str, float], rng: np.random.Generator | None) -> dict:
    """The figures for one type; the bootstrap interval (pupils resampled in both arms) unless ``rng`` is None."""
    t = m["treated"]
    change = _after_help_removed(t, effects, own=kind).to_numpy(float)
    adj = _comparison_changes(m, _after_help_removed(m["pool"], effects).to_numpy(float))
    comparison = _matched_change(m, adj, np.ones(m["n_ids"]))
    comparison_change = float(np.nanmean(comparison))
    out = {"effect": float(change.mean()) - comparison_change}
    if rng is None:
        return out
    effects_drawn = []
    n_t = len(t)
    for _ in range(BOOTSTRAP):
        pick = rng.integers(0, n_t, n_t)
        counts = rng.multinomial(m["n_ids"], np.full(m["n_ids"], 1.0 / m["n_ids"]))
        diff = change[pick] - _matched_change(m, adj, counts)[pick]
        if np.isfinite(diff).any():
            effects_drawn.append(np.nanmean(diff))
    near = m["cand"][:, :MATCHES]
    used = np.unique(m["ids"][:, :MATCHES][near >= 0])
    low, high = np.percentile(effects_drawn, [2.5, 97.5]) if effects_drawn else (np.nan, np.nan)
    return out | {
        "pupils": n_t,
        "before_attendance": float(t["before"].mean()),
        "after_attendance": float((t["before"] + change).mean()),
        "change": float(change.mean()),
        "comparison_pupils": len(used),
        "comparison_change": comparison_change,
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
    matched = {}
    for kind in _type_order(first["type"].unique()):
        episodes = first[first["type"] == kind][["school_id", "upn", "d"]]
        treated = windows.merge(episodes, on=["school_id", "upn", "d"])
        treated = treated[treated["before"].notna() & treated["after"].notna()]
        pool = windows.merge(episodes[["school_id", "d"]].drop_duplicates(), on=["school_id", "d"])
        m = _match(treated, pool)
        if m is not None:
            matched[kind] = m
    # Each type's effect is needed to take it out of the weeks after a later action (of that type)
    # and each estimate depends on the others: a few rounds from none settle it.
    effects: dict[str, float] = {}
    for _ in range(LATER_HELP_ROUNDS):
        effects = {kind: _estimate(m, kind, effects, None)["effect"] for kind, m in matched.items()}
    rng = np.random.default_rng(SEED)
    rows = [{"type": kind, **_estimate(m, kind, effects, rng)} for kind, m in matched.items()]
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
    ``comparison_change`` (the ``MATCHES`` similar pupils with nothing logged then, matched and
    corrected as in ``intervention_impact``), ``comparison_pupils``, ``after_possible``, and
    ``beyond``: the pupil's change beyond the comparison's, corrected for where each started (so not
    exactly ``change - comparison_change``). None when nothing is logged or the pupil has no sessions
    before it; ``after`` is None until a session after it is marked.
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
    result |= {"comparison_pupils": 0, "after_possible": 0, "beyond": None}
    if me.empty or me["before"].isna().all():
        return None
    row = me.iloc[0]
    result.update(before=float(row["before"]), after_possible=int(row["after_possible"]))
    if pd.isna(row["after"]):
        return result
    result.update(after=float(row["after"]), change=float(row["change"]))
    # The same matching and correction as ``intervention_impact``, for this one pupil.
    m = _match(me.iloc[[0]], windows)
    if m is None:
        return result
    adj = _comparison_changes(m, m["pool"]["change"].to_numpy(float))
    near = m["pool"].iloc[m["cand"][0, :MATCHES][m["cand"][0, :MATCHES] >= 0]]
    result.update(
        comparison_before=float(near["before"].mean()),
        comparison_after=float(near["after"].mean()),
        comparison_change=float(near["change"].mean()),
        comparison_pupils=len(near),
        beyond=float(row["change"] - _matched_change(m, adj, np.ones(m["n_ids"]))[0]),
    )
    return result

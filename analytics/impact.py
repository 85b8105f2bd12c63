"""Did it work? Attendance before and after each kind of intervention, against matched pupils who had none.

A pupil is usually picked for help after a bad spell, and most pupils recover
from a bad spell on their own (regression to the mean): a plain before/after
change makes every intervention look like a success. So each pupil who had an
intervention is compared with the pupils at the same school who had nothing on
that date and whose attendance before was most like theirs (over the weeks just
before, and over the rest of the year before that; the same year group where
one is close), and the effect is the change beyond theirs. A comparison pupil
helped shortly before or after the date counts with that help's estimated effect
taken out of the weeks it may have changed (``_rates``).

Windows are counted in school weeks (weeks with any session marks at the school,
so holidays do not count): ``weeks`` school weeks before the date and ``weeks``
from it. Attendance is the DfE rate over each pupil's own possible sessions
(``measures.marks_sql``). The 95% interval resamples pupils in both arms (a
bootstrap that repeats the matching and the correction, and re-estimates the
other types' effects taken out), so it carries the comparison's own noise.
"""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from analytics.attendance_windows import WINDOWS, attendance_percent, pupil_windows, window_rates
from analytics.filters import Filter, require_pupil_level
from data import interventions

DEFAULT_WEEKS = 6  # half a term: long enough to see a change, short enough to stay about this one action
MATCHES = 5  # comparison pupils per pupil who had the intervention
SMALL_GROUP = 10  # fewer pupils than this: the estimate is shown but flagged as fragile
# Points of attendance a comparison in another year group counts as further away: enough that the
# matches come from the pupil's own year group unless it has none near (a year group shares trips,
# exams, study leave and illness going round, which a pupil-level interval does not see; at 2 points,
# the sample school's intervals held the truth 88% of the time, at 10 points 95%: docs/IMPACT.md).
YEAR_GROUP_PENALTY = 10.0
CANDIDATES_KEPT = 60  # nearest comparison pupils kept per pupil (the bootstrap draws from these)
BOOTSTRAP = 1000  # resamples for the interval
SEED = 20240819  # fixed: the same register always gives the same interval
# What a comparison pupil is matched on: attendance over the whole before-window, its second half,
# and the rest of the year before it (each in percent).
FEATURES = ("before", "recent", "prior")
SLOPE_ROWS = 40  # fewest matched pupils to fit the correction's slopes on; fewer: all candidates kept
NEWTON_STEPS = 3  # steps settling every type's effect, each taken out of other pupils' weeks
LATER_HELP_ROUNDS = 3  # rounds from none where no settled value exists
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
    corrected afterwards (``_changes``). Returns the treated rows kept, the usable pool,
    the candidates' positions in it (-1 pads), their pupil ids (one per school and pupil, for the
    bootstrap) and how far each candidate is from the treated pupil on ``FEATURES``.
    """
    pool = pool[(~pool["acted"]) & pool["before"].notna() & pool["after"].notna()].reset_index(drop=True)
    if pool.empty or treated.empty:
        return None
    ids = {key: n for n, key in enumerate(sorted(set(zip(pool["school_id"], pool["upn"], strict=True))))}
    pid = np.array([ids[key] for key in zip(pool["school_id"], pool["upn"], strict=True)], dtype=int)
    features = pool[list(FEATURES)].to_numpy(float)
    groups = pool.groupby(["school_id", "d"], sort=False).indices
    upn, year_group = pool["upn"].to_numpy(), pool["year_group"].to_numpy()
    keep_t, cand = [], []
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
    if not keep_t:
        return None
    cand = np.array(cand, dtype=int)
    return {
        "treated": treated.iloc[keep_t].reset_index(drop=True),
        "pool": pool,
        "cand": cand,
        "ids": np.where(cand >= 0, pid[np.maximum(cand, 0)], 0),
        "n_ids": len(ids),
    }


def _arm(df: pd.DataFrame, names: list[str]) -> dict:
    """A table's windows as arrays; ``later`` and ``earlier`` number the action's type in ``names`` from 1 (0: none)."""
    code = {x: n + 1 for n, x in enumerate(names)}
    out = {}
    for w in WINDOWS:
        for c in ("attended", "possible"):
            out[f"{w}_{c}"] = df[f"{w}_{c}"].to_numpy(float)
        if w != "prior":
            column = f"earlier_{w}_possible"
            out[column] = df[column].to_numpy(float) if column in df else np.zeros(len(df))
    out["later_possible"] = df["later_possible"].to_numpy(float)
    for side in ("later", "earlier"):
        kinds = df[f"{side}_type"] if f"{side}_type" in df else [None] * len(df)
        out[side] = np.array([code.get(x, 0) if isinstance(x, str) else 0 for x in kinds], dtype=int)
    return out


def _arms(m: dict) -> dict:
    """The numbers each estimate reads, as arrays: the treated pupils' and each candidate's (shape of ``cand``)."""
    if "arms" not in m:
        t, pool, cand = m["treated"], m["pool"], m["cand"]
        kinds = [*pool["later_type"], *pool["earlier_type"], *t["later_type"], *t["earlier_type"]]
        names = sorted({x for x in kinds if isinstance(x, str)})
        at = np.maximum(cand, 0)
        m["arms"] = {
            "names": names,
            "t": _arm(t, names),
            "c": {k: v[at] for k, v in _arm(pool, names).items()},
            "valid": cand >= 0,
        }
    return m["arms"]


def _rates(arm: dict, names: list[str], effects: dict[str, float], own: str | None = None) -> dict[str, np.ndarray]:
    """Attendance (%) in each window with the estimated effect of other actions taken out.

    An action in the before-window (``earlier``) counts from it on, in the before-window and the
    after-window alike; an action inside the after-window (``later``) from it to the window's end. Pupils helped just before the date are kept as comparison pupils this way:
    leaving them out would leave the pupils whose bad spell had passed out of the comparison, and
    keep the ones whose spell was just starting. Leaving out the pupils helped a few weeks after the
    date instead would drop exactly those whose attendance went on to fall. A later action of the
    pupil's ``own`` type is part of it.
    """
    lookup = np.array([0.0] + [0.0 if x == own else effects.get(x, 0.0) for x in names]) / 100.0
    earlier = lookup[arm["earlier"]]
    out = {}
    for w in WINDOWS:
        attended = arm[f"{w}_attended"]
        if w != "prior":
            attended = attended - earlier * arm[f"earlier_{w}_possible"]
        if w == "after":
            attended = attended - lookup[arm["later"]] * arm["later_possible"]
        out[w] = attendance_percent(attended, arm[f"{w}_possible"])
    for w in WINDOWS:
        if w not in ("before", "after"):
            out[w] = np.where(np.isnan(out[w]), out["before"], out[w])
    return out


def _changes(arm: dict, names: list[str], effects: dict[str, float], own: str | None = None) -> np.ndarray:
    """Change after - before, less the estimated effect of other actions (``_rates``)."""
    rates = _rates(arm, names, effects, own)
    return rates["after"] - rates["before"]


def _slopes(xs: np.ndarray, ys: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least-squares slopes of ``ys`` on ``xs`` (zeros when there are too few rows to fit)."""
    keep = (w > 0) & np.isfinite(ys)
    if keep.sum() <= 2 * (xs.shape[1] + 1):
        return np.zeros(xs.shape[1])
    root = np.sqrt(w[keep])
    design = np.column_stack([np.ones(keep.sum()), xs[keep]]) * root[:, None]
    return np.linalg.lstsq(design, ys[keep] * root, rcond=None)[0][1:]


def _effect(m: dict, kind: str, effects: dict[str, float], tw: np.ndarray, counts: np.ndarray) -> tuple:
    """(effect, treated changes, comparison changes) for one type, pupils weighted ``tw`` (treated) and ``counts`` (ids).

    Each comparison change is moved to where the treated pupil started (bias-corrected matching)
    with slopes of change on ``FEATURES`` fitted on the matched pupils (each as often as matched),
    not the whole school: the school's good attenders follow another line.
    """
    arms = _arms(m)
    mine, theirs = _rates(arms["t"], arms["names"], effects, own=kind), _rates(arms["c"], arms["names"], effects)
    change = mine["after"] - mine["before"]
    cand_change = np.where(arms["valid"], theirs["after"] - theirs["before"], np.nan)
    x = np.stack([theirs[w] for w in FEATURES], axis=-1)
    dx = np.stack([mine[w] for w in FEATURES], axis=-1)[:, None, :] - x
    w = np.where(arms["valid"] & np.isfinite(cand_change), counts[m["ids"]].astype(float), 0.0)
    before = np.cumsum(w, axis=1) - w
    take = np.clip(MATCHES - before, 0, w)  # the nearest MATCHES, counted as often as drawn
    fit_w = take * tw[:, None]
    if (fit_w > 0).sum() < SLOPE_ROWS:  # a handful of pupils (or one, on a pupil's page): all their candidates
        fit_w = w * tw[:, None]
    beta = _slopes(x.reshape(-1, len(FEATURES)), cand_change.reshape(-1), fit_w.reshape(-1))
    adj = cand_change + np.nan_to_num(dx) @ beta
    total = take.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        comparison = np.where(total > 0, (take * np.nan_to_num(adj)).sum(axis=1) / total, np.nan)
    ok = tw * np.isfinite(comparison) * np.isfinite(change)
    effect = float((ok * np.nan_to_num(change - comparison)).sum() / ok.sum()) if ok.sum() else np.nan
    return effect, change, comparison


def _round(matched: dict, effects: np.ndarray, draws: dict | None = None) -> np.ndarray:
    """Every type's effect with ``effects`` (one per type, in ``matched``'s order) taken out of other actions' weeks."""
    given = dict(zip(matched, np.nan_to_num(effects), strict=True))
    return np.array(
        [
            _effect(m, kind, given, *(draws[kind] if draws else (np.ones(len(m["treated"])), np.ones(m["n_ids"]))))[0]
            for kind, m in matched.items()
        ]
    )


def _settled(matched: dict) -> tuple[np.ndarray, np.ndarray]:
    """Every type's effect where each is also the one taken out of other pupils' weeks (the fixed point), and
    how each moves with the others (the slope of ``_round``).

    The effects taken out move each estimate almost in a straight line, so a few Newton steps settle
    it; repeated rounds would stop short where many comparison pupils were helped before or after
    the date (each round moves it by the same share of the rest). Where that share is 1 or more
    there is no settled value, and ``LATER_HELP_ROUNDS`` rounds from none are kept.
    """
    n = len(matched)
    effects, slope = np.zeros(n), np.zeros((n, n))
    for _ in range(NEWTON_STEPS):
        now = _round(matched, effects)
        slope = np.column_stack([_round(matched, effects + np.eye(n)[j]) - now for j in range(n)])
        if not np.isfinite(slope).all() or np.abs(np.linalg.eigvals(slope)).max() >= 0.95:
            effects = np.zeros(n)
            for _ in range(LATER_HELP_ROUNDS):
                effects = _round(matched, effects)
            return effects, np.zeros((n, n))
        effects = effects + np.linalg.solve(np.eye(n) - slope, np.nan_to_num(now - effects))
    return effects, slope


def _figures(m: dict, kind: str, effects: dict[str, float], drawn: list[float]) -> dict:
    t = m["treated"]
    effect, change, comparison = _effect(m, kind, effects, np.ones(len(t)), np.ones(m["n_ids"]))
    near = m["cand"][:, :MATCHES]
    used = np.unique(m["ids"][:, :MATCHES][near >= 0])
    drawn = [x for x in drawn if np.isfinite(x)]
    low, high = np.percentile(drawn, [2.5, 97.5]) if drawn else (np.nan, np.nan)
    return {
        "effect": effect,
        "pupils": len(t),
        "before_attendance": float(t["before"].mean()),
        "after_attendance": float((t["before"] + change).mean()),
        "change": float(np.nanmean(change)),
        "comparison_pupils": len(used),
        "comparison_change": float(np.nanmean(comparison)),
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
    if not matched:
        return empty
    settled, slope = _settled(matched)
    effects = dict(zip(matched, settled, strict=True))
    back = np.linalg.inv(np.eye(len(matched)) - slope)
    rng = np.random.default_rng(SEED)
    drawn: dict[str, list[float]] = {kind: [] for kind in matched}
    for _ in range(BOOTSTRAP):
        draws = {}
        for kind, m in matched.items():
            n_t = len(m["treated"])
            tw = np.bincount(rng.integers(0, n_t, n_t), minlength=n_t).astype(float)
            draws[kind] = (tw, rng.multinomial(m["n_ids"], np.full(m["n_ids"], 1.0 / m["n_ids"])).astype(float))
        # The other types' effects taken out are estimates too: each resample settles them again
        # (one Newton step from the estimate).
        again = settled + back @ np.nan_to_num(_round(matched, settled, draws) - settled)
        for kind, value in zip(matched, again, strict=True):
            drawn[kind].append(value)
    rows = [{"type": kind, **_figures(m, kind, effects, drawn[kind])} for kind, m in matched.items()]
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
    # Pupils helped in the weeks before count as comparison pupils only where the effect of their help
    # is estimated (``intervention_impact``); one pupil's page has no such estimate, so they are left out.
    m = _match(me.iloc[[0]], windows[windows["earlier_type"].isna()])
    if m is None:
        return result
    _, _, comparison = _effect(m, latest["type"], {}, np.ones(1), np.ones(m["n_ids"]))
    near = m["pool"].iloc[m["cand"][0, :MATCHES][m["cand"][0, :MATCHES] >= 0]]
    result.update(
        comparison_before=float(near["before"].mean()),
        comparison_after=float(near["after"].mean()),
        comparison_change=float(near["change"].mean()),
        comparison_pupils=len(near),
        beyond=float(row["change"] - comparison[0]),
    )
    return result

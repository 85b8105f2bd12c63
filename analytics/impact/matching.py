"""Who each pupil who had an intervention is compared with, and the numbers every estimate then reads.

Matching reads attendance before the date only, so it is done once per type; the estimate
(``analytics.impact.effects``) reads the arrays ``arms`` makes of the matched pupils.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.attendance_windows import WINDOWS
from analytics.impact import settings


def match(treated: pd.DataFrame, pool: pd.DataFrame) -> dict | None:
    """Each treated row's nearest comparison candidates at the same school and date, nearest first.

    Matching reads attendance before only, so it is done once; the changes it is applied to may be
    corrected afterwards (``effects.changes``). Returns the treated rows kept, the usable pool,
    the candidates' positions in it (-1 pads), their pupil ids (one per school and pupil, for the
    bootstrap) and how far each candidate is from the treated pupil on ``FEATURES``.
    """
    pool = pool[(~pool["acted"]) & pool["before"].notna() & pool["after"].notna()].reset_index(drop=True)
    if pool.empty or treated.empty:
        return None
    ids = {key: n for n, key in enumerate(sorted(set(zip(pool["school_id"], pool["upn"], strict=True))))}
    pid = np.array([ids[key] for key in zip(pool["school_id"], pool["upn"], strict=True)], dtype=int)
    features = pool[list(settings.FEATURES)].to_numpy(float)
    groups = pool.groupby(["school_id", "d"], sort=False).indices
    upn, year_group = pool["upn"].to_numpy(), pool["year_group"].to_numpy()
    keep_t, cand = [], []
    for n, row in enumerate(treated.itertuples(index=False)):
        rows = groups.get((row.school_id, row.d))
        if rows is None:
            continue
        x = np.array([getattr(row, name) for name in settings.FEATURES])
        dist = np.sqrt(((features[rows] - x) ** 2).sum(axis=1))
        if row.year_group == row.year_group and row.year_group is not None:  # known
            dist = dist + settings.YEAR_GROUP_PENALTY * (year_group[rows] != row.year_group)
        dist[upn[rows] == row.upn] = np.inf
        order = np.argsort(dist, kind="stable")[: settings.CANDIDATES_KEPT]
        order = rows[order[np.isfinite(dist[order])]]
        if not len(order):
            continue
        pad = settings.CANDIDATES_KEPT - len(order)
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


def arm(df: pd.DataFrame, names: list[str]) -> dict:
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


def arms(m: dict) -> dict:
    """The numbers each estimate reads, as arrays: the treated pupils' and each candidate's (shape of ``cand``)."""
    if "arms" not in m:
        t, pool, cand = m["treated"], m["pool"], m["cand"]
        kinds = [*pool["later_type"], *pool["earlier_type"], *t["later_type"], *t["earlier_type"]]
        names = sorted({x for x in kinds if isinstance(x, str)})
        at = np.maximum(cand, 0)
        m["arms"] = {
            "names": names,
            "t": arm(t, names),
            "c": {k: v[at] for k, v in arm(pool, names).items()},
            "valid": cand >= 0,
        }
    return m["arms"]

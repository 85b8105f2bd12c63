"""The impact table for a filter (``intervention_impact``), its JSON (``impact_record``) and one pupil's
attendance since their latest action (``since_last_action``)."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from analytics.attendance_windows import pupil_windows, window_rates
from analytics.filters import Filter, require_pupil_level
from analytics.impact import effects, matching, settings
from data import interventions


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


def intervention_impact(con: duckdb.DuckDBPyConnection, f: Filter, weeks: int = settings.DEFAULT_WEEKS) -> pd.DataFrame:
    """One row per intervention type: ``IMPACT_KEYS`` plus ``small`` (fewer than ``SMALL_GROUP`` pupils).

    Attendance in percent, per-pupil averages. ``change`` = after - before for the pupils who
    had it; ``comparison_change`` = the same for their matched comparison pupils; ``effect`` =
    the difference, with a 95% bootstrap interval (``ci_low``, ``ci_high``). A pupil counts
    once per type, from their first intervention of that type; pupils without possible sessions
    on both sides of the date are left out. Groups only: no pupil is named.
    """
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    empty = pd.DataFrame(columns=[*settings.IMPACT_KEYS, "small"])
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
        m = matching.match(treated, pool)
        if m is not None:
            matched[kind] = m
    # Each type's effect is needed to take it out of the weeks after a later action (of that type)
    # and each estimate depends on the others: a few rounds from none settle it.
    if not matched:
        return empty
    settled, slope = effects.settled(matched)
    taken_out = dict(zip(matched, settled, strict=True))
    back = np.linalg.inv(np.eye(len(matched)) - slope)
    rng = np.random.default_rng(settings.SEED)
    drawn: dict[str, list[float]] = {kind: [] for kind in matched}
    for _ in range(settings.BOOTSTRAP):
        draws = {}
        for kind, m in matched.items():
            n_t = len(m["treated"])
            tw = np.bincount(rng.integers(0, n_t, n_t), minlength=n_t).astype(float)
            draws[kind] = (tw, rng.multinomial(m["n_ids"], np.full(m["n_ids"], 1.0 / m["n_ids"])).astype(float))
        # The other types' effects taken out are estimates too: each resample settles them again
        # (one Newton step from the estimate).
        again = settled + back @ np.nan_to_num(effects.one_round(matched, settled, draws) - settled)
        for kind, value in zip(matched, again, strict=True):
            drawn[kind].append(value)
    rows = [{"type": kind, **effects.figures(m, kind, taken_out, drawn[kind])} for kind, m in matched.items()]
    if not rows:
        return empty
    out = pd.DataFrame(rows)
    out["small"] = out["pupils"] < settings.SMALL_GROUP
    return out[[*settings.IMPACT_KEYS, "small"]]


def impact_record(df: pd.DataFrame, weeks: int) -> dict:
    """The command line's JSON: exactly ``{"weeks": N, "types": [settings.IMPACT_KEYS ...]}``, figures to 2 places."""
    types = []
    for row in df.to_dict("records"):
        item = {}
        for key in settings.IMPACT_KEYS:
            value = row[key]
            if key in ("type",):
                item[key] = str(value)
            elif key in ("pupils", "comparison_pupils"):
                item[key] = int(value)
            else:
                item[key] = None if value is None or value != value else round(float(value), 2)
        types.append(item)
    return {"weeks": int(weeks), "types": types}


def since_last_action(
    con: duckdb.DuckDBPyConnection, f: Filter, upn: str, weeks: int = settings.DEFAULT_WEEKS
) -> dict | None:
    """One pupil's attendance since their latest logged action against similar pupils who had none.

    Keys: ``date``, ``type``, ``before`` (the ``weeks`` school weeks up to it), ``after`` (since it,
    to the latest mark), ``change``, ``comparison_before``, ``comparison_after``,
    ``comparison_change`` (the ``MATCHES`` similar pupils with nothing logged then, matched and
    corrected as in ``intervention_impact``), ``comparison_pupils``, ``after_possible``, and
    ``beyond``: the pupil's change beyond the comparison's, corrected for where each started (so not
    exactly ``change - comparison_change``). None when nothing is logged or the pupil has no sessions
    before it; ``after`` is None until a session after it is marked (``before`` too when it was logged
    after the latest marks).
    """
    require_pupil_level(f)
    log = interventions.entries(con, f.scope, school_ids=f.school_ids, upns=(upn,))
    if log.empty:
        return None
    latest = log.iloc[0]
    when = pd.Timestamp(latest["date"]).date()
    result = {"date": when, "type": latest["type"], "before": None, "after": None, "change": None}
    result |= {"comparison_before": None, "comparison_after": None, "comparison_change": None}
    result |= {"comparison_pupils": 0, "after_possible": 0, "beyond": None}
    windows = pupil_windows(con, f.replace(upns=()), [(latest["school_id"], when)], weeks, to_latest=True)
    if windows.empty:  # logged after the latest school week with marks (today, with marks to last week)
        return result
    windows = window_rates(windows)
    me = windows[windows["upn"] == upn]
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
    m = matching.match(me.iloc[[0]], windows[windows["earlier_type"].isna()])
    if m is None:
        return result
    _, _, comparison = effects.effect(m, latest["type"], {}, np.ones(1), np.ones(m["n_ids"]))
    near = m["pool"].iloc[m["cand"][0, : settings.MATCHES][m["cand"][0, : settings.MATCHES] >= 0]]
    result.update(
        comparison_before=float(near["before"].mean()),
        comparison_after=float(near["after"].mean()),
        comparison_change=float(near["change"].mean()),
        comparison_pupils=len(near),
        beyond=float(row["change"] - comparison[0]),
    )
    return result

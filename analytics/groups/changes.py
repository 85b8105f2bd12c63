"""What changed most between two periods, judged against its noise, and the pupils behind a change."""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics import measures, uncertainty
from analytics.filters import GROUP_LABELS, Filter, require_pupil_level
from analytics.groups.cells import _cells
from analytics.groups.labels import _check, _typed, group_label
from analytics.groups.suppression import MIN_GROUP_SIZE, _small_count

DEFAULT_CHANGE_GROUPS = ("fsm", "sen", "eal", "cin", "lac", "year_group", "form", "gender")
WHOLE = "whole"  # a grouping of one: every pupil the filter covers
CHANGE_MEASURES = ("overall_absence", "persistent_absence")


def biggest_changes(
    con: duckdb.DuckDBPyConnection,
    f: Filter,
    previous: Filter,
    bys: tuple[str, ...] = DEFAULT_CHANGE_GROUPS,
    top: int = 10,
    min_size: int = MIN_GROUP_SIZE,
    measure: str = "overall_absence",
) -> pd.DataFrame:
    """The groups whose absence changed most between ``previous`` and ``f``, rises and falls, real ones first.

    ``measure``: 'overall_absence' or 'persistent_absence' (points). Each
    change has a 95% interval with pupils as the unit, each pupil matched
    across the two periods (``uncertainty.paired_change``: a year to date
    against the same year at the last term's end shares its pupils and most of
    its sessions), and ``beyond_chance`` when that interval leaves out zero. Up to ``top``
    rows: half rises and half falls where there are both (the rest filled from
    the other side), each side ranked changes beyond chance first, then by
    size; rises come first, then falls. A group with fewer than ``min_size``
    pupils in either period is kept with ``small_group`` true (its change is
    mostly noise, and its interval says so), except without pupil-level access,
    where it is left out as in published statistics.

    Columns: ``by``, ``by_label``, ``group``, ``label``, ``current_enrolments``,
    ``previous_enrolments``, ``small_group``, ``direction`` ('rise', 'fall' or
    'none'), ``beyond_chance``; for each measure ``current_{m}_rate``,
    ``previous_{m}_rate``, ``{m}_change``, ``{m}_change_low``,
    ``{m}_change_high``, ``{m}_beyond_chance``.
    """
    if measure not in ("overall_absence", "persistent_absence"):
        raise ValueError("measure must be 'overall_absence' or 'persistent_absence'")
    groupings = [(_check(b),) for b in bys]
    now = {(c["bys"][0], c["values"][0]): c for c in _cells(con, f, groupings)}
    before = {(c["bys"][0], c["values"][0]): c for c in _cells(con, previous, groupings)}
    paired = _paired_sums(con, f, previous, bys)
    rows = []
    for key in now.keys() & before.keys():
        cur, prev = now[key], before[key]
        small = min(cur["enrolments"], prev["enrolments"]) < min_size
        pupil_level = f.scope.pupil_level and previous.scope.pupil_level
        if small and not pupil_level:
            continue
        count = "absence_sessions" if measure == "overall_absence" else "persistent_absence_count"
        if not pupil_level and (_small_count(cur[count]) or _small_count(prev[count])):
            continue  # as in group_breakdown: no change built on 1 or 2 pupils or sessions for a governor
        by, value = key
        row = {
            "by": by,
            "by_label": GROUP_LABELS[by],
            "group": value,
            "label": group_label(by, value),
            "current_enrolments": cur["enrolments"],
            "previous_enrolments": prev["enrolments"],
            "small_group": small,
        }
        for m in ("overall_absence", "persistent_absence"):
            row[f"current_{m}_rate"] = cur[f"{m}_rate"]
            row[f"previous_{m}_rate"] = prev[f"{m}_rate"]
            change = uncertainty.paired_change(paired.get((key, m), {}))
            if change[0] is None:
                change = uncertainty.change(cur, prev, m)
            row[f"{m}_change"], row[f"{m}_change_low"], row[f"{m}_change_high"] = change
            low, high = row[f"{m}_change_low"], row[f"{m}_change_high"]
            row[f"{m}_beyond_chance"] = None if low is None else bool(low > 0 or high < 0)
        change = row[f"{measure}_change"]
        row["direction"] = "none" if not change else ("rise" if change > 0 else "fall")
        row["beyond_chance"] = row[f"{measure}_beyond_chance"]
        rows.append(row)
    other = "persistent_absence" if measure == "overall_absence" else "overall_absence"

    def rank(r: dict):
        return (
            not r["beyond_chance"],
            -abs(r[f"{measure}_change"] or 0),
            -abs(r[f"{other}_change"] or 0),
            r["by"],
            r["label"],
        )

    rises = sorted((r for r in rows if r["direction"] == "rise"), key=rank)
    falls = sorted((r for r in rows if r["direction"] == "fall"), key=rank)
    n_rises = min(len(rises), max(top // 2, top - len(falls)))
    n_falls = min(len(falls), top - n_rises)
    chosen = rises[:n_rises] + falls[:n_falls]
    columns = ["by", "by_label", "group", "label", "current_enrolments", "previous_enrolments", "small_group"]
    columns += ["direction", "beyond_chance"]
    for m in ("overall_absence", "persistent_absence"):
        columns += [f"current_{m}_rate", f"previous_{m}_rate", f"{m}_change"]
        columns += [f"{m}_change_low", f"{m}_change_high", f"{m}_beyond_chance"]
    return pd.DataFrame(chosen, columns=columns, dtype=object)


def whole_change(con: duckdb.DuckDBPyConnection, f: Filter, previous: Filter) -> dict:
    """The change of everything ``f`` covers since ``previous``, with its noise, pupils matched across the periods.

    ``{measure: {"change", "low", "high", "beyond_chance"}}`` for overall and
    persistent absence (points; ``uncertainty.paired_change``); None where
    there is nothing to judge.
    """
    sums = _paired_sums(con, f, previous, (WHOLE,))
    out = {}
    for m in CHANGE_MEASURES:
        change, low, high = uncertainty.paired_change(sums.get(((WHOLE, "all"), m), {}))
        out[m] = {
            "change": change,
            "low": low,
            "high": high,
            "beyond_chance": None if low is None else bool(low > 0 or high < 0),
        }
    return out


def _paired_sums(con: duckdb.DuckDBPyConnection, f: Filter, previous: Filter, bys: tuple[str, ...]) -> dict:
    """Per group, the sums over its pupils (in it now or before, matched by school and UPN) for paired changes.

    Keys: ((by, value), measure) for 'overall_absence' (absence over possible
    sessions) and 'persistent_absence' (persistently absent pupils over pupils).
    """
    now_sql, now_params = measures.enrolment_totals_sql(f)
    before_sql, before_params = measures.enrolment_totals_sql(previous)
    parts = []
    for by in bys:  # names checked against GROUP_COLUMNS, never user text
        for side, table in (("1", "t1"), ("0", "t0")):
            other = "0" if side == "1" else "1"
            value = "'all'" if by == WHOLE else f"CAST({table}.{by} AS VARCHAR)"
            parts.append(
                f"""SELECT '{by}' AS grouping, {value} AS value, school_id, upn,
                       absence_sessions::DOUBLE AS y{side}, possible_sessions::DOUBLE AS m{side},
                       ({measures.persistent_sql()})::INTEGER::DOUBLE AS a{side},
                       1::DOUBLE AS e{side},
                       0::DOUBLE AS y{other}, 0::DOUBLE AS m{other}, 0::DOUBLE AS a{other}, 0::DOUBLE AS e{other}
                FROM {table} WHERE possible_sessions > 0"""
            )
    # Same column order in every part: name them explicitly in the union.
    cols = "grouping, value, school_id, upn, y1, m1, a1, e1, y0, m0, a0, e0"
    union = " UNION ALL ".join(f"SELECT {cols} FROM ({p})" for p in parts)

    def products(y: str, m: str) -> str:
        names = {
            "y1y1": f"{y}1 * {y}1", "m1m1": f"{m}1 * {m}1", "y1m1": f"{y}1 * {m}1",
            "y0y0": f"{y}0 * {y}0", "m0m0": f"{m}0 * {m}0", "y0m0": f"{y}0 * {m}0",
            "y1y0": f"{y}1 * {y}0", "y1m0": f"{y}1 * {m}0", "m1y0": f"{m}1 * {y}0", "m1m0": f"{m}1 * {m}0",
        }  # fmt: skip
        sums = [f"sum({y}1) AS {y}_y1", f"sum({m}1) AS {y}_m1", f"sum({y}0) AS {y}_y0", f"sum({m}0) AS {y}_m0"]
        return ", ".join(sums + [f"sum({expr}) AS {y}_{k}" for k, expr in names.items()])

    sql = f"""
        WITH t1 AS MATERIALIZED ({now_sql}), t0 AS MATERIALIZED ({before_sql}),
        pairs AS (
            SELECT grouping, value, school_id, upn, sum(y1) AS y1, sum(m1) AS m1, sum(a1) AS a1, sum(e1) AS e1,
                   sum(y0) AS y0, sum(m0) AS m0, sum(a0) AS a0, sum(e0) AS e0
            FROM ({union}) GROUP BY grouping, value, school_id, upn
        )
        SELECT grouping, value, count(*) AS n, {products("y", "m")}, {products("a", "e")}
        FROM pairs GROUP BY grouping, value
    """
    cur = con.execute(sql, [*now_params, *before_params])
    names = [d[0] for d in cur.description]
    out: dict = {}
    for raw in cur.fetchall():
        row = dict(zip(names, raw, strict=True))
        key = (row["grouping"], row["value"] if row["grouping"] == WHOLE else _typed(row["grouping"], row["value"]))
        for measure, y in (("overall_absence", "y"), ("persistent_absence", "a")):
            sums = {k.removeprefix(f"{y}_"): float(v or 0) for k, v in row.items() if k.startswith(f"{y}_")}
            out[(key, measure)] = {"n": row["n"], **sums}
    return out


def change_contributions(
    con: duckdb.DuckDBPyConnection,
    f: Filter,
    previous: Filter,
    by: str,
    value,
    measure: str = "overall_absence",
    limit: int = 200,
) -> pd.DataFrame:
    """The pupils behind one group's change, ordered by their part in it (largest part in the change first).

    A pupil's part in an overall absence change is their absence sessions over
    the group's possible sessions now, less the same before (points); the
    parts add up to the group's change. For persistent absence it is 100 over
    the group's pupils now for a pupil persistently absent now, less the same
    before. Pupils are matched across the two periods by school and UPN.
    Columns: ``upn``, ``surname``, ``forename``, ``year_group``, ``form``,
    ``possible_sessions``, ``absence_sessions``, ``absence_rate`` (now),
    ``previous_possible_sessions``, ``previous_absence_sessions``,
    ``previous_absence_rate``, ``part_in_change`` (points).
    """
    require_pupil_level(f)
    require_pupil_level(previous)
    column = _check(by)
    if measure not in ("overall_absence", "persistent_absence"):
        raise ValueError("measure must be 'overall_absence' or 'persistent_absence'")
    now_sql, now_params = measures.enrolment_totals_sql(f)
    before_sql, before_params = measures.enrolment_totals_sql(previous)
    flag = measures.persistent_sql("{t}.absence_sessions", "{t}.possible_sessions")
    persistent = f"(CASE WHEN {flag} THEN 1 ELSE 0 END)"
    if measure == "overall_absence":
        part = "coalesce(n.absence_sessions / nn.possible, 0) - coalesce(b.absence_sessions / bb.possible, 0)"
    else:
        part = (
            f"coalesce({persistent.format(t='n')} / nn.pupils, 0) - coalesce({persistent.format(t='b')} / bb.pupils, 0)"
        )
    sql = f"""
        WITH n AS (SELECT * FROM ({now_sql}) t WHERE possible_sessions > 0 AND t.{column} IS NOT DISTINCT FROM ?),
        b AS (SELECT * FROM ({before_sql}) t WHERE possible_sessions > 0 AND t.{column} IS NOT DISTINCT FROM ?),
        nn AS (SELECT sum(possible_sessions)::DOUBLE AS possible, count(*)::DOUBLE AS pupils FROM n),
        bb AS (SELECT sum(possible_sessions)::DOUBLE AS possible, count(*)::DOUBLE AS pupils FROM b)
        SELECT coalesce(n.upn, b.upn) AS upn, p.surname, p.forename,
               coalesce(n.year_group, b.year_group) AS year_group, coalesce(n.form, b.form) AS form,
               n.possible_sessions::BIGINT AS possible_sessions, n.absence_sessions::BIGINT AS absence_sessions,
               {measures.rate_sql("n.absence_sessions", "n.possible_sessions")} AS absence_rate,
               b.possible_sessions::BIGINT AS previous_possible_sessions,
               b.absence_sessions::BIGINT AS previous_absence_sessions,
               {measures.rate_sql("b.absence_sessions", "b.possible_sessions")} AS previous_absence_rate,
               100.0 * ({part}) AS part_in_change
        FROM n FULL JOIN b ON n.school_id = b.school_id AND n.upn = b.upn
        CROSS JOIN nn CROSS JOIN bb
        LEFT JOIN pupils p ON p.school_id = coalesce(n.school_id, b.school_id) AND p.upn = coalesce(n.upn, b.upn)
    """
    params = [*now_params, value, *before_params, value]
    total = con.execute(f"SELECT sum(part_in_change) FROM ({sql}) x", params).fetchone()[0] or 0
    order = "DESC" if total >= 0 else "ASC"
    return con.execute(
        f"SELECT * FROM ({sql}) x WHERE part_in_change <> 0 ORDER BY part_in_change {order}, upn LIMIT ?",
        [*params, int(limit)],
    ).df()

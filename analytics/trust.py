"""Many schools side by side: a trust's or a local authority's view.

Every function takes the user's ``Filter`` and compares the schools its scope
allows (the school chosen in the sidebar is set aside: the question is about
all of them). Each school is set against the national figure and its own local
authority's figure for its phase (``analytics.national``), and a funnel plot
shows which schools differ from the trust by more than their size explains.

Figures per school are the DfE measures of ``analytics.measures``, summed from
the same per-enrolment totals; nothing here says which codes count as what.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from analytics import measures, national, periods, uncertainty
from analytics.filters import Filter

MIN_GROUP = 5  # enrolments: a gap for a smaller group (or rest) is not shown, as in analytics.groups
FUNNEL_MEASURES = ("overall_absence_rate", "persistent_absence_rate")
# The funnel's limits as ``uncertainty.funnel`` names them, and as the trust view reads them.
_LIMIT_COLUMNS = {"low_95": "lower95", "high_95": "upper95", "low_99_8": "lower998", "high_99_8": "upper998"}
# The gaps each school shows: (name, enrolment test for the group, test for the rest it is compared with).
GAPS = (
    ("fsm", "fsm", "fsm = false"),
    ("sen", "sen IN ('E', 'K')", "sen = 'N'"),
    ("eal", "eal", "eal = false"),
    ("cin", "cin", "cin = false"),
    ("lac", "lac", "lac = false"),
)


# The keys of ``measures.summary``: what ``trust_summary`` and ``first_view``'s pooled figures hold.
POOLED_KEYS = (*measures.MEASURE_KEYS[:5], "missing_sessions", *measures.MEASURE_KEYS[5:], "pupils")


def across_schools(f: Filter) -> Filter:
    """The filter without its chosen school: every school the user's scope allows."""
    return f.replace(school_ids=())


def _gap_sums_sql() -> str:
    return ",\n".join(
        f"""sum(absence_sessions) FILTER (WHERE {g})  AS {name}_absence,
            sum(possible_sessions) FILTER (WHERE {g}) AS {name}_possible,
            count(*) FILTER (WHERE possible_sessions > 0 AND {g}) AS {name}_enrolments,
            sum(absence_sessions) FILTER (WHERE {r})  AS {name}_rest_absence,
            sum(possible_sessions) FILTER (WHERE {r}) AS {name}_rest_possible,
            count(*) FILTER (WHERE possible_sessions > 0 AND {r}) AS {name}_rest_enrolments"""
        for name, g, r in GAPS
    )


def _per_school(con: duckdb.DuckDBPyConnection, f: Filter, by_year: bool = False) -> pd.DataFrame:
    """The DfE measures per school (and academic year), with each group's absence and possible sessions."""
    totals, params = measures.enrolment_totals_sql(f)
    keys = "school_id, academic_year" if by_year else "school_id"
    sql = f"""
        SELECT *, {measures.rates_sql()} FROM (
            SELECT {keys}, {measures.ENROLMENT_SUMS_SQL}, {_gap_sums_sql()}, {uncertainty.cluster_sums_sql()}
            FROM ({totals}) t GROUP BY {keys}
        ) WHERE enrolments > 0 ORDER BY {keys}
    """
    return con.execute(sql, params).df()


def _per_school_and_pooled(con: duckdb.DuckDBPyConnection, f: Filter) -> tuple[pd.DataFrame, dict]:
    """``_per_school(con, f)`` and ``measures.summary(con, f)`` from one pass over the marks.

    The per-enrolment totals are worked out once and summed twice (``GROUPING SETS``): per school, and over
    every school for the pooled figures, whose ``pupils`` (distinct UPNs) cannot be added up from the schools.
    """
    totals, params = measures.enrolment_totals_sql(f)
    sql = f"""
        SELECT * EXCLUDE (whole, pupils), {measures.rates_sql()}, whole, pupils FROM (
            SELECT school_id, {measures.ENROLMENT_SUMS_SQL}, {_gap_sums_sql()}, {uncertainty.cluster_sums_sql()},
                   count(DISTINCT upn) FILTER (WHERE possible_sessions > 0) AS pupils,
                   grouping(school_id) AS whole
            FROM ({totals}) t GROUP BY GROUPING SETS ((school_id), ())
        ) ORDER BY whole, school_id
    """
    df = con.execute(sql, params).df()
    whole = df["whole"] == 1
    pooled = measures.records(df[whole])
    pooled = pooled[0] if pooled else {k: 0 for k in (*measures.SUM_COLUMNS, "pupils")}  # no marks at all
    schools = df[~whole & (df["enrolments"] > 0)].drop(columns=["whole", "pupils"]).reset_index(drop=True)
    return schools, {k: pooled.get(k) for k in POOLED_KEYS}


def summary_by_school_records(con: duckdb.DuckDBPyConnection, f: Filter) -> list[dict]:
    """One record per school, as ``measures.summary_by_records`` gives one per group: ``group`` (the URN as a
    string), the measures, and each school's 95% intervals against the other schools (``uncertainty``)."""
    rows = uncertainty.with_intervals(measures.records(_per_school(con, f)))
    return [{"group": str(r["school_id"]), **r} for r in rows]


def _schools(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    ids = f.scope.school_ids
    where = f"WHERE school_id IN ({', '.join('?' for _ in ids)})" if ids else ""
    return con.execute(
        f"SELECT school_id, name, phase, la_code, la_name, trust FROM schools {where} ORDER BY name, school_id",
        list(ids),
    ).df()


def _gap(row, name: str) -> float | None:
    """Overall absence of the group minus the rest, in percentage points; None for a group under MIN_GROUP."""
    if min(row[f"{name}_enrolments"] or 0, row[f"{name}_rest_enrolments"] or 0) < MIN_GROUP:
        return None
    group = row[f"{name}_absence"] / row[f"{name}_possible"]
    rest = row[f"{name}_rest_absence"] / row[f"{name}_rest_possible"]
    return 100 * (group - rest)


def comparators(phase: str | None, la: str | None) -> dict:
    """The national and the local authority's figures for a school's phase (None where not published)."""
    nat = national.national_headline(phase if phase in national.PHASES else "all")
    local = national.local_authority_headline(la, phase if phase in national.PHASES else "all") if la else None
    out = {}
    for key in ("attendance_rate", "overall_absence_rate", "persistent_absence_rate"):
        out[f"national_{key}"] = nat.get(key)
        out[f"la_{key}"] = local.get(key) if local else None
    out["la_geography"] = local["geography"] if local else None
    return out


def last_year(con: duckdb.DuckDBPyConnection, f: Filter) -> Filter | None:
    """The same period a year earlier across the schools (``periods.same_point_last_year``), in the latest
    academic year held when the filter names none."""
    f = across_schools(f)
    if f.academic_year is None:
        row = con.execute("SELECT max(academic_year) FROM session_marks").fetchone()
        if row is None or row[0] is None:
            return None
        f = f.replace(academic_year=row[0])
    return periods.same_point_last_year(con, f)


def schools_side_by_side(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """One row per school the user may see, with figures, gaps, change and comparators.

    Columns: ``school_id``, ``name``, ``phase``, ``la_code``, ``la_name``, ``trust``; ``MEASURE_KEYS``;
    ``fsm_gap`` ... ``lac_gap`` (percentage points of overall absence, group minus the rest; None under
    ``MIN_GROUP``); ``last_year_overall_absence_rate`` and ``change`` (points, this year minus the same
    period last year); ``national_*`` and ``la_*`` for attendance, overall and persistent absence.
    Schools with no enrolments in the period are left out.
    """
    return _side_by_side(con, across_schools(f), _per_school(con, across_schools(f)))


def first_view(con: duckdb.DuckDBPyConnection, f: Filter) -> dict:
    """What the trust view's first screen shows, from one pass over this period's marks: ``schools``
    (``schools_side_by_side``) and ``trust`` (``trust_summary``: the pooled figures)."""
    f = across_schools(f)
    figures, pooled = _per_school_and_pooled(con, f)
    return {"schools": _side_by_side(con, f, figures), "trust": pooled}


def _side_by_side(con: duckdb.DuckDBPyConnection, f: Filter, figures: pd.DataFrame) -> pd.DataFrame:
    if figures.empty:
        return pd.DataFrame()
    before = last_year(con, f)
    previous = _per_school(con, before) if before is not None else pd.DataFrame()
    previous_rate = dict(zip(previous.get("school_id", []), previous.get("overall_absence_rate", []), strict=False))
    schools = _schools(con, f).set_index("school_id")
    rows = []
    for r in measures.records(figures):
        sid = r["school_id"]
        info = schools.loc[sid].to_dict() if sid in schools.index else {}
        row = {"school_id": sid, **{k: info.get(k) for k in ("name", "phase", "la_code", "la_name", "trust")}}
        row.update(measures.measures_record(r))
        row.update({f"{name}_gap": _gap(r, name) for name, _, _ in GAPS})
        last = previous_rate.get(sid)
        last = None if last is None or last != last else float(last)
        row["last_year_overall_absence_rate"] = last
        rate = row["overall_absence_rate"]
        row["change"] = rate - last if rate is not None and last is not None else None
        row.update(comparators(row["phase"], row["la_code"] or row["la_name"]))
        rows.append(row)
    return pd.DataFrame(rows)


def trust_summary(con: duckdb.DuckDBPyConnection, f: Filter) -> dict:
    """The pooled figures of every school the user may see (``measures.summary`` across them)."""
    return measures.summary(con, across_schools(f))


def trend(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Each school's whole-year overall and persistent absence, every academic year held (``school_id``,
    ``academic_year``, ``overall_absence_rate``, ``persistent_absence_rate``, ``enrolments``)."""
    f = across_schools(f).replace(academic_year=None, date_from=None, date_to=None, term=None, half_term=None)
    df = _per_school(con, f, by_year=True)
    if df.empty:
        return df
    return df[["school_id", "academic_year", "enrolments", "overall_absence_rate", "persistent_absence_rate"]]


def funnel(con: duckdb.DuckDBPyConnection, f: Filter, measure: str = "overall_absence_rate") -> dict:
    """Each school's rate against its size, with the limits a school of that size would stay within by chance.

    The funnel is ``uncertainty.funnel`` with pupils as the size. Persistent absence is a yes/no per
    pupil (binomial). Overall absence is a ratio of sessions: a school of n pupils is n x m possible
    sessions (m the mean per pupil across the schools), its limits widened by the over-dispersion
    between pupils (``uncertainty.dispersion``), since one pupil's absences hang together.

    Returns ``trust_rate`` (percent), ``points`` (``school_id``, ``name``, ``enrolments``, ``rate``,
    ``lower95``, ``upper95``, ``lower998``, ``upper998``, ``verdict``: 'higher' or 'lower' beyond the
    99.8% limits, 'higher (95%)' / 'lower (95%)' beyond the 95% ones only, else 'within') and ``curve``
    (the four limits over sizes from the smallest to the largest school), for the chart.
    """
    if measure not in FUNNEL_MEASURES:
        raise ValueError(f"unknown measure {measure!r}: choose from {', '.join(FUNNEL_MEASURES)}")
    f = across_schools(f)
    figures = _per_school(con, f)
    if figures.empty:
        return {"trust_rate": None, "points": pd.DataFrame(), "curve": pd.DataFrame(), "measure": measure}
    whole = figures[[*measures.SUM_COLUMNS, *uncertainty.cluster_sum_columns()]].astype(float).sum()
    n = whole["enrolments"]
    if measure == "persistent_absence_rate":
        target, scale = whole["persistent_absence_count"] / n, 1.0
    else:
        y, m = whole["absence_sessions"], whole["possible_sessions"]
        target = y / m
        over = uncertainty.dispersion(
            int(n), y, m, whole["overall_absence_yy"], whole["mm"], whole["overall_absence_ym"]
        )
        scale = over / (m / n)  # per pupil: each carries m / n possible sessions
    names = _schools(con, f).set_index("school_id")["name"]
    units = pd.DataFrame(
        {
            "school_id": figures["school_id"],
            "name": figures["school_id"].map(names),
            "enrolments": figures["enrolments"],
            "size": figures["enrolments"].astype(float),
            "events": figures[measure].astype(float) / 100 * figures["enrolments"],
        }
    )
    units, curve = uncertainty.funnel(units, target=target, scale=scale)
    units["rate"] = figures[measure].astype(float)
    verdict = np.select(
        [units["beyond_99_8"], units["beyond_95"]],
        [
            np.where(units["rate"] > 100 * units["high_99_8"], "higher", "lower"),
            np.where(units["rate"] > 100 * units["high_95"], "higher (95%)", "lower (95%)"),
        ],
        "within",
    )
    points = units[["school_id", "name", "enrolments", "rate"]].assign(
        **{ours: 100 * units[theirs] for theirs, ours in _LIMIT_COLUMNS.items()}, verdict=verdict
    )
    curve = pd.DataFrame(
        {"enrolments": curve["size"], **{ours: 100 * curve[theirs] for theirs, ours in _LIMIT_COLUMNS.items()}}
    )
    return {"trust_rate": 100 * target, "points": points, "curve": curve, "measure": measure}

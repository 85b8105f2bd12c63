"""The one definition of the DfE measures.

Every figure in the dashboard is built on ``marks_sql`` (each session mark
with its category from the code table, kept only inside the pupil's own
enrolment) and ``enrolment_totals_sql`` (each enrolment's sessions). Nothing
else in the project says which codes count as what.

DfE methodology (../shared/domain/METHODOLOGY.md):
- possible sessions: codes whose ``counts_as_possible_session`` is true;
- attendance: present, late before registers closed, approved educational activity;
- authorised / unauthorised absence by category; overall absence = both;
- rates are sessions / possible sessions x 100, per enrolment;
- persistent absence: an enrolment missing 10% or more of its possible sessions;
- severe absence: 50% or more. Missing marks are not possible sessions.
"""

from __future__ import annotations

from fractions import Fraction

import duckdb
import pandas as pd

from analytics import uncertainty
from analytics.filters import GROUP_COLUMNS, Filter

PERSISTENT_ABSENCE = 0.10  # DfE: 10% or more of possible sessions missed
SEVERE_ABSENCE = 0.50  # DfE: 50% or more of possible sessions missed
AT_RISK_ATTENDANCE = 95.0  # common school practice: 90-95% attendance is "at risk"
PERSISTENT_LINE = 100 * (1 - PERSISTENT_ABSENCE)  # attendance below 90% = persistent absence
PENALTY_SESSIONS = 10  # national threshold: 10 unauthorised sessions ...
PENALTY_WEEKS = 10  # ... within a rolling period of 10 school weeks (from August 2024)
SESSIONS_PER_DAY = 2  # AM and PM registers: a school day is two possible sessions


def rate_sql(sessions: str, possible: str) -> str:
    """A rate as a percentage of possible sessions (NULL where there are none): the one way rates are written."""
    return f"100.0 * {sessions} / nullif({possible}, 0)"


def flag_rate_sql(flag: str, possible: str = "possible") -> str:
    """The rate of marks with ``flag`` (a condition over ``marks_sql`` columns) among the possible ones, grouped."""
    return rate_sql(f"count(*) FILTER (WHERE {flag})", f"count(*) FILTER (WHERE {possible})")


def share_reached_sql(absence: str, possible: str, share: float) -> str:
    """``absence`` is at least ``share`` of ``possible``, compared exactly in integers (0.1 x 30 is not 3.0000...4)."""
    exact = Fraction(str(share))
    return f"({possible} > 0 AND {absence} * {exact.denominator} >= {possible} * {exact.numerator})"


def persistent_sql(absence: str = "absence_sessions", possible: str = "possible_sessions") -> str:
    """The enrolment is persistently absent: missing ``PERSISTENT_ABSENCE`` or more of its possible sessions."""
    return share_reached_sql(absence, possible, PERSISTENT_ABSENCE)


def severe_sql(absence: str = "absence_sessions", possible: str = "possible_sessions") -> str:
    """The enrolment is severely absent: missing ``SEVERE_ABSENCE`` or more of its possible sessions."""
    return share_reached_sql(absence, possible, SEVERE_ABSENCE)


# Marks counted by what they were: each count's name, and its flag among ``marks_sql``'s columns.
SESSION_COUNTS = {
    "possible_sessions": "possible",
    "attendance_sessions": "attended",
    "authorised_sessions": "authorised",
    "unauthorised_sessions": "unauthorised",
    "absence_sessions": "absent",
    "present_sessions": "present",
    "approved_sessions": "approved",
    "late_before_close": "late_l",
    "late_after_close": "late_u",
    "missing_sessions": "missing",
}


def session_counts_sql(*names: str) -> str:
    """``count(*) FILTER (WHERE flag) AS name`` for each named count of ``SESSION_COUNTS`` (all of them by default)."""
    return ",\n".join(f"count(*) FILTER (WHERE {SESSION_COUNTS[n]}) AS {n}" for n in names or SESSION_COUNTS)


MEASURE_KEYS = (
    "enrolments",
    "possible_sessions",
    "attendance_sessions",
    "authorised_sessions",
    "unauthorised_sessions",
    "attendance_rate",
    "overall_absence_rate",
    "authorised_absence_rate",
    "unauthorised_absence_rate",
    "persistent_absence_count",
    "persistent_absence_rate",
    "severe_absence_count",
    "severe_absence_rate",
)


def _needs_pupils(f: Filter) -> bool:
    """Whether the filter itself tests a pupil column (gender, ethnicity)."""
    return bool(f.genders or f.ethnicities)


def _needs_enrolments(f: Filter) -> bool:
    """Whether the filter itself tests an enrolment column (year group, form, a pupil group)."""
    flags = (f.fsm, f.eal, f.cin, f.lac)
    return bool(f.year_groups or f.forms or f.sen or f.scope.year_groups or f.scope.forms) or any(
        v is not None for v in flags
    )


def marks_sql(
    f: Filter, table: str = "session_marks", pupils: bool = True, enrolments: bool = True
) -> tuple[str, list]:
    """A SELECT of every mark the filter covers, inside its pupil's enrolment.

    Columns: the mark (school_id, upn, academic_year, date, session, code, and
    for lesson marks period, period_number, subject, minutes_late), its
    ``enrolment_id``, and the flags derived from the code table: ``missing``,
    ``possible``, ``attended``, ``present``, ``approved``, ``authorised``,
    ``unauthorised``, ``absent``, ``late_l``, ``late_u``, ``category``; then
    the enrolment's characteristics (``year_group``, ``form``, ``fsm``,
    ``sen``, ``eal``, ``cin``, ``lac``) unless ``enrolments=False``, and the
    pupil's ``gender`` and ``ethnicity`` unless ``pupils=False``.

    The marks come from the on-roll registers (``data.on_roll``), which hold
    each stored mark between its enrolment's admission and leaving dates with
    those flags already looked up: the one place the code table and the
    enrolment window are applied.

    Leaving characteristics out saves a join over every mark when a caller
    counts per enrolment and adds them to the few enrolment rows afterwards;
    the joins still happen, without adding the columns, when the filter tests
    them.
    """
    where, params = f.where("m", "e", "p")
    source = {"session_marks": "on_roll_sessions", "lesson_marks": "on_roll_lessons"}[table]
    cols, joins = ["m.*"], []
    if enrolments or _needs_enrolments(f):
        joins.append("JOIN enrolments e ON e.enrolment_id = m.enrolment_id")
    if enrolments:
        cols.append("e.year_group, e.form, e.fsm, e.sen, e.eal, e.cin, e.lac")
    if pupils or _needs_pupils(f):
        # LEFT: an enrolment whose pupil row is missing still counts (gender/ethnicity unknown).
        joins.append("LEFT JOIN pupils p ON p.school_id = m.school_id AND p.upn = m.upn")
    if pupils:
        cols.append("p.gender, p.ethnicity")
    sql = f"""
        SELECT {", ".join(cols)}
        FROM {source} m
        {" ".join(joins)}
        WHERE {where}
    """
    return sql, params


def enrolment_totals_sql(f: Filter) -> tuple[str, list]:
    """One row per enrolment with its session counts over the filter's marks.

    Enrolments with no possible session in the period are kept (with zero
    possible sessions) so that callers can report them; measures ignore them.
    """
    # Marks are counted per enrolment first, grouped on the one integer enrolment id; the
    # enrolment's characteristics and the pupil's gender and ethnicity are joined to the (few)
    # enrolment rows afterwards rather than carried through the grouping of every mark.
    marks, params = marks_sql(f, pupils=False, enrolments=False)
    sql = f"""
        SELECT e.school_id, e.upn, e.academic_year, e.year_group, e.form, e.fsm, e.sen, e.eal, e.cin, e.lac,
               t.* EXCLUDE (enrolment_id), p.gender, p.ethnicity
        FROM (
        SELECT enrolment_id, {session_counts_sql()}
        FROM ({marks}) marks
        GROUP BY enrolment_id
        ) t
        JOIN enrolments e ON e.enrolment_id = t.enrolment_id
        LEFT JOIN pupils p ON p.school_id = e.school_id AND p.upn = e.upn
    """
    return sql, params


def _measures_select(group_expr: str | None) -> str:
    """Aggregate per-enrolment totals ``t`` into the DfE measures (optionally by a group)."""
    group_col = f'{group_expr} AS "group", ' if group_expr else ""
    counted = "count(*) FILTER (WHERE possible_sessions > 0)"
    return f"""
        SELECT {group_col}
               {counted}                                           AS enrolments,
               coalesce(sum(possible_sessions), 0)::BIGINT         AS possible_sessions,
               coalesce(sum(attendance_sessions), 0)::BIGINT       AS attendance_sessions,
               coalesce(sum(authorised_sessions), 0)::BIGINT       AS authorised_sessions,
               coalesce(sum(unauthorised_sessions), 0)::BIGINT     AS unauthorised_sessions,
               coalesce(sum(missing_sessions), 0)::BIGINT          AS missing_sessions,
               {rate_sql("sum(attendance_sessions)", "sum(possible_sessions)")}   AS attendance_rate,
               {rate_sql("sum(absence_sessions)", "sum(possible_sessions)")}      AS overall_absence_rate,
               {rate_sql("sum(authorised_sessions)", "sum(possible_sessions)")}   AS authorised_absence_rate,
               {rate_sql("sum(unauthorised_sessions)", "sum(possible_sessions)")} AS unauthorised_absence_rate,
               count(*) FILTER (WHERE {persistent_sql()})          AS persistent_absence_count,
               {rate_sql(f"count(*) FILTER (WHERE {persistent_sql()})", counted)} AS persistent_absence_rate,
               count(*) FILTER (WHERE {severe_sql()})              AS severe_absence_count,
               {rate_sql(f"count(*) FILTER (WHERE {severe_sql()})", counted)}     AS severe_absence_rate,
               count(DISTINCT upn) FILTER (WHERE possible_sessions > 0)           AS pupils
    """


# Additive sums over per-enrolment totals ``t``: a group's "rest" is the whole minus the group,
# so every breakdown gets both from one scan. Rates come from ``rates_sql``.
ENROLMENT_SUMS_SQL = f"""
    count(*) FILTER (WHERE possible_sessions > 0)                  AS enrolments,
    coalesce(sum(possible_sessions), 0)::BIGINT                    AS possible_sessions,
    coalesce(sum(attendance_sessions), 0)::BIGINT                  AS attendance_sessions,
    coalesce(sum(authorised_sessions), 0)::BIGINT                  AS authorised_sessions,
    coalesce(sum(unauthorised_sessions), 0)::BIGINT                AS unauthorised_sessions,
    coalesce(sum(absence_sessions), 0)::BIGINT                     AS absence_sessions,
    coalesce(sum(missing_sessions), 0)::BIGINT                     AS missing_sessions,
    count(*) FILTER (WHERE {persistent_sql()})                     AS persistent_absence_count,
    count(*) FILTER (WHERE {severe_sql()})                         AS severe_absence_count
"""
# The DfE rates ``rates_sql`` gives, in the order a review reads them.
RATE_COLUMNS = (
    "attendance_rate",
    "overall_absence_rate",
    "authorised_absence_rate",
    "unauthorised_absence_rate",
    "persistent_absence_rate",
    "severe_absence_rate",
)
SUM_COLUMNS = (
    "enrolments",
    "possible_sessions",
    "attendance_sessions",
    "authorised_sessions",
    "unauthorised_sessions",
    "absence_sessions",
    "missing_sessions",
    "persistent_absence_count",
    "severe_absence_count",
)


def rates_sql(prefix: str = "", out_prefix: str = "") -> str:
    """The DfE rates from ``ENROLMENT_SUMS_SQL`` columns (named ``{prefix}possible_sessions`` ...)."""
    p, o = prefix, out_prefix
    return f"""
        {rate_sql(f"{p}attendance_sessions", f"{p}possible_sessions")}   AS {o}attendance_rate,
        {rate_sql(f"{p}absence_sessions", f"{p}possible_sessions")}      AS {o}overall_absence_rate,
        {rate_sql(f"{p}authorised_sessions", f"{p}possible_sessions")}   AS {o}authorised_absence_rate,
        {rate_sql(f"{p}unauthorised_sessions", f"{p}possible_sessions")} AS {o}unauthorised_absence_rate,
        {rate_sql(f"{p}persistent_absence_count", f"{p}enrolments")}     AS {o}persistent_absence_rate,
        {rate_sql(f"{p}severe_absence_count", f"{p}enrolments")}         AS {o}severe_absence_rate
    """


def summary(con: duckdb.DuckDBPyConnection, f: Filter) -> dict:
    """The headline measures for everything the filter covers, as one dict.

    Keys: ``MEASURE_KEYS`` plus ``missing_sessions`` and ``pupils``. Rates are
    percentages (0-100), None where there are no possible sessions.
    """
    totals, params = enrolment_totals_sql(f)
    cur = con.execute(f"{_measures_select(None)} FROM ({totals}) t", params)
    row = cur.fetchone()
    return _clean(dict(zip([d[0] for d in cur.description], row, strict=True)))


def _summary_by_rows(con: duckdb.DuckDBPyConnection, f: Filter, by: str) -> tuple[list[str], list[tuple]]:
    """The measures per group with each row's interval columns (``uncertainty.INTERVAL_COLUMNS``)."""
    if by not in GROUP_COLUMNS:
        raise ValueError(f"unknown group {by!r}: choose from {', '.join(GROUP_COLUMNS)}")
    totals, params = enrolment_totals_sql(f)
    # The extra sums (absence sessions, squares and products per enrolment) give each group's
    # interval and its gap to the rest (the whole minus the group) without another scan.
    cur = con.execute(
        f"""
        {_measures_select("t." + by)},
               coalesce(sum(absence_sessions) FILTER (WHERE possible_sessions > 0), 0)::BIGINT AS absence_sessions,
               {uncertainty.cluster_sums_sql()}
        FROM ({totals}) t
        GROUP BY t.{by}
        HAVING count(*) FILTER (WHERE possible_sessions > 0) > 0
        ORDER BY t.{by} NULLS LAST
        """,
        params,
    )
    names = [d[0] for d in cur.description]
    rows = uncertainty.with_intervals([_clean(dict(zip(names, row, strict=True))) for row in cur.fetchall()])
    helpers = {"absence_sessions", *uncertainty.cluster_sum_columns()}
    columns = [n for n in names if n not in helpers] + list(uncertainty.INTERVAL_COLUMNS)
    return columns, [tuple(r[c] for c in columns) for r in rows]


def summary_by(con: duckdb.DuckDBPyConnection, f: Filter, by: str) -> pd.DataFrame:
    """The measures for each value of a pupil group (``by`` in GROUP_COLUMNS), one row each.

    The ``group`` column holds the value (True/False for yes/no groups, 'E'/'K'/'N'
    for SEN, the year number, the form and gender as imported; None where unknown).
    Only groups with at least one enrolment in the period appear. Each row also
    carries its 95% intervals and whether it differs from the rest of the pupils
    beyond chance (``uncertainty.INTERVAL_COLUMNS``: ``overall_absence_rate_low``,
    ``overall_absence_rate_high``, ``beyond_chance`` ...), pupils being the unit.
    """
    columns, rows = _summary_by_rows(con, f, by)
    df = pd.DataFrame(rows, columns=columns)
    for c in ("beyond_chance", "persistent_absence_beyond_chance"):
        df[c] = df[c].astype(object)
    return df


def summary_by_records(con: duckdb.DuckDBPyConnection, f: Filter, by: str) -> list[dict]:
    """``summary_by`` as plain Python dicts with the group value in its own type (bool, int, str).

    Read straight from the cursor rather than through pandas, so a year group
    stays an ``int`` and a yes/no group a ``bool`` even when some are unknown.
    """
    columns, rows = _summary_by_rows(con, f, by)
    return [dict(zip(columns, row, strict=True)) for row in rows]


def enrolment_rates_sql(f: Filter) -> tuple[str, list]:
    """Each enrolment with possible sessions in the filter: its totals, its rates and its PA / SA flags.

    Adds ``attendance_rate``, ``absence_rate``, ``authorised_rate``,
    ``unauthorised_rate``, ``persistent`` and ``severe`` to
    ``enrolment_totals_sql``: the rows behind every list of pupils.
    """
    totals, params = enrolment_totals_sql(f)
    sql = f"""
        SELECT t.*,
               {rate_sql("attendance_sessions", "possible_sessions")}   AS attendance_rate,
               {rate_sql("absence_sessions", "possible_sessions")}      AS absence_rate,
               {rate_sql("authorised_sessions", "possible_sessions")}   AS authorised_rate,
               {rate_sql("unauthorised_sessions", "possible_sessions")} AS unauthorised_rate,
               {persistent_sql()} AS persistent,
               {severe_sql()}     AS severe
        FROM ({totals}) t
        WHERE possible_sessions > 0
    """
    return sql, params


def enrolment_measures(con: duckdb.DuckDBPyConnection, f: Filter) -> pd.DataFrame:
    """Per-enrolment sessions and rates: the rows behind every list of pupils.

    Adds ``attendance_rate``, ``absence_rate``, ``authorised_rate``,
    ``unauthorised_rate``, ``persistent`` and ``severe`` to the totals.
    Names are not included: pages that may show them join ``pupils`` for it.
    """
    sql, params = enrolment_rates_sql(f)
    return con.execute(f"SELECT * FROM ({sql}) x ORDER BY absence_rate DESC, upn", params).df()


def measures_record(row: dict) -> dict:
    """Exactly the contract keys of one measures row (for the command line and exports)."""
    return {k: row.get(k) for k in MEASURE_KEYS}


def _clean(d: dict) -> dict:
    """numpy / pandas scalars to plain Python, NaN to None."""
    out = {}
    for k, v in d.items():
        if v is None or (isinstance(v, float) and v != v):
            out[k] = None
        elif hasattr(v, "item"):
            item = v.item()
            out[k] = None if isinstance(item, float) and item != item else item
        else:
            out[k] = v
    return out


def records(df: pd.DataFrame) -> list[dict]:
    """A frame of measures rows as plain dicts (None for missing values)."""
    return [_clean(r) for r in df.astype(object).to_dict("records")]

"""Pupil groups: each group against the rest of the school and the national figure.

Every figure comes from ``measures.enrolment_totals_sql`` (one row per
enrolment, the one definition of the measures); this module only groups those
rows. A group's "rest" is everyone the filter covers who is not in the group,
computed as the whole minus the group (sessions and enrolments are additive),
so a breakdown is one scan of the register.

Small groups are suppressed as published statistics are: when a group, or the
rest it is compared with, has fewer than ``min_size`` pupils, its row keeps the
label but every figure is None, with the reason in ``suppression_reason``. And
where that leaves a single hidden row among values that add up to a total shown
elsewhere, the next smallest is hidden too (secondary suppression), so the
hidden figures cannot be worked out by subtraction.
Within one school and year an enrolment is a pupil; across years a pupil
counts once per year, as the DfE counts enrolments.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from analytics import measures, national, uncertainty
from analytics.filters import (
    FLAG_GROUPS,
    GROUP_COLUMNS,
    GROUP_LABELS,
    SEN_LABELS,
    Filter,
    require_pupil_level,
    year_group_label,
)

MIN_GROUP_SIZE = 5  # as DfE statistics: figures for fewer than 5 pupils are not shown
MIN_COUNT = 3  # as DfE statistics: a count of 1 or 2 is not published, nor a rate built on one
FREQUENCIES = ("half_term", "month", "week")
DEFAULT_CHANGE_GROUPS = ("fsm", "sen", "eal", "cin", "lac", "year_group", "form", "gender")

_RATES = (
    "attendance_rate",
    "overall_absence_rate",
    "authorised_absence_rate",
    "unauthorised_absence_rate",
    "persistent_absence_rate",
    "severe_absence_rate",
)
_FLAG_LABELS = {
    "fsm": ("FSM", "Not FSM"),
    "eal": ("EAL", "Not EAL"),
    "cin": ("Child in need", "Not a child in need"),
    "lac": ("Looked after", "Not looked after"),
}
_GENDER_LABELS = {"F": "Female", "M": "Male"}
ETHNICITY_CODES = Path(__file__).resolve().parent.parent / "data" / "reference" / "ethnicity_codes.csv"


@cache
def ethnicity_names() -> dict[str, str]:
    """The DfE census ethnicity codes and their names ('WBRI' -> 'White - British'), from data/reference."""
    with ETHNICITY_CODES.open(encoding="utf-8", newline="") as fh:
        return {row["code"].strip().upper(): row["name"].strip() for row in csv.DictReader(fh)}


def _check(by: str) -> str:
    if by not in GROUP_COLUMNS:
        raise ValueError(f"unknown group {by!r}: choose from {', '.join(GROUP_COLUMNS)}")
    return by


def group_label(by: str, value) -> str:
    """How a group value reads on a page: True -> 'FSM', 'K' -> 'SEN support', 9 -> 'Year 9'."""
    if value is None:
        return "Unknown"
    if by in _FLAG_LABELS:
        return _FLAG_LABELS[by][0 if value else 1]
    if by == "sen":
        return SEN_LABELS.get(value, str(value))
    if by == "year_group":
        return year_group_label(int(value))
    if by == "gender":
        return _GENDER_LABELS.get(value, str(value))
    if by == "ethnicity":
        return ethnicity_names().get(str(value).strip().upper(), str(value))
    return str(value)


def _typed(by: str, text: str | None):
    """A group value read back from VARCHAR into its own type (bool, int or str)."""
    if text is None:
        return None
    if by in FLAG_GROUPS:
        return text == "true"
    if by == "year_group":
        return int(text)
    return text


def _sort_key(value):
    # Unknown last; otherwise natural order of the typed value.
    return (value is None, value if value is not None else 0)


def _cells(con: duckdb.DuckDBPyConnection, f: Filter, groupings: list[tuple[str, ...]]) -> list[dict]:
    """Sums and rates for every value (combination) of each grouping, with the rest of the filter.

    One query: the enrolment totals are computed once, then unrolled into one
    row per (grouping, value) so several breakdowns cost a single scan.
    """
    totals, params = measures.enrolment_totals_sql(f)
    width = max(len(g) for g in groupings)
    selects = []
    for g in groupings:
        # ``g`` holds names checked against GROUP_COLUMNS, never user text.
        values = [f"CAST(t.{b} AS VARCHAR) AS v{i}" for i, b in enumerate(g)]
        values += [f"NULL::VARCHAR AS v{i}" for i in range(len(g), width)]
        selects.append(f"SELECT '{'|'.join(g)}' AS grouping, {', '.join(values)}, t.* FROM t")
    value_cols = ", ".join(f"v{i}" for i in range(width))
    sums = [*measures.SUM_COLUMNS, *uncertainty.cluster_sum_columns()]
    rest = ", ".join(f"a.{c} - g.{c} AS rest_{c}" for c in sums)
    # The squares and products per enrolment beside the sums give every interval from the same scan.
    all_sums = f"{measures.ENROLMENT_SUMS_SQL}, {uncertainty.cluster_sums_sql()}"
    sql = f"""
        WITH t AS MATERIALIZED ({totals}),
        long AS ({" UNION ALL ".join(selects)}),
        g AS (SELECT grouping, {value_cols}, {all_sums} FROM long GROUP BY grouping, {value_cols}),
        a AS (SELECT {all_sums} FROM t),
        r AS (SELECT g.*, {rest} FROM g CROSS JOIN a WHERE g.enrolments > 0)
        SELECT r.*, {measures.rates_sql()}, {measures.rates_sql("rest_", "rest_")} FROM r
    """
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    out = []
    for row in cur.fetchall():
        d = measures._clean(dict(zip(names, row, strict=True)))
        bys = d.pop("grouping").split("|")
        d["values"] = tuple(_typed(b, d.pop(f"v{i}")) for i, b in enumerate(bys))
        for i in range(len(bys), width):
            d.pop(f"v{i}")
        d["bys"] = tuple(bys)
        out.append(d)
    return out


def _figure_columns() -> list[str]:
    own = [*measures.SUM_COLUMNS, *_RATES]
    return (
        own
        + [f"rest_{c}" for c in own]
        + ["overall_absence_gap", "persistent_absence_gap", "attendance_gap"]
        + list(uncertainty.INTERVAL_COLUMNS)
    )


def _split_sums(cell: dict) -> tuple[dict, dict]:
    """A cell's own sums and its rest's, each under the plain names ``uncertainty.intervals`` reads."""
    names = [*measures.SUM_COLUMNS, *uncertainty.cluster_sum_columns()]
    return {c: cell.get(c) for c in names}, {c: cell.get(f"rest_{c}") for c in names}


# Each rate, the count it is built on, and the figures that go with it when a small count hides it.
_NUMERATORS = {
    "overall_absence_rate": ("absence_sessions", ["overall_absence_gap", "attendance_rate", "attendance_gap"]),
    "authorised_absence_rate": ("authorised_sessions", []),
    "unauthorised_absence_rate": ("unauthorised_sessions", []),
    "persistent_absence_rate": ("persistent_absence_count", ["persistent_absence_gap"]),
    "severe_absence_rate": ("severe_absence_count", []),
}
_RATE_NAMES = {
    "overall_absence_rate": "absence",
    "authorised_absence_rate": "authorised absence",
    "unauthorised_absence_rate": "unauthorised absence",
    "persistent_absence_rate": "persistent absence",
    "severe_absence_rate": "severe absence",
}


def _blank_rate(row: dict, rate: str) -> None:
    """Blank one rate of a row: its count, the rest's, the gaps and intervals built on it."""
    count, linked = _NUMERATORS[rate]
    measure = rate.removesuffix("_rate")
    for c in [rate, count, f"rest_{rate}", f"rest_{count}", *linked, f"{measure}_rate_low", f"{measure}_rate_high"]:
        if c in row:
            row[c] = None
    if rate == "overall_absence_rate":
        for c in ("rest_attendance_rate", "overall_absence_gap_low", "overall_absence_gap_high", "beyond_chance"):
            row[c] = None
    if rate == "persistent_absence_rate":
        for c in ("persistent_absence_gap_low", "persistent_absence_gap_high", "persistent_absence_beyond_chance"):
            row[c] = None


def _small_count(value) -> bool:
    return value is not None and 0 < value < MIN_COUNT


def _hide_small_counts(row: dict) -> None:
    """For views without pupil-level access: no rate built on a count of 1 or 2 pupils or sessions.

    The group's figure and the rest's go together (either gives the other away
    against the whole-school figure shown elsewhere), with the reason.
    """
    reasons = []
    for rate, (count, _linked) in _NUMERATORS.items():
        if not (_small_count(row.get(count)) or _small_count(row.get(f"rest_{count}"))):
            continue
        _blank_rate(row, rate)
        reasons.append(_RATE_NAMES[rate])
    if reasons:
        note = (
            f"{', '.join(reasons)}: {MIN_COUNT - 2} or {MIN_COUNT - 1} pupils or sessions "
            "in this group or the rest, not shown"
        )
        row["suppression_reason"] = f"{row['suppression_reason']}; {note}" if row["suppression_reason"] else note


def _gap(a, b):
    return None if a is None or b is None else a - b


def _finish(cell: dict, min_size: int, pupil_level: bool = True) -> dict:
    """Add the gaps and intervals and apply suppression to one cell."""
    row = dict(cell)
    row.update(uncertainty.intervals(*_split_sums(row)))
    for c in uncertainty.cluster_sum_columns():
        row.pop(c, None)
        row.pop(f"rest_{c}", None)
    row["overall_absence_gap"] = _gap(row["overall_absence_rate"], row["rest_overall_absence_rate"])
    row["persistent_absence_gap"] = _gap(row["persistent_absence_rate"], row["rest_persistent_absence_rate"])
    row["attendance_gap"] = _gap(row["attendance_rate"], row["rest_attendance_rate"])
    small = row["enrolments"] < min_size or row["rest_enrolments"] < min_size
    row["suppressed"], row["suppression_reason"] = False, None
    if small:
        _hide(row, f"fewer than {min_size} pupils")
    elif not pupil_level:
        _hide_small_counts(row)
    return row


def _hide(row: dict, reason: str) -> None:
    row["suppressed"] = True
    row["suppression_reason"] = reason
    for c in _figure_columns():
        row[c] = None


SECONDARY_REASON = "hidden too, so that a smaller group's figures cannot be worked out from the others"
SECONDARY_COUNT_REASON = "hidden too, so that a count of 1 or 2 cannot be worked out from the others"


def _protect_counts(rows: list[dict], lines: list[list[int]]) -> None:
    """Secondary suppression of a rate hidden for its small count (``_hide_small_counts``), line by line.

    Where one row of a line has a rate hidden for a count of 1 or 2 and the
    others show theirs, that count would be the total less the others: the
    shown row with the smallest count has that rate hidden too.
    """
    for rate, (count, _linked) in _NUMERATORS.items():
        changed = True
        while changed:
            changed = False
            for line in lines:
                live = [i for i in line if not rows[i]["suppressed"]]
                hidden = [i for i in live if rows[i][rate] is None]
                shown = [i for i in live if rows[i][rate] is not None]
                if len(hidden) == 1 and shown:
                    row = rows[min(shown, key=lambda i: (rows[i][count] or 0, i))]
                    _blank_rate(row, rate)
                    note = f"{_RATE_NAMES[rate]}: {SECONDARY_COUNT_REASON}"
                    row["suppression_reason"] = (
                        f"{row['suppression_reason']}; {note}" if row["suppression_reason"] else note
                    )
                    changed = True


def _protect(rows: list[dict], lines: list[list[int]]) -> None:
    """Secondary suppression, as published statistics do it.

    A line is a set of rows that add up to a total shown elsewhere (every value
    of a breakdown; each row and column of a grid). Where a line has exactly one
    hidden row, its figures would be the total minus the others, so the smallest
    shown row of the line is hidden too; repeated until no line has exactly one.
    """
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [i for i in line if rows[i]["suppressed"]]
            shown = [i for i in line if not rows[i]["suppressed"]]
            if len(hidden) == 1 and shown:
                _hide(rows[min(shown, key=lambda i: (rows[i]["enrolments"], i))], SECONDARY_REASON)
                changed = True


def _frame(rows: list[dict], leading: list[str]) -> pd.DataFrame:
    columns = [*leading, *_figure_columns()]
    extra = [c for c in (rows[0] if rows else {}) if c not in columns]
    # object dtype so a suppressed figure is None, not NaN, in every export.
    return pd.DataFrame(rows, columns=[*columns, *extra], dtype=object)


def group_breakdown(con: duckdb.DuckDBPyConnection, f: Filter, by: str, min_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """Each value of one pupil group with its measures, the rest of the school's, the gap and the national figure.

    Columns: ``by``, ``group`` (the value: True/False, 'E'/'K'/'N', year number,
    form, gender, ethnicity; None = unknown), ``label``; the sums and rates of
    ``measures`` (``enrolments``, ``possible_sessions`` ... ``severe_absence_rate``);
    the same prefixed ``rest_``; ``overall_absence_gap``, ``persistent_absence_gap``
    and ``attendance_gap`` (group minus rest, percentage points); the national
    comparator ``national_overall_absence_rate``, ``national_persistent_absence_rate``,
    and the group's gap to it ``national_overall_absence_gap``, ``national_persistent_absence_gap``
    (points), ``national_period``, ``national_source`` or ``national_note`` where none exists;
    ``suppressed`` and ``suppression_reason``; the 95% intervals and whether the
    group differs from the rest beyond chance (``uncertainty.INTERVAL_COLUMNS``:
    ``overall_absence_rate_low`` / ``_high`` ... ``beyond_chance``), pupils as the unit.

    Without pupil-level access (governors) a rate whose count is 1 or 2 pupils
    or sessions is not shown either, with the reason, and nor is the one that
    would give it away by subtraction.
    """
    _check(by)
    cells = sorted(_cells(con, f, [(by,)]), key=lambda c: _sort_key(c["values"][0]))
    rows = []
    for cell in cells:
        value = cell["values"][0]
        row = {"by": by, "group": value, "label": group_label(by, value)}
        row.update({k: v for k, v in cell.items() if k not in ("values", "bys")})
        rows.append(_finish(row, min_size, f.scope.pupil_level))
    _protect(rows, [list(range(len(rows)))])
    if not f.scope.pupil_level:
        _protect_counts(rows, [list(range(len(rows)))])
    for row in rows:
        value = row["group"]
        nat = national.national_by_characteristic(by, value) if value is not None else None
        shown = nat is not None and not row["suppressed"]
        row["national_overall_absence_rate"] = nat["overall_absence_rate"] if shown else None
        row["national_persistent_absence_rate"] = nat["persistent_absence_rate"] if shown else None
        row["national_overall_absence_gap"] = _gap(row["overall_absence_rate"], row["national_overall_absence_rate"])
        row["national_persistent_absence_gap"] = _gap(
            row["persistent_absence_rate"], row["national_persistent_absence_rate"]
        )
        row["national_period"] = nat["period"] if nat else None
        row["national_source"] = nat["source"] if nat else None
        row["national_note"] = None if nat else national.no_national_figure(by)
    return _frame(rows, ["by", "group", "label"])


def intersection_breakdown(
    con: duckdb.DuckDBPyConnection, f: Filter, by_a: str, by_b: str, min_size: int = MIN_GROUP_SIZE
) -> pd.DataFrame:
    """Each combination of two groups (e.g. FSM x SEN) against everyone else the filter covers.

    Columns: ``by_a``, ``group_a``, ``label_a``, ``by_b``, ``group_b``, ``label_b``,
    ``label`` ('FSM, SEN support'), then the figures as in ``group_breakdown``
    (without the national comparator, which is not published for combinations).
    """
    _check(by_a)
    _check(by_b)
    if by_a == by_b:
        raise ValueError("choose two different groups to intersect")
    cells = sorted(_cells(con, f, [(by_a, by_b)]), key=lambda c: (_sort_key(c["values"][0]), _sort_key(c["values"][1])))
    rows = []
    for cell in cells:
        a, b = cell["values"]
        row = {
            "by_a": by_a,
            "group_a": a,
            "label_a": group_label(by_a, a),
            "by_b": by_b,
            "group_b": b,
            "label_b": group_label(by_b, b),
            "label": f"{group_label(by_a, a)}, {group_label(by_b, b)}",
        }
        row.update({k: v for k, v in cell.items() if k not in ("values", "bys")})
        rows.append(_finish(row, min_size, f.scope.pupil_level))
    # Each row and column of the grid adds up to a group shown in its own breakdown, and the grid to the whole.
    lines = [list(range(len(rows)))]
    for key in ("group_a", "group_b"):
        by_value: dict = {}
        for i, row in enumerate(rows):
            by_value.setdefault(row[key], []).append(i)
        lines += list(by_value.values())
    _protect(rows, lines)
    if not f.scope.pupil_level:
        _protect_counts(rows, lines)
    return _frame(rows, ["by_a", "group_a", "label_a", "by_b", "group_b", "label_b", "label"])


def _period_sql(freq: str) -> tuple[str, str, list[str], str, str]:
    """(join, per-mark period columns, their names, grouping over them, label) for a trend frequency.

    Periods are grouped by plain dates and term names; the label string is built
    only on the few result rows (building it per mark dominated the query).
    """
    if freq in ("week", "month"):
        fmt = "%Y-%m-%d" if freq == "week" else "%Y-%m"
        return (
            "",
            f"date_trunc('{freq}', m.date)::DATE AS period_start",
            [],
            "period_start",
            (f"strftime(period_start, '{fmt}')"),
        )
    # Each half-term expanded to its days: an equality join, far cheaper than a range test per mark.
    join = """
        JOIN (SELECT school_id, academic_year, term, half_term, start_date,
                     unnest(generate_series(start_date, end_date, INTERVAL 1 DAY))::DATE AS day
              FROM calendar) cal
          ON cal.school_id = m.school_id AND cal.academic_year = m.academic_year AND cal.day = m.date
    """
    label = "academic_year::VARCHAR || ' ' || upper(term[1]) || term[2:] || ' ' || half_term"
    cols = "cal.term, cal.half_term, cal.start_date AS period_start"
    return join, cols, ["term", "half_term"], "academic_year, term, half_term", label


def group_gap_trend(
    con: duckdb.DuckDBPyConnection,
    f: Filter,
    by: str,
    value,
    freq: str = "half_term",
    min_size: int = MIN_GROUP_SIZE,
) -> pd.DataFrame:
    """Overall absence of one group against the rest, period by period, and the gap between them.

    ``freq``: 'half_term' (from the school calendar; marks outside it are left
    out), 'month' or 'week' (weeks start on Monday). Columns: ``period``,
    ``period_start``, ``group_pupils``, ``group_possible_sessions``,
    ``group_overall_absence_rate``, ``rest_pupils``, ``rest_possible_sessions``,
    ``rest_overall_absence_rate``, ``group_persistent_absence_rate``,
    ``rest_persistent_absence_rate``, ``overall_absence_gap``,
    ``persistent_absence_gap`` (points), ``suppressed``, ``suppression_reason``.
    Absence rates are over the period's sessions; persistent absence, which
    the DfE judges only year to date, is each enrolment's year to date at the
    end of the period.
    Pupils are counted as enrolments with a possible session in the period.
    """
    column = _check(by)  # a checked name: the marks carry each group as its own column
    if freq not in FREQUENCIES:
        raise ValueError(f"unknown frequency {freq!r}: choose from {', '.join(FREQUENCIES)}")
    marks, params = measures.marks_sql(f, pupils=by in ("gender", "ethnicity"))
    join, period_cols, period_names, period_group, label = _period_sql(freq)
    keys = ", ".join(["m.school_id", "m.upn", "m.academic_year", *[f"cal.{n}" for n in period_names], "period_start"])
    # Counted per enrolment and period first, so pupils are counted without a DISTINCT over every mark.
    # Persistent absence is the DfE's year-to-date measure: each enrolment's sessions summed from the
    # start of the year to the end of each period, judged against 10% there.
    sql = f"""
        WITH per AS (
            SELECT m.school_id, m.upn, m.academic_year, {period_cols},
                   any_value(m.{column} IS NOT DISTINCT FROM ?) AS in_group,
                   count_if(m.possible) AS possible_sessions,
                   count_if(m.absent)   AS absence_sessions
            FROM ({marks}) m
            {join}
            GROUP BY {keys}
        ),
        cum AS (
            SELECT *,
                   sum(possible_sessions) OVER w AS ytd_possible,
                   sum(absence_sessions) OVER w AS ytd_absence
            FROM per
            WINDOW w AS (PARTITION BY school_id, upn, academic_year ORDER BY period_start
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ),
        x AS (
            SELECT {label} AS period, min(period_start) AS period_start,
                   count(*) FILTER (WHERE in_group AND possible_sessions > 0)     AS group_pupils,
                   coalesce(sum(possible_sessions) FILTER (WHERE in_group), 0)   AS group_possible_sessions,
                   coalesce(sum(absence_sessions) FILTER (WHERE in_group), 0)    AS group_absence_sessions,
                   count(*) FILTER (WHERE NOT in_group AND possible_sessions > 0) AS rest_pupils,
                   coalesce(sum(possible_sessions) FILTER (WHERE NOT in_group), 0) AS rest_possible_sessions,
                   coalesce(sum(absence_sessions) FILTER (WHERE NOT in_group), 0)  AS rest_absence_sessions,
                   count(*) FILTER (WHERE in_group AND ytd_possible > 0)          AS group_ytd_pupils,
                   count(*) FILTER (WHERE in_group AND ytd_possible > 0
                                    AND ytd_absence * 10 >= ytd_possible)         AS group_persistent_count,
                   count(*) FILTER (WHERE NOT in_group AND ytd_possible > 0)      AS rest_ytd_pupils,
                   count(*) FILTER (WHERE NOT in_group AND ytd_possible > 0
                                    AND ytd_absence * 10 >= ytd_possible)         AS rest_persistent_count
            FROM cum GROUP BY {period_group}
        )
        SELECT period, period_start, group_pupils, group_possible_sessions::BIGINT AS group_possible_sessions,
               100.0 * group_absence_sessions / nullif(group_possible_sessions, 0) AS group_overall_absence_rate,
               rest_pupils, rest_possible_sessions::BIGINT AS rest_possible_sessions,
               100.0 * rest_absence_sessions / nullif(rest_possible_sessions, 0)   AS rest_overall_absence_rate,
               100.0 * group_persistent_count / nullif(group_ytd_pupils, 0)       AS group_persistent_absence_rate,
               100.0 * rest_persistent_count / nullif(rest_ytd_pupils, 0)         AS rest_persistent_absence_rate,
               group_absence_sessions, group_persistent_count
        FROM x ORDER BY period_start, period
    """
    cur = con.execute(sql, [value, *params])
    names = [d[0] for d in cur.description]
    rows = []
    for raw in cur.fetchall():
        row = measures._clean(dict(zip(names, raw, strict=True)))
        absence, persistent = row.pop("group_absence_sessions"), row.pop("group_persistent_count")
        row["overall_absence_gap"] = _gap(row["group_overall_absence_rate"], row["rest_overall_absence_rate"])
        row["persistent_absence_gap"] = _gap(row["group_persistent_absence_rate"], row["rest_persistent_absence_rate"])
        small = row["group_pupils"] < min_size or row["rest_pupils"] < min_size
        row["suppressed"] = small
        row["suppression_reason"] = f"fewer than {min_size} pupils" if small else None
        if small:
            for c in [*names[2:-2], "overall_absence_gap", "persistent_absence_gap"]:
                row[c] = None
        elif not f.scope.pupil_level:
            # As in group_breakdown: no rate built on 1 or 2 sessions or pupils for a governor.
            for count, cols in (
                (absence, ("group_overall_absence_rate", "rest_overall_absence_rate", "overall_absence_gap")),
                (
                    persistent,
                    ("group_persistent_absence_rate", "rest_persistent_absence_rate", "persistent_absence_gap"),
                ),
            ):
                if _small_count(count):
                    for c in cols:
                        row[c] = None
                    row["suppression_reason"] = f"{MIN_COUNT - 2} or {MIN_COUNT - 1} pupils or sessions, not shown"
        rows.append(row)
    columns = [*names[:-2], "overall_absence_gap", "persistent_absence_gap", "suppressed", "suppression_reason"]
    return pd.DataFrame(rows, columns=columns, dtype=object)


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
    change has a 95% interval with pupils as the unit (``uncertainty.change``)
    and ``beyond_chance`` when that interval leaves out zero. Up to ``top``
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
            row[f"{m}_change"], row[f"{m}_change_low"], row[f"{m}_change_high"] = uncertainty.change(cur, prev, m)
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
    persistent = "(CASE WHEN {t}.absence_sessions * 10 >= {t}.possible_sessions THEN 1 ELSE 0 END)"
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
               100.0 * n.absence_sessions / n.possible_sessions AS absence_rate,
               b.possible_sessions::BIGINT AS previous_possible_sessions,
               b.absence_sessions::BIGINT AS previous_absence_sessions,
               100.0 * b.absence_sessions / b.possible_sessions AS previous_absence_rate,
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


FUNNEL_BY = ("form", "year_group")
FUNNEL_MEASURES = ("overall_absence", "persistent_absence")


def unit_funnel(
    con: duckdb.DuckDBPyConnection,
    f: Filter,
    by: str = "form",
    measure: str = "overall_absence",
    min_size: int = MIN_GROUP_SIZE,
) -> dict:
    """A funnel plot of one kind of unit (forms, year groups): each unit's rate against its size.

    Overall absence is out of possible sessions, with limits widened by the
    over-dispersion between pupils (``uncertainty.dispersion``); persistent
    absence is out of pupils (binomial). Limits (95% and 99.8%) sit around the
    rate of everyone the filter covers. Units with fewer than ``min_size``
    pupils are left out (and, without pupil-level access, a persistent absence
    count of 1 or 2). Returns a dict: ``units`` (``by``, ``group``, ``label``,
    ``enrolments``, ``size``, ``events``, ``rate``, ``low_95``, ``high_95``,
    ``low_99_8``, ``high_99_8`` as percentages, ``beyond_95``, ``beyond_99_8``,
    ``position``: 'high', 'low' or 'within' the 99.8% limits), ``curve`` (the
    limits over a range of sizes), ``target`` (%), ``scale`` (the
    over-dispersion), ``size_name`` ('possible sessions' or 'pupils').
    """
    _check(by)
    if measure not in FUNNEL_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(FUNNEL_MEASURES)}")
    cells = _cells(con, f, [(by,)])
    empty = {"units": pd.DataFrame(), "curve": pd.DataFrame(), "target": None, "scale": None, "size_name": None}
    if not cells:
        return empty
    whole = {c: (cells[0].get(c) or 0) + (cells[0].get(f"rest_{c}") or 0) for c in _split_sums(cells[0])[0]}
    if measure == "overall_absence":
        size_col, events_col, size_name = "possible_sessions", "absence_sessions", "possible sessions"
        scale = uncertainty.dispersion(
            whole["enrolments"],
            whole["absence_sessions"],
            whole["possible_sessions"],
            whole["overall_absence_yy"],
            whole["mm"],
            whole["overall_absence_ym"],
        )
    else:
        size_col, events_col, size_name, scale = "enrolments", "persistent_absence_count", "pupils", 1.0
    target = whole[events_col] / whole[size_col] if whole[size_col] else None
    if target is None:
        return empty
    rows = []
    for cell in sorted(cells, key=lambda c: _sort_key(c["values"][0])):
        if cell["enrolments"] < min_size:
            continue
        if not f.scope.pupil_level and _small_count(cell[events_col]):
            continue
        value = cell["values"][0]
        rows.append(
            {
                "by": by,
                "group": value,
                "label": group_label(by, value),
                "enrolments": cell["enrolments"],
                "size": cell[size_col],
                "events": cell[events_col],
            }
        )
    if not rows:
        return empty
    units, curve = uncertainty.funnel(pd.DataFrame(rows), target=target, scale=scale)
    pct = ["rate", "target", *[c for c in units.columns if c.startswith(("low_", "high_"))]]
    units[pct] = units[pct] * 100
    curve[[c for c in curve.columns if c != "size"]] = curve[[c for c in curve.columns if c != "size"]] * 100
    return {"units": units, "curve": curve, "target": 100 * target, "scale": scale, "size_name": size_name}

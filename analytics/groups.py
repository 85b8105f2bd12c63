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
from analytics.filters import FLAG_GROUPS, GROUP_COLUMNS, GROUP_LABELS, SEN_LABELS, Filter, year_group_label

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
        note = f"{', '.join(reasons)}: {MIN_COUNT - 2} or {MIN_COUNT - 1} pupils or sessions, not shown"
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
    ``rest_overall_absence_rate``, ``overall_absence_gap`` (points),
    ``suppressed``, ``suppression_reason``. Rates here are over the period's
    sessions; persistent absence is not shown by period (DfE: year to date only).
    Pupils are counted as enrolments with a possible session in the period.
    """
    column = _check(by)  # a checked name: the marks carry each group as its own column
    if freq not in FREQUENCIES:
        raise ValueError(f"unknown frequency {freq!r}: choose from {', '.join(FREQUENCIES)}")
    marks, params = measures.marks_sql(f, pupils=by in ("gender", "ethnicity"))
    join, period_cols, period_names, period_group, label = _period_sql(freq)
    keys = ", ".join(["m.school_id", "m.upn", "m.academic_year", *[f"cal.{n}" for n in period_names], "period_start"])
    # Counted per enrolment and period first, so pupils are counted without a DISTINCT over every mark.
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
        x AS (
            SELECT {label} AS period, min(period_start) AS period_start,
                   count(*) FILTER (WHERE in_group AND possible_sessions > 0)     AS group_pupils,
                   coalesce(sum(possible_sessions) FILTER (WHERE in_group), 0)   AS group_possible_sessions,
                   coalesce(sum(absence_sessions) FILTER (WHERE in_group), 0)    AS group_absence_sessions,
                   count(*) FILTER (WHERE NOT in_group AND possible_sessions > 0) AS rest_pupils,
                   coalesce(sum(possible_sessions) FILTER (WHERE NOT in_group), 0) AS rest_possible_sessions,
                   coalesce(sum(absence_sessions) FILTER (WHERE NOT in_group), 0)  AS rest_absence_sessions
            FROM per GROUP BY {period_group}
        )
        SELECT period, period_start, group_pupils, group_possible_sessions::BIGINT AS group_possible_sessions,
               100.0 * group_absence_sessions / nullif(group_possible_sessions, 0) AS group_overall_absence_rate,
               rest_pupils, rest_possible_sessions::BIGINT AS rest_possible_sessions,
               100.0 * rest_absence_sessions / nullif(rest_possible_sessions, 0)   AS rest_overall_absence_rate
        FROM x ORDER BY period_start, period
    """
    cur = con.execute(sql, [value, *params])
    names = [d[0] for d in cur.description]
    rows = []
    for raw in cur.fetchall():
        row = measures._clean(dict(zip(names, raw, strict=True)))
        row["overall_absence_gap"] = _gap(row["group_overall_absence_rate"], row["rest_overall_absence_rate"])
        small = row["group_pupils"] < min_size or row["rest_pupils"] < min_size
        row["suppressed"] = small
        row["suppression_reason"] = f"fewer than {min_size} pupils" if small else None
        if small:
            for c in [*names[2:], "overall_absence_gap"]:
                row[c] = None
        rows.append(row)
    columns = [*names, "overall_absence_gap", "suppressed", "suppression_reason"]
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
    """The groups whose absence changed most between ``previous`` and ``f`` (largest change first).

    ``measure``: 'overall_absence' or 'persistent_absence' (points). Groups with
    fewer than ``min_size`` pupils in either period are left out: small groups
    swing by chance. Columns: ``by``, ``by_label``, ``group``, ``label``,
    ``current_enrolments``, ``previous_enrolments``,
    ``current_overall_absence_rate``, ``previous_overall_absence_rate``,
    ``overall_absence_change``, the same for ``persistent_absence``.
    """
    if measure not in ("overall_absence", "persistent_absence"):
        raise ValueError("measure must be 'overall_absence' or 'persistent_absence'")
    groupings = [(_check(b),) for b in bys]
    now = {(c["bys"][0], c["values"][0]): c for c in _cells(con, f, groupings)}
    before = {(c["bys"][0], c["values"][0]): c for c in _cells(con, previous, groupings)}
    rows = []
    for key in now.keys() & before.keys():
        cur, prev = now[key], before[key]
        if min(cur["enrolments"], prev["enrolments"]) < min_size:
            continue
        by, value = key
        row = {
            "by": by,
            "by_label": GROUP_LABELS[by],
            "group": value,
            "label": group_label(by, value),
            "current_enrolments": cur["enrolments"],
            "previous_enrolments": prev["enrolments"],
        }
        for m in ("overall_absence", "persistent_absence"):
            row[f"current_{m}_rate"] = cur[f"{m}_rate"]
            row[f"previous_{m}_rate"] = prev[f"{m}_rate"]
            row[f"{m}_change"] = _gap(cur[f"{m}_rate"], prev[f"{m}_rate"])
        rows.append(row)
    other = "persistent_absence" if measure == "overall_absence" else "overall_absence"
    rows.sort(key=lambda r: (-abs(r[f"{measure}_change"] or 0), -abs(r[f"{other}_change"] or 0), r["by"], r["label"]))
    columns = ["by", "by_label", "group", "label", "current_enrolments", "previous_enrolments"]
    for m in ("overall_absence", "persistent_absence"):
        columns += [f"current_{m}_rate", f"previous_{m}_rate", f"{m}_change"]
    return pd.DataFrame(rows[:top], columns=columns, dtype=object)

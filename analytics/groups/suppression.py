"""Small-number suppression, as published statistics do it.

When a group, or the rest it is compared with, has fewer than ``min_size``
pupils, its row keeps the label but every figure is None, with the reason in
``suppression_reason``. Where that leaves a single hidden row among values that
add up to a total shown elsewhere, the next smallest is hidden too (secondary
suppression), so hidden figures cannot be worked out by subtraction. Without
pupil-level access (governors) a rate built on a count of 1 or 2 pupils or
sessions is hidden as well, with the same secondary protection.
"""

from __future__ import annotations

from analytics import measures, uncertainty

MIN_GROUP_SIZE = 5  # as DfE statistics: figures for fewer than 5 pupils are not shown
MIN_COUNT = 3  # as DfE statistics: a count of 1 or 2 is not published, nor a rate built on one


def _figure_columns() -> list[str]:
    own = [*measures.SUM_COLUMNS, *measures.RATE_COLUMNS]
    return (
        own
        + [f"rest_{c}" for c in own]
        + ["overall_absence_gap", "persistent_absence_gap", "attendance_gap"]
        + list(uncertainty.INTERVAL_COLUMNS)
    )


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

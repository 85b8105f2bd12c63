"""How a group value reads on a page (FSM, SEN support, Year 9, White - British) and how values are typed."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from analytics.filters import FLAG_GROUPS, FLAG_LABELS, GROUP_COLUMNS, SEN_LABELS, year_group_label

# A yes/no group's "no" side; its "yes" side is ``FLAG_LABELS``.
_NOT_FLAG_LABELS = {"fsm": "Not FSM", "eal": "Not EAL", "cin": "Not a child in need", "lac": "Not looked after"}

_GENDER_LABELS = {"F": "Female", "M": "Male"}
ETHNICITY_CODES = Path(__file__).resolve().parents[2] / "data" / "reference" / "ethnicity_codes.csv"


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
    if by in FLAG_GROUPS:
        return FLAG_LABELS[by] if value else _NOT_FLAG_LABELS[by]
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

"""National, regional and local-authority comparators from the DfE files shipped in ``data/reference/``.

Two files, both published under the Open Government Licence v3.0 (see
``data/reference/README.md``):

- ``dfe_attendance_ytd_2025_26.csv``: "Pupil attendance in schools", 2025/26
  year to date, by phase for England, each region and each local authority;
- ``national_by_characteristic.csv``: national absence by pupil characteristic
  (FSM, SEN provision, gender, children in need) with the period of each figure.

Figures the DfE suppressed (``c``) read as None. The DfE publishes no national
absence figure in these files for looked-after children or pupils with English
as an additional language: ``national_by_characteristic`` says so rather than
guessing.
"""

from __future__ import annotations

import csv
import functools

from data.db import REFERENCE_DIR, academic_year_label

DFE_YTD_CSV = REFERENCE_DIR / "dfe_attendance_ytd_2025_26.csv"
CHARACTERISTIC_CSV = REFERENCE_DIR / "national_by_characteristic.csv"
SOURCE = "DfE, Pupil attendance in schools (Open Government Licence v3.0)"

PHASES = {"primary": "Primary", "secondary": "Secondary", "special": "Special", "all": "Total", "total": "Total"}

# Groups the guidance asks schools to watch but for which no national figure is shipped.
NO_NATIONAL_FIGURE = {
    "lac": "The DfE publishes no national absence rate for looked-after children in the shipped statistics.",
    "eal": "The DfE publishes no national absence rate for pupils with English as an additional language "
    "in the shipped statistics.",
    "year_group": "No national figure by year group is shipped.",
    "form": "Forms are the school's own: there is no national figure.",
    "ethnicity": "No national figure by ethnicity is shipped.",
}


def _number(text: str | None) -> float | None:
    """A DfE cell as a number: 'c' (suppressed), 'x', 'z' and blanks are None."""
    if text is None:
        return None
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        return None


@functools.cache
def dfe_rows() -> tuple[dict, ...]:
    """Every row of the DfE year-to-date file, numbers parsed (None where suppressed).

    Text columns (levels, codes, names, phase) stay strings; every count and
    percentage becomes a float or None.
    """
    text_columns = {
        "time_period",
        "geographic_level",
        "country_code",
        "country_name",
        "region_code",
        "region_name",
        "new_la_code",
        "la_name",
        "old_la_code",
        "education_phase",
        "time_identifier",
    }
    with DFE_YTD_CSV.open(newline="", encoding="utf-8-sig") as fh:
        rows = []
        for raw in csv.DictReader(fh):
            rows.append({k: (v if k in text_columns else _number(v)) for k, v in raw.items()})
    return tuple(rows)


@functools.cache
def _characteristic_rows() -> tuple[dict, ...]:
    with CHARACTERISTIC_CSV.open(newline="", encoding="utf-8-sig") as fh:
        return tuple(dict(r) for r in csv.DictReader(fh))


def _phase(phase: str | None) -> str:
    key = (phase or "all").strip().lower()
    if key not in PHASES:
        raise ValueError(f"unknown phase {phase!r}: choose from primary, secondary, special, all")
    return PHASES[key]


def _period(row: dict) -> str:
    period = str(row.get("time_period") or "")
    year = academic_year_label(int(period[:4])) if period[:4].isdigit() else period
    return f"{year} academic year to date"


def _headline(row: dict | None, geography: str) -> dict | None:
    """The comparison figures of one DfE row, with where they come from."""
    if row is None:
        return None
    return {
        "geography": geography,
        "phase": "all" if row["education_phase"] == "Total" else row["education_phase"].lower(),
        "overall_absence_rate": row["overall_absence_perc"],
        "authorised_absence_rate": row["authorised_absence_perc"],
        "unauthorised_absence_rate": row["unauthorised_absence_perc"],
        "attendance_rate": row["attendance_perc"],
        "persistent_absence_rate": row["pa_perc"],
        "possible_sessions": row["possible_sessions"],
        "enrolments": row["enrolments"],
        "period": _period(row),
        "source": SOURCE,
    }


def national_headline(phase: str | None = "all") -> dict:
    """England, all state-funded schools of a phase: overall, authorised, unauthorised absence, attendance, PA.

    Rates are percentages (0-100), with ``period`` and ``source`` to show beside them.
    """
    want = _phase(phase)
    row = next(r for r in dfe_rows() if r["geographic_level"] == "National" and r["education_phase"] == want)
    return _headline(row, "England")


def local_authority_headline(la_code: str, phase: str | None = "all") -> dict | None:
    """The same figures for one local authority (new code 'E09000030', old code '211' or its name).

    None when the authority is not in the file; rates are None where the DfE suppressed them.
    """
    want, key = _phase(phase), str(la_code).strip().lower()
    for r in dfe_rows():
        if r["geographic_level"] != "Local authority" or r["education_phase"] != want:
            continue
        if key in {(r["new_la_code"] or "").lower(), (r["old_la_code"] or "").lower(), (r["la_name"] or "").lower()}:
            return _headline(r, r["la_name"])
    return None


def regional_headline(region: str, phase: str | None = "all") -> dict | None:
    """The same figures for a region (code 'E12000007' or name 'London'); None if unknown."""
    want, key = _phase(phase), str(region).strip().lower()
    for r in dfe_rows():
        if r["geographic_level"] != "Regional" or r["education_phase"] != want:
            continue
        if key in {(r["region_code"] or "").lower(), (r["region_name"] or "").lower()}:
            return _headline(r, r["region_name"])
    return None


def region_of(la_code: str) -> str | None:
    """The region code a local authority belongs to (for the regional comparator)."""
    key = str(la_code).strip().lower()
    for r in dfe_rows():
        if r["geographic_level"] == "Local authority" and key in {
            (r["new_la_code"] or "").lower(),
            (r["old_la_code"] or "").lower(),
        }:
            return r["region_code"]
    return None


def _value_key(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def national_by_characteristic(group: str, value) -> dict | None:
    """The national overall and persistent absence rate for one group value, with its period and source.

    ``group`` as in the breakdowns ('fsm', 'sen', 'cin', 'gender', ...); ``value``
    True/False, 'E'/'K'/'N', 'F'/'M'. None where no national figure exists;
    ``no_national_figure(group)`` says why.
    """
    key = _value_key(value).lower()
    for r in _characteristic_rows():
        if r["group"] == group and r["value"].lower() == key:
            return {
                "group": group,
                "value": value,
                "overall_absence_rate": _number(r["overall_absence_rate"]),
                "persistent_absence_rate": _number(r["persistent_absence_rate"]),
                "period": r["period"],
                "source": r["source"],
            }
    return None


def no_national_figure(group: str) -> str:
    """A plain sentence for a page or export where no national comparator exists."""
    return NO_NATIONAL_FIGURE.get(group, "No national figure is published for this group in the shipped statistics.")

"""The code table reproduces the DfE's published figures.

1. For every local authority, region and England row of the shipped DfE file
   (each phase), summing the reason columns by the code table's categories
   gives the published possible sessions, attendance, authorised, unauthorised
   and overall absence, and the published rates. Attendance, unauthorised
   absence and possible sessions match exactly; the published authorised
   absence is a few sessions higher than its reason columns in some rows (at
   most 106 sessions in 2.4 billion nationally, a reason the file does not
   break out), so authorised figures match within 0.001% of possible sessions.
2. A register built in DuckDB with one authority's mix of codes (scaled to
   100,000 sessions) gives that authority's published rates through
   ``measures.summary``. Persistent absence depends on how absence falls
   across pupils, which aggregate counts do not say, so it is not compared.
"""

import csv

import pytest

from analytics import measures, national
from analytics.filters import Filter
from data import on_roll
from data.db import CODES_CSV

CODES = list(csv.DictReader(CODES_CSV.open(newline="", encoding="utf-8")))
# DfE column -> category, from the code table (the one place that says which code counts as what).
COLUMN_CATEGORY = {c["dfe_statistics_column"]: c["category"] for c in CODES if c["dfe_statistics_column"]}
COLUMN_CODE = {}
for c in CODES:
    COLUMN_CODE.setdefault(c["dfe_statistics_column"], c["code"])

ROWS = [r for r in national.dfe_rows() if r["possible_sessions"] is not None]
SUPPRESSED = [r for r in national.dfe_rows() if r["possible_sessions"] is None]


def _row_id(r):
    return f"{r['la_name'] or r['region_name'] or 'England'}-{r['education_phase']}"


def _by_category(row) -> dict:
    sums = {"present": 0, "approved_activity": 0, "authorised": 0, "unauthorised": 0}
    for column, category in COLUMN_CATEGORY.items():
        sums[category] += int(row[column])
    return sums


def test_every_row_is_checked():
    levels = {r["geographic_level"] for r in ROWS}
    assert levels == {"Local authority", "Regional", "National"}
    assert len(ROWS) == 643 and len(SUPPRESSED) == 4  # City of London and Isles of Scilly phases are 'c'


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_code_categories_reproduce_published_totals(row):
    s = _by_category(row)
    possible, attendance = row["possible_sessions"], s["present"] + s["approved_activity"]
    absence = s["authorised"] + s["unauthorised"]
    assert attendance == row["overall_attendance"]
    assert s["approved_activity"] == row["approved_educational_activity"]
    assert s["unauthorised"] == row["unauthorised_absence"]
    assert abs(s["authorised"] - row["authorised_absence"]) <= 1e-5 * possible
    assert abs(attendance + absence - possible) <= 1e-5 * possible
    assert 100 * attendance / possible == pytest.approx(row["attendance_perc"], abs=1e-3)
    assert 100 * absence / possible == pytest.approx(row["overall_absence_perc"], abs=1e-3)
    assert 100 * s["authorised"] / possible == pytest.approx(row["authorised_absence_perc"], abs=1e-3)
    assert 100 * s["unauthorised"] / possible == pytest.approx(row["unauthorised_absence_perc"], abs=1e-3)


def _scaled_counts(row, total: int) -> dict[str, int]:
    """Each code's share of the authority's sessions as whole sessions summing to ``total`` (largest remainder)."""
    counts = {COLUMN_CODE[c]: int(row[c]) for c in COLUMN_CATEGORY}
    whole = sum(counts.values())
    exact = {code: n * total / whole for code, n in counts.items()}
    out = {code: int(x) for code, x in exact.items()}
    for code in sorted(exact, key=lambda c: exact[c] - out[c], reverse=True)[: total - sum(out.values())]:
        out[code] += 1
    return out


@pytest.mark.parametrize(
    "la, phase",
    [("E09000030", "primary"), ("E08000030", "primary"), ("Kent", "secondary"), ("Birmingham", "all"),
     ("Cornwall", "special")],
)  # fmt: skip
def test_register_with_an_authoritys_mix_gives_its_published_rates(register, con, la, phase):
    total = 100_000
    published = national.local_authority_headline(la, phase)
    row = next(r for r in ROWS if r["la_name"] == published["geography"] and _phase(r) == phase)
    counts = _scaled_counts(row, total)
    con.execute("CREATE TEMP TABLE mix (code VARCHAR, n INTEGER)")
    con.executemany("INSERT INTO mix VALUES (?, ?)", [[c, n] for c, n in counts.items() if n])
    # 380 sessions a pupil (190 weekdays from 1 September 2025), pupils filled one after another.
    con.execute(
        """
        CREATE TEMP TABLE slots AS
        SELECT row_number() OVER (ORDER BY code, i) - 1 AS k, code
        FROM mix, LATERAL range(n) r(i)
        """
    )
    con.execute(
        """
        CREATE TEMP TABLE days AS
        SELECT row_number() OVER (ORDER BY d) - 1 AS day_no, d::DATE AS date
        FROM range(DATE '2025-09-01', DATE '2026-07-31', INTERVAL 1 DAY) t(d) WHERE isodow(d) <= 5
        """
    )
    con.execute(
        """
        INSERT INTO pupils (school_id, upn) SELECT DISTINCT 'T1', 'P' || (k // 380) FROM slots;
        INSERT INTO enrolments (school_id, upn, academic_year, year_group)
            SELECT DISTINCT 'T1', 'P' || (k // 380), 2025, 9 FROM slots;
        INSERT INTO session_marks (school_id, upn, date, session, code, academic_year, enrolment_id)
            SELECT 'T1', 'P' || (k // 380), d.date, CASE WHEN (k % 380) % 2 = 0 THEN 'AM' ELSE 'PM' END, s.code, 2025,
                   e.enrolment_id
            FROM slots s JOIN days d ON d.day_no = (k % 380) // 2
            JOIN enrolments e ON e.school_id = 'T1' AND e.upn = 'P' || (k // 380) AND e.academic_year = 2025;
        """
    )
    on_roll.refresh(con, "T1")  # as the importer does after writing marks
    got = measures.summary(con, Filter(school_ids=("T1",)))
    # By hand from the scaled counts: the register holds exactly these sessions.
    cats = {c["code"]: c["category"] for c in CODES}
    absent = sum(n for code, n in counts.items() if cats[code] in ("authorised", "unauthorised"))
    assert got["possible_sessions"] == total
    assert got["overall_absence_rate"] == pytest.approx(100 * absent / total)
    # And against the DfE's published rates (scaling to 100,000 sessions moves them < 0.01 points).
    assert got["overall_absence_rate"] == pytest.approx(published["overall_absence_rate"], abs=0.01)
    assert got["authorised_absence_rate"] == pytest.approx(published["authorised_absence_rate"], abs=0.01)
    assert got["unauthorised_absence_rate"] == pytest.approx(published["unauthorised_absence_rate"], abs=0.01)
    assert got["attendance_rate"] == pytest.approx(published["attendance_rate"], abs=0.01)


def _phase(row) -> str:
    return "all" if row["education_phase"] == "Total" else row["education_phase"].lower()

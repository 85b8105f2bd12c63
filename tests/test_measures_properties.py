"""Properties of the measures that hold for any register (hypothesis).

Each example builds a small random register in a fresh in-memory DuckDB: a few
pupils with random groups, admission and leaving dates, and any codes from the
code table (legacy and not-possible codes included) or missing marks.
"""

import csv
import json
from datetime import date, timedelta
from fractions import Fraction

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import groups, measures
from analytics.__main__ import main
from analytics.filters import GROUP_COLUMNS, Filter
from data import db
from tests.registers import Register, school_days

CODES = {r["code"]: r for r in csv.DictReader(db.CODES_CSV.open(newline="", encoding="utf-8"))}
DAYS = school_days("2025-09-01", 15)
F = Filter(school_ids=("T1",), academic_year=2025)
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

pupil = st.fixed_dictionaries(
    {
        "year_group": st.sampled_from([7, 8]),
        "form": st.sampled_from(["7A", "7B", None]),
        "fsm": st.sampled_from([True, False, None]),
        "sen": st.sampled_from(["E", "K", "N", None]),
        "eal": st.booleans(),
        "cin": st.booleans(),
        "lac": st.booleans(),
        "gender": st.sampled_from(["F", "M"]),
        "ethnicity": st.sampled_from(["WBRI", "BAFR", None]),
        "admission": st.sampled_from([None, *DAYS[:6]]),
        "leaving": st.sampled_from([None, *DAYS[8:]]),
        "marks": st.lists(st.sampled_from([*CODES, None, "/", "/", "\\", "\\"]), max_size=2 * len(DAYS)),
    }
)
registers = st.lists(pupil, min_size=1, max_size=6)


def _build(con, pupils, first: int = 0) -> None:
    reg = Register(con)
    for i, p in enumerate(pupils, start=first):
        upn = f"P{i}"
        reg.pupil(upn, year_group=p["year_group"], form=p["form"], fsm=p["fsm"], sen=p["sen"], eal=p["eal"],
                  cin=p["cin"], lac=p["lac"], gender=p["gender"], ethnicity=p["ethnicity"],
                  admission_date=p["admission"], leaving_date=p["leaving"])  # fmt: skip
        for k, code in enumerate(p["marks"]):
            reg.mark(upn, DAYS[k // 2], "AM" if k % 2 == 0 else "PM", code, sync=False)
    reg.sync()


def _memory_db(pupils) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    db.ensure_schema(con)
    _build(con, pupils)
    return con


def _by_hand(pupils) -> dict:
    """The measures computed in plain Python from the code table: an independent check."""
    tot = {"enrolments": 0, "possible": 0, "attendance": 0, "authorised": 0, "unauthorised": 0, "pa": 0, "severe": 0}
    for p in pupils:
        poss = att = auth = unauth = 0
        for k, code in enumerate(p["marks"]):
            day = DAYS[k // 2]
            if (p["admission"] and day < p["admission"]) or (p["leaving"] and day > p["leaving"]) or code is None:
                continue
            row = CODES[code]
            if row["counts_as_possible_session"] == "true":
                poss += 1
                att += row["counts_as_attendance"] == "true"
                auth += row["category"] == "authorised"
                unauth += row["category"] == "unauthorised"
        if poss:
            tot["enrolments"] += 1
            tot["pa"] += Fraction(auth + unauth, poss) >= Fraction(1, 10)
            tot["severe"] += Fraction(auth + unauth, poss) >= Fraction(1, 2)
        for key, value in (("possible", poss), ("attendance", att), ("authorised", auth), ("unauthorised", unauth)):
            tot[key] += value
    return tot


@SETTINGS
@given(registers)
def test_identities_and_ranges(pupils):
    got = measures.summary(_memory_db(pupils), F)
    absence = got["authorised_sessions"] + got["unauthorised_sessions"]
    assert got["attendance_sessions"] + absence == got["possible_sessions"]
    if got["possible_sessions"]:
        assert got["authorised_absence_rate"] + got["unauthorised_absence_rate"] == pytest.approx(
            got["overall_absence_rate"]
        )
        assert got["attendance_rate"] + got["overall_absence_rate"] == pytest.approx(100)
        for key in ("attendance_rate", "overall_absence_rate", "authorised_absence_rate",
                    "unauthorised_absence_rate", "persistent_absence_rate", "severe_absence_rate"):  # fmt: skip
            assert 0 <= got[key] <= 100
        assert got["severe_absence_count"] <= got["persistent_absence_count"] <= got["enrolments"]
    else:
        assert got["overall_absence_rate"] is None


@SETTINGS
@given(registers, st.sampled_from(sorted(GROUP_COLUMNS)))
def test_school_is_the_session_weighted_sum_of_its_groups(pupils, by):
    con = _memory_db(pupils)
    school = measures.summary(con, F)
    parts = measures.summary_by_records(con, F, by)
    for key in ("enrolments", "possible_sessions", "attendance_sessions", "authorised_sessions",
                "unauthorised_sessions", "persistent_absence_count", "severe_absence_count"):  # fmt: skip
        assert sum(p[key] for p in parts) == school[key], key
    if school["possible_sessions"]:
        weighted = sum(p["overall_absence_rate"] * p["possible_sessions"] for p in parts) / school["possible_sessions"]
        assert weighted == pytest.approx(school["overall_absence_rate"])
    breakdown = groups.group_breakdown(con, F, by, min_size=0)
    assert sum(breakdown.possible_sessions) == school["possible_sessions"]
    assert all(
        r.possible_sessions + r.rest_possible_sessions == school["possible_sessions"] for r in breakdown.itertuples()
    )


@SETTINGS
@given(registers, registers)
def test_a_pupils_figures_do_not_change_when_others_are_added(pupils, others):
    con = _memory_db(pupils)
    columns = ["possible_sessions", "attendance_sessions", "authorised_sessions", "unauthorised_sessions",
               "missing_sessions", "absence_rate", "persistent", "severe"]  # fmt: skip
    before = measures.enrolment_measures(con, F).set_index("upn")[columns]
    _build(con, others, first=len(pupils))
    after = measures.enrolment_measures(con, F).set_index("upn")[columns]
    for upn in before.index:
        assert after.loc[upn].tolist() == before.loc[upn].tolist(), upn


@SETTINGS
@given(registers)
def test_command_line_equals_a_computation_by_hand(tmp_path_factory, capsys, pupils):
    path = tmp_path_factory.mktemp("cli") / "reg.duckdb"
    con = db.connect(path)
    _build(con, pupils)
    con.close()
    assert main(["summary", "--db", str(path), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    want = _by_hand(pupils)
    assert (got["enrolments"], got["possible_sessions"], got["attendance_sessions"]) == (
        want["enrolments"], want["possible"], want["attendance"])  # fmt: skip
    assert (got["authorised_sessions"], got["unauthorised_sessions"]) == (want["authorised"], want["unauthorised"])
    assert (got["persistent_absence_count"], got["severe_absence_count"]) == (want["pa"], want["severe"])
    if want["possible"]:
        absence = want["authorised"] + want["unauthorised"]
        assert got["overall_absence_rate"] == pytest.approx(100 * absence / want["possible"])
        assert got["persistent_absence_rate"] == pytest.approx(100 * want["pa"] / want["enrolments"])


def test_days_cover_the_register():
    assert DAYS[0] == date(2025, 9, 1) and DAYS[-1] - DAYS[0] < timedelta(days=21)

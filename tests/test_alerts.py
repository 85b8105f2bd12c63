"""The alerts schools must act on, each on a register built to trigger it and one built not to."""

from __future__ import annotations

from datetime import date

import pytest

from analytics import alerts
from analytics.filters import Filter, PupilLevelDenied, Scope
from data import db, quality
from tests.registers import Register, school_days
from tests.test_pupils import fill

F = Filter(school_ids=("T1",), academic_year=2025)

# ---------------------------------------------------------------- ten school days in a row


def _absent(start: str, days: int, pair: str = "I I") -> dict:
    return {d.isoformat(): pair for d in school_days(start, days)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Autumn 1 to Friday 24 October, half-term with no marks, autumn 2 from Monday 3 November to 14 November.

    | pupil | absence                                                        | run of 10+ days?          |
    |-------|----------------------------------------------------------------|---------------------------|
    | A1    | I from 3 Nov to the last mark (10 days)                        | yes, since 3 Nov, going   |
    | B1    | I for 9 days from 3 Nov, present on 14 Nov                     | no (9 days)               |
    | C1    | I 20-24 Oct, holiday, I 3-7 Nov, then present                  | yes, 10 days, ended       |
    | D1    | I 4 days, school closed (#) a day, I 5 days                    | no (# neither pads: 9)    |
    | E1    | O from 3 Nov PM to the last mark (9.5 days)                    | no (19 sessions)          |
    | F1    | O from 3 Nov to the last mark (10 days)                        | yes, unauthorised, going  |
    """
    con = db.connect(tmp_path_factory.mktemp("alerts") / "runs.duckdb")
    reg = Register(con)
    plan = {
        "A1": _absent("2025-11-03", 10),
        "B1": _absent("2025-11-03", 9),
        "C1": {**_absent("2025-10-20", 5), **_absent("2025-11-03", 5)},
        "D1": {**_absent("2025-11-03", 4), "2025-11-07": "# #", **_absent("2025-11-10", 5)},
        "E1": {**_absent("2025-11-04", 9, "O O"), "2025-11-03": "/ O"},
        "F1": _absent("2025-11-03", 10, "O O"),
    }
    for upn, absent in plan.items():
        reg.pupil(upn, form="9A")
        fill(reg, upn, "2025-09-01", 40, {k: v for k, v in absent.items() if k < "2025-10-27"})
        fill(reg, upn, "2025-11-03", 10, {k: v for k, v in absent.items() if k >= "2025-11-03"})
    yield con
    con.close()


def test_ten_school_days_in_a_row(runs):
    con = runs
    got = alerts.ten_day_absences(con, F)
    rows = {r.upn: r for r in got.itertuples()}
    assert set(rows) == {"A1", "C1", "F1"}
    a, c, f = rows["A1"], rows["C1"], rows["F1"]
    assert (str(a.start_date)[:10], a.start_session, a.school_days, bool(a.ongoing)) == ("2025-11-03", "AM", 10, True)
    assert not a.unauthorised
    # The half-term week has no marks: the run goes on across it, 5 + 5 school days, and it has ended.
    assert (str(c.start_date)[:10], str(c.end_date)[:10], c.sessions, bool(c.ongoing)) == (
        "2025-10-20",
        "2025-11-07",
        20,
        False,
    )
    assert bool(f.unauthorised) and bool(f.ongoing)
    assert list(got["upn"])[-1] == "C1"  # still going first


def test_pupil_page_says_absent_since(runs):
    con = runs
    run = alerts.continuing_absence(con, F, "A1")
    assert run == {
        "start_date": date(2025, 11, 3),
        "start_session": "AM",
        "school_days": 10.0,
        "sessions": 20,
        "unauthorised": False,
    }
    assert alerts.continuing_absence(con, F, "C1") is None  # ten days, but back since
    assert alerts.continuing_absence(con, F, "B1") is None


def test_ten_days_is_pupil_level(runs):
    con = runs
    with pytest.raises(PupilLevelDenied):
        alerts.ten_day_absences(con, F.replace(scope=Scope(pupil_level=False)))


def test_no_run_long_enough(con):
    reg = Register(con).pupil("A1")
    fill(reg, "A1", "2025-09-01", 30, _absent("2025-09-08", 9))
    assert alerts.ten_day_absences(con, F).empty


def test_a_pupil_who_left_is_not_still_absent(con):
    reg = Register(con).pupil("A1", leaving_date="2025-09-26")
    fill(reg, "A1", "2025-09-01", 20, _absent("2025-09-15", 10))
    got = alerts.ten_day_absences(con, F)
    assert list(got["upn"]) == ["A1"] and not bool(got["ongoing"].iloc[0])


# ---------------------------------------------------------------- N codes left without a reason


@pytest.fixture(scope="module")
def n_codes(tmp_path_factory):
    con = db.connect(tmp_path_factory.mktemp("alerts") / "n_codes.duckdb")
    reg = Register(con)
    reg.pupil("A1", form="9A").pupil("B1", form="9B").pupil("B2", form="9B")
    fill(reg, "A1", "2025-09-01", 15, {"2025-09-01": "N /"})
    fill(reg, "B1", "2025-09-01", 15, {"2025-09-01": "N N"})
    fill(reg, "B2", "2025-09-01", 15, {"2025-09-10": "/ N", "2025-09-11": "/ O"})  # O: resolved, not counted
    con.execute("UPDATE session_marks SET recorded_by = 'Ms Jones' WHERE upn = 'A1' AND date = '2025-09-01'")
    yield con
    con.close()


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        # School days are 1-19 September (15). N marks: A1 Mon 1 Sep AM (register taken by Ms Jones),
        # B1 1 Sep AM and PM, B2 Wed 10 Sep PM. Older than five school days = six or more school days before.
        ("2025-09-05", []),
        ("2025-09-08", []),  # 5 school days after 1 Sep: not yet older than five
        ("2025-09-09", [("9B", "not in the export", 2, 1), ("9A", "Ms Jones", 1, 1)]),
        ("2025-09-17", [("9B", "not in the export", 2, 1), ("9A", "Ms Jones", 1, 1)]),  # 10 Sep: 5 days before
        ("2025-09-18", [("9B", "not in the export", 3, 2), ("9A", "Ms Jones", 1, 1)]),
    ],
)
def test_unresolved_n_codes(n_codes, as_of, expected):
    got = alerts.unresolved_n_codes(n_codes, F, as_of=date.fromisoformat(as_of))
    assert [(r.form, r.recorded_by, r.marks, r.pupils) for r in got.itertuples()] == expected


def test_no_unresolved_n_codes_when_reasons_given(con):
    reg = Register(con).pupil("A1")
    fill(reg, "A1", "2025-09-01", 15, {"2025-09-01": "I O"})
    assert alerts.unresolved_n_codes(con, F).empty


# ---------------------------------------------------------------- legacy codes after 19 August 2024


@pytest.mark.parametrize(
    ("day", "code", "flagged"),
    [
        ("2024-09-02", "H", True),
        ("2024-09-02", "J", True),
        ("2024-09-02", "Y", True),
        ("2024-08-19", "H", True),  # the first day of the new rules
        ("2024-07-15", "H", False),  # before: still in force
        ("2024-09-02", "J1", False),  # the new codes
        ("2024-09-02", "Y1", False),
    ],
)
def test_legacy_codes(con, day, code, flagged):
    reg = Register(con).pupil("A1", academic_year=2024 if day >= "2024-08-01" else 2023)
    reg.mark("A1", day, "AM", code)
    got = quality.legacy_codes(con)
    assert got == ([{"code": code, "marks": 1, "first_date": day, "last_date": day}] if flagged else [])
    assert quality.report(con)["legacy_codes"] == got


# ---------------------------------------------------------------- marks out of date


@pytest.mark.parametrize(
    ("after", "until", "holidays", "expected"),
    [
        ("2025-11-20", "2025-11-28", [], 6),  # Fri 21, Mon 24 to Fri 28
        ("2025-11-20", "2025-11-20", [], 0),
        ("2025-11-21", "2025-11-24", [], 1),  # the weekend is not school days
        ("2025-10-24", "2025-11-03", [(date(2025, 10, 27), date(2025, 10, 31))], 1),  # half-term week
        ("2025-07-18", "2025-08-29", [], 9),  # 21 to 31 July; August is the summer holiday
    ],
)
def test_school_days_between(after, until, holidays, expected):
    assert alerts.school_days_between(date.fromisoformat(after), date.fromisoformat(until), holidays) == expected


def test_latest_marks(con):
    reg = Register(con).pupil("A1")
    fill(reg, "A1", "2025-11-03", 14)  # to Thursday 20 November
    old = alerts.latest_marks(con, F, today=date(2025, 11, 28))
    assert old == {"latest_date": date(2025, 11, 20), "school_days_since": 6, "stale": True}
    fresh = alerts.latest_marks(con, F, today=date(2025, 11, 24))
    assert fresh == {"latest_date": date(2025, 11, 20), "school_days_since": 2, "stale": False}
    assert alerts.latest_marks(con, Filter(school_ids=("T9",)), today=date(2025, 11, 28))["latest_date"] is None


@pytest.mark.parametrize(("calendar", "since", "stale"), [(True, 1, False), (False, 6, True)])
def test_latest_marks_over_half_term(con, calendar, since, stale):
    # Marks to Friday 24 October; Monday 3 November. With the school's calendar the half-term week is a holiday.
    reg = Register(con).pupil("A1")
    fill(reg, "A1", "2025-10-20", 5)
    if calendar:
        reg.calendar(2025, "autumn", 1, "2025-09-01", "2025-10-24")
        reg.calendar(2025, "autumn", 2, "2025-11-03", "2025-12-19")
    got = alerts.latest_marks(con, F, today=date(2025, 11, 3))
    assert (got["school_days_since"], got["stale"]) == (since, stale)

"""Pastoral lists on golden registers: every expected figure worked out by hand in a comment."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics import lists
from analytics.filters import Filter, PupilLevelDenied, Scope
from tests.registers import Register
from tests.test_pupils import fill

F = Filter(school_ids=("T1",))
F25 = Filter(school_ids=("T1",), academic_year=2025)


def trajectory_register(con) -> Register:
    """Autumn 1 (35 days) complete, autumn 2 two weeks in (10 days), five pupils.

    | pupil | autumn 1 absent | YTD at end of autumn 1 | autumn 2 absent | autumn 2 | YTD now      |
    |-------|-----------------|------------------------|-----------------|----------|--------------|
    | A1    | 6 sessions      | 64/70 = 91.43%         | 8 sessions      | 12/20 60%| 76/90 84.44% |
    | B1    | 0               | 100%                   | 0               | 100%     | 100%         |
    | C1    | 8               | 62/70 = 88.57%         | 0               | 100%     | 82/90 91.11% |
    | D1    | 0               | 100%                   | 6               | 14/20 70%| 84/90 93.33% |
    | E1    | 0               | 100%                   | 2               | 18/20 90%| 88/90 97.78% |
    """
    reg = Register(con)
    reg.calendar(2025, "autumn", 1, "2025-09-01", "2025-10-17")
    reg.calendar(2025, "autumn", 2, "2025-11-03", "2025-12-19")
    autumn1 = {
        "A1": ["2025-09-08", "2025-09-09", "2025-09-10"],
        "C1": ["2025-09-08", "2025-09-09", "2025-09-10", "2025-09-11"],
    }
    autumn2 = {
        "A1": ["2025-11-03", "2025-11-04", "2025-11-05", "2025-11-06"],
        "D1": ["2025-11-03", "2025-11-04", "2025-11-05"],
        "E1": ["2025-11-10"],
    }
    for upn in ("A1", "B1", "C1", "D1", "E1"):
        reg.pupil(upn)
        fill(reg, upn, "2025-09-01", 35, {d: "N N" for d in autumn1.get(upn, [])})
        fill(reg, upn, "2025-11-03", 10, {d: "I I" for d in autumn2.get(upn, [])})
    return reg


def test_persistent_and_severe(register, con):
    # One week each (10 possible sessions):
    # A1 2 absent 20% PA; B1 6 absent 60% PA + severe; C1 0; D1 1 absent = exactly 10% -> PA;
    # E1 5 absent = exactly 50% -> PA + severe.
    register.pupil("A1").marks("A1", "2025-09-01", "N N / \\ / \\ / \\ / \\")
    register.pupil("B1").marks("B1", "2025-09-01", "N N N N N N / \\ / \\")
    register.pupil("C1").marks("C1", "2025-09-01", "/ \\ / \\ / \\ / \\ / \\")
    register.pupil("D1").marks("D1", "2025-09-01", "I \\ / \\ / \\ / \\ / \\")
    register.pupil("E1").marks("E1", "2025-09-01", "N N N N N \\ / \\ / \\")
    pa = lists.persistent_absentees(con, F)
    assert list(pa["upn"]) == ["B1", "E1", "A1", "D1"]
    assert list(pa["absence_rate"]) == pytest.approx([60.0, 50.0, 20.0, 10.0])
    assert list(pa.columns[:5]) == ["upn", "surname", "forename", "year_group", "form"]
    assert list(lists.severe_absentees(con, F)["upn"]) == ["B1", "E1"]


def test_at_risk_says_why(con):
    trajectory_register(con)
    got = lists.at_risk(con, F)
    # A1 (84.4%) is persistently absent, not "at risk"; B1 is at 100% and steady.
    assert list(got["upn"]) == ["C1", "D1", "E1"]
    assert list(got["reason"]) == [
        "attendance 91.1% (90-95%)",
        "attendance 93.3% (90-95%); down 30.0 points since Autumn 1",
        "down 10.0 points since Autumn 1",
    ]


@pytest.mark.parametrize(("threshold", "expected"), [(90, ["A1"]), (95, ["D1"])])
def test_newly_below(con, threshold, expected):
    trajectory_register(con)
    assert list(lists.newly_below(con, F, threshold=threshold)["upn"]) == expected


# ---------------------------------------------------------------- penalty notice threshold


def _term_register(con, absent: dict) -> None:
    """School weeks: 1-7 = 1 Sep - 17 Oct, (half-term), 8-13 = 3 Nov - 12 Dec. Pupil P has ``absent``."""
    reg = Register(con)
    reg.pupil("P")
    fill(reg, "P", "2025-09-01", 35, absent)
    fill(reg, "P", "2025-11-03", 30, absent)


@pytest.mark.parametrize(
    ("absent", "expected"),
    [
        # 5 in school week 1 and 5 in school week 10 (17 Nov): 12 calendar weeks but 10 school weeks -> reached.
        (
            {
                "2025-09-01": "N N",
                "2025-09-02": "N N",
                "2025-09-03": "N /",
                "2025-11-17": "N N",
                "2025-11-18": "N N",
                "2025-11-19": "G \\",
            },
            (10, date(2025, 9, 1), date(2025, 11, 21), True),
        ),
        # 10 in weeks 1-2: reached, but the window ends in week 2, not within the last 10 (4-13).
        (
            {
                "2025-09-01": "N N",
                "2025-09-02": "N N",
                "2025-09-03": "N /",
                "2025-09-08": "O O",
                "2025-09-09": "O O",
                "2025-09-10": "U \\",
            },
            (10, date(2025, 9, 1), date(2025, 9, 12), False),
        ),
        # 5 in week 1 and 5 in week 11 (24 Nov): spread over 11 school weeks -> not reached.
        (
            {
                "2025-09-01": "N N",
                "2025-09-02": "N N",
                "2025-09-03": "N /",
                "2025-11-24": "N N",
                "2025-11-25": "N N",
                "2025-11-26": "N /",
            },
            None,
        ),
        # 9 sessions in weeks 1-2 -> not reached. Authorised absence (I) never counts.
        (
            {
                "2025-09-01": "N N",
                "2025-09-02": "N N",
                "2025-09-03": "N /",
                "2025-09-08": "N N",
                "2025-09-09": "N /",
                "2025-09-10": "I I",
            },
            None,
        ),
    ],
    ids=["across-half-term", "not-current", "eleven-weeks", "nine-sessions"],
)
def test_penalty_notice_threshold(con, absent, expected):
    _term_register(con, absent)
    got = lists.penalty_notice_threshold(con, F25)
    if expected is None:
        assert got.empty
        return
    row = got.iloc[0]
    assert len(got) == 1
    assert (
        row["unauthorised_sessions"],
        row["window_start"].date(),
        row["window_end"].date(),
        row["current"],
    ) == expected


def test_penalty_notice_threshold_across_the_end_of_the_school_year(register, con):
    # 2024/25 summer: school weeks 1-3 (30 Jun, 7 Jul, 14 Jul); 2025/26: weeks 4-7 (1 Sep ... 22 Sep).
    # P (Year 8 last year, Year 9 now): 6 unauthorised in week 3, 4 in week 4 -> 10 within weeks 1-4: reached.
    # Q: 10 unauthorised in July only, none this year: no window ends in 2025/26's weeks -> not listed.
    for upn in ("P", "Q"):
        register.pupil(upn, academic_year=2024, year_group=8).pupil(upn, academic_year=2025, year_group=9)
    fill(register, "P", "2025-06-30", 15, {"2025-07-14": "N N", "2025-07-15": "N N", "2025-07-16": "O O"})
    fill(register, "P", "2025-09-01", 20, {"2025-09-01": "N N", "2025-09-02": "U U"})
    fill(
        register,
        "Q",
        "2025-06-30",
        15,
        {d: "G G" for d in ("2025-07-14", "2025-07-15", "2025-07-16", "2025-07-17", "2025-07-18")},
    )
    fill(register, "Q", "2025-09-01", 20)
    got = lists.penalty_notice_threshold(con, F25.replace(year_groups=(9,)))
    assert list(got["upn"]) == ["P"]
    row = got.iloc[0]
    assert (row["unauthorised_sessions"], row["window_start"].date(), row["window_end"].date()) == (
        10,
        date(2025, 6, 30),
        date(2025, 9, 5),
    )
    assert row["year_group"] == 9 and row["current"]
    # As of 19 Sep (week 6) the same window is still found; as of 29 Aug the filter has no week yet.
    assert list(lists.penalty_notice_threshold(con, F25, as_of=date(2025, 9, 19))["upn"]) == ["P"]
    assert lists.penalty_notice_threshold(con, F25, as_of=date(2025, 8, 29)).empty


def test_pupils_behind_a_drill_down(register, con):
    # Two weeks. Year 9 Friday afternoons: A1 missed both, B1 one, D1 none (absent Mondays only);
    # C1 is Year 10. So the cell "Year 9, Friday, PM" has A1 (2 of 2) then B1 (1 of 2).
    week = "/ \\ / \\ / \\ / \\ / {fri}"
    register.pupil("A1").marks("A1", "2025-09-01", week.format(fri="N") + " " + week.format(fri="N"))
    register.pupil("B1").marks("B1", "2025-09-01", week.format(fri="N") + " " + week.format(fri="\\"))
    register.pupil("C1", year_group=10).marks("C1", "2025-09-01", week.format(fri="N") + " " + week.format(fri="N"))
    register.pupil("D1").marks("D1", "2025-09-01", "N N" + week.format(fri="\\")[3:] + " " + week.format(fri="\\"))
    got = lists.pupils_behind(con, F.replace(year_groups=(9,), weekdays=(5,), sessions=("PM",)))
    assert list(got["upn"]) == ["A1", "B1"]
    assert list(got["absence_sessions"]) == [2, 1]
    assert list(got["possible_sessions"]) == [2, 2]


# ---------------------------------------------------------------- roles and the empty database

LIST_FUNCTIONS = [
    lists.persistent_absentees,
    lists.severe_absentees,
    lists.at_risk,
    lists.newly_below,
    lists.penalty_notice_threshold,
    lists.pupils_behind,
]


@pytest.mark.parametrize("function", LIST_FUNCTIONS, ids=lambda fn: fn.__name__)
def test_governor_may_not_see_lists(con, function):
    with pytest.raises(PupilLevelDenied):
        function(con, Filter(scope=Scope(pupil_level=False)))


@pytest.mark.parametrize("function", LIST_FUNCTIONS, ids=lambda fn: fn.__name__)
def test_empty_database(con, function):
    got = function(con, Filter())
    assert isinstance(got, pd.DataFrame) and got.empty


def _weekdays(start: str, days: int, weekday: int) -> list[str]:
    from tests.registers import school_days

    return [d.isoformat() for d in school_days(start, days) if d.isoweekday() == weekday]


def _spread(start: str, days: int, every: int) -> list[str]:
    from tests.registers import school_days

    return [d.isoformat() for i, d in enumerate(school_days(start, days)) if i % every == 0]


# Twelve weeks (60 school days, 12 of each weekday) for each pupil; what they missed, and what the list says.
ONE_DAY_ROWS = [
    # Every Friday: 12 of 12 Fridays against 12 of 60 days (20%): far beyond chance.
    ("FRI", {d: "N N" for d in _weekdays("2025-09-01", 60, 5)}, ("Fridays", 12, 12)),
    # One day a week, but a different weekday each week (every 6th school day): no day stands out.
    ("SPREAD", {d: "N N" for d in _spread("2025-09-01", 60, 6)}, None),
    # Fifteen afternoons, spread over the weekdays: 15 of 60 afternoons against 15 of 120 sessions.
    ("PM", {d: "/ N" for d in _spread("2025-09-01", 60, 4)}, ("Afternoons", 15, 60)),
    # Two Fridays only: never a pattern, however the rest of the year looks.
    ("TWO", {d: "N N" for d in _weekdays("2025-09-01", 60, 5)[:2]}, None),
    ("NONE", {}, None),
]


def test_pupils_whose_absence_falls_on_one_day_are_listed(register, con):
    for upn, absent, _ in ONE_DAY_ROWS:
        register.pupil(upn)
        fill(register, upn, "2025-09-01", 60, absent)
    got = lists.absence_on_one_day(con, F25).set_index("upn")
    expected = {upn: slot for upn, _, slot in ONE_DAY_ROWS if slot}
    assert sorted(got.index) == sorted(expected)
    for upn, (slot, absences, possible) in expected.items():
        assert (got.at[upn, "slot"], got.at[upn, "slot_absences"], got.at[upn, "slot_possible"]) == (
            slot,
            absences,
            possible,
        )
        assert got.at[upn, "p_adjusted"] < lists.ONE_DAY_ALPHA
    with pytest.raises(PupilLevelDenied):
        lists.absence_on_one_day(con, F25.replace(scope=Scope(pupil_level=False)))

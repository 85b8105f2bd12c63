"""Per-pupil analysis on golden registers: every expected figure worked out by hand in a comment."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from analytics import pupils
from analytics.filters import Filter, PupilLevelDenied, Scope
from tests.registers import Register, school_days
from ui import road_words

F = Filter(school_ids=("T1",))


def fill(reg: Register, upn: str, start: str, days: int, absent: dict | None = None, default: str = "/ \\") -> None:
    """``days`` school days of marks from ``start``: ``default`` (AM PM) unless ``absent`` gives that date's pair."""
    absent = absent or {}
    for day in school_days(start, days):
        am, pm = absent.get(day.isoformat(), default).split()
        reg.mark(upn, day, "AM", am, sync=False)
        reg.mark(upn, day, "PM", pm, sync=False)
    reg.sync()


def mondays(start: str, weeks: int) -> list[str]:
    return [d.isoformat() for d in school_days(start, weeks * 5) if d.isoweekday() == 1]


# ---------------------------------------------------------------- finding and profile


@pytest.fixture
def named(register):
    register.pupil("1001", surname="Khan", forename="Amira", year_group=9)
    register.pupil("1002", surname="O'Brien", forename="Sean", year_group=9)
    register.pupil("1003", surname="Khanna", forename="Dev", year_group=10)
    return register


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("amira", ["1001"]),
        ("KHAN", ["1001", "1003"]),  # partial: Khan and Khanna, by surname
        ("amira kh", ["1001"]),  # every word must match
        ("o'brien", ["1002"]),  # an apostrophe is just text (bound parameter)
        ("1003", ["1003"]),
        ("100", ["1001", "1003", "1002"]),  # partial UPN; sorted by surname: Khan, Khanna, O'Brien
        ("zed", []),
    ],
)
def test_find_pupils(named, con, query, expected):
    assert list(pupils.find_pupils(con, F, query)["upn"]) == expected


def test_find_pupils_respects_scope(named, con):
    # A pastoral lead for Year 10 finds Dev Khanna only.
    f = F.replace(scope=Scope(year_groups=(10,)))
    assert list(pupils.find_pupils(con, f, "khan")["upn"]) == ["1003"]


def test_profile_and_calendar(register, con):
    # Mon: / N   Tue: - #  -> possible 2 ('-' is missing, '#' a closure), absent 1 -> 50%
    register.pupil("A1", forename="Amira", year_group=9, fsm=True).marks("A1", "2025-09-01", "/ N - #")
    profile = pupils.pupil_profile(con, F, "A1")
    assert (profile["forename"], profile["year_group"], profile["fsm"]) == ("Amira", 9, True)
    assert profile["measures"]["possible_sessions"] == 2
    assert profile["measures"]["absence_rate"] == pytest.approx(50.0)
    cal = pupils.pupil_calendar(con, F, "A1")
    assert list(cal["category"]) == ["present", "unauthorised", "missing", "not_possible"]
    assert list(cal["weekday_name"]) == ["Monday", "Monday", "Tuesday", "Tuesday"]
    assert cal["meaning"].iloc[1] == "Reason for absence not yet established"
    assert pupils.pupil_profile(con, F, "nobody") == {}


def test_pupil_vs_year_group(register, con):
    # One week each. A1 (Y9): 2 of 10 absent (N N on Monday) and one L -> attendance 80%, lateness 10%.
    # B1 (Y9): 0 of 10. C1 (Y10): 5 of 10 (I on 5 mornings).
    # Year 9: 2 of 20 absent -> 90%. School: 7 of 30 -> 23/30 = 76.67%.
    register.pupil("A1", year_group=9).marks("A1", "2025-09-01", "N N L \\ / \\ / \\ / \\")
    register.pupil("B1", year_group=9).marks("B1", "2025-09-01", "/ \\ / \\ / \\ / \\ / \\")
    register.pupil("C1", year_group=10).marks("C1", "2025-09-01", "I \\ I \\ I \\ I \\ I \\")
    got = pupils.pupil_vs_year_group(con, F, "A1").set_index("comparison")
    assert got.loc["pupil", "attendance_rate"] == pytest.approx(80.0)
    assert got.loc["pupil", "lateness_rate"] == pytest.approx(10.0)
    assert got.loc["year group", "attendance_rate"] == pytest.approx(90.0)
    assert got.loc["year group", "label"] == "Year 9"
    assert got.loc["school", "attendance_rate"] == pytest.approx(100 * 23 / 30)
    assert got.loc["school", "authorised_rate"] == pytest.approx(100 * 5 / 30)


# ---------------------------------------------------------------- spells and streaks


def test_spell_runs_across_a_closure_day(register, con):
    # Mon: / N    Tue: # # (closure, not possible)    Wed: N N    Thu: / \    Fri: I /
    # Possible sequence: / N N N / \ I /  -> spells: Mon PM..Wed PM (3 sessions), Fri AM (1).
    register.pupil("A1").marks("A1", "2025-09-01", "/ N # # N N / \\ I /")
    spells = pupils.absence_spells(con, F, "A1")
    assert list(spells["sessions"]) == [3, 1]
    first = spells.iloc[0]
    assert (first["start_date"].date(), first["start_session"]) == (date(2025, 9, 1), "PM")
    assert (first["end_date"].date(), first["end_session"]) == (date(2025, 9, 3), "PM")
    assert first["unauthorised_sessions"] == 3
    assert spells.iloc[1]["codes"] == "I"


def test_spell_broken_by_a_present_session_and_longest_streak(register, con):
    # A1: N N / N N N N -  U  (the '-' missing mark neither breaks nor extends)
    #   -> spells of 2 and 5 (N N N N U); longest 5, 2 spells.
    # B1: all present -> no row.  C1: one I -> longest 1.
    register.pupil("A1").marks("A1", "2025-09-01", "N N / N N N N - U /")
    register.pupil("B1").marks("B1", "2025-09-01", "/ \\ / \\")
    register.pupil("C1").marks("C1", "2025-09-01", "/ I / \\")
    streaks = pupils.longest_streak(con, F)
    assert list(streaks["upn"]) == ["A1", "C1"]
    a1 = streaks.iloc[0]
    assert (a1["longest_spell_sessions"], a1["spells"], a1["absence_sessions"]) == (5, 2, 7)
    assert a1["longest_start_date"].date() == date(2025, 9, 2)  # Tue PM
    assert a1["longest_end_date"].date() == date(2025, 9, 5)  # Fri AM (U)


# ---------------------------------------------------------------- patterns beyond chance


def _binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), by the formula, independently of scipy."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def test_monday_pattern_found_with_twelve_mondays(register, con):
    # 12 weeks (60 days). Absent all day on 7 of the 12 Mondays and on one Wednesday.
    # Days absent 8 of 60 = 13.3%; Mondays 7 of 12 = 58.3%.
    # Tested slots: Monday (12 days, 7 absences) and AM, PM (60 sessions, 8 absences each, 13.3% = overall).
    # Monday p = P(X >= 7 | n=12, p=8/60) ~ 0.00034; Holm x3 ~ 0.001 < 0.05 -> significant.
    register.pupil("A1")
    absent = {d: "N N" for d in mondays("2025-09-01", 12)[:7]}
    absent["2025-09-03"] = "I I"
    fill(register, "A1", "2025-09-01", 60, absent)
    got = pupils.pupil_patterns(con, F, "A1")
    monday = got[(got["kind"] == "weekday") & (got["value"] == "1")].iloc[0]
    assert (monday["possible"], monday["absences"]) == (12, 7)
    assert monday["p_value"] == pytest.approx(_binomial_tail(7, 12, 8 / 60))
    assert monday["p_adjusted"] == pytest.approx(3 * _binomial_tail(7, 12, 8 / 60))
    assert monday["significant"]
    assert monday["evidence"] == "Absent 7 of 12 Mondays (58%) against 13% of all days"
    assert list(got[got["significant"]]["label"]) == ["Monday"]
    assert int(got["tested"].sum()) == 3


@pytest.mark.parametrize(
    ("weeks", "monday_absences", "other_days"),
    [
        (12, 1, []),  # one Monday off in 12 weeks: 1 absence, not even tested
        (1, 1, []),  # one Monday off in the only week: 1 of 1 Mondays, far below 10 days
        # 3 Mondays and 6 other days: Monday 3/12 = 25% against 9/60 = 15%: P(X>=3) ~ 0.26, chance
        (12, 3, ["2025-09-03", "2025-09-10", "2025-09-18", "2025-10-02", "2025-10-09", "2025-10-16"]),
    ],
)
def test_no_monday_pattern_by_chance(register, con, weeks, monday_absences, other_days):
    register.pupil("A1")
    absent = {d: "N N" for d in mondays("2025-09-01", weeks)[:monday_absences]}
    absent.update({d: "I I" for d in other_days})
    fill(register, "A1", "2025-09-01", 5 * weeks, absent)
    got = pupils.pupil_patterns(con, F, "A1")
    assert not got["significant"].any()


def test_subject_pattern_from_lessons(register, con):
    # 12 Mondays with lessons P1 Maths, P2 English; Maths missed 8 times (N), English never.
    # Sessions all present (post-registration). Lessons: 8 of 24 absent = 33%; Maths 8/12 = 67%.
    # p = P(X>=8 | 12, 1/3) ~ 0.019; tested: Maths, Period 1 (same lessons) -> Holm x2 ~ 0.038 < 0.05.
    register.pupil("A1")
    for i, day in enumerate(mondays("2025-09-01", 12)):
        register.mark("A1", day, "AM", "/", sync=False).mark("A1", day, "PM", "\\", sync=False)
        register.lessons("A1", day, [("1", "Maths", "N" if i < 8 else "/"), ("2", "English", "/")])
    got = pupils.pupil_patterns(con, F, "A1").set_index(["kind", "value"])
    assert got.loc[("subject", "Maths"), "p_value"] == pytest.approx(_binomial_tail(8, 12, 1 / 3))
    assert got.loc[("subject", "Maths"), "significant"]
    assert not got.loc[("subject", "English"), "tested"]


# ---------------------------------------------------------------- trajectory


def test_trajectory_newly_below_90(con):
    from tests.test_lists import trajectory_register

    trajectory_register(con)
    got = pupils.trajectory(con, F).set_index("upn")
    a1 = got.loc["A1"]
    # A1: autumn 1 64/70 = 91.43% YTD; autumn 2 so far 12/20 = 60%; YTD now 76/90 = 84.44%.
    assert a1["attendance_previous"] == pytest.approx(100 * 64 / 70)
    assert a1["attendance_this"] == pytest.approx(60.0)
    assert a1["change"] == pytest.approx(60 - 100 * 64 / 70)
    assert a1["ytd_now"] == pytest.approx(100 * 76 / 90)
    assert (a1["half_term"], a1["previous_half_term"]) == ("Autumn 2", "Autumn 1")
    assert a1["newly_below_90"] and not a1["newly_below_95"]  # already below 95 last half-term
    # C1 was already below 90 (62/70 = 88.57%): not newly below.
    assert not got.loc["C1", "newly_below_90"]
    # D1: 100% then 14/20: YTD 84/90 = 93.3% -> newly below 95, not 90.
    assert got.loc["D1", "newly_below_95"] and not got.loc["D1", "newly_below_90"]
    assert list(got.index[got["newly_below_90"]]) == ["A1"]


# ---------------------------------------------------------------- time lost and rule of three


@pytest.mark.parametrize(("periods", "minutes"), [(5, 60), (6, 50)])
def test_time_lost_arithmetic(register, con, periods, minutes):
    # 10 school weeks = 100 sessions held, no calendar -> a 380-session year, 280 left.
    # Absent 14 sessions (7 days, all Mondays) = 14%. Projection: 14 + 0.14 x 280 = 53.2 sessions
    # = 26.6 days -> "26½ days", more than five school weeks.
    # Lessons on the first two days: periods x 2 lessons, 3 absent -> 3 x minutes / 60 hours.
    register.pupil("A1", forename="Amira")
    fill(register, "A1", "2025-09-01", 50, {d: "I I" for d in mondays("2025-09-01", 10)[:7]})
    for day in ("2025-09-02", "2025-09-03"):
        marks = [(str(n), "Maths", "/") for n in range(1, periods + 1)]
        register.lessons("A1", day, marks)
    register.lessons("A1", "2025-09-04", [("1", "Maths", "N"), ("2", "Maths", "N"), ("3", "Maths", "N")])
    got = pupils.time_lost(con, F, "A1")
    assert (got["absence_sessions"], got["days_missed"]) == (14, 7.0)
    assert (got["year_sessions"], got["sessions_held_so_far"], got["remaining_sessions"]) == (380, 100, 280)
    assert got["projected_absence_sessions"] == pytest.approx(53.2)
    assert got["projected_days_missed"] == pytest.approx(26.6)
    assert (got["lessons_missed"], got["lesson_minutes"]) == (3, minutes)
    assert got["hours_missed"] == pytest.approx(3 * minutes / 60)
    assert road_words.time_lost_sentences(got)[0] == (
        "Amira has missed 7 days so far this year; at this rate that will be 26½ days by July, "
        "more than five school weeks."
    )


def test_time_lost_uses_a_full_school_calendar(register, con):
    # Calendar 2025/26: 35 + 35 + 30 + 25 + 30 + 30 = 185 weekdays in its half-terms -> 370 sessions.
    # 10 weeks held = 100 sessions, 270 left; 14 absent (14%): 14 + 0.14 x 270 = 51.8 sessions = 25.9 days.
    halves = [
        ("autumn", 1, "2025-09-01", "2025-10-17"),
        ("autumn", 2, "2025-11-03", "2025-12-19"),
        ("spring", 1, "2026-01-05", "2026-02-13"),
        ("spring", 2, "2026-02-23", "2026-03-27"),
        ("summer", 1, "2026-04-13", "2026-05-22"),
        ("summer", 2, "2026-06-01", "2026-07-10"),
    ]
    for term, half, start, end in halves:
        register.calendar(2025, term, half, start, end)
    register.pupil("A1")
    fill(register, "A1", "2025-09-01", 35, {d: "I I" for d in mondays("2025-09-01", 7)})
    fill(register, "A1", "2025-11-03", 15)
    got = pupils.time_lost(con, F, "A1")
    assert (got["year_sessions"], got["year_basis"], got["remaining_sessions"]) == (370, "the school calendar", 270)
    assert got["projected_days_missed"] == pytest.approx(25.9)
    assert got["lessons_missed"] is None  # no lesson registers: no lessons or hours claimed


def test_rule_of_three(register, con):
    # Autumn 1 (7 weeks, 35 days): absent 6 sessions = 3 days -> 'at'.
    # Autumn 2 so far (2 weeks): absent 7 sessions = 3.5 days -> 'over', still in progress.
    register.pupil("A1")
    register.calendar(2025, "autumn", 1, "2025-09-01", "2025-10-17")
    register.calendar(2025, "autumn", 2, "2025-11-03", "2025-12-19")
    fill(register, "A1", "2025-09-01", 35, {"2025-09-08": "I I", "2025-09-09": "I I", "2025-09-10": "N N"})
    fill(
        register,
        "A1",
        "2025-11-03",
        10,
        {"2025-11-03": "N N", "2025-11-04": "N N", "2025-11-05": "N N", "2025-11-06": "U \\"},
    )
    got = pupils.rule_of_three(con, F, "A1")
    assert list(got["half_term"]) == ["Autumn 1", "Autumn 2"]
    assert list(got["days_off"]) == [3.0, 3.5]
    assert list(got["status"]) == ["at", "over"]
    assert list(got["in_progress"]) == [False, True]
    assert got["attendance_rate"].iloc[0] == pytest.approx(100 * 64 / 70)


def test_pupil_lesson_absence_by_subject(register, con):
    # AM present, PM absent. Maths P1 (AM) N -> post-registration; Science P4 (PM) N -> not (absent at registration).
    register.pupil("A1").marks("A1", "2025-09-01", "/ N")
    register.lessons("A1", "2025-09-01", [("1", "Maths", "N"), ("2", "English", "/"), ("4", "Science", "N")])
    got = pupils.pupil_lesson_absence_by_subject(con, F, "A1").set_index("subject")
    assert got.loc["Maths", "post_registration_absences"] == 1
    assert got.loc["Science", "post_registration_absences"] == 0
    assert got.loc["Science", "absent_lessons"] == 1
    assert got.loc["English", "absence_rate"] == 0


# ---------------------------------------------------------------- roles and the empty database

PUPIL_FUNCTIONS = [
    (pupils.find_pupils, ("a",)),
    (pupils.pupil_profile, ("A1",)),
    (pupils.pupil_calendar, ("A1",)),
    (pupils.pupil_vs_year_group, ("A1",)),
    (pupils.absence_spells, ()),
    (pupils.longest_streak, ()),
    (pupils.pupil_patterns, ("A1",)),
    (pupils.trajectory, ()),
    (pupils.time_lost, ("A1",)),
    (pupils.rule_of_three, ("A1",)),
    (pupils.pupil_lesson_absence_by_subject, ("A1",)),
]


@pytest.mark.parametrize(("function", "args"), PUPIL_FUNCTIONS, ids=lambda x: getattr(x, "__name__", ""))
def test_governor_may_not_see_pupils(con, function, args):
    with pytest.raises(PupilLevelDenied):
        function(con, Filter(scope=Scope(pupil_level=False)), *args)


@pytest.mark.parametrize(("function", "args"), PUPIL_FUNCTIONS, ids=lambda x: getattr(x, "__name__", ""))
def test_empty_database(con, function, args):
    got = function(con, Filter(), *args)
    assert (got == {}) if isinstance(got, dict) else (isinstance(got, pd.DataFrame) and got.empty)


BASE = {
    "forename": "Sam",
    "days_missed": 7.0,
    "projected_days_missed": 26.6,
    "remaining_sessions": 280,
    "lessons_missed": None,
    "hours_missed": None,
    "absence_sessions": 14,
    "possible_sessions": 100,
    "attendance_rate": 86.0,
}


@pytest.mark.parametrize(
    "changes, expected",
    [
        (
            {},
            [
                "Sam has missed 7 days so far this year; at this rate that will be 26½ days by July, "
                "more than five school weeks.",
                "Attendance of 86.0% is about one day missed every 7 school days.",
            ],
        ),
        (
            {"forename": None, "remaining_sessions": 0, "days_missed": 0.5, "absence_sessions": 1},
            [
                "This pupil has missed half a day so far this year.",
                "Attendance of 86.0% is about one day missed every 100 school days.",
            ],
        ),
        (
            {"projected_days_missed": 10.0, "lessons_missed": 1, "hours_missed": 1.0},
            [
                "Sam has missed 7 days so far this year; at this rate that will be 10 days by July, exactly two school weeks.",
                "That is 1 lesson, about 1 hour of learning.",
                "Attendance of 86.0% is about one day missed every 7 school days.",
            ],
        ),
        (
            {"projected_days_missed": 8.0, "absence_sessions": 0},
            [
                "Sam has missed 7 days so far this year; at this rate that will be 8 days by July, more than one school week."
            ],
        ),
    ],
)
def test_time_lost_in_a_parents_words(changes, expected):
    assert road_words.time_lost_sentences({**BASE, **changes}) == expected
    assert road_words.time_lost_sentences({}) == []

"""Patterns on golden registers: every expected figure worked out by hand in a comment."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics import patterns
from analytics.filters import Filter, PupilLevelDenied, Scope
from tests.test_pupils import fill

F = Filter(school_ids=("T1",))
F25 = Filter(school_ids=("T1",), academic_year=2025)


@pytest.fixture
def week(register):
    # A1, one week from Monday 1 Sep:
    # Mon N N | Tue / L | Wed / \ | Thu U \ | Fri I #   (# = closure, not possible)
    register.pupil("A1").marks("A1", "2025-09-01", "N N / L / \\ U \\ I #")
    return register


@pytest.mark.parametrize(
    ("weekday", "session", "possible", "absent", "authorised", "unauthorised", "late_l", "late_u"),
    [
        (1, "AM", 1, 1, 0, 1, 0, 0),
        (1, "PM", 1, 1, 0, 1, 0, 0),
        (2, "AM", 1, 0, 0, 0, 0, 0),
        (2, "PM", 1, 0, 0, 0, 1, 0),  # L: late before close, present
        (4, "AM", 1, 1, 0, 1, 0, 1),  # U: late after close, unauthorised absence
        (5, "AM", 1, 1, 1, 0, 0, 0),
    ],
)
def test_absence_by_weekday_session(
    week, con, weekday, session, possible, absent, authorised, unauthorised, late_l, late_u
):
    got = patterns.absence_by_weekday_session(con, F).set_index(["weekday", "session"])
    row = got.loc[(weekday, session)]
    assert (
        row["possible_sessions"],
        row["absence_sessions"],
        row["authorised_sessions"],
        row["unauthorised_sessions"],
        row["late_before_close"],
        row["late_after_close"],
    ) == (possible, absent, authorised, unauthorised, late_l, late_u)
    assert row["absence_rate"] == pytest.approx(100.0 * absent / possible)
    assert row["lateness_rate"] == pytest.approx(100.0 * (late_l + late_u) / possible)


def test_weekday_session_leaves_out_slots_with_no_possible_session(week, con):
    got = patterns.absence_by_weekday_session(con, F)
    # 10 slots, Friday PM only '#': 9 rows.
    assert len(got) == 9
    assert list(got["weekday_name"].unique()) == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def test_weekly_trend_this_year_against_last(register, con):
    # 2025/26 (1 Sep 2025 is a Monday = academic week 1): week 1 N N + 8 present = 20%; week 2 all present = 0%.
    # 2024/25 (1 Sep 2024 is a Sunday, so week 1 starts Monday 2 Sep): I I I I + 6 present = 40%.
    # Calendar for 2025 only: 2024's half-term is derived from the marks ("Autumn 1").
    register.calendar(2025, "autumn", 1, "2025-09-01", "2025-10-17")
    register.pupil("A1")
    fill(register, "A1", "2025-09-01", 10, {"2025-09-01": "N N"})
    register.pupil("B1", academic_year=2024).marks("B1", "2024-09-02", "I I I I / \\ / \\ / \\")
    got = patterns.weekly_trend(con, F25)
    rows = list(got[["series", "academic_week", "absence_rate", "half_term"]].itertuples(index=False, name=None))
    assert rows == [
        ("this year", 1, 20.0, "Autumn 1"),
        ("this year", 2, 0.0, "Autumn 1"),
        ("last year", 1, 40.0, "Autumn 1"),
    ]
    assert list(got["attendance_rate"]) == [80.0, 100.0, 60.0]
    only_this = patterns.weekly_trend(con, F25, compare_last_year=False)
    assert list(only_this["series"].unique()) == ["this year"]
    bounds = patterns.term_boundaries(con, F25)
    assert list(bounds[["label", "start_week", "end_week"]].itertuples(index=False, name=None)) == [("Autumn 1", 1, 7)]


def test_holiday_effect(register, con):
    # Autumn 1 to 17 Oct (35 days), October half-term, autumn 2 from 3 Nov (20 days marked): 110 sessions.
    # days=2: before = Thu 16 + Fri 17 Oct: 4 sessions, 2 absent (N N on the 17th) -> 50%.
    #         after  = Mon 3 + Tue 4 Nov: 4 sessions, 1 absent (I on the 3rd AM) -> 25%.
    # Rest of the year: 110 - 8 = 102 sessions, 2 absent (I I on 10 Sep) -> 1.96%.
    register.calendar(2025, "autumn", 1, "2025-09-01", "2025-10-17")
    register.calendar(2025, "autumn", 2, "2025-11-03", "2025-12-19")
    register.pupil("A1")
    fill(register, "A1", "2025-09-01", 35, {"2025-10-17": "N N", "2025-09-10": "I I"})
    fill(register, "A1", "2025-11-03", 20, {"2025-11-03": "I \\"})
    got = patterns.holiday_effect(con, F, days=2).set_index("side")
    assert list(got["holiday"]) == ["October half-term", "October half-term"]
    assert got.loc["before", "possible_sessions"] == 4
    assert got.loc["before", "absence_rate"] == pytest.approx(50.0)
    assert got.loc["after", "absence_rate"] == pytest.approx(25.0)
    assert got.loc["before", "overall_rate"] == pytest.approx(200 / 102)
    assert got.loc["before", "difference"] == pytest.approx(50 - 200 / 102)
    assert str(got.loc["after", "start_date"].date()) == "2025-11-03"


def test_reasons_over_time(register, con):
    # September: Mon I I, Tue N \, Wed / \ -> 6 possible, 3 absent: I 2 (2/3 of absence, 33.3 per 100), N 1.
    # October: 1 Oct N \ -> 2 possible, N 1: all of October's absence.
    register.pupil("A1").marks("A1", "2025-09-01", "I I N \\ / \\").mark("A1", "2025-10-01", "AM", "N")
    register.mark("A1", "2025-10-01", "PM", "\\")
    got = patterns.reasons_over_time(con, F)
    rows = [
        (str(p.date())[:7], c, s, round(share, 2))
        for p, c, s, share in got[["period", "code", "sessions", "share_of_absence"]].itertuples(index=False)
    ]
    assert rows == [("2025-09", "I", 2, 66.67), ("2025-09", "N", 1, 33.33), ("2025-10", "N", 1, 100.0)]
    assert got["meaning"].iloc[0] == "Illness (not medical or dental appointment)"
    assert got["rate"].iloc[0] == pytest.approx(100 * 2 / 6)
    with pytest.raises(ValueError, match="unknown period"):
        patterns.reasons_over_time(con, F, freq="fortnight")


@pytest.fixture
def lessons(register):
    """Lesson registers over two days (P1-P3 in the AM session, P4-P5 in the PM).

    A1 Mon: session AM L (late, present), PM N.  Lessons P1 Maths /, P2 English N, P3 Maths L, P4 Science N, P5 Maths N.
    A1 Tue: session AM /, PM \\.                   Lessons P1 Maths N, P5 Maths /.
    B1 Mon: present everywhere.                    Lessons P1-P5 as A1's Monday, all /.
    Post-registration absence (present at the session, absent from the lesson): A1 Mon P2 English, A1 Tue P1 Maths.
    """
    register.pupil("A1").marks("A1", "2025-09-01", "L N / \\")
    register.pupil("B1").marks("B1", "2025-09-01", "/ \\")
    register.lessons(
        "A1",
        "2025-09-01",
        [
            ("1", "Maths", "/"),
            ("2", "English", "N"),
            ("3", "Maths", "L", 5),
            ("4", "Science", "N"),
            ("5", "Maths", "N"),
        ],
    )
    register.lessons("A1", "2025-09-02", [("1", "Maths", "N"), ("5", "Maths", "/")])
    register.lessons(
        "B1",
        "2025-09-01",
        [("1", "Maths", "/"), ("2", "English", "/"), ("3", "Maths", "/"), ("4", "Science", "/"), ("5", "Maths", "/")],
    )
    return register


@pytest.mark.parametrize(
    ("weekday", "period", "possible", "absent", "late"),
    [
        (1, "1", 2, 0, 0),
        (1, "2", 2, 1, 0),
        (1, "3", 2, 0, 1),
        (1, "4", 2, 1, 0),
        (1, "5", 2, 1, 0),
        (2, "1", 1, 1, 0),
        (2, "5", 1, 0, 0),
    ],
)
def test_lesson_absence_by_period_weekday(lessons, con, weekday, period, possible, absent, late):
    got = patterns.lesson_absence_by_period_weekday(con, F).set_index(["weekday", "period"])
    row = got.loc[(weekday, period)]
    assert (row["possible_lessons"], row["absent_lessons"], row["late_lessons"]) == (possible, absent, late)


def test_lesson_absence_by_subject(lessons, con):
    # Maths: A1 5 lessons (Mon P1 P3 P5, Tue P1 P5) + B1 3 = 8, absent 2 (A1 Mon P5, Tue P1) = 25%.
    # English 2 lessons 1 absent = 50%; Science 2, 1 absent = 50%. Highest first, then by name.
    got = patterns.lesson_absence_by_subject(con, F)
    assert list(got["subject"]) == ["English", "Science", "Maths"]
    assert list(got["possible_lessons"]) == [2, 2, 8]
    assert list(got["absence_rate"]) == pytest.approx([50.0, 50.0, 25.0])
    assert got.set_index("subject").loc["Maths", "average_minutes_late"] == 5


def test_post_registration_absence_only_when_present_at_the_session(lessons, con):
    by_subject = patterns.post_registration_absence(con, F, by="subject").set_index("subject")
    # English: present at registration for A1 Mon P2 and B1 P2 -> 2 lessons, 1 missed = 50%.
    assert by_subject.loc["English", ["lessons_present_at_registration", "post_registration_absences"]].tolist() == [
        2,
        1,
    ]
    # Maths: present at registration for A1 Mon P1 P3, Tue P1 P5 (not Mon P5: PM was N) + B1 3 = 7; 1 missed.
    assert by_subject.loc["Maths", ["lessons_present_at_registration", "post_registration_absences"]].tolist() == [7, 1]
    assert by_subject.loc["Maths", "rate"] == pytest.approx(100 / 7)
    # Science: A1 missed it but was absent at the PM register -> not post-registration absence.
    assert by_subject.loc["Science", "post_registration_absences"] == 0
    by_pupil = patterns.post_registration_absence(con, F, by="pupil")
    # Only A1: 2 of 5 lessons present at registration (Mon P1 P2 P3, Tue P1 P5) = 40%.
    assert list(by_pupil["upn"]) == ["A1"]
    assert (by_pupil["post_registration_absences"].iloc[0], by_pupil["rate"].iloc[0]) == (2, 40.0)
    assert list(by_pupil.columns[:5]) == ["upn", "surname", "forename", "year_group", "form"]
    by_period = patterns.post_registration_absence(con, F, by="period").set_index("period")
    assert by_period["post_registration_absences"].to_dict() == {"1": 1, "2": 1, "3": 0, "4": 0, "5": 0}


def test_governor_sees_patterns_but_not_pupils(lessons, con):
    governor = F.replace(scope=Scope(pupil_level=False))
    assert not patterns.absence_by_weekday_session(con, governor).empty
    assert not patterns.post_registration_absence(con, governor, by="subject").empty
    with pytest.raises(PupilLevelDenied):
        patterns.post_registration_absence(con, governor, by="pupil")


@pytest.mark.parametrize(
    "call",
    [
        patterns.absence_by_weekday_session,
        patterns.weekly_trend,
        patterns.term_boundaries,
        patterns.holiday_effect,
        patterns.reasons_over_time,
        patterns.lesson_absence_by_period_weekday,
        patterns.lesson_absence_by_subject,
        patterns.post_registration_absence,
        lambda con, f: patterns.post_registration_absence(con, f, by="pupil"),
    ],
    ids=lambda fn: fn.__name__,
)
def test_empty_database(con, call):
    got = call(con, Filter())
    assert isinstance(got, pd.DataFrame) and got.empty

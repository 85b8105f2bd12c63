"""Golden register: six pupils whose every figure was worked out by hand.

School days from Monday 1 September 2025; each string is AM, PM, AM, PM ...

    A  joiner, admitted Wed 3 Sep   N N N N / \\ / \\ I I
       Mon-Tue (4 x N) are before admission: ignored. Inside: / \\ / \\ I I
       -> possible 6, attendance 4, authorised 2, unauthorised 0; absence 2/6 = 33.3% (PA)
    B  leaver, left Wed 3 Sep       / \\ U L / \\ G G
       Thu (G G) is after leaving: ignored. Inside: / \\ U L / \\
       -> possible 6, attendance 5 (L is present), unauthorised 1 (U); 1/6 = 16.7% (PA)
    C  not-possible codes           D # X Q Y1 Y7 Z Y / \\ - -
       D # X Q Y1 Y7 Z and legacy Y are not possible sessions; - - are missing
       -> possible 2, attendance 2, missing 2; 0% absence
    D  legacy H and J, PA boundary  H J / \\ / \\ / \\ / \\
       H (legacy) authorised, J (legacy) approved activity = attendance
       -> possible 10, attendance 9, authorised 1; exactly 10% -> PA
    E  severe boundary              I O / \\
       -> possible 4, attendance 2, authorised 1, unauthorised 1; exactly 50% -> severe (and PA)
    F  just under PA                N / \\ / \\ / \\ / \\ / \\
       -> possible 11, attendance 10, unauthorised 1; 1/11 = 9.09% -> not PA

School: possible 6+6+2+10+4+11 = 39; attendance 4+5+2+9+2+10 = 32;
authorised 2+0+0+1+1+0 = 4; unauthorised 0+1+0+0+1+1 = 3; absence 7.
Rates are session-weighted: 7/39 = 17.948717...%, not the mean of the
pupils' rates (19.85%). PA: A, B, D, E = 4 of 6 enrolments; severe: E = 1 of 6.
"""

from datetime import date

import pytest

from analytics import measures
from analytics.filters import Filter

F = Filter(school_ids=("T1",), academic_year=2025)


@pytest.fixture
def golden(register, con):
    register.pupil("A", fsm=True, sen="K", admission_date="2025-09-03")
    register.marks("A", "2025-09-01", "N N N N / \\ / \\ I I")
    register.pupil("B", fsm=True, sen="N", leaving_date="2025-09-03")
    register.marks("B", "2025-09-01", "/ \\ U L / \\ G G")
    register.pupil("C", fsm=True, sen="E")
    register.marks("C", "2025-09-01", "D # X Q Y1 Y7 Z Y / \\ - -")
    register.pupil("D", fsm=False, sen="N")
    register.marks("D", "2025-09-01", "H J / \\ / \\ / \\ / \\")
    register.pupil("E", fsm=False, sen="K")
    register.marks("E", "2025-09-01", "I O / \\")
    register.pupil("F", fsm=False, sen="N")
    register.marks("F", "2025-09-01", "N / \\ / \\ / \\ / \\ / \\")
    return con


@pytest.mark.parametrize(
    "key, expected",
    [
        ("enrolments", 6),
        ("possible_sessions", 39),
        ("attendance_sessions", 32),
        ("authorised_sessions", 4),
        ("unauthorised_sessions", 3),
        ("missing_sessions", 2),
        ("attendance_rate", 100 * 32 / 39),  # 82.05%
        ("overall_absence_rate", 100 * 7 / 39),  # 17.95%
        ("authorised_absence_rate", 100 * 4 / 39),  # 10.26%
        ("unauthorised_absence_rate", 100 * 3 / 39),  # 7.69%
        ("persistent_absence_count", 4),  # A 33%, B 16.7%, D 10% exactly, E 50%
        ("persistent_absence_rate", 100 * 4 / 6),
        ("severe_absence_count", 1),  # E at exactly 50%
        ("severe_absence_rate", 100 * 1 / 6),
    ],
)
def test_school_figures(golden, key, expected):
    assert measures.summary(golden, F)[key] == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    "upn, possible, attendance, authorised, unauthorised, missing, late_l, late_u, persistent, severe",
    [
        ("A", 6, 4, 2, 0, 0, 0, 0, True, False),  # marks before admission ignored
        ("B", 6, 5, 0, 1, 0, 1, 1, True, False),  # marks after leaving ignored; L present, U unauthorised
        ("C", 2, 2, 0, 0, 2, 0, 0, False, False),  # D # X Q Y1 Y7 Z Y not possible; two missing
        ("D", 10, 9, 1, 0, 0, 0, 0, True, False),  # H authorised, J attendance; 10% is PA
        ("E", 4, 2, 1, 1, 0, 0, 0, True, True),  # 50% is severe
        ("F", 11, 10, 0, 1, 0, 0, 0, False, False),  # 9.09% is not PA
    ],
)
def test_each_enrolment(
    golden, upn, possible, attendance, authorised, unauthorised, missing, late_l, late_u, persistent, severe
):
    rows = measures.enrolment_measures(golden, F).set_index("upn")
    row = rows.loc[upn]
    assert (
        row.possible_sessions,
        row.attendance_sessions,
        row.authorised_sessions,
        row.unauthorised_sessions,
        row.missing_sessions,
        row.late_before_close,
        row.late_after_close,
        bool(row.persistent),
        bool(row.severe),
    ) == (possible, attendance, authorised, unauthorised, missing, late_l, late_u, persistent, severe)


def test_rates_are_session_weighted_not_a_mean_of_pupils(golden):
    rows = measures.enrolment_measures(golden, F)
    mean_of_pupils = rows.absence_rate.mean()  # 19.85%: what a naive average would say
    assert mean_of_pupils == pytest.approx((200 / 6 + 100 / 6 + 0 + 10 + 50 + 100 / 11) / 6)
    assert measures.summary(golden, F)["overall_absence_rate"] == pytest.approx(100 * 7 / 39)


@pytest.mark.parametrize(
    "window, expected",
    [
        # Monday only: A not yet admitted; C has only D # (no possible session) so is not an enrolment.
        # B / \ ; D H J ; E I O ; F N / -> possible 8, attendance 2+1+0+1, authorised 1+1, unauthorised 1+1.
        (
            Filter(school_ids=("T1",), date_from=date(2025, 9, 1), date_to=date(2025, 9, 1)),
            {"enrolments": 4, "possible_sessions": 8, "attendance_sessions": 4, "authorised_sessions": 2,
             "unauthorised_sessions": 2, "persistent_absence_count": 3, "severe_absence_count": 3},
        ),
        # Afternoons only: A \ \ I ; B \ L \ ; C Q Y7 Y \ - ; D J \ \ \ \ ; E O \ ; F / / / / / (N is AM)
        # A: 3 poss, 1 auth; B: 3 poss, 0 abs; C: 1 poss; D: 5 poss; E: 2 poss, 1 unauth; F: 5 poss.
        (
            Filter(school_ids=("T1",), sessions=("PM",)),
            {"enrolments": 6, "possible_sessions": 19, "attendance_sessions": 17, "authorised_sessions": 1,
             "unauthorised_sessions": 1, "persistent_absence_count": 2, "severe_absence_count": 1},
        ),
        # FSM pupils only (A, B, C): possible 14, attendance 11, authorised 2, unauthorised 1.
        (
            Filter(school_ids=("T1",), fsm=True),
            {"enrolments": 3, "possible_sessions": 14, "attendance_sessions": 11, "authorised_sessions": 2,
             "unauthorised_sessions": 1, "persistent_absence_count": 2, "severe_absence_count": 0},
        ),
    ],
)  # fmt: skip
def test_filters(golden, window, expected):
    got = measures.summary(golden, window)
    assert {k: got[k] for k in expected} == expected


def test_marks_outside_every_enrolment_are_ignored(register, con):
    # A pupil whose enrolment is for 2025 only: marks dated in 2024/25 belong to no enrolment.
    register.pupil("A")
    register.marks("A", "2025-08-25", "N N N N N N")  # Mon 25 - Wed 27 Aug 2025: academic year 2024
    register.marks("A", "2025-09-01", "/ \\")
    got = measures.summary(con, Filter(school_ids=("T1",)))
    assert (got["enrolments"], got["possible_sessions"], got["overall_absence_rate"]) == (1, 2, 0.0)


def test_no_possible_sessions_gives_null_rates(register, con):
    register.pupil("A").marks("A", "2025-09-01", "# # X X")
    got = measures.summary(con, F)
    assert got["enrolments"] == 0
    assert got["possible_sessions"] == 0
    assert all(got[k] is None for k in ("attendance_rate", "overall_absence_rate", "persistent_absence_rate"))


def test_pupil_without_a_pupils_row_still_counts(register, con):
    register.pupil("A").marks("A", "2025-09-01", "/ N")
    con.execute("DELETE FROM pupils WHERE upn = 'A'")
    assert measures.summary(con, F)["possible_sessions"] == 2

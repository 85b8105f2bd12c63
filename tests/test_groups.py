"""Group breakdowns on the golden register of tests/test_measures_golden.py, checked by hand.

FSM (A, B, C): possible 6+6+2 = 14, absence 2+1+0 = 3 -> 21.428571%; PA A, B = 2 of 3.
Not FSM (D, E, F): possible 10+4+11 = 25, absence 1+2+1 = 4 -> 16%; PA D, E = 2 of 3.
SEN: K = A, E (possible 10, absence 4 -> 40%); N = B, D, F (27, 3 -> 11.11%); E = C (2, 0 -> 0%).
"""

from datetime import date

import pytest

from analytics import groups, measures
from analytics.filters import Filter
from tests.test_measures_golden import golden  # noqa: F401  (fixture)

F = Filter(school_ids=("T1",), academic_year=2025)


@pytest.mark.parametrize(
    "group, label, possible, rate, rest_rate, pa_rate, national",
    [
        (False, "Not FSM", 25, 16.0, 100 * 3 / 14, 100 * 2 / 3, 5.2),
        (True, "FSM", 14, 100 * 3 / 14, 16.0, 100 * 2 / 3, 10.0),
    ],
)
def test_fsm_against_the_rest_and_national(golden, group, label, possible, rate, rest_rate, pa_rate, national):  # noqa: F811
    rows = groups.group_breakdown(golden, F, "fsm", min_size=3).set_index("label")
    row = rows.loc[label]
    assert row["group"] is group
    assert row.possible_sessions == possible
    assert row.overall_absence_rate == pytest.approx(rate)
    assert row.rest_overall_absence_rate == pytest.approx(rest_rate)
    assert row.overall_absence_gap == pytest.approx(rate - rest_rate)
    assert row.persistent_absence_rate == pytest.approx(pa_rate)
    assert row.national_overall_absence_rate == national
    assert row.national_overall_absence_gap == pytest.approx(rate - national)  # FSM 21.4% vs national 10.0%: +11.4
    assert row.national_period == "2024/25 autumn term"
    assert not row.suppressed


def test_groups_below_min_size_are_suppressed_with_reason(golden):  # noqa: F811
    rows = groups.group_breakdown(golden, F, "fsm")  # default 5: each group has 3 pupils
    assert list(rows.label) == ["Not FSM", "FSM"]
    assert rows.suppressed.tolist() == [True, True]
    assert rows.suppression_reason.tolist() == ["fewer than 5 pupils"] * 2
    for column in ("enrolments", "possible_sessions", "overall_absence_rate", "rest_overall_absence_rate",
                   "overall_absence_gap", "persistent_absence_rate", "national_overall_absence_rate"):  # fmt: skip
        assert rows[column].tolist() == [None, None], column


def test_a_large_group_whose_rest_is_small_is_suppressed_too(golden):  # noqa: F811
    # SEN N has 3 pupils, its rest (A, C, E) 3: with min_size 4 both the group and everyone else are too small.
    rows = groups.group_breakdown(golden, F, "sen", min_size=4).set_index("group")
    assert rows.loc["N"].suppressed and rows.loc["N"].enrolments is None


@pytest.mark.parametrize(
    "group, label, enrolments, rate",
    [("E", "EHC plan", 1, 0.0), ("K", "SEN support", 2, 40.0), ("N", "No SEN", 3, 100 * 3 / 27)],
)
def test_sen_labels_and_figures(golden, group, label, enrolments, rate):  # noqa: F811
    rows = groups.group_breakdown(golden, F, "sen", min_size=1).set_index("group")
    assert (rows.loc[group].label, rows.loc[group].enrolments) == (label, enrolments)
    assert rows.loc[group].overall_absence_rate == pytest.approx(rate)


@pytest.mark.parametrize("by", ["fsm", "sen", "eal", "cin", "lac", "year_group", "form", "gender", "ethnicity"])
def test_groups_add_up_to_the_school(golden, by):  # noqa: F811
    rows = groups.group_breakdown(golden, F, by, min_size=0)
    school = measures.summary(golden, F)
    assert sum(rows.possible_sessions) == school["possible_sessions"]
    assert sum(rows.absence_sessions) == school["authorised_sessions"] + school["unauthorised_sessions"]
    assert sum(rows.enrolments) == school["enrolments"]
    assert all(r.enrolments + r.rest_enrolments == school["enrolments"] for r in rows.itertuples())


def test_no_national_figure_is_said_plainly(golden):  # noqa: F811
    row = groups.group_breakdown(golden, F, "lac", min_size=0).iloc[0]
    assert row.national_overall_absence_rate is None
    assert "looked-after" in row.national_note


@pytest.mark.parametrize(
    "fsm, sen, enrolments, possible, rate",
    [
        (False, "K", 1, 4, 50.0),  # E
        (False, "N", 2, 21, 100 * 2 / 21),  # D, F
        (True, "E", 1, 2, 0.0),  # C
        (True, "K", 1, 6, 100 * 2 / 6),  # A
        (True, "N", 1, 6, 100 * 1 / 6),  # B
    ],
)
def test_intersection_fsm_by_sen(golden, fsm, sen, enrolments, possible, rate):  # noqa: F811
    rows = groups.intersection_breakdown(golden, F, "fsm", "sen", min_size=1)
    assert len(rows) == 5
    row = rows[(rows.group_a == fsm) & (rows.group_b == sen)].iloc[0]
    assert (row.enrolments, row.possible_sessions) == (enrolments, possible)
    assert row.overall_absence_rate == pytest.approx(rate)
    assert row.rest_possible_sessions == 39 - possible


def test_gap_trend_by_week(golden):  # noqa: F811
    # Week of 1 Sep: every mark except F's last (Mon 8 Sep) and C's missing pair (also Mon 8 Sep).
    # FSM week 1: A 6 poss 2 abs, B 6/1, C 2/0 -> 14, 3. Rest week 1: D 10/1, E 4/2, F 10/1 -> 24, 4.
    # Week 2: F's \ only -> rest 1 possible, 0 absent; no FSM possible session -> suppressed.
    rows = groups.group_gap_trend(golden, F, "fsm", True, freq="week", min_size=1)
    assert rows.period.tolist() == ["2025-09-01", "2025-09-08"]
    first = rows.iloc[0]
    assert (first.group_pupils, first.group_possible_sessions, first.rest_possible_sessions) == (3, 14, 24)
    assert first.overall_absence_gap == pytest.approx(100 * 3 / 14 - 100 * 4 / 24)
    assert rows.iloc[1].suppressed


def test_gap_trend_by_half_term_uses_the_calendar(golden, register):  # noqa: F811
    register.calendar(2025, "autumn", 1, "2025-09-01", "2025-09-05")
    rows = groups.group_gap_trend(golden, F, "fsm", True, freq="half_term", min_size=1)
    assert rows.period.tolist() == ["2025 Autumn 1"]  # Mon 8 Sep falls outside: left out
    assert rows.iloc[0].period_start == date(2025, 9, 1)
    assert rows.iloc[0].group_possible_sessions == 14


def test_persistent_absence_over_the_year_is_year_to_date(golden, register):  # noqa: F811
    # Autumn 1 = 1-5 Sep. FSM: A 2 of 6 and B 1 of 6 absent (PA), C 0 of 2: 2 of 3.
    # Rest: D 1 of 10 (10% exactly), E 2 of 4, F 1 of 10 within the half-term (8 Sep is outside): 3 of 3.
    register.calendar(2025, "autumn", 1, "2025-09-01", "2025-09-05")
    row = groups.group_gap_trend(golden, F, "fsm", True, freq="half_term", min_size=1).iloc[0]
    assert row.group_persistent_absence_rate == pytest.approx(100 * 2 / 3)
    assert row.rest_persistent_absence_rate == pytest.approx(100.0)
    assert row.persistent_absence_gap == pytest.approx(100 * 2 / 3 - 100)


@pytest.mark.parametrize(
    "code, name",
    [
        ("WBRI", "White - British"),
        ("ABAN", "Asian - Bangladeshi"),
        ("wbri ", "White - British"),  # as some exports write it
        ("XYZQ", "XYZQ"),  # a code not in the census list is shown as imported
        (None, "Unknown"),
    ],
)
def test_ethnicity_codes_read_as_names(code, name):
    assert groups.group_label("ethnicity", code) == name


def test_biggest_changes_between_two_weeks(golden):  # noqa: F811
    # Monday 1 Sep against the whole week: 'Not FSM' goes from 4/6 (D: H J, E: I O, F: N /) to 4/24.
    monday = F.replace(date_from=date(2025, 9, 1), date_to=date(2025, 9, 1))
    week = F.replace(date_from=date(2025, 9, 1), date_to=date(2025, 9, 5))
    rows = groups.biggest_changes(golden, week, monday, bys=("fsm",), min_size=1)
    row = rows.set_index("label").loc["Not FSM"]
    assert row.previous_overall_absence_rate == pytest.approx(100 * 4 / 6)
    assert row.current_overall_absence_rate == pytest.approx(100 * 4 / 24)
    assert row.overall_absence_change == pytest.approx(100 * 4 / 24 - 100 * 4 / 6)
    assert rows.direction.tolist() == ["rise", "fall"]  # both directions: rises first, then falls


@pytest.mark.parametrize("bad", ["postcode", "upn; DROP TABLE pupils"])
def test_unknown_group_is_refused(con, bad):
    with pytest.raises(ValueError, match="unknown group"):
        groups.group_breakdown(con, F, bad)


# --- secondary suppression --------------------------------------------------------------------------


def _school(register, sizes: dict) -> None:
    """``sizes``: {(year_group, fsm): pupils}; every pupil has one week of marks, one session absent."""
    n = 0
    for (year, fsm), count in sizes.items():
        for _ in range(count):
            n += 1
            register.pupil(f"S{n}", year_group=year, fsm=fsm).marks(f"S{n}", "2025-09-01", "/ \\ I \\ / \\ / \\ / \\")


def test_one_small_group_hides_the_next_smallest_so_it_cannot_be_worked_out(con, register):
    # Years 7 (3 pupils), 8 (10), 9 (6): Year 7 is too small, and with only it hidden its figures would be
    # the school's minus Years 8 and 9. So Year 9, the smaller of the others, is hidden too; Year 8 shows.
    _school(register, {(7, False): 3, (8, False): 10, (9, False): 6})
    rows = groups.group_breakdown(con, F, "year_group").set_index("group")
    assert rows.suppressed.to_dict() == {7: True, 8: False, 9: True}
    assert rows.loc[7].suppression_reason == "fewer than 5 pupils"
    assert rows.loc[9].suppression_reason == groups.SECONDARY_REASON
    assert rows.loc[9].enrolments is None and rows.loc[9].overall_absence_rate is None
    assert rows.loc[8].enrolments == 10 and rows.loc[8].rest_enrolments == 9  # Years 7 and 9 only together


def test_no_small_group_hides_nothing(con, register):
    _school(register, {(7, False): 5, (8, False): 10, (9, False): 6})
    assert not groups.group_breakdown(con, F, "year_group").suppressed.any()


def test_a_grid_hides_a_second_cell_in_the_row_and_the_column_of_a_small_one(con, register):
    # Year x FSM: (7, FSM) has 2 pupils. A line (the whole grid, each year, each FSM column) with one hidden
    # cell hides its smallest other: the grid hides (9, FSM), 6 pupils; Year 7 hides (7, not FSM); Year 9,
    # now with one hidden, hides (9, not FSM). Every line then has none or at least two hidden: Year 8 shows.
    _school(register, {(7, True): 2, (7, False): 20, (8, True): 8, (8, False): 9, (9, True): 6, (9, False): 7})
    rows = groups.intersection_breakdown(con, F, "year_group", "fsm").set_index(["group_a", "group_b"])
    hidden = sorted(k for k, v in rows.suppressed.items() if v)
    assert hidden == [(7, False), (7, True), (9, False), (9, True)]
    assert rows.loc[(7, True)].suppression_reason == "fewer than 5 pupils"
    assert rows.loc[(8, True)].enrolments == 8 and rows.loc[(8, False)].enrolments == 9

"""Impact of interventions on a generated register where the true effect is known.

Pupils are picked after a bad month (tests/impact_register.py): most would have
recovered anyway, so the plain before/after change of the type that does nothing
looks like success. The matched comparison must take that away, and recover the
real effect of the type that works, each inside its 95% interval.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from analytics import attendance_windows, impact
from analytics.__main__ import main
from analytics.filters import Filter, PupilLevelDenied
from analytics.impact import effects, matching, settings
from data import db
from data.scope import Scope
from tests.impact_register import SCHOOL, generate


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("impact") / "impact.duckdb"
    con = db.connect(path)
    truth = generate(con, seed=7)
    result = impact.intervention_impact(con, Filter(), weeks=truth.weeks)
    con.close()
    return path, truth, result.set_index("type")


@pytest.mark.parametrize("kind", ["Letter", "Mentoring"])
def test_impact_recovers_the_true_effect_within_its_interval(generated, kind):
    _, truth, result = generated
    row = result.loc[kind]
    assert row["ci_low"] <= truth.true_effect[kind] <= row["ci_high"], (dict(row), truth.true_effect[kind])
    assert row["effect"] == pytest.approx(row["change"] - row["comparison_change"])
    assert row["pupils"] == len(truth.treated[kind])
    assert not row["small"]


def test_the_naive_change_would_have_called_the_useless_type_a_success(generated):
    _, truth, result = generated
    letter = result.loc["Letter"]
    assert truth.true_effect["Letter"] == 0
    assert letter["change"] > 3  # pupils picked in a bad month recover on their own
    assert letter["comparison_change"] > 3  # ... and so do the matched pupils who had nothing
    assert letter["ci_low"] < 0 < letter["ci_high"]
    mentoring = result.loc["Mentoring"]
    assert mentoring["ci_low"] > 0  # the one that works is told apart


def test_where_every_pupil_picked_is_helped_the_useless_type_is_not_called_a_success(tmp_path):
    """A school of 300 that helps every pupil it picks: no pupil like them was left without help.

    The comparison pupils nearest them were those helped a few days before (kept, with that help's
    estimated effect taken out) and those about to be picked: without the first, only pupils whose
    bad spell was starting were left, and this register's letter was called a success.
    """
    con = db.connect(tmp_path / "scarce.duckdb")
    try:
        truth = generate(con, seed=3, pupils=300, untreated_share=0.0)
        result = impact.intervention_impact(con, Filter(), weeks=truth.weeks).set_index("type")
    finally:
        con.close()
    for kind in ("Letter", "Mentoring"):
        row = result.loc[kind]
        assert row["ci_low"] <= truth.true_effect[kind] <= row["ci_high"], (kind, dict(row), truth.true_effect[kind])
    assert result.loc["Letter", "change"] > 3  # the naive change would have called it a success


def test_command_line_json_has_exactly_the_contract_keys(generated, capsys):
    path, _truth, result = generated
    assert main(["impact", "--db", str(path), "--weeks", "6", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["weeks", "types"] and out["weeks"] == 6
    assert [t["type"] for t in out["types"]] == ["Letter", "Mentoring"]
    for item in out["types"]:
        assert list(item) == list(impact.IMPACT_KEYS)
        assert item["effect"] == pytest.approx(result.loc[item["type"], "effect"], abs=0.01)


@pytest.mark.parametrize(
    ("argv", "message"), [(["--weeks", "0"], "at least 1"), (["--db", "/nonexistent.db"], "no database")]
)
def test_command_line_refuses_bad_arguments(argv, message, capsys):
    assert main(["impact", *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_handful_of_pupils_is_flagged_small(generated):
    path, truth, _ = generated
    con = db.connect(path)
    try:
        few = truth.treated["Mentoring"][:3]
        con.executemany(
            "INSERT INTO interventions (school_id, upn, date, type) VALUES (?, ?, ?, 'Home visit')",
            [[SCHOOL, upn, when] for upn, when in few],
        )
        # Only interventions up to the third pupil's date: the rest of the log is not needed here.
        up_to = max(when for _, when in few)
        result = impact.intervention_impact(con, Filter(date_to=up_to), weeks=6).set_index("type")
        con.execute("DELETE FROM interventions WHERE type = 'Home visit'")
    finally:
        con.close()
    assert result.loc["Home visit", "pupils"] == 3
    assert result.loc["Home visit", "small"]
    assert result.loc["Home visit", "ci_low"] <= result.loc["Home visit", "ci_high"]


def test_one_pupils_attendance_since_their_last_action_against_similar_pupils(generated):
    path, truth, _ = generated
    upn, when = truth.treated["Mentoring"][0]
    con = db.connect(path, read_only=True)
    try:
        since = impact.since_last_action(con, Filter(school_ids=(SCHOOL,)), upn)
        with pytest.raises(PupilLevelDenied):
            impact.since_last_action(con, Filter(scope=Scope(pupil_level=False)), upn)
    finally:
        con.close()
    assert since["date"] == when and since["type"] == "Mentoring"
    assert since["after"] is not None and since["comparison_pupils"] == impact.MATCHES
    assert since["change"] == pytest.approx(since["after"] - since["before"])
    assert abs(since["comparison_before"] - since["before"]) < 5  # similar pupils: like them before


def test_no_log_means_no_rows(con, register):
    register.pupil("A1").marks("A1", "2025-09-01", "/ " * 20)
    assert impact.intervention_impact(con, Filter()).empty
    assert impact.since_last_action(con, Filter(), "A1") is None
    assert impact.impact_record(impact.intervention_impact(con, Filter()), 6) == {"weeks": 6, "types": []}


# Weeks of marks from Monday 1 September 2025, one string of ten marks (AM, PM) per week.
WEEK_OF_PRESENT, WEEK_CLOSED = "/ " * 10, "# " * 10


@pytest.mark.parametrize(
    ("weeks", "school_weeks"),
    [
        ([WEEK_OF_PRESENT, WEEK_OF_PRESENT, WEEK_OF_PRESENT], ["2025-09-01", "2025-09-08", "2025-09-15"]),
        # A week the school marks closed for everyone ('#', not possible) is a holiday, not a school week.
        ([WEEK_OF_PRESENT, WEEK_CLOSED, WEEK_OF_PRESENT], ["2025-09-01", "2025-09-15"]),
        ([WEEK_CLOSED, "# # / / / / / / / / ", WEEK_CLOSED], ["2025-09-08"]),
    ],
)
def test_school_weeks_are_weeks_with_possible_sessions(con, register, weeks, school_weeks):
    register.pupil("A1").marks("A1", "2025-09-01", "".join(weeks))
    got = attendance_windows.school_weeks(con, Filter())["T1"]
    assert [d.isoformat() for d in got] == school_weeks


def test_an_action_logged_after_the_latest_marks_is_named_with_nothing_since(con, register):
    """Marks to Friday 26 September; a meeting logged on Monday 6 October, before any later marks are imported."""
    register.pupil("A1").marks("A1", "2025-09-01", WEEK_OF_PRESENT * 4)
    con.execute("INSERT INTO interventions (school_id, upn, date, type) VALUES ('T1', 'A1', '2025-10-06', 'Meeting')")
    since = impact.since_last_action(con, Filter(), "A1")
    assert (since["date"], since["type"], since["after"], since["comparison_pupils"]) == (
        date(2025, 10, 6),
        "Meeting",
        None,
        0,
    )


def test_actions_before_and_after_the_date_are_found_with_their_sessions(con, register):
    """A1 helped on Mon 15 Sep; B1 (no help then) has a meeting on Wed 24 Sep, inside A1's two weeks after."""
    for upn in ("A1", "B1", "C1"):
        register.pupil(upn).marks(upn, "2025-09-01", WEEK_OF_PRESENT * 4)
    con.executemany(
        "INSERT INTO interventions (school_id, upn, date, type) VALUES ('T1', ?, ?, ?)",
        [["A1", "2025-09-15", "Letter"], ["B1", "2025-09-24", "Attendance meeting"], ["C1", "2025-10-01", "Letter"]],
    )
    windows = attendance_windows.pupil_windows(con, Filter(), [("T1", date(2025, 9, 15))], 2).set_index("upn")
    assert windows.loc["B1", "later_type"] == "Attendance meeting"
    assert (windows.loc["B1", "later_possible"], windows.loc["B1", "after_possible"]) == (6, 20)  # Wed-Fri of 20
    assert pd.isna(windows.loc["C1", "later_type"])  # 1 October: after the two weeks
    assert windows.loc["C1", "later_possible"] == 0
    assert windows.loc["A1", "acted"] and not windows.loc["B1", "acted"]
    # Seen from B1's date: A1's letter is in the before-window (7 school days of it, all in the second
    # half, the week of 15 September) and counts over the after-window (3 days marked); C1's is after it.
    windows = attendance_windows.pupil_windows(con, Filter(), [("T1", date(2025, 9, 24))], 2).set_index("upn")
    assert windows.loc["A1", "earlier_type"] == "Letter" and pd.isna(windows.loc["C1", "earlier_type"])
    covered = windows.loc["A1", ["earlier_before_possible", "earlier_recent_possible", "earlier_after_possible"]]
    assert covered.tolist() == [14, 14, 6]
    assert windows.loc["B1", "acted"] and pd.isna(windows.loc["B1", "earlier_type"])


@pytest.mark.parametrize(
    ("earlier_type", "later_type", "own", "expected_change"),
    [
        (None, None, None, 10.0),  # nothing before or after: after - before
        (None, "Mentoring", None, 6.0),  # half the window after mentoring (effect 8): 4 points of it taken out
        (None, "Letter", None, 10.0),  # a type with no effect takes nothing out
        (None, "Mentoring", "Mentoring", 10.0),  # a second session of the pupil's own type is part of it
        (None, "Own school type", None, 10.0),  # a type with no estimate: nothing taken out
        # Mentoring over the last half of the before-window (80 -> 76) and the whole after-window (90 -> 82).
        ("Mentoring", None, None, 6.0),
        ("Mentoring", "Mentoring", None, 2.0),  # and again in the after-window's second half
    ],
)
def test_other_actions_estimated_effects_are_taken_out_of_the_weeks_they_cover(
    earlier_type, later_type, own, expected_change
):
    row = pd.DataFrame(
        {"before_attended": [16.0], "before_possible": [20], "after_attended": [18.0], "after_possible": [20]}
        | {"recent_attended": [8.0], "recent_possible": [10], "prior_attended": [40.0], "prior_possible": [50]}
        | {"later_type": [later_type], "later_possible": [10 if later_type else 0], "earlier_type": [earlier_type]}
        | {f"earlier_{w}_possible": [n if earlier_type else 0] for w, n in (("before", 10), ("recent", 10))}
        | {"earlier_after_possible": [20 if earlier_type else 0]}
    )
    names = sorted({x for x in (earlier_type, later_type) if x})
    change = effects.changes(matching.arm(row, names), names, {"Mentoring": 8.0, "Letter": 0.0}, own=own)
    assert change[0] == pytest.approx(expected_change)


@pytest.mark.parametrize(
    ("same_year_gap", "nearest"),
    [
        (6.0, "same year"),  # 6 points away in the pupil's own year beats an exact match in another year
        (15.0, "other year"),  # but not when the own year group has nobody near
    ],
)
def test_matches_come_from_the_pupils_own_year_group_unless_it_has_nobody_near(same_year_gap, nearest):
    def pupil(upn, year_group, attendance):
        where = {"school_id": SCHOOL, "d": date(2025, 11, 3), "upn": upn, "year_group": year_group, "acted": False}
        return where | {"before": attendance, "recent": attendance, "prior": attendance, "after": 90.0}

    gap = same_year_gap / 3**0.5  # the same distance on each of the three measures matched on
    treated = pd.DataFrame([pupil("T", 8, 80.0)])
    pool = pd.DataFrame([pupil("T", 8, 80.0), pupil("same year", 8, 80.0 + gap), pupil("other year", 9, 80.0)])
    m = matching.match(treated, pool)
    assert m["pool"]["upn"].iloc[m["cand"][0, 0]] == nearest


@pytest.mark.parametrize("matches", [2, 7])
def test_a_setting_changed_by_a_study_is_read_when_the_estimate_runs(generated, monkeypatch, matches):
    """``--set MATCHES=2`` (benchmarks/impact_study.py) changes ``analytics.impact.settings``; the estimate reads it."""
    path, truth, _ = generated
    upn, _ = truth.treated["Mentoring"][0]
    monkeypatch.setattr(settings, "MATCHES", matches)
    con = db.connect(path, read_only=True)
    try:
        since = impact.since_last_action(con, Filter(school_ids=(SCHOOL,)), upn)
    finally:
        con.close()
    assert since["comparison_pupils"] == matches

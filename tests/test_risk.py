"""The at-risk model: hand-checked pieces, the backtest report, and what must show on the sample school."""

from __future__ import annotations

import argparse
import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from analytics import risk
from analytics.filters import Filter, PupilLevelDenied, Scope
from analytics.risk import features as rf
from data import db
from tests.risk_school import build_school


@pytest.fixture(scope="module")
def school_db(tmp_path_factory):
    """Three complete years and the autumn of a fourth, about 500 pupils a year (seeded)."""
    path = tmp_path_factory.mktemp("risk") / "risk.duckdb"
    with db.connection(path) as con:
        build_school(con, years=(2023, 2024, 2025), partial_year=2026, partial_until=date(2026, 11, 20))
    return path


@pytest.fixture(scope="module")
def report(school_db):
    with db.connection(school_db, read_only=True) as con:
        return risk.backtest(con, "R1")


# ---------------------------------------------------------------- hand-checked pieces


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [(5, 10, 0.2366, 0.7634), (0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0), (0, 0, None, None)],
)
def test_wilson_interval(successes, n, low, high):
    got = risk.wilson(successes, n)
    assert got == (
        pytest.approx(low, abs=1e-4) if low is not None else None,
        pytest.approx(high, abs=1e-4) if high is not None else None,
    )


def test_ranking_metrics_for_a_yes_no_rule_use_expected_ties():
    # 10 pupils, 3 positives; the rule flags 4 pupils of whom 2 are positive.
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 0])
    flag = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=float)
    got = risk.ranking_metrics(y, flag)
    # top 10% = 1 pupil drawn from the 4 tied flagged pupils: expected precision 2/4, recall 0.5/3
    assert got["precision_top_10pct"] == pytest.approx(0.5)
    assert got["recall_top_10pct"] == pytest.approx(0.5 / 3)
    # top 20% = 2 pupils from the same tied group: expected 1 positive
    assert got["precision_top_20pct"] == pytest.approx(0.5)
    assert got["recall_top_20pct"] == pytest.approx(1 / 3)
    assert got["brier"] is None
    # ROC-AUC with ties: 2 flagged positives beat 5 unflagged negatives (10 pairs), 4 + 5 pairs tie, of 21
    assert got["roc_auc"] == pytest.approx((10 + 0.5 * 9) / 21)


def test_ranking_metrics_brier_with_probabilities():
    y = np.array([1, 0, 0, 0])
    p = np.array([0.5, 0.5, 0.0, 0.0])
    assert risk.ranking_metrics(y, p, p)["brier"] == pytest.approx((0.25 + 0.25) / 4)


def test_calibration_table_bins():
    y = np.array([0, 1, 1, 1])
    p = np.array([0.05, 0.05, 0.95, 0.91])
    rows = risk.calibration_table(y, p)
    assert [(r["bin_lower"], r["n"], r["observed"]) for r in rows] == [(0.0, 2, 0.5), (0.9, 2, 1.0)]
    assert rows[1]["mean_predicted"] == pytest.approx(0.93)


@pytest.mark.parametrize(
    ("probability", "expected"), [(0.0, "Low"), (0.19, "Low"), (0.2, "Medium"), (0.49, "Medium"), (0.5, "High")]
)
def test_bands(probability, expected):
    assert risk.band(probability) == expected


@pytest.mark.parametrize(
    ("cutoff", "year", "expected"),
    [(date(2025, 10, 24), 2023, date(2023, 10, 24)), (date(2026, 2, 13), 2023, date(2024, 2, 13))],
)
def test_position_in_year(cutoff, year, expected):
    assert rf.position_in_year(cutoff, year) == expected


def test_half_terms_come_from_the_calendar(register, con):
    # October half-term (27-31 October) without marks: the calendar derived from the marks ends autumn 1 on
    # Friday 24 October; the model reads the same table every page reads.
    register.pupil("A1").marks("A1", "2025-10-20", "/ \\ " * 5).marks("A1", "2025-11-03", "/ \\ " * 35)
    stored = con.execute("SELECT term, half_term, end_date FROM calendar WHERE school_id = 'T1'").fetchall()
    ends = rf.half_term_ends(con, "T1", 2025)
    assert ends == {(t, h): e for t, h, e in stored}
    assert ends[("autumn", 1)] == date(2025, 10, 24)
    assert ends[("autumn", 2)] == date(2025, 12, 19)
    # An imported calendar wins over the marks.
    register.calendar(2025, "autumn", 1, "2025-09-03", "2025-10-23")
    assert rf.half_term_ends(con, "T1", 2025)[("autumn", 1)] == date(2025, 10, 23)
    # A file without a stored calendar gets the half-terms data/calendar.py would derive.
    con.execute("DELETE FROM calendar")
    assert rf.half_term_ends(con, "T1", 2025) == {("autumn", 1): date(2025, 10, 24), ("autumn", 2): date(2025, 12, 19)}


def test_features_hand_checked(register, con):
    # Two weeks from Monday 1 Sept 2025. A1: absent Monday (I I), present Tue, absent Wed AM (N), late L Thu,
    # U Fri AM; week 2: absent Monday (N N), the rest present.
    week1 = "I I / \\ N \\ L \\ U \\"
    week2 = "N N / \\ / \\ / \\ / \\"
    register.pupil("A1", year_group=8).marks("A1", "2025-09-01", f"{week1} {week2}")
    # Lessons on Tuesday 2 Sept: registered present in the morning, then missed period 2.
    register.lessons("A1", "2025-09-02", [("1", "Maths", "/"), ("2", "English", "N"), ("4", "PE", "/")])
    # A mark after the cut-off must not count.
    register.mark("A1", "2025-09-15", "AM", "O")
    cutoff = date(2025, 9, 12)
    got = rf.features_at(con, Filter(school_ids=("T1",), academic_year=2025), cutoff).iloc[0]
    assert got["possible_sessions"] == 20
    assert got["absence_sessions"] == 6  # I I N U N N
    assert got["authorised_rate"] == pytest.approx(10.0)
    assert got["unauthorised_rate"] == pytest.approx(20.0)
    assert got["spells"] == 4  # Mon (2), Wed AM (1), Fri AM (1), Mon (2)
    assert got["longest_spell"] == 2
    assert got["late_l_rate"] == pytest.approx(5.0)
    assert got["late_u_rate"] == pytest.approx(5.0)
    assert got["top_weekday"] == 1 and got["top_weekday_share"] == pytest.approx(4 / 6)
    # Weekday chi-square: 4 sessions each weekday, 6 absences, expected 1.2 a day; Mon 4, Wed 1, Fri 1.
    chi2 = (4 - 1.2) ** 2 / 1.2 + 2 * (1 - 1.2) ** 2 / 1.2 + 2 * 1.2
    assert got["weekday_index"] == pytest.approx(chi2 / (6 + rf.WEEKDAY_SHRINK))
    assert got["post_registration_rate"] == pytest.approx(100 / 3)
    assert got["no_lesson_data"] == 0
    assert got["no_last_year"] == 1 and got["last_year_pa"] == 0
    # all 20 sessions fall within the last four weeks: no earlier period, so no trend
    assert got["absence_trend"] == 0


def test_last_year_features(register, con):
    register.pupil("A1", academic_year=2024).marks("A1", "2024-09-02", "N N / \\ / \\ / \\ / \\")
    register.pupil("A1", academic_year=2025).marks("A1", "2025-09-01", "/ \\ / \\")
    got = rf.features_at(con, Filter(school_ids=("T1",), academic_year=2025), date(2025, 9, 30)).iloc[0]
    assert got["last_year_absence_rate"] == pytest.approx(20.0)
    assert got["last_year_pa"] == 1 and got["no_last_year"] == 0


def test_pupil_who_left_before_the_cutoff_is_not_scored(register, con):
    register.pupil("A1").marks("A1", "2025-09-01", "/ \\ / \\")
    register.pupil("B2", leaving_date="2025-09-02").marks("B2", "2025-09-01", "/ \\ / \\")
    got = rf.features_at(con, Filter(school_ids=("T1",), academic_year=2025), date(2025, 9, 5))
    assert list(got["upn"]) == ["A1"]


@pytest.mark.parametrize(
    ("feature", "values", "expected"),
    [
        ("absence_rate", {"attendance_rate": 88.2}, "attendance to date 88%"),
        ("last_year_pa", {"last_year_pa": 1.0}, "persistently absent last year"),
        ("last_year_pa", {"last_year_pa": 0.0}, None),
        ("weekday_index", {"top_weekday": 1, "top_weekday_share": 0.6}, "most absences on Mondays (60% of them)"),
        (
            "unauthorised_trend",
            {"recent_unauthorised_rate": 10.0, "earlier_unauthorised_rate": 4.0},
            "unauthorised absence has more than doubled in the last 4 weeks (4% before, 10% since)",
        ),
        (
            "absence_trend",
            {"recent_absence_rate": 6.0, "earlier_absence_rate": 4.0},
            "absence has risen in the last 4 weeks (4% before, 6% since)",
        ),
        ("absence_trend", {"recent_absence_rate": 2.0, "earlier_absence_rate": 4.0}, None),
        ("longest_spell", {"longest_spell": 6.0}, "a spell of 3 days off in a row"),
        ("ethnicity_black", {"ethnicity_black": 1.0}, None),
    ],
)
def test_reasons_in_plain_words(feature, values, expected):
    assert risk.reason(feature, pd.Series(values)) == expected


# ---------------------------------------------------------------- the report


def test_report_has_the_issue_shape(report):
    assert report["train_years"] == ["2023/24", "2024/25"]
    assert report["test_year"] == "2025/26"
    assert report["cutoff"] == "2025-10-17"  # end of the first autumn half-term in the calendar
    assert report["cutoff_point"] == "end of autumn 1"
    assert report["train_cutoffs"] == ["2023-10-20", "2024-10-18"]
    assert set(report["methods"]) == set(risk.METHODS)
    for name, metrics in report["methods"].items():
        assert {"roc_auc", "pr_auc", "precision_top_10pct", "recall_top_10pct", "brier"} <= set(metrics)
        assert (metrics["brier"] is None) == (name != "model")
    assert 0 < report["prevalence"] < 1
    assert [row["half_term"] for row in report["by_cutoff"]] == [rf.HALF_TERM_NAMES[k] for k in rf.HALF_TERMS]
    assert set(report["characteristics"]) >= {"with", "without"}
    json.dumps(report)  # plain types only


def test_model_beats_every_rule_on_the_synthetic_school(report):
    model = report["methods"]["model"]
    for name in ("below_90_to_date", "pa_last_year", "absence_rate_rank"):
        assert model["pr_auc"] > report["methods"][name]["pr_auc"], name
        assert model["recall_top_10pct"] > report["methods"][name]["recall_top_10pct"], name
    assert model["brier"] < report["base_rate_brier"]


def test_fairness_rows_suppress_small_groups(report):
    rows = {r["group"]: r for r in report["fairness"]["top_10pct"]["lac"]}
    small = [r for r in rows.values() if r["pupils"] < risk.MIN_GROUP_PUPILS]
    assert small and all("recall" not in r and r["warning"] for r in small)
    big = [r for r in rows.values() if r["pupils"] >= risk.MIN_GROUP_PUPILS and r["positives"] >= 5]
    assert big and all(r["recall_ci"][0] <= r["recall"] <= r["recall_ci"][1] for r in big)


def test_cli_prints_the_report_as_json(school_db, capsys):
    args = argparse.Namespace(db=str(school_db), cutoff="2025-10-17", school="R1", json=True)
    assert risk.cli(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out)[:7] == ["train_years", "test_year", "cutoff", "pupils", "prevalence", "methods", "fairness"]
    assert out["test_year"] == "2025/26" and out["cutoff"] == "2025-10-17"


def test_cutoff_between_half_terms_uses_the_same_number_of_school_days(school_db):
    with db.connection(school_db, read_only=True) as con:
        got = risk.backtest(con, "R1", cutoff=date(2025, 10, 1), full=False)
        days = rf.school_days(con, "R1", 2025)
        k = sum(1 for d in days if d <= date(2025, 10, 1))
        assert got["cutoff_point"] == f"school day {k} of the year"
        assert got["train_cutoffs"] == [rf.school_days(con, "R1", y)[k - 1].isoformat() for y in (2023, 2024)]


# ---------------------------------------------------------------- the ranked list


def test_score_pupils_ranks_current_pupils_with_reasons(school_db):
    with db.connection(school_db, read_only=True) as con:
        got = risk.score_pupils(con, Filter(school_ids=("R1",)))
    assert list(got.columns) == risk.SCORE_COLUMNS
    assert got["probability"].is_monotonic_decreasing
    assert got["upn"].is_unique and len(got) > 400
    assert set(got["band"]) <= {"High", "Medium", "Low"}
    top = got.iloc[0]
    assert top["reasons"] and top["reasons"] != "no single factor stands out"
    # 20 November 2026 is after the first autumn half-term: change is against its end
    assert str(top["previous_cutoff"]) == "2026-10-23"
    assert got["change"].notna().mean() > 0.9


def test_score_pupils_respects_the_filter_and_the_scope(school_db):
    with db.connection(school_db, read_only=True) as con:
        year9 = risk.score_pupils(con, Filter(school_ids=("R1",), year_groups=(9,)))
        assert set(year9["year_group"]) == {9}
        with pytest.raises(PupilLevelDenied):
            risk.score_pupils(con, Filter(school_ids=("R1",), scope=Scope(pupil_level=False)))


def test_score_pupils_without_an_earlier_year_says_so(register, con):
    register.pupil("A1").marks("A1", "2025-09-01", "/ \\ / \\")
    with pytest.raises(risk.NotEnoughHistory, match="earlier complete academic years"):
        risk.score_pupils(con, Filter(school_ids=("T1",)))


# ---------------------------------------------------------------- what must show on the sample school


def test_model_beats_every_rule_on_the_sample_school(request):
    pytest.importorskip("data.sample")
    sample_db = request.getfixturevalue("sample_db")
    with db.connection(sample_db, read_only=True) as con:
        got = risk.backtest(con, full=False)
    assert not got.get("message"), got.get("message")
    model = got["methods"]["model"]
    for name in ("below_90_to_date", "pa_last_year", "absence_rate_rank"):
        assert model["pr_auc"] > got["methods"][name]["pr_auc"], name
        assert model["recall_top_10pct"] > got["methods"][name]["recall_top_10pct"], name
    assert model["brier"] < got["base_rate_brier"]


def test_the_same_data_always_give_the_same_report(school_db, report):
    """Reproducible: refitting from scratch gives the identical backtest (no run-to-run float noise)."""
    risk.clear_cache()
    with db.connection(school_db, read_only=True) as con:
        again = risk.backtest(con, "R1")
    assert again["methods"] == report["methods"]
    assert again["fairness"] == report["fairness"]

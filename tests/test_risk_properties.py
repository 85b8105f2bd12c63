"""Properties the at-risk model must have whatever the data (scikit-lego style)."""

from __future__ import annotations

import argparse
import json
import shutil
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import risk
from analytics.filters import Filter
from analytics.risk import features as rf
from data import db, on_roll
from tests.risk_school import build_school

CUTOFF = date(2026, 10, 16)  # a day in the first autumn half-term of the year being scored


@pytest.fixture(scope="module")
def school_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("riskprop") / "risk.duckdb"
    with db.connection(path) as con:
        build_school(con, years=(2024, 2025), partial_year=2026, pupils_per_year=60, seed=11)
    return path


@pytest.fixture(scope="module")
def scores(school_db):
    with db.connection(school_db, read_only=True) as con:
        return risk.score_pupils(con, Filter(school_ids=("R1",)), cutoff=CUTOFF)


def test_scores_are_probabilities(scores):
    assert len(scores) > 200
    assert scores["probability"].between(0, 1).all()


probabilities = st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=200).map(np.array)


BAND_ORDER = {"Low": 0, "Medium": 1, "High": 2}


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1))
def test_a_higher_probability_never_gets_a_lower_band(a, b):
    low, high = sorted((a, b))
    assert BAND_ORDER[risk.band(high)] >= BAND_ORDER[risk.band(low)]


@settings(max_examples=60, deadline=None)
@given(probabilities, st.floats(0.01, 1), st.floats(0.01, 1))
def test_flagging_a_smaller_share_never_flags_more_pupils(p, a, b):
    small, big = sorted((a, b))
    assert not (risk.top_fraction_flags(p, small) & ~risk.top_fraction_flags(p, big)).any()


def test_the_bands_come_from_the_calibrated_probability_as_the_page_shows_it(scores):
    # The At risk page shows "Chance of PA %" = probability x 100 and says High: 50% or more, Medium: 20-50%.
    shown = scores["probability"] * 100
    expected = np.where(shown >= 50, "High", np.where(shown >= 20, "Medium", "Low"))
    assert list(scores["band"]) == list(expected)
    assert set(scores["band"]) == {"High", "Medium", "Low"}  # the synthetic school has pupils in every band


def test_no_feature_uses_marks_after_the_cutoff(school_db, scores, tmp_path):
    copy = tmp_path / "changed.duckdb"
    shutil.copy(school_db, copy)
    with db.connection(copy) as con:
        # After the cut-off every pupil is suddenly absent from every session and every lesson.
        changed = con.execute(
            "UPDATE session_marks SET code = 'O' WHERE academic_year = 2026 AND date > ?", [CUTOFF]
        ).fetchone()[0]
        con.execute("UPDATE lesson_marks SET code = 'N' WHERE academic_year = 2026 AND date > ?", [CUTOFF])
        on_roll.refresh(con)
        assert changed > 1000
        f = Filter(school_ids=("R1",), academic_year=2026)
        after = risk.score_pupils(con, Filter(school_ids=("R1",)), cutoff=CUTOFF)
        features_changed = rf.features_at(con, f, CUTOFF)
    with db.connection(school_db, read_only=True) as con:
        features_before = rf.features_at(con, f, CUTOFF)
    names = rf.feature_names(use_characteristics=True)
    # equal up to floating-point summation order (DuckDB aggregates in parallel)
    np.testing.assert_allclose(features_changed[names].to_numpy(), features_before[names].to_numpy(), rtol=0, atol=1e-9)
    assert list(after["upn"]) == list(scores["upn"])
    # the model is retrained on the copy: identical inputs, identical scores (to floating-point rounding)
    np.testing.assert_allclose(after["probability"].to_numpy(), scores["probability"].to_numpy(), rtol=0, atol=1e-12)
    assert list(after["reasons"]) == list(scores["reasons"])


def test_a_single_year_gives_the_message_not_a_failure(tmp_path, capsys):
    path = tmp_path / "one.duckdb"
    with db.connection(path) as con:
        build_school(con, years=(2025,), pupils_per_year=20, lessons=False)
        got = risk.backtest(con)
    assert "two complete academic years" in got["message"]
    assert got["methods"] == {} and got["test_year"] is None
    assert risk.cli(argparse.Namespace(db=str(path), cutoff=None, school=None, json=True)) == 0
    out = json.loads(capsys.readouterr().out)
    assert "two complete academic years" in out["message"]


def test_an_empty_database_gives_a_message(db_file, capsys):
    assert risk.cli(argparse.Namespace(db=str(db_file), cutoff=None, school=None, json=True)) == 0
    assert "no registers" in json.loads(capsys.readouterr().out)["message"]

"""Three schools imported with ``--school``: their own figures, pooled figures, the trust view and the schools file."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from analytics import cli, measures, national, trust
from analytics.__main__ import main as analytics_main
from analytics.filters import Filter
from data import db, schools
from data.scope import Scope
from tests import trust_files


@pytest.fixture(scope="module")
def trust_db(tmp_path_factory):
    return trust_files.write_database(tmp_path_factory.mktemp("trust"))


def _summary(capsys, *argv):
    assert analytics_main(["summary", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_each_school_its_own_figures_by_school(trust_db, capsys):
    rows = _summary(capsys, "--db", str(trust_db), "--by", "school")
    assert [r["group"] for r in rows] == list(trust_files.EXPECTED)  # the URN, as a string
    fsm = _summary(capsys, "--db", str(trust_db), "--by", "fsm")
    assert all(list(r) == list(fsm[0]) == ["group", *measures.MEASURE_KEYS, *cli.INTERVAL_KEYS] for r in rows)
    got = {
        r["group"]: (
            r["enrolments"],
            r["possible_sessions"],
            r["possible_sessions"] - r["attendance_sessions"],
            r["persistent_absence_count"],
            r["severe_absence_count"],
        )
        for r in rows
    }
    assert got == trust_files.EXPECTED


@pytest.mark.parametrize("urn", list(trust_files.EXPECTED))
def test_one_school_alone_matches_its_row(trust_db, capsys, urn):
    alone = _summary(capsys, "--db", str(trust_db), "--school", urn)
    row = next(r for r in _summary(capsys, "--db", str(trust_db), "--by", "school") if r["group"] == urn)
    assert alone == {k: row[k] for k in measures.MEASURE_KEYS}


def test_no_school_given_pools_every_school(trust_db, capsys):
    got = _summary(capsys, "--db", str(trust_db))
    enrolments, possible, absent, persistent, severe = trust_files.TRUST
    assert (got["enrolments"], got["possible_sessions"], got["persistent_absence_count"]) == (
        enrolments,
        possible,
        persistent,
    )
    assert got["severe_absence_count"] == severe
    assert got["overall_absence_rate"] == pytest.approx(100 * absent / possible)


def test_schools_file_names_them(trust_db):
    with db.connection(trust_db, read_only=True) as con:
        listed = {s["school_id"]: s for s in schools.listing(con)}
    assert listed["100001"]["name"] == "Ash Academy"
    assert (listed["100002"]["phase"], listed["100002"]["la_code"], listed["100002"]["la_name"]) == (
        "primary",
        "335",
        "Walsall",
    )
    assert {s["trust"] for s in listed.values()} == {"Oak Trust"}


def test_side_by_side_against_national_and_own_la(trust_db):
    with db.connection(trust_db, read_only=True) as con:
        df = trust.schools_side_by_side(con, Filter(school_ids=("100003",)))  # the chosen school is set aside
    rows = {r["school_id"]: r for r in df.to_dict("records")}
    assert set(rows) == set(trust_files.EXPECTED)
    assert rows["100001"]["overall_absence_rate"] == pytest.approx(45.0)
    assert rows["100001"]["fsm_gap"] == pytest.approx(10.0)  # 50% against 40%
    assert rows["100002"]["fsm_gap"] is None or math.isnan(rows["100002"]["fsm_gap"])  # 2 FSM pupils: not shown
    assert (
        rows["100002"]["national_overall_absence_rate"] == national.national_headline("primary")["overall_absence_rate"]
    )
    assert (
        rows["100002"]["la_overall_absence_rate"]
        == national.local_authority_headline("335", "primary")["overall_absence_rate"]
    )
    assert (
        rows["100001"]["la_persistent_absence_rate"]
        == national.local_authority_headline("E09000030", "secondary")["persistent_absence_rate"]
    )


@pytest.mark.parametrize(
    "scope, seen",
    [
        (Scope(), {"100001", "100002", "100003"}),
        (Scope(school_ids=("100001", "100002")), {"100001", "100002"}),
        (Scope(school_ids=("100003",), pupil_level=False), {"100003"}),  # a governor of one school
    ],
)
def test_scope_decides_which_schools(trust_db, scope, seen):
    f = Filter(school_ids=("100001",), scope=scope)
    with db.connection(trust_db, read_only=True) as con:
        assert set(trust.schools_side_by_side(con, f)["school_id"]) == seen
        assert set(trust.funnel(con, f)["points"]["school_id"]) == seen
        assert {r["group"] for r in trust.summary_by_school_records(con, trust.across_schools(f))} == seen
        pooled = trust.trust_summary(con, f)
    expected = [trust_files.EXPECTED[u] for u in seen]
    assert pooled["possible_sessions"] == sum(e[1] for e in expected)


@pytest.mark.parametrize(
    "scope, trust_figures",
    [  # (enrolments, possible, absent, persistent, severe), hand-checked in tests/trust_files.py
        (Scope(), trust_files.TRUST),
        (
            Scope(school_ids=("100001", "100002")),
            (15, 300, 95, 9, 5),  # 100001 and 100002 added up
        ),
        (Scope(school_ids=("100003",), pupil_level=False), trust_files.EXPECTED["100003"]),
    ],
)
def test_first_view_is_side_by_side_and_pooled_in_one_pass(trust_db, scope, trust_figures):
    """The trust view's first screen (one pass over the marks) gives exactly what the two questions give."""
    f = Filter(school_ids=("100001",), scope=scope)
    with db.connection(trust_db, read_only=True) as con:
        got = trust.first_view(con, f)
        pd.testing.assert_frame_equal(got["schools"], trust.schools_side_by_side(con, f), check_exact=True)
        assert got["trust"] == trust.trust_summary(con, f)
        assert list(got["trust"]) == list(trust.trust_summary(con, f))
    pooled = got["trust"]
    enrolments, possible, absent, persistent, severe = trust_figures
    assert (pooled["enrolments"], pooled["possible_sessions"], pooled["pupils"]) == (enrolments, possible, enrolments)
    assert pooled["possible_sessions"] - pooled["attendance_sessions"] == absent
    assert (pooled["persistent_absence_count"], pooled["severe_absence_count"]) == (persistent, severe)
    assert pooled["overall_absence_rate"] == pytest.approx(100 * absent / possible)
    rows = {r["school_id"]: r for r in got["schools"].to_dict("records")}
    for urn, (n, m, a, _, _) in ((u, trust_files.EXPECTED[u]) for u in rows):
        assert (rows[urn]["enrolments"], rows[urn]["overall_absence_rate"]) == (n, pytest.approx(100 * a / m))


def test_first_view_of_a_period_without_marks(trust_db):
    with db.connection(trust_db, read_only=True) as con:
        got = trust.first_view(con, Filter(academic_year=1990))
    assert got["schools"].empty
    assert got["trust"] == {**{k: 0 for k in trust.POOLED_KEYS}, **{k: None for k in measures.RATE_COLUMNS}}


P = 12 / 19  # the trust's persistent absence: 12 of its 19 pupils


@pytest.mark.parametrize(
    "urn, lower, upper",
    [  # a yes/no per pupil: P +- z sqrt(P (1 - P) / n), cut at 0 and 1
        ("100001", P - 1.959964 * math.sqrt(P * (1 - P) / 10), P + 1.959964 * math.sqrt(P * (1 - P) / 10)),
        ("100002", P - 1.959964 * math.sqrt(P * (1 - P) / 5), 1.0),
        ("100003", P - 1.959964 * math.sqrt(P * (1 - P) / 4), 1.0),
    ],
)
def test_persistent_absence_limits_by_hand(trust_db, urn, lower, upper):
    with db.connection(trust_db, read_only=True) as con:
        got = trust.funnel(con, Filter(), "persistent_absence_rate")
    row = got["points"].set_index("school_id").loc[urn]
    assert (row["lower95"], row["upper95"]) == pytest.approx((100 * lower, 100 * upper), abs=1e-4)
    assert got["trust_rate"] == pytest.approx(100 * P)


def test_funnel_flags_the_school_beyond_its_size(trust_db):
    with db.connection(trust_db, read_only=True) as con:
        got = trust.funnel(con, Filter(), "overall_absence_rate")
    assert got["trust_rate"] == pytest.approx(100 * 135 / 380)
    verdicts = dict(zip(got["points"]["school_id"], got["points"]["verdict"], strict=True))
    assert verdicts["100002"].startswith("lower")  # 5% against 35.5%, every pupil alike
    curve = got["curve"]
    assert (curve["upper998"] >= curve["upper95"]).all() and (curve["lower998"] <= curve["lower95"]).all()
    assert curve["upper95"].is_monotonic_decreasing  # bigger schools: narrower limits


@pytest.mark.parametrize(
    "text, problem",
    [
        ("Name,Phase\nOak,Primary\n", "no URN column"),
        ("URN,Name,Phase\n1,Oak,Nursery school\n", "line 2: unknown phase"),
        ("URN,Name\n1,Oak\n1,Elm\n", "line 3: URN 1 is also on line 2"),
    ],
)
def test_schools_file_refused_with_line(tmp_path, text, problem):
    path = tmp_path / "schools.csv"
    path.write_text(text)
    with pytest.raises(schools.SchoolsFileError, match=problem):
        schools.read_file(path)


@pytest.mark.parametrize(
    "text, phase", [("Primary", "primary"), ("Middle deemed secondary", "secondary"), ("All-through", "secondary")]
)
def test_phase_words(text, phase):
    assert schools.parse_phase(text) == phase

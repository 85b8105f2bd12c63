"""Is it real? Intervals, beyond-chance marks, funnels, control limits and small-number suppression.

Properties checked by simulation (coverage, false alarms where forms differ
only by chance, a form with twice the absence found), hand-checked figures for
the formulas, and generated schools written into a real DuckDB file.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from analytics import groups, measures, patterns, uncertainty
from analytics.filters import Filter, PupilLevelDenied, Scope
from data import on_roll
from data.db import link_marks

GOVERNOR = Scope(pupil_level=False)

# --- hand-checked formulas -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ys", "ms", "variance"),
    [
        # R = 9/30 = 0.3; residuals y - R m = -2, -1, 3; 3/2 * 14 / 30^2
        ((1, 2, 6), (10, 10, 10), 1.5 * 14 / 900),
        # every pupil misses the same share: the cluster variance is 0, so the binomial floor 0.3*0.7/30 holds
        ((3, 3, 3), (10, 10, 10), 0.3 * 0.7 / 30),
        # R = 10/40; residuals 4 - 0.25*10 = 1.5 and 6 - 0.25*30 = -1.5; 2/1 * 4.5 / 1600
        ((4, 6), (10, 30), 2 * 4.5 / 1600),
    ],
)
def test_ratio_variance_by_hand(ys, ms, variance):
    y, m = np.array(ys, float), np.array(ms, float)
    got = uncertainty.ratio_variance(len(y), y.sum(), m.sum(), (y * y).sum(), (m * m).sum(), (y * m).sum())
    assert got == pytest.approx(variance)


@pytest.mark.parametrize(
    ("target", "size", "scale", "low_95", "high_95"),
    [
        (0.1, 100, 1.0, 0.1 - 1.959964 * 0.03, 0.1 + 1.959964 * 0.03),  # sd = sqrt(0.1 * 0.9 / 100) = 0.03
        (0.1, 400, 4.0, 0.1 - 1.959964 * 0.03, 0.1 + 1.959964 * 0.03),  # four times the variance, four times the size
        (0.02, 10, 1.0, 0.0, 0.02 + 1.959964 * math.sqrt(0.02 * 0.98 / 10)),  # cut at 0
    ],
)
def test_funnel_limits_by_hand(target, size, scale, low_95, high_95):
    limits = uncertainty.funnel_limits(target, [size], scale).iloc[0]
    assert (limits["low_95"], limits["high_95"]) == pytest.approx((low_95, high_95), abs=1e-6)
    assert limits["low_99_8"] <= limits["low_95"] and limits["high_99_8"] > limits["high_95"]


def test_funnel_marks_units_outside_the_limits():
    units = pd.DataFrame({"label": ["a", "b", "c"], "size": [1000, 1000, 1000], "events": [100, 200, 20]})
    got, curve = uncertainty.funnel(units, target=0.1)
    assert got["position"].tolist() == ["within", "high", "low"]
    assert curve["size"].is_monotonic_increasing and len(curve) > 10


def test_wilson_stays_inside_zero_and_one():
    assert uncertainty.proportion_interval(0, 10)[0] == 0.0
    assert uncertainty.proportion_interval(10, 10)[1] == pytest.approx(1.0)
    low, high = uncertainty.proportion_interval(3, 10)
    assert low == pytest.approx(0.1078, abs=1e-3) and high == pytest.approx(0.6032, abs=1e-3)


# --- coverage by simulation ------------------------------------------------------------------------


def _simulated_group(rng, n: int, mean: float, concentration: float = 12.0) -> tuple[np.ndarray, np.ndarray]:
    """Pupils whose own absence propensities vary (beta) and whose possible sessions vary (joiners)."""
    p = rng.beta(mean * concentration, (1 - mean) * concentration, size=n)
    m = rng.integers(60, 381, size=n)
    return rng.binomial(m, p), m


def _sums(y, m) -> dict:
    y, m = np.asarray(y, float), np.asarray(m, float)
    return dict(n=len(y), y=y.sum(), m=m.sum(), yy=(y * y).sum(), mm=(m * m).sum(), ym=(y * m).sum())


@pytest.mark.parametrize(("n", "mean"), [(30, 0.08), (12, 0.15)])
def test_interval_coverage_by_simulation(n, mean):
    """Over 200 simulated groups the 95% interval holds the true rate about 95% of the time.

    The true rate of a group of pupils with varying sessions is the expected
    absence over expected sessions: the mean propensity (sessions are drawn
    independently of it).
    """
    rng = np.random.default_rng(20251128 + n)
    hits = 0
    for _ in range(200):
        s = _sums(*_simulated_group(rng, n, mean))
        low, high = uncertainty.rate_interval(s["n"], s["y"], s["m"], s["yy"], s["mm"], s["ym"])
        hits += low <= mean <= high
    assert 0.89 <= hits / 200 <= 0.99


def test_counting_sessions_as_independent_would_not_cover():
    """The reason pupils are the unit: a binomial interval over sessions misses the true rate far too often."""
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(200):
        y, m = _simulated_group(rng, 30, 0.08)
        low, high = uncertainty.wilson(y.sum() / m.sum(), m.sum(), 1.959964)
        hits += low <= 0.08 <= high
    assert hits / 200 < 0.8


def test_gap_false_alarms_by_simulation():
    """Two groups with the same true rate: their gap is beyond chance in about 5% of 200 trials."""
    rng = np.random.default_rng(11)
    alarms = 0
    for _ in range(200):
        a, b = (_simulated_group(rng, n, 0.08) for n in (25, 400))
        sa, sb = (
            {
                "enrolments": len(y),
                "possible_sessions": m.sum(),
                "absence_sessions": y.sum(),
                "overall_absence_yy": (y * y).sum(),
                "mm": (m * m).sum(),
                "overall_absence_ym": (y * m).sum(),
            }
            for y, m in (a, b)
        )
        _, low, high = uncertainty.ratio_gap(sa, sb)
        alarms += low > 0 or high < 0
    assert 0.01 <= alarms / 200 <= 0.11


def _paired_sums(y1, m1, y0, m0) -> dict:
    y1, m1, y0, m0 = (np.asarray(a, float) for a in (y1, m1, y0, m0))
    s = {"n": len(y1), "y1": y1.sum(), "m1": m1.sum(), "y0": y0.sum(), "m0": m0.sum()}
    for k in uncertainty.PAIRED_PRODUCTS:
        a, b = {"y1": y1, "m1": m1, "y0": y0, "m0": m0}[k[:2]], {"y1": y1, "m1": m1, "y0": y0, "m0": m0}[k[2:]]
        s[k] = (a * b).sum()
    return s


def test_a_paired_change_of_different_pupils_is_two_independent_groups():
    # No pupil in both periods: the paired variance is the two cluster variances added (n/(n-1) over all pupils).
    y1, m1 = np.array([1, 2, 6, 0, 0, 0]), np.array([10, 10, 10, 0, 0, 0])
    y0, m0 = np.array([0, 0, 0, 4, 6, 2]), np.array([0, 0, 0, 10, 30, 20])
    change, low, high = uncertainty.paired_change(_paired_sums(y1, m1, y0, m0))
    r1, r0 = 9 / 30, 12 / 60
    var = 6 / 5 * (sum((y - r1 * m) ** 2 for y, m in zip(y1[:3], m1[:3], strict=True)) / 30**2)
    var += 6 / 5 * (sum((y - r0 * m) ** 2 for y, m in zip(y0[3:], m0[3:], strict=True)) / 60**2)
    half = 2.570582 * math.sqrt(var)  # t with 5 degrees of freedom
    assert (change, low, high) == pytest.approx((100 * (r1 - r0), 100 * (r1 - r0 - half), 100 * (r1 - r0 + half)))


def test_a_year_to_date_against_its_own_start_covers_no_change():
    """The same pupils, the earlier period inside the later (as "since the end of last term"):
    over 200 simulated forms whose pupils did not change, the interval holds zero about 95% of the time,
    and is far narrower than treating the two periods as independent."""
    rng = np.random.default_rng(5)
    hits, paired_width, independent_width = 0, 0.0, 0.0
    for _ in range(200):
        p = rng.beta(0.08 * 12, 0.92 * 12, size=28)
        absent = rng.random((28, 200)) < p[:, None]
        y0, y1 = absent[:, :70].sum(axis=1), absent.sum(axis=1)
        m0, m1 = np.full(28, 70), np.full(28, 200)
        _, low, high = uncertainty.paired_change(_paired_sums(y1, m1, y0, m0))
        hits += low <= 0 <= high
        paired_width += high - low
        a = {"enrolments": 28, "possible_sessions": m1.sum(), "absence_sessions": y1.sum(), "mm": (m1 * m1).sum()}
        a |= {"overall_absence_yy": (y1 * y1).sum(), "overall_absence_ym": (y1 * m1).sum()}
        b = {"enrolments": 28, "possible_sessions": m0.sum(), "absence_sessions": y0.sum(), "mm": (m0 * m0).sum()}
        b |= {"overall_absence_yy": (y0 * y0).sum(), "overall_absence_ym": (y0 * m0).sum()}
        _, low, high = uncertainty.change(a, b)
        independent_width += high - low
    assert 0.89 <= hits / 200 <= 0.99
    assert paired_width < 0.6 * independent_width


# --- generated schools in a real database ------------------------------------------------------------

DAYS = 100  # school days from 1 September 2025
FORMS = tuple(f"9{c}" for c in "ABCDEFGH")


def _generate_school(con, school_id: str, seed: int, form_means: dict[str, float], pupils_per_form: int = 28):
    """A school whose forms differ only as ``form_means`` say, written straight into the tables and derived."""
    rng = np.random.default_rng(seed)
    con.execute("INSERT INTO schools (school_id, name, phase) VALUES (?, ?, 'secondary')", [school_id, school_id])
    days = [d for d in (date(2025, 9, 1) + timedelta(days=i) for i in range(DAYS * 2)) if d.weekday() < 5][:DAYS]
    upns, forms, means = [], [], []
    for form, mean in form_means.items():
        for i in range(pupils_per_form):
            upns.append(f"{school_id}{form}{i:03d}")
            forms.append(form)
            means.append(mean)
    n, sessions = len(upns), DAYS * 2
    means = np.array(means)
    propensity = rng.beta(means * 12, (1 - means) * 12)
    absent = rng.random((n, sessions)) < propensity[:, None]
    codes = np.where(absent, np.where(rng.random((n, sessions)) < 0.6, "I", "O"), "/")
    people = pd.DataFrame(
        {
            "upn": upns,
            "form": forms,
            "fsm": rng.random(n) < 0.25,
            "gender": np.where(np.arange(n) % 2 == 0, "M", "F"),
        }
    )
    marks = pd.DataFrame(
        {
            "upn": np.repeat(upns, sessions),
            "date": np.tile(np.repeat(np.array(days, dtype="datetime64[D]"), 2), n),
            "session": np.tile(["AM", "PM"], n * DAYS),
            "code": codes.ravel(),
        }
    )
    con.register("generated_people", people)
    con.register("generated_marks", marks)
    con.execute(
        "INSERT INTO pupils (school_id, upn, surname, forename, date_of_birth, gender, ethnicity) SELECT ?, upn, 'S', 'F', NULL, gender, 'WBRI' FROM generated_people",
        [school_id],
    )
    con.execute(
        "INSERT INTO enrolments (school_id, upn, academic_year, year_group, form, fsm, sen, eal, cin, lac)"
        " SELECT ?, upn, 2025, 9, form, fsm, 'N', false, false, false FROM generated_people",
        [school_id],
    )
    con.execute(
        "INSERT INTO session_marks (school_id, upn, date, session, code, academic_year, enrolment_id) SELECT ?, upn, date::DATE, session, code, 2025, NULL::BIGINT FROM generated_marks",
        [school_id],
    )
    con.unregister("generated_marks")
    con.unregister("generated_people")
    link_marks(con, school_id)
    on_roll.refresh(con, school_id)


SEEDS = (1, 2, 3, 4, 5)


@pytest.fixture(scope="module")
def schools(tmp_path_factory):
    """Five schools whose forms differ only by chance, and one where form 9C has twice the absence."""
    from data import db

    path = tmp_path_factory.mktemp("uncertainty") / "schools.duckdb"
    con = db.connect(path)
    for seed in SEEDS:
        _generate_school(con, f"S{seed}", seed, dict.fromkeys(FORMS, 0.07))
    _generate_school(con, "DOUBLE", 99, {f: (0.14 if f == "9C" else 0.07) for f in FORMS})
    yield con
    con.close()


def _f(school_id: str, **kw) -> Filter:
    return Filter(school_ids=(school_id,), academic_year=2025, **kw)


def test_forms_that_differ_only_by_chance_are_rarely_marked(schools):
    marked = sum(int(measures.summary_by(schools, _f(f"S{s}"), "form")["beyond_chance"].sum()) for s in SEEDS)
    # 40 forms judged at 95%: about 2 marked by chance; more than 7 would mean intervals too narrow.
    assert marked <= 7


def test_a_form_with_twice_the_absence_is_marked(schools):
    by_form = measures.summary_by(schools, _f("DOUBLE"), "form").set_index("group")
    assert by_form.loc["9C", "beyond_chance"] is True or by_form.loc["9C", "beyond_chance"] == True  # noqa: E712
    assert by_form.loc["9C", "overall_absence_gap_low"] > 0
    assert by_form["beyond_chance"].sum() <= 3  # the others, at most a chance mark or two
    breakdown = groups.group_breakdown(schools, _f("DOUBLE"), "form").set_index("group")
    assert breakdown.loc["9C", "beyond_chance"]
    assert breakdown.loc["9C", "overall_absence_rate_low"] > breakdown.loc["9C", "rest_overall_absence_rate"]
    funnel = groups.unit_funnel(schools, _f("DOUBLE"), "form")["units"].set_index("group")
    assert funnel.loc["9C", "beyond_95"] and funnel.loc["9C", "position"] in ("high", "within")
    assert not funnel.drop("9C")["beyond_99_8"].any()


def test_every_interval_holds_its_rate(schools):
    df = measures.summary_by(schools, _f("S1"), "fsm")
    for m in ("overall_absence", "authorised_absence", "unauthorised_absence", "persistent_absence"):
        assert (df[f"{m}_rate_low"] <= df[f"{m}_rate"]).all() and (df[f"{m}_rate"] <= df[f"{m}_rate_high"]).all()


def test_funnel_of_chance_forms_mostly_within(schools):
    outside = 0
    for s in SEEDS:
        result = groups.unit_funnel(schools, _f(f"S{s}"), "form")
        assert result["scale"] > 1  # pupils' absences cluster: wider than a binomial funnel
        outside += int(result["units"]["beyond_99_8"].sum())
    assert outside <= 2


# --- what changed, both directions ---------------------------------------------------------------------


def test_biggest_changes_show_rises_and_falls_with_their_noise(schools):
    first = _f("DOUBLE", date_from=date(2025, 9, 1), date_to=date(2025, 11, 30))
    later = _f("DOUBLE", date_from=date(2025, 12, 1), date_to=date(2026, 3, 31))
    changes = groups.biggest_changes(schools, later, first, bys=("form",), top=8)
    assert set(changes["direction"]) <= {"rise", "fall", "none"}
    assert len(changes) == 8
    for _, row in changes.iterrows():
        assert row["overall_absence_change_low"] <= row["overall_absence_change"] <= row["overall_absence_change_high"]
        assert row["beyond_chance"] == (row["overall_absence_change_low"] > 0 or row["overall_absence_change_high"] < 0)
    # Rises come first, then falls.
    order = changes["direction"].tolist()
    assert order == sorted(order, key=lambda d: {"rise": 0, "none": 1, "fall": 2}[d])


def test_a_year_to_date_against_last_terms_end_marks_few_chance_changes(schools):
    marked = 0
    for seed in SEEDS:
        now = _f(f"S{seed}")
        then = now.replace(date_to=date(2025, 11, 30))
        marked += int(groups.biggest_changes(schools, now, then, bys=("form",), top=8)["beyond_chance"].sum())
    assert marked <= 7  # 40 forms whose pupils did not change: about 2 by chance


def test_biggest_changes_keep_both_directions_when_rises_are_larger(schools):
    # A later period where 9C's absence is much higher: the rises dwarf any fall, yet falls still show.
    first = _f("S1", date_from=date(2025, 9, 1), date_to=date(2025, 11, 30))
    later = _f("S1", date_from=date(2025, 12, 1), date_to=date(2026, 3, 31))
    changes = groups.biggest_changes(schools, later, first, bys=("form", "fsm", "gender"), top=4)
    directions = set(changes["direction"])
    assert {"rise", "fall"} <= directions or len(directions) == 1  # one side only when nothing moved the other way


def test_pupils_behind_a_change_are_ordered_by_their_part(schools):
    first = _f("S2", date_from=date(2025, 9, 1), date_to=date(2025, 11, 30))
    later = _f("S2", date_from=date(2025, 12, 1), date_to=date(2026, 3, 31))
    changes = groups.biggest_changes(schools, later, first, bys=("form",), top=2)
    row = changes.iloc[0]
    pupils = groups.change_contributions(schools, later, first, "form", row["group"], limit=500)
    assert pupils["part_in_change"].sum() == pytest.approx(row["overall_absence_change"])
    parts = pupils["part_in_change"].tolist()
    assert parts == sorted(parts, reverse=row["overall_absence_change"] > 0)
    with pytest.raises(PupilLevelDenied):
        groups.change_contributions(schools, later.replace(scope=GOVERNOR), first, "form", row["group"])


# --- weekly control limits ------------------------------------------------------------------------------


def test_control_limits_flag_a_bad_week_and_not_ordinary_ones():
    rng = np.random.default_rng(3)
    sizes = np.full(30, 12000)
    weekly_rate = 0.07 + rng.normal(0, 0.006, size=30)  # ordinary week-to-week wandering, far above binomial
    events = np.round(weekly_rate * sizes)
    events[17] = round(0.13 * 12000)  # a flu week
    got = uncertainty.control_limits(events, sizes)
    assert got.loc[17, "signal"] == "high"
    assert (got.drop(17)["signal"].isna()).sum() >= 28
    assert got["sigma_z"].iloc[0] > 1  # wider than a plain p chart


def test_weekly_control_on_a_generated_school(schools):
    control = patterns.weekly_control(schools, _f("S3"))
    assert len(control) == DAYS // 5
    assert (control["low"] <= control["centre"]).all() and (control["centre"] <= control["high"]).all()
    assert control["signal"].isin(["high", "low"]).sum() <= 2


# --- small numbers for governors ------------------------------------------------------------------------


def test_a_rate_built_on_one_or_two_pupils_is_not_shown_to_governors(register, con):
    # 8 FSM pupils, 1 of them persistently absent; 8 not FSM, 4 persistently absent.
    for i in range(8):
        register.pupil(f"F{i}", fsm=True).marks(f"F{i}", "2025-09-01", "N N / / / / / / / /" if i == 0 else "/ " * 10)
        register.pupil(f"N{i}", fsm=False).marks(f"N{i}", "2025-09-01", "I I / / / / / / / /" if i < 4 else "/ " * 10)
    leader = groups.group_breakdown(con, Filter(), "fsm").set_index("label")
    assert leader.loc["FSM", "persistent_absence_rate"] == pytest.approx(12.5)
    governor = groups.group_breakdown(con, Filter(scope=GOVERNOR), "fsm").set_index("label")
    assert governor.loc["FSM", "persistent_absence_rate"] is None
    assert governor.loc["FSM", "persistent_absence_count"] is None
    assert "persistent absence: 1 or 2" in governor.loc["FSM", "suppression_reason"]
    # Not FSM would give FSM's count away against the whole school's: hidden too, with the reason.
    assert governor.loc["Not FSM", "persistent_absence_rate"] is None
    assert "persistent absence: 1 or 2" in governor.loc["Not FSM", "suppression_reason"]
    assert governor.loc["FSM", "enrolments"] == 8  # the group itself is still shown
    # Absence sessions are plentiful (2 for FSM is small too): the session rate is hidden for FSM as well.
    assert governor.loc["FSM", "overall_absence_rate"] is None
    assert leader.loc["Not FSM", "overall_absence_rate"] == pytest.approx(100 * 8 / 80)


def test_a_small_count_cannot_be_worked_out_from_the_other_groups(register, con):
    # Three SEN groups: EHC plan has 1 persistently absent pupil of 6; the next smallest count goes too.
    plans = {"E": (6, 1), "K": (6, 3), "N": (8, 5)}
    for sen, (size, persistent) in plans.items():
        for i in range(size):
            upn = f"{sen}{i}"
            register.pupil(upn, sen=sen).marks(
                upn, "2025-09-01", "I I / / / / / / / /" if i < persistent else "/ " * 10
            )
    governor = groups.group_breakdown(con, Filter(scope=GOVERNOR), "sen").set_index("group")
    assert governor.loc["E", "persistent_absence_rate"] is None
    assert governor.loc["K", "persistent_absence_rate"] is None  # the smallest other count: 3
    assert "cannot be worked out" in governor.loc["K", "suppression_reason"]
    assert governor.loc["N", "persistent_absence_rate"] == pytest.approx(100 * 5 / 8)
    leader = groups.group_breakdown(con, Filter(), "sen").set_index("group")
    assert leader.loc["E", "persistent_absence_rate"] == pytest.approx(100 / 6)


# --- is the headline change real? ------------------------------------------------------------------


@pytest.mark.parametrize("form", ["9A", "9C", "9H"])
def test_the_whole_filters_change_is_the_groups_change_when_the_filter_is_that_group(schools, form):
    first = _f("DOUBLE", date_from=date(2025, 9, 1), date_to=date(2025, 11, 30))
    later = _f("DOUBLE", date_from=date(2025, 12, 1), date_to=date(2026, 3, 31))
    row = groups.biggest_changes(schools, later, first, bys=("form",), top=8).set_index("group").loc[form]
    whole = groups.whole_change(schools, later.replace(forms=(form,)), first.replace(forms=(form,)))
    for m in ("overall_absence", "persistent_absence"):
        got = whole[m]
        assert got["change"] == pytest.approx(row[f"{m}_change"])
        assert (got["low"], got["high"]) == pytest.approx((row[f"{m}_change_low"], row[f"{m}_change_high"]))
        assert got["beyond_chance"] == row[f"{m}_beyond_chance"]


def test_a_whole_school_whose_pupils_did_not_change_is_rarely_marked(schools):
    marked = 0
    for seed in SEEDS:
        now = _f(f"S{seed}")
        marked += bool(
            groups.whole_change(schools, now, now.replace(date_to=date(2025, 11, 30)))["overall_absence"][
                "beyond_chance"
            ]
        )
    assert marked <= 1  # five schools at 95%: one marked by chance is already unlucky


def test_twice_the_absence_is_a_change_beyond_chance(schools):
    doubled = groups.whole_change(schools, _f("DOUBLE", forms=("9C",)), _f("DOUBLE", forms=("9A",)))["overall_absence"]
    assert doubled["beyond_chance"] and doubled["low"] > 0 and doubled["change"] > 3  # 28 pupils a form: wide


def test_the_headline_says_whether_its_change_is_real(sample_db):
    from analytics import overview, school
    from data import db
    from ui import headlines

    con = db.connect(sample_db, read_only=True)
    try:
        f = Filter(school_ids=(school.schools(con, Filter()).iloc[0]["school_id"],))
        f = f.replace(academic_year=school.academic_years(con, f)[0])
        noise = overview.headline_noise(con, f)
    finally:
        con.close()
    assert set(noise["comparison"]) == {"previous", "last_year"}
    assert set(noise["measure"]) == {"overall_absence", "persistent_absence"}
    for r in noise.to_dict("records"):
        assert r["low"] <= r["change"] <= r["high"]
    sentence = headlines.noise_sentence(noise, noise.iloc[0]["comparison"])
    assert sentence.startswith("Is the change real?") and "attendance" in sentence and "95% interval" in sentence
    assert "persistent absence" not in headlines.noise_sentence(
        noise, noise.iloc[0]["comparison"], {"persistent_absence_rate": "small numbers"}
    )
    assert headlines.noise_sentence(noise, "national") == ""

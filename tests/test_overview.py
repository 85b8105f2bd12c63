"""The Overview's figures, computed once (analytics.overview) and worded once (ui.headlines)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from analytics import national, overview, patterns, periods, school
from analytics.filters import Filter
from data import db
from data.scope import Scope
from ui import headlines


def _headline(now: float | None, then: float | None) -> overview.Headline:
    return overview.Headline(now={"attendance_rate": now}, previous={"attendance_rate": then})


@pytest.mark.parametrize(
    ("now", "then", "change", "shown"),
    [
        (93.04, 93.0, 0.0, "no change"),
        (92.96, 93.04, 0.0, "no change"),  # -0.08 unrounded: both show as 93.0, so no "-0.0"
        (93.06, 93.0, 0.1, "+0.1 pts"),
        (92.94, 93.0, -0.1, "-0.1 pts"),
        (93.1, 93.9, -0.8, "-0.8 pts"),
        (93.0, None, None, "—"),
        (None, 93.0, None, "—"),
    ],
)
def test_a_change_is_worked_out_from_the_figures_as_shown(now, then, change, shown):
    got = _headline(now, then).change("attendance_rate", "previous")
    assert got == change
    assert headlines.points(got) == shown
    if got == 0:
        assert str(got) == "0.0"  # never the negative zero that prints as "-0.0"


@pytest.mark.parametrize(
    ("value", "rate", "number"),
    [
        (93.0, "93.0%", "93.0"),
        (93, "93.0%", "93.0"),
        (6.849, "6.8%", "6.8"),
        (None, "—", "—"),
        (float("nan"), "—", "—"),
    ],
)
def test_rates_have_one_decimal_everywhere(value, rate, number):
    assert headlines.rate(value) == rate
    assert headlines.number(value) == number


def _figures(enrolments: int, pa: int, severe: int) -> dict:
    return {
        "enrolments": enrolments,
        "pupils": enrolments,
        "attendance_rate": 93.0,
        "persistent_absence_count": pa,
        "persistent_absence_rate": 100 * pa / enrolments,
        "severe_absence_count": severe,
        "severe_absence_rate": 100 * severe / enrolments,
    }


@pytest.mark.parametrize(
    ("now", "previous", "hidden"),
    [
        (_figures(100, 20, 5), _figures(100, 18, 4), {}),
        (_figures(100, 20, 2), _figures(100, 18, 4), {"severe_absence_rate": "1 or 2 pupils"}),
        (_figures(100, 20, 5), _figures(100, 18, 1), {"severe_absence_rate": "1 or 2 pupils"}),  # subtraction
        (_figures(100, 0, 0), {}, {}),  # none is not a small number
        (_figures(4, 3, 0), {}, {m: "fewer than 5 pupils" for m in overview.HEADLINE_MEASURES}),
    ],
)
def test_governors_never_see_small_numbers_in_the_headline(now, previous, hidden):
    h = overview.without_small_numbers(overview.Headline(now=now, previous=previous))
    assert h.hidden == hidden
    for measure in hidden:
        assert h.now.get(measure) is None and h.previous.get(measure) is None
        assert h.now.get(measure.replace("_rate", "_count")) is None
    table = headlines.headline_table(h)
    for measure, reason in hidden.items():
        row = table[table["Measure"] == headlines.MEASURE_LABELS[measure]].iloc[0]
        assert row["This period"] == f"not shown ({reason})" and row["Pupils"] == "—"


@pytest.fixture
def two_years(register, con):
    """A1 in 2024/25 and 2025/26, with half-terms: every figure below is worked out by hand."""
    register.calendar(2024, "autumn", 2, "2024-11-04", "2024-12-20")
    register.calendar(2025, "autumn", 1, "2025-09-01", "2025-10-17")
    register.calendar(2025, "autumn", 2, "2025-11-03", "2025-12-19")
    register.pupil("A1", academic_year=2024).pupil("A1", academic_year=2025)
    register.marks("A1", "2024-11-04", "/ / / / / N / / / /")  # 1 of 10 missed: 90.0%
    register.marks("A1", "2025-09-01", "/ / / / / / / / I I")  # 2 of 10 missed: 80.0%
    register.marks("A1", "2025-11-03", "/ / / / / / / / / /")  # none missed: 100.0%
    return con


def test_the_headline_beside_the_previous_half_term_last_year_and_england(two_years):
    f = Filter(school_ids=("T1",), academic_year=2025, term="autumn", half_term=2)
    h = overview.headline(two_years, f)
    assert h.now["attendance_rate"] == pytest.approx(100.0)
    assert h.previous_label == "Autumn 1"
    assert h.previous["attendance_rate"] == pytest.approx(80.0)
    assert h.last_year["attendance_rate"] == pytest.approx(90.0)
    assert h.change("attendance_rate", "previous") == 20.0
    assert h.change("attendance_rate", "last_year") == 10.0
    assert h.national == national.national_headline("secondary")
    table = headlines.headline_table(h)
    assert table.iloc[0].tolist()[:4] == ["Attendance", "100.0%", "80.0%", "90.0%"]
    severe = table[table["Measure"] == "Severe absence"].iloc[0]
    assert severe["National (secondary)"] == "not published"
    assert "None" not in table.to_string() and "nan" not in table.to_string()


def test_a_governors_headline_of_one_pupil_shows_no_figure(two_years):
    f = Filter(school_ids=("T1",), academic_year=2025, term="autumn", half_term=2, scope=Scope(pupil_level=False))
    h = overview.headline(two_years, f)
    assert not h.empty and set(h.hidden) == set(overview.HEADLINE_MEASURES)
    assert all(h.now[m] is None for m in overview.HEADLINE_MEASURES)
    assert h.now["pupils"] is None


def test_the_first_half_term_has_no_earlier_period_and_says_so(two_years):
    f = Filter(school_ids=("T1",), academic_year=2025, term="autumn", half_term=1)
    h = overview.headline(two_years, f)
    assert h.previous_label is None and h.change("attendance_rate", "previous") is None
    table = headlines.headline_table(h)
    assert set(table["Last period"]) == {"no earlier period"}
    empty = headlines.headline_table(overview.Headline(now=h.now, national=h.national))
    assert set(empty["Same point last year"]) == {"no marks last year"}


@pytest.fixture(scope="module")
def sample(sample_db):
    con = db.connect(sample_db, read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def year_filter(sample) -> Filter:
    f = Filter(school_ids=(school.schools(sample, Filter()).iloc[0]["school_id"],))
    return f.replace(academic_year=school.academic_years(sample, f)[0])


def test_same_point_last_year_is_52_weeks_back_on_the_same_weekday(sample, year_filter):
    last = periods.same_point_last_year(sample, year_filter)
    latest = school.latest_date(sample, year_filter)
    assert last.academic_year == year_filter.academic_year - 1
    assert last.date_to == latest - timedelta(days=364)
    assert last.date_to.weekday() == latest.weekday()


def test_year_to_date_is_compared_with_the_end_of_the_last_finished_half_term(sample, year_filter):
    before, label = periods.previous_period(sample, year_filter)
    assert label.startswith("end of ")
    assert before.date_to < school.latest_date(sample, year_filter)


def test_last_years_weeks_are_drawn_on_this_years_calendar(sample, year_filter):
    wc = overview.weekly_comparison(sample, year_filter)
    weekly = patterns.weekly_trend(sample, year_filter)
    assert (pd.to_datetime(wc.weeks["week"]).dt.weekday == 0).all()
    weekly = weekly.assign(week_start=pd.to_datetime(weekly["week_start"]))
    this = weekly[weekly["series"] == "this year"].set_index("week_start")["absence_rate"]
    last = weekly[weekly["series"] == "last year"].set_index("week_start")["absence_rate"]
    by_week = wc.weeks.set_index("week")
    assert not this.empty and not last.empty
    for week, value in this.items():
        assert by_week.loc[week, "this_year"] == pytest.approx(value)
    for week, value in last.items():
        assert by_week.loc[week + timedelta(days=364), "last_year"] == pytest.approx(value)
    assert wc.weeks["national"].nunique() == 1
    assert set(wc.half_terms["academic_year"]) == {year_filter.academic_year}


# --- the page ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_db(sample_db, tmp_path_factory):
    import shutil

    path = tmp_path_factory.mktemp("overview") / "overview.duckdb"
    shutil.copy(sample_db, path)
    return path


def _page_text(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "title", "subheader") for e in at.get(kind)]
    parts += [f"{m.label} {m.value} {m.delta} {m.help}" for m in at.metric]
    return "\n".join(str(p) for p in parts)


def test_the_overview_cards_read_cleanly_against_each_comparison(monkeypatch, app_db):
    from tests.test_app_smoke import run_page

    at = run_page(monkeypatch, app_db, "pages/overview.py")
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download the termly review pack (PDF)" in labels
    for against in ("last_year", "national", "previous"):
        at.segmented_control(key="overview_compare").set_value(against).run()
        assert not at.exception, [e.value for e in at.exception]
        cards = {m.label: m for m in at.metric}
        assert list(cards) == [
            "Attendance",
            "Authorised absence",
            "Unauthorised absence",
            "Persistent absence",
            "Severe absence",
        ]
        for card in cards.values():
            assert card.value[:-2].replace(".", "", 1).isdigit() and card.value[-3] == ".", card.value  # "93.1%"
            assert card.delta in ("no figure", "not published", "no change") or card.delta.endswith(" pts")
            assert "-0.0" not in card.delta and "+0.0" not in card.delta
        if against == "national":
            assert cards["Severe absence"].delta == "not published"  # the DfE publishes no severe absence rate
            assert "not published" in cards["Severe absence"].help
        text = _page_text(at)
        assert "None" not in text and "nan" not in text


def test_the_governors_page_shows_key_points_and_offers_pdf_and_word(monkeypatch, app_db):
    from tests.test_app_smoke import run_page

    at = run_page(monkeypatch, app_db, "pages/governors.py", role="governor")
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.value.startswith("Attendance so far this year is ") for m in at.markdown)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[:2] == ["Download the governors' pack (PDF)", "Download the governors' pack (Word)"]
    assert "None" not in _page_text(at)


def _facts(now: dict, last_year: dict, hidden: dict | None = None):
    from ui.packs import summary

    h = overview.Headline(
        now=now, last_year=last_year, national=national.national_headline("secondary"), hidden=hidden or {}
    )
    weeks = overview.WeeklyComparison(pd.DataFrame(columns=["week", "this_year", "last_year"]), pd.DataFrame())
    return summary.Facts(h, weeks, {}, None, None)


@pytest.mark.parametrize(
    ("f", "now", "last_year", "hidden", "expected"),
    [
        (
            Filter(term="autumn", half_term=2),
            {
                "enrolments": 200,
                "attendance_rate": 93.1,
                "persistent_absence_rate": 20.0,
                "persistent_absence_count": 40,
            },
            {"enrolments": 190, "attendance_rate": 93.9, "persistent_absence_rate": 20.04},
            {},
            [
                "Attendance this half-term is 93.1%, 0.8 points lower than at this point last year (93.9%); ",
                "Persistent absence is 20.0% (40 pupils), the same as last year (20.0%), against 23.8% nationally "
                "(over this half-term only: the DfE reports it for the year to date).",
            ],
        ),
        (
            Filter(),
            {"enrolments": 200, "attendance_rate": 95.0, "severe_absence_count": 1, "severe_absence_rate": 0.5},
            {},
            {},
            ["Attendance so far this year is 95.0%; nationally", "1 pupil (0.5%) is severely absent"],
        ),
        (Filter(), {"enrolments": 3}, {}, {"attendance_rate": "fewer than 5 pupils"}, ["not shown (fewer than 5"]),
    ],
)
def test_key_points_are_worded_from_the_figures(f, now, last_year, hidden, expected):
    from ui.packs import summary

    text = summary.key_points(_facts(now, last_year, hidden), f)
    for part in expected:
        assert part in text
    assert "None" not in text and "-0.0" not in text and "nan" not in text

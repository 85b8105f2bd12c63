"""The road to the end of the year on a golden register: every figure worked out by hand below.

The school's 2025/26 calendar (imported), 190 days with holidays between the half-terms:

| half-term | dates                | school days |
|-----------|----------------------|-------------|
| autumn 1  | 1 Sep - 17 Oct 2025  | 35          |
| autumn 2  | 3 Nov - 19 Dec 2025  | 35          |
| spring 1  | 5 Jan - 13 Feb 2026  | 30          |
| spring 2  | 23 Feb - 27 Mar 2026 | 25          |
| summer 1  | 13 Apr - 22 May 2026 | 30          |
| summer 2  | 1 Jun - 17 Jul 2026  | 35          |

Marks: all of autumn 1 and the first two weeks of autumn 2 (to Friday 14 November):
45 days, 90 sessions held. Left: 25 + 30 + 25 + 30 + 35 = 145 days, 290 sessions.
School weeks for the penalty window: w1-w7 autumn 1, w8 = 3 Nov, w9 = 10 Nov (now),
w10 = 17 Nov ... w14 = 15 Dec, w15 = 5 Jan, w16 = 12 Jan, w17 = 19 Jan.

| pupil | so far (possible / absent)       | year end | spare = 37 - absent (or own) | best reachable     |
|-------|----------------------------------|----------|------------------------------|--------------------|
| A     | 90 / 8 (6 I aut 1; 2 N, 3 Nov)   | 380      | 29 (14.5 days), 3 bad weeks  | 372/380 = 97.895%  |
| B     | 90 / 44 (40 I aut 1; 4 O 10 Nov) | 380      | -7: cannot avoid             | 336/380 = 88.421%  |
| C     | joined 3 Nov: 20 / 3 (I I, N)    | 310      | 30 - 3 = 27 (13.5 days)      | 307/310 = 99.032%  |
| D     | 90 / 30 (aut 1)                  | 380      | 7: one bad week              | 350/380 = 92.105%  |
| E     | 90 / 20 (aut 1)                  | 380      | 17: two bad weeks            | 360/380 = 94.737%  |
| G     | 90 / 38 (aut 1)                  | 380      | -1: exactly 90%, cannot      | 342/380 = 90.000%  |
| H     | 90 / 37 (aut 1)                  | 380      | 0: one bad week              | 343/380 = 90.263%  |
| L     | leaves 19 Dec: 90 / 0            | 140      | 13 (6.5 days), 2 bad weeks   | 100%               |

Ending strictly above 90% needs absent < 10% of the year's sessions: A's 380 allow 37, C's 310 allow 30,
L's 140 allow 13.

At the rate since half-term (3 Nov, 20 sessions): A misses 2/20 = 10% -> 8 + 29 = 37 absent, 343/380 =
90.263%; B 4/20 = 20% -> 44 + 58 = 102, 278/380 = 73.158%; C 3/20 = 15% -> 3 + 43.5 = 46.5 of 310 = 85.0%;
D, E, G, H, L miss nothing since half-term: they end on their best.

Penalty notice (10 unauthorised in 10 school weeks), projected at the unauthorised rate since half-term:
- A: 2 N in w8; 2/20 a session = 1 a week. Window at w16 (w7-w16) = 2 + 7 = 9; at w17 (w8-w17) = 2 + 8 = 10:
  reached in the week of 19 Jan, needing 1 more at 0.2 a day = 5 days -> Friday 23 January 2026.
- B: 4 O in w9; 4/20 = 2 a week. w10 6, w11 8, w12 (1 Dec) 10: needs 2 at 0.4 a day -> Friday 5 December.
- C: 1 N in w8, 0.5 a week: at most 10 x 0.5 = 5 once w8 leaves the window: not this year.
- F: 10 N in w6 and w7 (13 and 20 Oct... of autumn 1): already reached (a window in the last 10 weeks).

Rule of 3 this half-term (3 Nov - 19 Dec, 35 days = 70 sessions: average 90% allows 7 absent):
A 7 - 2 = 5 sessions = 2.5 days; B 7 - 4 = 3 = 1.5; C 7 - 3 = 4 = 2.0; D 3.5; L (leaves 19 Dec) 3.5.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from analytics import projection
from analytics.filters import Filter, PupilLevelDenied, Scope
from analytics.measures import PERSISTENT_LINE
from data import db
from tests.registers import Register, school_days
from ui.projection import days_text, parent_sentences, road_figures

F = Filter(school_ids=("T1",), academic_year=2025)
HALF_TERMS = (
    ("autumn", 1, "2025-09-01", "2025-10-17"),
    ("autumn", 2, "2025-11-03", "2025-12-19"),
    ("spring", 1, "2026-01-05", "2026-02-13"),
    ("spring", 2, "2026-02-23", "2026-03-27"),
    ("summer", 1, "2026-04-13", "2026-05-22"),
    ("summer", 2, "2026-06-01", "2026-07-17"),
)
AUTUMN1 = school_days("2025-09-01", 35)
AUTUMN2 = school_days("2025-11-03", 10)


def _first(days: list[date], sessions: int, code: str) -> dict[date, tuple[str, str]]:
    """``sessions`` absences with ``code`` over the first days of ``days``, AM then PM."""
    out: dict[date, tuple[str, str]] = {}
    for i in range(sessions):
        am, pm = out.get(days[i // 2], ("/", "\\"))
        out[days[i // 2]] = (code, pm) if i % 2 == 0 else (am, code)
    return out


# pupil: (admission, leaving, absences in autumn 1, absences in autumn 2 so far)
PUPILS = {
    "A": (None, None, _first(AUTUMN1, 6, "I"), _first(AUTUMN2, 2, "N")),
    "B": (None, None, _first(AUTUMN1, 40, "I"), _first(AUTUMN2[5:], 4, "O")),
    "C": ("2025-11-03", None, {}, {**_first(AUTUMN2, 2, "I"), AUTUMN2[1]: ("/", "N")}),
    "D": (None, None, _first(AUTUMN1, 30, "I"), {}),
    "E": (None, None, _first(AUTUMN1, 20, "I"), {}),
    "F": (None, None, _first(AUTUMN1[25:], 10, "N"), {}),
    "G": (None, None, _first(AUTUMN1, 38, "I"), {}),
    "H": (None, None, _first(AUTUMN1, 37, "I"), {}),
    "L": (None, "2025-12-19", {}, {}),
}


def golden(con, half_terms=HALF_TERMS) -> Register:
    """The register above, its marks written in one statement (as the importer does) rather than one by one."""
    reg = Register(con)
    for term, half, start, end in half_terms:
        reg.calendar(2025, term, half, start, end)
    rows = []
    for upn, (admission, leaving, autumn1, autumn2) in PUPILS.items():
        reg.pupil(upn, admission_date=admission or "2025-09-01", leaving_date=leaving, forename=f"Pupil{upn}")
        for days, absent in ((AUTUMN1, autumn1), (AUTUMN2, autumn2)):
            for day in days:
                if admission and day < date.fromisoformat(admission):
                    continue
                am, pm = absent.get(day, ("/", "\\"))
                rows += [(upn, day, "AM", am), (upn, day, "PM", pm)]
    marks = pd.DataFrame(rows, columns=["upn", "date", "session", "code"])  # noqa: F841 (read by DuckDB)
    con.execute(
        """INSERT INTO session_marks (school_id, upn, date, session, code, academic_year, enrolment_id)
           SELECT e.school_id, m.upn, m.date, m.session, m.code, e.academic_year, e.enrolment_id
           FROM marks m JOIN enrolments e ON e.school_id = ? AND e.upn = m.upn AND e.academic_year = 2025""",
        [reg.school_id],
    )
    return reg.sync()


def _built(tmp_path_factory, name: str, half_terms) -> duckdb.DuckDBPyConnection:
    path = tmp_path_factory.mktemp(name) / "golden.duckdb"
    con = db.connect(path)
    golden(con, half_terms)
    return con


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """The golden register with the whole year's calendar (built once: the tests only read it)."""
    con = _built(tmp_path_factory, "full", HALF_TERMS)
    yield con
    con.close()


@pytest.fixture
def outlook(full):
    return projection.year_end_outlook(full, F).set_index("upn")


# upn, possible, absent, remaining, year-end sessions, can miss (sessions), days, cannot avoid, bad weeks, best
YEAR_ROWS = [
    ("A", 90, 8, 290, 380, 29, 14.5, False, 3, 100 * 372 / 380),
    ("B", 90, 44, 290, 380, 0, 0.0, True, 0, 100 * 336 / 380),
    ("C", 20, 3, 290, 310, 27, 13.5, False, 3, 100 * 307 / 310),
    ("D", 90, 30, 290, 380, 7, 3.5, False, 1, 100 * 350 / 380),
    ("E", 90, 20, 290, 380, 17, 8.5, False, 2, 100 * 360 / 380),
    ("G", 90, 38, 290, 380, 0, 0.0, True, 0, 90.0),
    ("H", 90, 37, 290, 380, 0, 0.0, False, 1, 100 * 343 / 380),
    ("L", 90, 0, 50, 140, 13, 6.5, False, 2, 100.0),
]


@pytest.mark.parametrize(
    ("upn", "possible", "absent", "remaining", "year_end", "can_miss", "days", "cannot", "bad_weeks", "best"),
    YEAR_ROWS,
)
def test_what_is_left_and_what_they_can_miss(
    outlook, upn, possible, absent, remaining, year_end, can_miss, days, cannot, bad_weeks, best
):
    row = outlook.loc[upn]
    assert row["basis"] == projection.BASIS_CALENDAR
    assert row["as_of"] == pd_date("2025-11-14")
    assert row["year_end"] == pd_date("2026-07-17")
    assert (row["possible_sessions"], row["absence_sessions"]) == (possible, absent)
    assert (row["remaining_sessions"], row["remaining_days"]) == (remaining, remaining // 2)
    assert row["year_end_sessions"] == year_end
    assert (row["can_miss_sessions"], row["can_miss_days"]) == (can_miss, days)
    assert bool(row["cannot_avoid"]) is cannot
    assert row["bad_weeks_to_line"] == bad_weeks
    assert row["best_attendance"] == pytest.approx(best)


# upn, absence rate since half-term, projected attendance, penalty status, date
RATE_ROWS = [
    ("A", 10.0, 100 * 343 / 380, "projected", "2026-01-23"),
    ("B", 20.0, 100 * 278 / 380, "projected", "2025-12-05"),
    ("C", 15.0, 85.0, "not this year", None),
    ("D", 0.0, 100 * 350 / 380, "not this year", None),
    ("F", 0.0, 100 * 370 / 380, "reached", None),
    ("L", 0.0, 100.0, "not this year", None),
]


@pytest.mark.parametrize(("upn", "rate", "projected", "status", "when"), RATE_ROWS)
def test_at_their_rate_since_half_term(outlook, upn, rate, projected, status, when):
    row = outlook.loc[upn]
    assert row["rate_from"] == pd_date("2025-11-03")
    assert row["absence_rate_since"] == pytest.approx(rate)
    assert row["projected_attendance"] == pytest.approx(projected)
    assert row["penalty_status"] == status
    assert (None if _na(row["penalty_date"]) else row["penalty_date"]) == (pd_date(when) if when else None)


@pytest.mark.parametrize(
    ("upn", "days_off", "days_left"), [("A", 1.0, 2.5), ("B", 2.0, 1.5), ("C", 1.5, 2.0), ("D", 0.0, 3.5)]
)
def test_rule_of_three_left_this_half_term(outlook, upn, days_off, days_left):
    row = outlook.loc[upn]
    assert (row["half_term_start"], row["half_term_end"]) == (pd_date("2025-11-03"), pd_date("2025-12-19"))
    assert (row["half_term_days_off"], row["half_term_days_left"]) == (days_off, days_left)


def test_cannot_avoid_exactly_when_best_is_not_above_the_line(outlook):
    # Ending on exactly 10% absence is persistent absence: G's best of exactly 90% cannot avoid it.
    cannot = outlook["cannot_avoid"].astype(bool)
    assert (cannot == (outlook["best_attendance"] <= PERSISTENT_LINE + 1e-9)).all()
    assert set(outlook.index[cannot]) == {"B", "G"}


def test_lists(full):
    con = full
    assert list(projection.cannot_avoid_persistent_absence(con, F)["upn"]) == ["B", "G"]
    # Fewest bad weeks first, then fewest sessions to spare: H 0, D 7 (one week); L 13, E 17 (two).
    assert list(projection.bad_weeks_from_persistent_absence(con, F)["upn"]) == ["H", "D", "L", "E"]
    assert list(projection.bad_weeks_from_persistent_absence(con, F, weeks=1)["upn"]) == ["H", "D"]
    # A bad week of 4 sessions: D's 7 to spare is two such weeks, H's 0 one, E's 17 five.
    assert list(projection.bad_weeks_from_persistent_absence(con, F, bad_week=4)["upn"]) == ["H", "D"]


@pytest.mark.parametrize(
    ("target", "upn", "can_miss", "cannot"),
    [
        # 95%: absent < 5% of 380 = 19 -> at most 18. A 18 - 8 = 10; E 20 already -> cannot.
        (95.0, "A", 10, False),
        (95.0, "E", 0, True),
        # C's 310 sessions: < 15.5 -> at most 15; 15 - 3 = 12.
        (95.0, "C", 12, False),
        (PERSISTENT_LINE, "E", 17, False),
    ],
)
def test_a_school_target(full, target, upn, can_miss, cannot):
    row = projection.year_end_outlook(full, F, target=target).set_index("upn").loc[upn]
    assert (row["can_miss_sessions"], bool(row["cannot_avoid"])) == (can_miss, cannot)


def test_standard_year_without_a_calendar_beyond_the_marks(tmp_path_factory):
    # Only autumn in the calendar: a standard 380-session year. 90 held, 290 left (145 weekdays with no
    # holidays known), so A's figures are the same but the penalty window runs on through Christmas:
    # w17 is the week of 5 January, Friday 9 January.
    con = _built(tmp_path_factory, "autumn", HALF_TERMS[:2])
    row = projection.year_end_outlook(con, F).set_index("upn").loc["A"]
    assert row["basis"] == projection.BASIS_STANDARD
    assert _na(row["year_end"])
    assert (row["remaining_sessions"], row["can_miss_sessions"]) == (290, 29)
    assert row["penalty_date"] == pd_date("2026-01-09")
    # The current half-term's end is still known from the calendar.
    assert row["half_term_days_left"] == 2.5


def test_calendar_derived_from_the_marks(tmp_path_factory):
    # No calendar imported: the half-terms derived from the marks stop at the latest mark, so the year is a
    # standard one, the rate runs from the derived half-term's start and its end is unknown.
    con = _built(tmp_path_factory, "derived", ())
    row = projection.year_end_outlook(con, F).set_index("upn").loc["A"]
    assert row["basis"] == projection.BASIS_STANDARD
    assert row["rate_from"] == pd_date("2025-11-03") and row["absence_rate_since"] == pytest.approx(10.0)
    assert _na(row["half_term_days_left"])
    # With no calendar rows at all the rate is the year to date's.
    con.execute("DELETE FROM calendar")
    row = projection.year_end_outlook(con, F).set_index("upn").loc["A"]
    assert _na(row["rate_from"]) and _na(row["half_term_days_left"])
    assert row["absence_rate_since"] == pytest.approx(100 * 8 / 90)


def test_as_of_an_earlier_date(full):
    # As of Friday 17 October (end of autumn 1): 70 sessions so far, 310 left; A has missed 6.
    row = projection.year_end_outlook(full, F, as_of=date(2025, 10, 17)).set_index("upn").loc["A"]
    assert (row["possible_sessions"], row["absence_sessions"], row["remaining_sessions"]) == (70, 6, 310)
    assert row["rate_from"] == pd_date("2025-09-01")


def test_pupil_level_only(full):
    with pytest.raises(PupilLevelDenied):
        projection.year_end_outlook(full, F.replace(scope=Scope(pupil_level=False)))


def test_empty(con):
    Register(con)
    assert projection.year_end_outlook(con, F).empty
    assert projection.pupil_outlook(con, F, "A") == {}


def pd_date(text: str):
    return pd.Timestamp(text)  # dates come back from DuckDB through pandas as timestamps


def _na(value) -> bool:
    return value is None or value != value


# ---------------------------------------------------------------- in parent terms


@pytest.mark.parametrize(
    ("upn", "expected"),
    [
        (
            "A",
            [
                "There are 145 school days left this year, to 17 July 2026.",
                "PupilA can miss 14½ more days this year and still end above 90%.",
                "If she attends every remaining day, she will end the year on 97.9%.",
                "At her rate since half-term (3 November) she will end the year on 90.3% and reach the "
                "penalty-notice threshold around 23 January.",
                "This half-term (to 19 December) PupilA can miss 2½ more days and still average 90% over the "
                "half-term (the Rule of 3).",
            ],
        ),
        (
            "B",
            [
                "There are 145 school days left this year, to 17 July 2026.",
                "Even attending every remaining day, PupilB cannot now end the year above 90%: the best she can "
                "reach is 88.4%.",
                "At her rate since half-term (3 November) she will end the year on 73.2% and reach the "
                "penalty-notice threshold around 5 December.",
                "This half-term (to 19 December) PupilB can miss 1½ more days and still average 90% over the "
                "half-term (the Rule of 3).",
            ],
        ),
        (
            "L",
            [
                "There are 25 school days left before PupilL leaves on 19 December.",
                "PupilL can miss 6½ more days this year and still end above 90%.",
                "If she attends every remaining day, she will end the year on 100.0%.",
                "At her rate since half-term (3 November) she will end the year on 100.0%.",
                "This half-term (to 19 December) PupilL can miss 3½ more days and still average 90% over the "
                "half-term (the Rule of 3).",
            ],
        ),
    ],
)
def test_parent_sentences(full, upn, expected):
    assert parent_sentences(projection.pupil_outlook(full, F, upn)) == expected


@pytest.mark.parametrize(
    ("upn", "left", "can_miss", "best", "at_rate"),
    [
        ("A", "145 school days", "14½ days", "97.9%", "90.3%"),
        ("B", "145 school days", "none", "88.4%", "73.2%"),
        ("L", "25 school days", "6½ days", "100.0%", "100.0%"),
    ],
)
def test_the_pupil_pages_four_figures(full, upn, left, can_miss, best, at_rate):
    figures = road_figures(projection.pupil_outlook(full, F, upn))
    assert [value for _, value, _ in figures] == [left, can_miss, best, at_rate]
    sessions = {"A": 290, "B": 290, "L": 50}[upn]
    assert figures[0][2].startswith(f"{sessions} sessions")


@pytest.mark.parametrize(
    ("gender", "words"), [("M", "If he attends every"), (None, "If they attend every"), ("F", "If she attends every")]
)
def test_parent_sentences_pronouns(full, gender, words):
    row = {**projection.pupil_outlook(full, F, "A"), "gender": gender}
    assert any(s.startswith(words) for s in parent_sentences(row))


@pytest.mark.parametrize(
    ("days", "more", "text"),
    [(7, False, "7 days"), (14.5, True, "14½ more days"), (0.5, False, "half a day"), (1, True, "1 more day")],
)
def test_days_text(days, more, text):
    assert days_text(days, more=more) == text

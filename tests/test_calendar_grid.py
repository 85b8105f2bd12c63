"""A pupil's calendar of marks as an HTML table: each mark in its week and session, its colour, code and meaning."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import pytest

from ui import charts
from ui.charts import calendar_grid

# Five marks of one pupil: a present Monday morning, an unauthorised Friday afternoon (letter in white), a missing
# mark (no code), a mark of a category the palette does not know (drawn as missing), and, after the half-term week
# of 19 October, a Monday in November whose meaning was typed into an import with HTML in it.
MARKS = pd.DataFrame(
    {
        "date": pd.to_datetime(["2026-09-07", "2026-09-11", "2026-09-16", "2026-09-16", "2026-11-02"]),
        "session": ["AM", "PM", "AM", "PM", "PM"],
        "category": ["present", "unauthorised", "missing", "something else", "authorised"],
        "code": ["/", "O", None, "?", "I"],
        "meaning": ["Present (AM)", "Unauthorised absence", None, "Unknown", "Illness <b>&</b> 'flu'"],
    }
)
TITLE = "Every session: Amy Ash<br><sup>Year 8 8A, Year to date</sup>"  # as charts.chart_title writes it


class Cells(HTMLParser):
    """The table as rows of (tag, class, title, text), and the figure's caption and key."""

    def __init__(self, markup: str):
        super().__init__()
        self.rows: list[list[tuple]] = []
        self.key: list[str] = []
        self.caption = ""
        self._cell: list | None = None
        self._in = ""
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = [tag, a.get("class"), a.get("title"), ""]
            self.rows[-1].append(self._cell)
        elif tag == "figcaption":
            self._in = "caption"
        elif tag == "i":
            self.key.append(a["class"])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell:
            self.rows[-1][-1] = tuple(self._cell)
            self._cell = None
        elif tag == "figcaption":
            self._in = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[3] += data
        elif self._in == "caption":
            self.caption += data + "|"


@pytest.fixture(scope="module")
def drawn():
    return Cells(calendar_grid.calendar(MARKS, TITLE).html)


def test_the_title_names_what_who_and_when():
    chart = calendar_grid.calendar(MARKS, TITLE)
    assert chart.title == "Every session: Amy Ash — Year 8 8A, Year to date"  # for the figures box and alt text
    assert Cells(chart.html).caption == "Every session: Amy Ash|Year 8 8A, Year to date|"


def test_months_over_the_weeks_with_marks_and_a_gap_after_a_holiday(drawn):
    months, weeks = drawn.rows[0], drawn.rows[1]
    assert [c[3] for c in months] == ["", "Sep", "Nov"]  # the first cell sits over the sessions' names
    assert [c[3] for c in weeks] == ["Week beginning", "7", "14", "2"]  # no column for weeks without marks
    assert [c[2] for c in weeks[1:]] == [
        "Week beginning Monday 7 September 2026",
        "Week beginning Monday 14 September 2026",
        "Week beginning Monday 2 November 2026",
    ]
    assert [c[1] for c in weeks[1:]] == [None, None, "gap"]  # two weeks without marks before 2 November


@pytest.mark.parametrize(
    ("row", "week", "css", "code", "hover"),
    [
        ("Mon AM", 0, "k-present", "/", "Mon 07 Sep 2026 AM: /, Present (AM)"),
        ("Fri PM", 0, "k-unauthorised", "O", "Fri 11 Sep 2026 PM: O, Unauthorised absence"),
        ("Wed AM", 1, "k-missing", "", "Wed 16 Sep 2026 AM: no mark, –"),
        ("Wed PM", 1, "k-missing", "?", "Wed 16 Sep 2026 PM: ?, Unknown"),  # a category the palette lacks
        ("Mon PM", 2, "k-authorised gap", "I", "Mon 02 Nov 2026 PM: I, Illness <b>&</b> 'flu'"),
        ("Mon AM", 2, "gap", "", None),  # no mark that session: an empty square
        ("Tue AM", 0, None, "", None),
    ],
)
def test_each_mark_in_its_week_and_session(drawn, row, week, css, code, hover):
    sessions = {r[0][3]: r[1:] for r in drawn.rows[2:]}
    assert list(sessions) == [f"{d} {s}" for d in ("Mon", "Tue", "Wed", "Thu", "Fri") for s in ("AM", "PM")]
    tag, got_css, got_hover, text = sessions[row][week]
    assert (tag, got_css, text, got_hover) == ("td", css, code, hover)


def test_a_saturday_with_marks_gets_its_rows_and_an_ordinary_week_none():
    saturday = pd.concat(
        [MARKS, pd.DataFrame({"date": [pd.Timestamp("2026-09-12")], "session": ["AM"], "category": ["present"],
                              "code": ["/"], "meaning": ["Present (AM)"]})],
        ignore_index=True,
    )  # fmt: skip
    rows = [r[0][3] for r in Cells(calendar_grid.calendar(saturday, TITLE).html).rows[2:]]
    assert rows[-4:] == ["Fri AM", "Fri PM", "Sat AM", "Sat PM"]
    assert "Sat AM" not in [r[0][3] for r in Cells(calendar_grid.calendar(MARKS, TITLE).html).rows[2:]]


def test_imported_words_are_written_as_text_never_as_markup():
    markup = calendar_grid.calendar(MARKS, TITLE).html
    assert "<b>" not in markup and "Illness &lt;b&gt;&amp;&lt;/b&gt; &#x27;flu&#x27;" in markup
    named = calendar_grid.calendar(MARKS, "Every session: <script>x</script><br><sup>Year 8</sup>")
    assert "<script>" not in named.html and "&lt;script&gt;" in named.html


def test_the_key_lists_the_categories_drawn_in_their_own_colours(drawn):
    assert drawn.key == ["k-present", "k-authorised", "k-unauthorised", "k-missing", "none"]  # and empty squares
    css = calendar_grid.STYLE
    for key in ("present", "authorised", "unauthorised", "missing"):
        assert f".k-{key} {{ background: {charts.CATEGORY_COLOURS[key]};" in css
    assert ".att-cal .k-unauthorised { background: #D55E00; color: #FFFFFF; }" in css  # white letters on dark
    assert ".att-cal .k-present { background: #009E73; color: #1A1A1A; }" in css


def test_a_calendar_with_a_mark_in_every_session_has_no_key_for_empty_squares():
    days = pd.bdate_range("2026-09-07", "2026-09-11").repeat(2)
    full = pd.DataFrame(
        {"date": days, "session": ["AM", "PM"] * 5, "category": "present", "code": "/", "meaning": "Present"}
    )
    assert Cells(calendar_grid.calendar(full, TITLE).html).key == ["k-present"]
    assert calendar_grid.NO_SESSION_LABEL not in calendar_grid.calendar(full, TITLE).html

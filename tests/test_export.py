"""Exports open safely in a spreadsheet; the governors' pack holds no pupil-level data."""

from __future__ import annotations

import io
import re
from datetime import datetime

import openpyxl
import pandas as pd
import pytest

from analytics import school
from analytics.filters import Filter
from data import db
from ui import export, packs


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Smith", "Smith"),
        ("", ""),
        (-2.5, -2.5),
        (7, 7),
        (None, None),
    ],
)
def test_formula_cells_are_neutralised_and_numbers_left_alone(value, expected):
    assert export.neutralise(value) == expected


def _table() -> pd.DataFrame:
    return pd.DataFrame({"name": ["=1+1", "Ann"], "gap": [-2.5, 1.0], "count": [3, 4], "=col": ["x", "@y"]})


def test_csv_export_is_neutralised():
    text = export.csv_bytes(_table()).decode("utf-8-sig")
    assert text.splitlines() == ["name,gap,count,'=col", "'=1+1,-2.5,3,x", "Ann,1.0,4,'@y"]


def test_excel_export_holds_text_not_formulas_and_numbers_as_numbers():
    book = openpyxl.load_workbook(io.BytesIO(export.excel_bytes(_table())))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("name", "gap", "count", "'=col")
    assert rows[1] == ("'=1+1", -2.5, 3, "x")
    assert sheet["A2"].data_type == "s"  # a string cell, not a formula ("f")
    assert sheet["B2"].data_type == "n"


@pytest.mark.parametrize(("name", "stem"), [("PA list: Year 9/FSM", "PA_list_Year_9_FSM"), ("../../etc", "etc")])
def test_file_names_are_safe(name, stem):
    assert export.file_stem(name) == stem


@pytest.fixture(scope="module")
def sample(sample_db):
    con = db.connect(sample_db, read_only=True)
    yield con
    con.close()


def _latest_year_filter(con) -> Filter:
    schools = school.schools(con, Filter())
    f = Filter(school_ids=(schools.iloc[0]["school_id"],))
    return f.replace(academic_year=school.academic_years(con, f)[0])


def _without_plotly_library(page: str) -> str:
    # plotly.js itself is a large minified library whose words could collide with a surname.
    return re.sub(r"<script>/\*\*\s*\* plotly\.js.*?</script>", "", page, flags=re.S)


def test_the_governors_pack_holds_no_pupil_level_data(sample):
    f = _latest_year_filter(sample)
    page = packs.governors_pack(sample, f, generated=datetime(2026, 2, 1, 9, 0))
    text = _without_plotly_library(page)
    pupils = sample.execute("SELECT upn, surname, forename, date_of_birth FROM pupils").fetchall()
    assert pupils
    for upn, surname, forename, dob in pupils:
        assert upn not in text
        assert f"{forename} {surname}" not in text
        assert f">{surname}<" not in text
        if dob is not None:
            assert dob.isoformat() not in text
            assert dob.strftime("%d/%m/%Y") not in text
    assert "UPN" not in text


def test_the_governors_pack_is_one_printable_page_with_its_parts(sample):
    f = _latest_year_filter(sample)
    page = packs.governors_pack(sample, f, generated=datetime(2026, 2, 1, 9, 0))
    assert page.startswith("<!DOCTYPE html>")
    assert len(re.findall(r"\* plotly\.js v", page)) == 1  # the library once, however many charts
    assert page.count('class="plotly-graph-div"') >= 5
    for part in ("Headline figures", "Week by week", "FSM", "Generated 01 February 2026", "Open Government Licence"):
        assert part in page


def test_the_governors_pack_is_built_under_a_governor_scope_whatever_the_caller():
    assert packs.governor_filter(Filter()).scope.pupil_level is False


def test_the_review_pack_has_the_changes_and_the_figures(sample):
    f = _latest_year_filter(sample)
    page = packs.review_pack(sample, f, generated=datetime(2026, 2, 1, 9, 0))
    assert len(re.findall(r"\* plotly\.js v", page)) == 1
    assert "Headline figures" in page and "<table" in page

"""Exports open safely in a spreadsheet (the packs are tested in tests/test_packs.py)."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from data.users import User
from ui import auth, export, identity


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


@pytest.mark.parametrize(
    ("demo", "minutes_later", "made"),
    [
        (False, 10, True),
        (False, identity.IDLE_MINUTES + 1, False),  # a screen left idle past the limit: no file, nothing audited
        (True, identity.IDLE_MINUTES + 1, True),  # the demo (sample data, no accounts) has no session limits
    ],
)
def test_a_download_is_audited_as_its_file_is_made_while_the_session_lasts(monkeypatch, demo, minutes_later, made):
    """``export.audited``: the data of a download button, made when the button is clicked (a deferred file)."""
    import streamlit as st

    now = [1_000_000.0]
    monkeypatch.setattr(identity, "_clock", lambda: now[0])
    recorded = []
    monkeypatch.setattr(auth, "audit", lambda action, **fields: recorded.append((action, fields)))
    user = User("head@school.example", "leader", demo=demo)
    st.session_state.update({identity.USER_KEY: user, identity.SINCE_KEY: now[0], identity.SEEN_KEY: now[0]})
    try:
        data = export.audited(lambda: b"a,b\n", "list.csv (1 rows)")  # the page run draws the button
        assert recorded == []  # drawing it records nothing: only a file made is an export
        now[0] += minutes_later * 60
        if made:
            assert data() == b"a,b\n"
            assert recorded == [("export", {"detail": "list.csv (1 rows)", "user": user})]
        else:
            with pytest.raises(PermissionError, match="sign in again"):
                data()
            assert recorded == []
    finally:
        for key in (identity.USER_KEY, identity.SINCE_KEY, identity.SEEN_KEY):
            st.session_state.pop(key, None)

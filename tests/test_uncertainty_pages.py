"""The Groups and Patterns tabs that show uncertainty run for each measure and role, and say what they should."""

from __future__ import annotations

import pytest

from tests.test_app_smoke import app_db, run_page  # noqa: F401  (fixture)


def _text(at) -> str:
    captions = " ".join(str(c.value) for c in at.caption)
    charts = " ".join(str(getattr(ch.proto, "spec", "")) for ch in at.get("plotly_chart"))
    return captions + " " + charts


@pytest.mark.parametrize(
    ("tab", "measure", "role", "expect", "hint"),
    [
        ("Each group against the rest", "overall_absence", None, "Whiskers: 95% interval", True),
        ("Each group against the rest", "persistent_absence", "governor", "Whiskers: 95% interval", False),
        ("The gap over the year", "persistent_absence", None, "year to date at the end of each half-term", False),
        ("Where groups overlap", "persistent_absence", None, "Persistent absence: FSM x SEN provision", True),
        ("Where groups overlap", "overall_absence", "governor", "Overall absence: FSM x SEN provision", False),
        ("Funnel plot", "overall_absence", None, "99.8% limits", True),
        ("Funnel plot", "persistent_absence", "governor", "99.8% limits", False),
    ],
)
def test_groups_tabs_follow_the_measure(monkeypatch, app_db, tab, measure, role, expect, hint):  # noqa: F811
    at = run_page(monkeypatch, app_db, "pages/groups.py", role=role)
    at.session_state["groups_tab"] = tab
    at.session_state["groups_measure"] = measure
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    text = _text(at)
    assert expect in text
    # Only a viewer who may see pupils is told to click for them.
    assert ("Click a" in text) == hint


def test_the_unusual_weeks_tab_draws_the_control_chart(monkeypatch, app_db):  # noqa: F811
    at = run_page(monkeypatch, app_db, "pages/patterns.py")
    at.session_state["patterns_tab"] = "Unusual weeks"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Ordinary week-to-week variation" in _text(at)
    assert "Same week last year" in _text(at)

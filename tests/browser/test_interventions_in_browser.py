"""From spotting to acting, in a real browser: the at-risk list, a pupil, a meeting with a plan, a letter, the caseload;
and later, a pupil's page shows attendance since their meeting against similar pupils."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.test_pages_in_browser import (
    WAIT_MS,
    assert_no_exception,
    open_by_url,
    reaches_the_pupil_page,
    select_first_row,
    visible_tables,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _met_weeks_ago(db_path: Path, not_upn: str) -> tuple[str, dict]:
    """A pupil of the sample's history whose latest action is a meeting four or more weeks before the latest
    marks, and what the pupil page should say about it (the app serves a copy of this file)."""
    from analytics import impact
    from analytics.filters import Filter
    from data import db
    from data.scope import Scope

    with db.connection(db_path, read_only=True) as con:
        rows = con.execute(
            """WITH latest AS (SELECT school_id, upn, arg_max(type, date) AS type, max(date) AS date
                               FROM interventions GROUP BY school_id, upn)
               SELECT school_id, upn, (SELECT max(date) FROM session_marks) AS now FROM latest
               WHERE type = 'Attendance meeting' AND upn <> ?
                 AND date <= (SELECT max(date) FROM session_marks) - INTERVAL 4 WEEK
               ORDER BY date DESC, upn LIMIT 10""",
            [not_upn],
        ).fetchall()
        for school_id, upn, now in rows:
            f = Filter(school_ids=(school_id,), academic_year=db.academic_year_of(now), scope=Scope())
            since = impact.since_last_action(con, f, upn)
            if since and since["after"] is not None and since["comparison_pupils"]:
                return upn, since
    pytest.fail("the sample's history has no meeting weeks before the latest marks")


def test_at_risk_pupil_to_meeting_letter_and_caseload(page, app_url, sample_db):
    open_by_url(page, app_url, "risk")  # the at-risk list
    grid = visible_tables(page).first
    grid.wait_for()
    select_first_row(page, grid)
    reaches_the_pupil_page(page)
    upn = re.search(r"upn=([^&]+)", page.url)[1]

    # Record a meeting at which an attendance plan was agreed.
    page.get_by_text("Actions and letters").scroll_into_view_if_needed()
    page.get_by_text("Record an action", exact=True).click()  # the form is drawn once its box is opened
    page.get_by_label("Notes (what was agreed)").fill("Met mum: plan agreed, in by 8.40, weekly check-in")
    page.get_by_text("An attendance plan with targets was agreed").click()
    page.get_by_role("button", name="Record").click()
    page.get_by_text("Recorded: Attendance meeting and an attendance plan").wait_for(timeout=WAIT_MS)
    wait_until_idle(page)

    # The letter home as a PDF.
    page.get_by_text("Letter home", exact=True).click()
    page.get_by_role("button", name="Make letter").click()
    download_button = page.get_by_role("button", name=re.compile(r"Download first-concern-.*\.pdf"))
    download_button.wait_for(timeout=WAIT_MS)
    with page.expect_download(timeout=WAIT_MS) as info:
        download_button.click()
    data = Path(info.value.path()).read_bytes()
    assert data[:5] == b"%PDF-" and info.value.suggested_filename == f"first-concern-{upn}.pdf"
    assert_no_exception(page)

    # The caseload shows the pupil with the letter as their latest action.
    page.goto(f"{app_url}/caseload")
    page.get_by_text("Latest actions").wait_for(timeout=WAIT_MS)
    wait_until_idle(page)
    line = page.locator("li", has_text=upn).first
    line.wait_for(timeout=WAIT_MS)
    assert "Letter" in line.inner_text()
    assert_no_exception(page)

    # Later: a pupil met weeks ago (the sample's history) shows attendance since then against similar pupils.
    earlier, since = _met_weeks_ago(sample_db, upn)
    page.goto(f"{app_url}/pupils?upn={earlier}")
    reaches_the_pupil_page(page)
    when = f"{since['date'].day} {since['date']:%B %Y}"
    line = page.locator("p", has_text=f"Attendance since the attendance meeting on {when}").first
    line.wait_for(timeout=WAIT_MS)
    text = line.inner_text()
    assert f"{since['after']:.1f}%" in text and f"{since['before']:.1f}%" in text
    assert "Similar pupils with no action then" in text and f"{since['comparison_pupils']} pupils" in text
    assert "beyond similar pupils" in text
    assert_no_exception(page)

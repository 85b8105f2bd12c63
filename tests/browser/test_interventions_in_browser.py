"""From spotting to acting, in a real browser: the at-risk list, a pupil, a meeting with a plan, a letter, the caseload."""

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


def test_at_risk_pupil_to_meeting_letter_and_caseload(page, app_url):
    open_by_url(page, app_url, "risk")  # the at-risk list
    grid = visible_tables(page).first
    grid.wait_for()
    select_first_row(page, grid)
    reaches_the_pupil_page(page)
    upn = re.search(r"upn=([^&]+)", page.url)[1]

    # Record a meeting at which an attendance plan was agreed.
    page.get_by_text("Actions and letters").scroll_into_view_if_needed()
    page.get_by_label("Notes (what was agreed)").fill("Met mum: plan agreed, in by 8.40, weekly check-in")
    page.get_by_text("An attendance plan with targets was agreed").click()
    page.get_by_role("button", name="Record").click()
    page.get_by_text("Recorded: Attendance meeting and an attendance plan").wait_for(timeout=WAIT_MS)
    wait_until_idle(page)

    # The letter home as a PDF.
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

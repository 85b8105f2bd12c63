"""The Import page in a real browser: a file read two ways offers the column mapping; a refusal lists its lines."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ROOT
from tests.browser.test_pages_in_browser import wait_for_page, wait_until_idle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

BAD = ROOT / "tests" / "bad_files"


def _upload(page, app_url, *paths) -> None:
    page.goto(f"{app_url}/import")
    wait_for_page(page, "import")
    page.locator("input[type=file]").set_input_files([str(p) for p in paths])
    page.wait_for_timeout(500)
    wait_until_idle(page)


def test_two_mark_columns_offer_the_mapping_naming_both(page, app_url):
    _upload(page, app_url, BAD / "two_mark_columns.csv")
    page.get_by_text("two columns match one field", exact=False).first.wait_for()
    for column in (4, 5):
        page.get_by_text(f"Attendance Mark (column {column})").first.wait_for()
    assert page.get_by_role("button", name="Save this mapping").count() == 1
    assert page.locator("[data-testid='stException']").count() == 0


def test_a_refused_import_lists_its_problem_lines(page, app_url):
    _upload(page, app_url, BAD / "unknown_codes.csv")
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Nothing was imported", exact=False).first.wait_for()
    wait_until_idle(page)
    table = page.locator("[data-testid='stDataFrame']").last
    table.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0

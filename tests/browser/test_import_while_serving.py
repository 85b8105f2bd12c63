"""A scheduled import runs while the dashboard is up: the app holds the database only during a page run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.browser.conftest import CHART_DRAWN, ROOT

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# Re-importing the current pupils file changes nothing, but it needs the write lock all the same.
PUPILS = ROOT / "sample_data" / "secondary" / "pupils_2026-27.xlsx"


def test_command_line_import_while_the_app_is_serving(page, app_url, app_database):
    if os.environ.get("ATTENDANCE_TEST_URL"):
        pytest.skip("needs the app started by the tests, on their database")
    page.goto(f"{app_url}/")
    page.locator(CHART_DRAWN).first.wait_for()  # a page has been worked out: the app has used the file

    result = subprocess.run(
        [sys.executable, "-m", "data", "import", str(PUPILS), "--year", "2026/27", "--db", str(app_database), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr

    page.reload()
    page.locator(CHART_DRAWN).first.wait_for()
    assert page.locator("[data-testid='stException']").count() == 0

"""Every page has an address a colleague can bookmark, the first page included (it is also served at /)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHART_DRAWN

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.mark.parametrize("address", ["/", "/overview"])
def test_the_overview_opens_at_the_root_and_at_its_own_address(page, app_url, address):
    page.goto(f"{app_url}{address}")
    page.get_by_role("heading", name="Overview").first.wait_for()
    page.locator(CHART_DRAWN).first.wait_for()
    assert "Page not found" not in page.inner_text("body")

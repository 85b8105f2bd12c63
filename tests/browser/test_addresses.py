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


@pytest.mark.parametrize(
    ("address", "server"),
    [
        ("http://school.test/pupils?upn=A1", "http://school.test/"),  # a page's address: the server is at /
        ("http://school.test/start-overview", "http://school.test/"),  # the first page's own name
        ("http://school.test/attendance/caseload/", "http://school.test/attendance"),  # behind a proxy's prefix
        ("http://school.test/", None),  # Streamlit finds it at once: nothing said
        ("http://school.test/attendance", None),  # not one of the app's pages: left to Streamlit's own search
        ("http://school.test/pupils/extra", None),
    ],
)
def test_a_page_tells_streamlit_where_its_server_is(page, address, server):
    """Opened at /pupils, Streamlit's JavaScript asks /pupils/_stcore/health first (a 404, then a 0.1 s wait)."""
    from ui import registry, warm

    markup = f"<html><head>{warm._server_at(registry.ADDRESSES)}</head><body></body></html>"
    page.route("http://school.test/**", lambda route: route.fulfill(body=markup, content_type="text/html"))
    page.goto(address)
    assert page.evaluate("window.__streamlit ? window.__streamlit.BACKEND_BASE_URL : null") == server

"""The trust view in a real browser: a leader of two of three schools sees those two, drills into one, never the third.

Its own app on its own database (tests/trust_files.py: three schools imported with ``--school``), signed in
with a local account scoped to two of them.
"""

from __future__ import annotations

import pytest

from data.__main__ import main as data_main
from tests import trust_files
from tests.browser.conftest import _serve
from tests.browser.test_pages_in_browser import assert_no_exception, click_point, wait_until_idle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

EMAIL, PASSWORD = "head@oaktrust.example", "a long trust password 42"
WAIT_MS = 90_000


@pytest.fixture(scope="module")
def trust_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trust_app")
    path = trust_files.write_database(folder)
    add = ["users", "add", EMAIL, "--role", "leader", "--schools", "100001,100002", "--password", PASSWORD]
    assert data_main([*add, "--db", str(path)]) == 0
    yield from _serve(path, folder / "streamlit.log")


def caption_school(page) -> str | None:
    """The school the overview's caption names ("Beech Primary · Year to date · 2025/26")."""
    lines = page.locator("[data-testid='stMain']").inner_text().splitlines()
    return next((line.split(" · ")[0] for line in lines if " · " in line), None)


def sign_in(page) -> None:
    page.get_by_role("textbox", name="Email").fill(EMAIL)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_leader_of_two_schools_sees_them_side_by_side_and_never_the_third(page, trust_app):
    page.goto(f"{trust_app}/")
    sign_in(page)
    page.locator("[data-testid='stSidebarNav'] a").filter(has_text="Schools side by side").first.click()
    page.wait_for_function(
        "() => { const h = document.querySelector('h1'); return h && h.innerText.includes('Schools side by side'); }",
        timeout=WAIT_MS,
    )
    wait_until_idle(page)
    assert_no_exception(page)
    assert page.locator("[data-testid='stMetricValue']").first.inner_text().strip() == "2"

    page.get_by_role("tab", name="Which schools differ").click()
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=WAIT_MS)
    wait_until_idle(page)
    labels = page.locator(".js-plotly-plot .textpoint").all_text_contents()
    assert sorted(labels) == ["Ash Academy", "Beech Primary"]
    assert "Cedar School" not in page.inner_text("body")

    # A school's point on the funnel drills down to its pupils.
    chart = page.locator(".js-plotly-plot").first
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    x, y, name = chart.evaluate(
        """gd => {
            const L = gd._fullLayout, r = gd.getBoundingClientRect();
            const i = gd.data.findIndex(t => t.customdata && t.mode === 'markers+text');
            const p = gd.calcdata[i][0];
            return [r.left + L.xaxis._offset + L.xaxis.c2p(p.x), r.top + L.yaxis._offset + L.yaxis.c2p(p.y),
                    gd.data[i].text[0]];
        }"""
    )
    click_point(page, x, y)
    page.get_by_text(f"Pupils behind: {name}").first.wait_for(timeout=WAIT_MS)
    wait_until_idle(page)
    assert_no_exception(page)

    # Drill from a school into its own pages: the overview opens with the school filter set to it.
    wait_until_idle(page)
    picker = page.locator("[data-testid='stSelectbox']").filter(has_text="Open a school's own pages")
    picker.scroll_into_view_if_needed()
    picker.locator("input").click()
    page.get_by_role("option", name="Beech Primary (100002, Walsall)").click()
    wait_until_idle(page)
    page.get_by_role("button", name="Open its overview").click()
    page.wait_for_function("() => location.search.includes('school=100002')", timeout=WAIT_MS)
    wait_until_idle(page)
    assert_no_exception(page)
    page.wait_for_function(
        "() => { const h = document.querySelector('h1'); return h && h.innerText.includes('Overview'); }",
        timeout=WAIT_MS,
    )
    wait_until_idle(page)
    assert caption_school(page) == "Beech Primary"

    # The third school's address is refused: its figures never show, the page falls back to one of the two.
    # The school picker offers the two schools only.
    school_picker = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").first
    school_picker.scroll_into_view_if_needed()  # below every page's link in the sidebar
    school_picker.locator("input").click()
    page.get_by_role("option").first.wait_for(timeout=WAIT_MS)  # the list opens a moment after the click
    options = page.get_by_role("option").all_inner_texts()
    assert sorted(options) == ["Ash Academy (100001)", "Beech Primary (100002)"]
    page.keyboard.press("Escape")
    # A bookmarked address for the third school (a new session: sign in again) shows one of the two instead.
    page.goto(f"{trust_app}/?school=100003")
    sign_in(page)
    page.wait_for_function(
        "() => { const h = document.querySelector('h1'); return h && h.innerText.includes('Overview'); }",
        timeout=WAIT_MS,
    )
    wait_until_idle(page)
    assert_no_exception(page)
    assert caption_school(page) in ("Ash Academy", "Beech Primary")
    assert "Cedar School" not in page.inner_text("body")

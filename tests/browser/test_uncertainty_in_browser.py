"""In a real browser: the Overview, Groups and the governors' pack draw their intervals; a funnel point drills to pupils."""

from __future__ import annotations

import pytest

from tests.browser.test_pages_in_browser import (
    WAIT_MS,
    assert_no_exception,
    click_point,
    open_by_url,
    visible_tables,
    wait_until_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# Does a drawn chart (its title containing the text) carry whiskers: a trace with error bars drawn?
HAS_WHISKERS = """(title) => [...document.querySelectorAll('.js-plotly-plot')].some(gd =>
    (gd.layout.title.text || '').includes(title)
    && gd.data.some(t => t.error_x && t.error_x.visible !== false && t.error_x.array)
    && gd.querySelectorAll('g.errorbar').length > 0)"""
# The same of a Vega-Lite chart (the Overview's): its title drawn, and its whiskers (rules) beside the zero line.
HAS_VEGA_WHISKERS = """(title) => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")].some(c =>
    c.textContent.includes(title) && c.querySelectorAll('g.mark-rule > *').length > 2)"""


def test_intervals_show_and_a_funnel_point_drills_down_to_pupils(page, app_url):
    open_by_url(page, app_url, "overview")
    page.get_by_text("What changed most").first.scroll_into_view_if_needed()
    page.wait_for_function(HAS_VEGA_WHISKERS, arg="Change in overall absence since", timeout=WAIT_MS)
    assert page.get_by_text("pale bars are within what chance explains").count() >= 1
    assert_no_exception(page)

    open_by_url(page, app_url, "groups")
    page.wait_for_function(HAS_WHISKERS, arg="Overall absence by FSM", timeout=WAIT_MS)
    assert page.get_by_text("Whiskers: 95% interval").count() >= 1

    open_by_url(page, app_url, "governors")
    page.get_by_role("tab", name="Groups of pupils").click()
    page.wait_for_function(HAS_WHISKERS, arg="Overall absence by FSM", timeout=WAIT_MS)
    # The section's note is drawn after its chart and table: wait for it (a loaded machine draws it a moment later).
    page.get_by_text("Whiskers: 95% interval").first.wait_for(state="attached", timeout=WAIT_MS)
    assert_no_exception(page)

    open_by_url(page, app_url, "groups")
    page.get_by_role("tab", name="Funnel plot").click()
    page.get_by_text("99.8%").first.wait_for(timeout=WAIT_MS)
    wait_until_idle(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].some(gd => (gd.layout.title.text || '')"
        ".includes('against their size'))",
        timeout=WAIT_MS,
    )
    chart = page.locator(".js-plotly-plot").filter(has_text="against their size").first
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    # The first trace holds the units; click the one drawn furthest right (the largest form).
    x, y = chart.evaluate(
        """gd => {
            const L = gd._fullLayout, r = gd.getBoundingClientRect();
            const points = gd.calcdata[0].filter(p => Number.isFinite(p.y));
            const p = points.reduce((a, b) => (b.x > a.x ? b : a));
            return [r.left + L.xaxis._offset + L.xaxis.c2p(p.x), r.top + L.yaxis._offset + L.yaxis.c2p(p.y)];
        }"""
    )
    clicked = chart.evaluate(
        "gd => { const ps = gd.calcdata[0]; return gd.data[0].customdata"
        "[ps.reduce((a, b, i) => (b.x > ps[a].x ? i : a), 0)][0]; }"
    )
    click_point(page, x, y)
    page.get_by_text(f"Pupils behind: {clicked}").first.wait_for(timeout=WAIT_MS)
    wait_until_idle(page)
    assert_no_exception(page)
    assert visible_tables(page).count() >= 1  # the pupils of the clicked form (the funnel's figures are collapsed)

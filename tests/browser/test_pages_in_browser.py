"""The dashboard in a real browser: every page draws, chart clicks and table rows reach the pupils, exports download.

Chart clicks are real mouse events (``page.mouse``) at the pixel where Plotly
drew the point: Streamlit asks Plotly for ``clickmode="event+select"``, so a
click on a hovered bar, line marker or heatmap cell selects it, Plotly emits
``plotly_selected`` and Streamlit reruns with the selection.

Also writes a full-page screenshot per page to docs/screenshots/ and the warm
time to interactive per page to docs/browser_timings.json. The times are
measured and reported, never asserted: the machine is shared.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import time
from pathlib import Path

import pytest

from tests.browser.conftest import CHART_DRAWN, ROOT

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


# Page key -> (navigation label, page heading, draws a chart on the sample school)
PAGES = {
    "overview": ("Overview", "Overview", True),
    "groups": ("Groups", "Groups", True),
    "patterns": ("Patterns", "Patterns", True),
    "model": ("At-risk model", "At-risk model", True),
    "pupils": ("Pupils", "Pupils", False),
    "lists": ("Lists", "Lists", False),
    "risk": ("At risk", "At risk", False),
    "governors": ("Governors' pack", "Governors' pack", True),
    "import": ("Import", "Import registers", False),
    "quality": ("Data quality", "Data quality", True),
}
DEFAULT_PAGE = "overview"  # st.navigation serves the default page at "/" (its url_path is not used)
SCREENSHOTS = ROOT / "docs" / "screenshots"
TIMINGS = ROOT / "docs" / "browser_timings.json"
LOADS = 3
WAIT_MS = 90_000  # generous: the machine is shared, and the first load of a page fills its caches


def wait_until_idle(page, timeout: float = WAIT_MS) -> None:
    """Streamlit marks the app element while the script runs; wait for the run to finish."""
    page.wait_for_selector("[data-test-script-state]", timeout=timeout)
    page.wait_for_function(
        "() => { const s = document.querySelector('[data-test-script-state]');"
        " return s && s.getAttribute('data-test-script-state') === 'notRunning'; }",
        timeout=timeout,
    )


def wait_for_page(page, key: str) -> None:
    """The page's own heading is drawn, its script has finished and (if it has any) its charts are drawn."""
    _, heading, charts = PAGES[key]
    page.wait_for_function(
        "(t) => { const h = document.querySelector('h1'); return h && h.innerText.trim().startsWith(t); }",
        arg=heading,
        timeout=WAIT_MS,
    )
    wait_until_idle(page)
    if charts:
        page.wait_for_selector(CHART_DRAWN, timeout=WAIT_MS)


def open_by_url(page, app_url: str, key: str, query: str = "") -> float:
    """Seconds from typing the page's address (a bookmark) to the page being ready."""
    start = time.perf_counter()
    page.goto(f"{app_url}/{'' if key == DEFAULT_PAGE else key}{query}")
    wait_for_page(page, key)
    return time.perf_counter() - start


def open_from_navigation(page, key: str) -> float:
    """Seconds from clicking the page in the sidebar to the page being ready."""
    start = time.perf_counter()
    page.locator("[data-testid='stSidebarNav'] a").filter(has_text=PAGES[key][0]).first.click()
    wait_for_page(page, key)
    return time.perf_counter() - start


def assert_no_exception(page) -> None:
    shown = page.locator("[data-testid='stException']")
    assert shown.count() == 0, shown.all_inner_texts()  # the traceback's words, to read in CI's log
    assert page.locator("[data-testid='stDialog']").count() == 0, page.locator("[data-testid='stDialog']").inner_text()
    assert "Traceback" not in page.inner_text("body")


def point_position(page, chart, x, y) -> tuple[float, float]:
    """Where on the screen Plotly drew the data point (x, y) of a chart: the place a user would click."""
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # let the scroll settle before reading positions
    return tuple(
        chart.evaluate(
            """(gd, [x, y]) => {
                const L = gd._fullLayout, r = gd.getBoundingClientRect();
                return [r.left + L.xaxis._offset + L.xaxis.d2p(x), r.top + L.yaxis._offset + L.yaxis.d2p(y)];
            }""",
            [x, y],
        )
    )


def click_point(page, x: float, y: float) -> None:
    """A real mouse click: Plotly selects the point it is hovering, so move onto it first, then click (Vega-Lite
    takes the click as it is)."""
    page.mouse.move(x - 8, y - 8)
    page.mouse.move(x, y, steps=4)
    page.wait_for_timeout(300)  # Plotly throttles hover events
    page.mouse.click(x, y)


def visible_tables(page):
    return page.locator("[data-testid='stDataFrame']:visible")


def select_first_row(page, grid) -> None:
    """Tick the first row's selection box (the narrow column at the grid's left edge, under a ~35px header): the
    app opens that pupil's page. A click that lands while the grid is still being laid out (a loaded machine)
    is lost: once the page is idle with no pupil opened, click again (three clicks at most)."""
    for _ in range(3):
        wait_until_idle(page)
        if "upn=" in page.url:
            return
        grid.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)
        try:
            page.wait_for_url(re.compile(r"upn="), timeout=20_000)
            return
        except Exception:
            continue  # still running, or the click was lost: look again once the page is idle


def reaches_the_pupil_page(page) -> None:
    page.wait_for_url("**/pupils?**", timeout=WAIT_MS)
    wait_for_page(page, "pupils")
    assert "upn=" in page.url
    page.wait_for_selector(CHART_DRAWN, timeout=WAIT_MS)  # the pupil's calendar
    assert_no_exception(page)


# --- every page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(PAGES))
def test_every_page_renders_with_its_charts(page, app_url, key):
    open_by_url(page, app_url, key)
    assert_no_exception(page)
    if PAGES[key][2]:
        assert page.locator(CHART_DRAWN).count() >= 1
    screenshot_whole_page(page, SCREENSHOTS / f"{key}.png")


def screenshot_whole_page(page, path: Path) -> None:
    """The whole page in one picture, 1400 wide.

    Streamlit scrolls its main area inside the window, so ``full_page`` alone
    would stop at the window's height: make the window as tall as the page first.
    """
    height = page.evaluate(
        "() => Math.max(...['stMain', 'stAppViewContainer', 'stSidebarContent'].map("
        " id => document.querySelector(`[data-testid='${id}']`)?.scrollHeight || 0))"
    )
    page.set_viewport_size({"width": 1400, "height": min(max(int(height) + 40, 900), 8000)})
    wait_until_idle(page)
    page.wait_for_timeout(1000)  # let the charts redraw at the new size and transitions settle
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


# --- drill-down: a chart element, then a row --------------------------------------------------------------


def test_year_9_fsm_friday_afternoons_to_a_pupil_in_two_clicks(page, app_url):
    """The issue's story: the filters say Year 9 and FSM; click Friday PM, then a pupil."""
    open_by_url(page, app_url, "patterns", "?yg=9&fsm=1")
    chart = page.locator(".js-plotly-plot").first
    click_point(page, *point_position(page, chart, "Friday", "PM"))  # click 1: the heatmap cell
    page.get_by_text("Pupils behind: Friday PM absence").wait_for(timeout=WAIT_MS)
    wait_until_idle(page)
    # The clicked cell stays outlined while its pupils are listed: Friday is the fifth column, PM the second row.
    outlined = "gd => (gd.layout.shapes || []).filter(s => s.name === 'selected cell').map(s => [s.x0, s.y0])"
    page.wait_for_function(f"() => ({outlined})(document.querySelector('.js-plotly-plot')).length > 0")
    assert page.locator(".js-plotly-plot").first.evaluate(outlined) == [[3.5, 0.5]]
    body = page.inner_text("body")
    assert "Year 9" in body and "FSM" in body  # the drill-down keeps the sidebar's filters
    grid = visible_tables(page).last
    grid.wait_for(timeout=WAIT_MS)
    screenshot_whole_page(page, SCREENSHOTS / "patterns_drilldown.png")
    select_first_row(page, grid)  # click 2: the pupil
    reaches_the_pupil_page(page)


def test_clicking_a_bar_shows_the_pupils_in_that_group(page, app_url):
    open_by_url(page, app_url, "groups")
    bar = page.locator(".js-plotly-plot").first.locator("g.point path").first
    bar.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box = bar.bounding_box()
    click_point(page, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.get_by_text("Pupils behind:").first.wait_for(timeout=WAIT_MS)
    wait_until_idle(page)
    assert_no_exception(page)
    assert visible_tables(page).count() >= 2  # the figures and the pupils behind the clicked bar


def test_clicking_a_week_on_the_trend_shows_that_weeks_absentees(page, app_url):
    open_by_url(page, app_url, "overview")
    chart = page.locator("[data-testid='stVegaLiteChart']").filter(has_text="week by week").first
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    # A marker in the middle of the year (Vega-Lite draws each as a path of the chart's symbol mark).
    markers = chart.locator("g.mark-symbol path")
    box = markers.nth(markers.count() // 2).bounding_box()
    click_point(page, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.get_by_text("Pupils behind: absence in the week of").wait_for(timeout=WAIT_MS)
    wait_until_idle(page)
    assert_no_exception(page)


def test_selecting_a_list_row_opens_the_pupil(page, app_url):
    open_by_url(page, app_url, "lists")
    grid = visible_tables(page).first
    grid.wait_for()
    select_first_row(page, grid)
    reaches_the_pupil_page(page)


# --- exports: tests/browser/test_journeys.py downloads every kind of file, in demo mode and signed in -------


def test_the_governors_pack_downloads_as_a_pdf_without_pupil_data(page, app_url):
    import subprocess

    open_by_url(page, app_url, "governors")
    with page.expect_download(timeout=WAIT_MS) as info:
        page.get_by_role("button", name="Download the governors' pack (PDF)").click()
    assert info.value.suggested_filename.endswith(".pdf")
    path = info.value.path()
    assert Path(path).read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "governors' pack" in text and "Key points" in text
    assert "UPN" not in text


# --- timings --------------------------------------------------------------------------------------------

FIRST_VISIT = ROOT / "docs" / "browser_first_visit.json"


FIRST_VISITS = 3  # fresh servers, one after another: the median says more than one visit on a shared machine


def test_a_first_visit_is_measured(page, sample_db, tmp_path):
    """A freshly started server: the Overview at /, then a pupil's page by its address; and a pupil's page as the
    first page of another browser.

    The server's start works out the default view (ui/warm.py) before it answers; nothing else is cached,
    and the browser has nothing cached at all.

    Each of ``FIRST_VISITS`` servers is started on its own copy of the sample school and visited from a browser
    with nothing cached. The medians are written to docs/browser_first_visit.json (and into the timings' notes),
    never asserted: the machine is shared.
    """
    from data import db
    from tests.browser.conftest import _serve

    with db.connection(sample_db, read_only=True) as con:
        # Two pupils: one opened after the Overview, one as the first page of another browser (neither cached).
        # The second has actions logged, as the pupils a pastoral lead opens from a link mostly do: their page
        # also works out attendance since the latest action against similar pupils.
        (upn,) = con.execute("SELECT upn FROM enrolments ORDER BY academic_year DESC, upn LIMIT 1").fetchone()
        (other,) = con.execute(
            """SELECT i.upn FROM interventions i JOIN enrolments e USING (school_id, upn)
               WHERE e.academic_year = (SELECT max(academic_year) FROM enrolments) AND i.upn <> ?
               GROUP BY i.upn ORDER BY count(*) DESC, i.upn LIMIT 1""",
            [upn],
        ).fetchone()
    timings: dict[str, list[float]] = {}
    loads = []
    for run in range(FIRST_VISITS):
        copy = tmp_path / f"first{run}.duckdb"
        copy.write_bytes(sample_db.read_bytes())
        served = _serve(copy, tmp_path / f"first{run}.log")
        began = time.perf_counter()
        url = next(served)  # answers once its start has worked out the first screen
        timings.setdefault("server start (s)", []).append(time.perf_counter() - began)
        fresh = page.context.browser.new_context(viewport={"width": 1400, "height": 900})  # nothing cached
        tab = fresh.new_page()
        tab.set_default_timeout(WAIT_MS)
        alone = page.context.browser.new_context(viewport={"width": 1400, "height": 900})  # nothing cached either
        try:
            for name, (key, query) in {"overview": ("overview", ""), "pupil page": ("pupils", f"?upn={upn}")}.items():
                finished, drawn = _first_visit(tab, url, key, query)  # the pupil's calendar (the first tab) too
                timings.setdefault(f"{name} (s)", []).append(drawn)
                timings.setdefault(f"{name}: script finished (s)", []).append(finished)
                assert_no_exception(tab)
            # A pupil's page as the very first page a browser opens (a link in an email), nothing cached.
            first = alone.new_page()
            first.set_default_timeout(WAIT_MS)
            missed = []  # Streamlit's own search for its server from /pupils asks /pupils/_stcore/... first
            first.on("response", lambda r, missed=missed: missed.append(r.url) if r.status == 404 else None)
            finished, drawn = _first_visit(first, url, "pupils", f"?upn={other}")
            timings.setdefault("pupil page opened first (s)", []).append(drawn)
            assert_no_exception(first)
            assert missed == [], "the page told Streamlit where its server is (ui/warm.py: _server_at)"
        finally:
            alone.close()
            fresh.close()
            served.close()
        loads.append(os.getloadavg()[0])
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    FIRST_VISIT.write_text(
        json.dumps(
            {
                "description": "First visit after the server starts (only what its start works out is cached, a "
                "browser with nothing cached): "
                "seconds from typing the address until the page's script has finished and its charts are drawn; "
                f"median of {FIRST_VISITS} freshly started servers. 'Server start' is from starting `streamlit run` "
                "until it answers its health check. 'Pupil page opened first' is another pupil, one with actions "
                "logged, as the first page of a second browser (a link in an email).",
                **{name: round(statistics.median(runs), 2) for name, runs in timings.items()},
                **{
                    name.replace(" (s)", " runs (s)"): ", ".join(f"{t:.2f}" for t in runs)
                    for name, runs in timings.items()
                },
                "load average": f"{load} on {os.cpu_count()} cores (1-minute average after each run: "
                + ", ".join(f"{x:.1f}" for x in loads)
                + ")",
                "measured": time.strftime("%Y-%m-%d %H:%M"),
            },
            indent=2,
        )
        + "\n"
    )


def _first_visit(page, url: str, key: str, query: str) -> tuple[float, float]:
    """Seconds from typing the address to the page's script having finished, and to its charts being drawn.

    The gap between the two is the browser's: with nothing cached it loads the chart's JavaScript first.
    """
    start = time.perf_counter()
    page.goto(f"{url}/{'' if key == DEFAULT_PAGE else key}{query}")
    _, heading, _ = PAGES[key]
    page.wait_for_function(
        "(t) => { const h = document.querySelector('h1'); return h && h.innerText.trim().startsWith(t); }",
        arg=heading,
        timeout=WAIT_MS,
    )
    wait_until_idle(page)
    finished = time.perf_counter() - start
    page.wait_for_selector(CHART_DRAWN, timeout=WAIT_MS)
    return finished, time.perf_counter() - start


def _first_visit_note() -> list[str]:
    if not FIRST_VISIT.exists():
        return []
    first = json.loads(FIRST_VISIT.read_text())
    return [
        f"First visit after the server starts (a browser with nothing cached, tests/browser: "
        f"test_a_first_visit_is_measured): the "
        f"Overview in {first['overview (s)']} s, then a pupil's page by its address in {first['pupil page (s)']} s"
        + (
            f" (the page of a pupil with actions logged as the first page of a browser: "
            f"{first['pupil page opened first (s)']} s) "
            if "pupil page opened first (s)" in first
            else " "
        )
        + f"(load average {first['load average']})."
    ]


def test_pages_are_measured_once_warm(page, app_url):
    """Median of three warm loads per page, by address and from the sidebar; written, not asserted.

    Once round the sidebar fills the caches; then each of ``LOADS`` rounds opens every page in turn from the
    sidebar (each page from the one before it) and once by its address. Every load after the first round is
    measured: no steps between them only to get away from a page (they took half of this test's time).
    """
    by_nav: dict[str, list[float]] = {key: [] for key in PAGES}
    by_url: dict[str, list[float]] = {key: [] for key in PAGES}
    failed: dict[str, str] = {}

    def timed(key: str, into: dict[str, list[float]], load) -> None:
        if key in failed:
            return
        try:
            into[key].append(load())
        except Exception as exc:  # record it and carry on: one slow page must not hide the others' figures
            failed[key] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            open_by_url(page, app_url, DEFAULT_PAGE)  # back to a page whole, for the next one

    open_by_url(page, app_url, DEFAULT_PAGE)
    cycle = [*list(PAGES)[1:], DEFAULT_PAGE]  # round the sidebar, back to where it started
    filled: dict[str, list[float]] = {key: [] for key in PAGES}
    for key in cycle:
        timed(key, filled, lambda key=key: open_from_navigation(page, key))
    for _ in range(LOADS):
        for key in cycle:
            timed(key, by_nav, lambda key=key: open_from_navigation(page, key))
        for key in PAGES:
            timed(key, by_url, lambda key=key: open_by_url(page, app_url, key))
    rows = [
        {
            "page": key,
            "from the sidebar (s)": round(statistics.median(by_nav[key]), 2),
            "by its address (s)": round(statistics.median(by_url[key]), 2),
            "sidebar loads (s)": ", ".join(f"{t:.2f}" for t in by_nav[key]),
            "address loads (s)": ", ".join(f"{t:.2f}" for t in by_url[key]),
        }
        for key in PAGES
        if key not in failed
    ]
    TIMINGS.write_text(
        json.dumps(
            {
                "description": (
                    "Time to interactive on the sample secondary school (about 1,200 pupils, three years), warm "
                    "caches, headless Chromium at 1400x900 on the shared 2-core test machine: from the click (or "
                    "from typing the address) until the page's script has finished and its charts are drawn. "
                    f"Median of {LOADS} loads after one round that fills the caches. 'By its address' includes "
                    "loading the app's JavaScript and opening a new session; 'from the sidebar' is moving between "
                    "pages in an open dashboard (each page from the one above it in the sidebar)."
                ),
                "columns": list(rows[0]) if rows else ["page"],
                "rows": rows,
                "notes": [
                    "The machine's load average (1, 5, 15 minutes) when the timing ended: "
                    + ", ".join(f"{x:.1f}" for x in os.getloadavg())
                    + f" on {os.cpu_count()} cores; other work on the machine slows every figure.",
                    *(f"{k} could not be timed: {v}" for k, v in failed.items()),
                    *_first_visit_note(),
                ],
            },
            indent=2,
        )
        + "\n"
    )
    assert not failed, failed

"""The first screen's figures and imports, worked out once per server process before its first visitor.

A fresh server has empty caches: the first person to open the dashboard
would pay for the pages' imports, the sidebar's lookups, the headline figures,
the trend, Plotly's first figure and Streamlit's own first-element checks.
``at_server_start`` (the lifespan of the server ``streamlit run app.py``
starts: see app.py) does that work before the server takes its first request:
a thread imports what every page imports, draws a first figure, and asks for
exactly what the default view asks for (the first school, its latest year,
year to date, an unrestricted scope, as the sidebar builds it), through the
same cache; the start waits for it (at most ``WAIT_SECONDS``). Nothing is
shown and nothing is written; the thread opens its own connection (and the
file's reader lock) and closes both when it is done, so an import is never
kept waiting by it. If a page asks for something else, it is simply worked
out then, as before. Started any other way (AppTest), the first script run
starts the same thread instead, beside itself.

An import (or a deletion) changes the registers' data version and with it
every cache key, so the first visitor after it would pay the cold cost again.
Under the server, a page run that sees a data version not yet warmed
(``again_if_new``, from app.py) starts the same warm-up again in a
background thread, once per version; the page run does not wait for it. With
more than one school the trust view's first screen is worked out too.
"""

from __future__ import annotations

import ast
import asyncio
import gc
import importlib
import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from analytics import alerts, groups, overview, periods, school, trust
from analytics.filters import Filter, Scope
from ui import filters, registry, session

log = logging.getLogger(__name__)

WAIT_SECONDS = 60  # the longest a server's start waits for the first screen (a very large trust's database)
ROOT = Path(__file__).resolve().parent.parent
# Besides what the pages import at their top: what their first tabs and buttons import when first used.
LATER_IMPORTS = ("analytics.lists", "scipy.stats", "docx")

_thread: threading.Thread | None = None
_thread_lock = threading.Lock()
_again: threading.Thread | None = None
_warmed: set[tuple] = set()  # (database, data version) each warm-up has started on


def default_filter() -> Filter | None:
    """The Filter the sidebar gives a first visitor with the whole school in scope; None with no school."""
    base = Filter(scope=Scope())
    schools = session.cached(school.schools, base)
    if schools.empty:
        return None
    at_school = base.replace(school_ids=(schools["school_id"].iloc[0],))
    years = session.cached(school.academic_years, at_school)
    if not years:
        return None
    state = {**filters._defaults(), "school": at_school.school_ids[0], "year": years[0]}
    return filters.filter_from_state(state, Scope())


def _warm() -> None:
    try:
        with _thread_lock:
            _warmed.add((session.db_path(), session.data_version()))
        _import_pages()
        schools = session.cached(school.schools, Filter())  # the sample banner's question
        f = default_filter()
        if f is None:
            return
        in_year = f.replace(year_groups=(), forms=())
        for lookup in (school.calendar, school.year_groups, school.forms, school.ethnicities, school.latest_date):
            session.cached(lookup, in_year)
        session.cached(school.school_name, f)
        session.cached(alerts.latest_marks, f, date.today())
        session.cached(overview.headline, f)
        session.cached(overview.headline_noise, f)  # "Is the change real?" under the cards
        session.cached(overview.weekly_comparison, f)
        previous = session.cached(periods.previous_period, f)
        if previous:
            session.cached(groups.biggest_changes, f, previous[0], measure="overall_absence")
        if len(schools) > 1:  # then the trust view's first screen (pages/trust.py), for an unrestricted scope
            session.cached(trust.first_view, f)
    except Exception:  # warming is a courtesy: a failure here must never stop the app
        log.exception("could not work out the first screen in advance")
    finally:
        session.release()


def page_imports() -> list[str]:
    """The modules the pages import at their top (read from the page files, so a new import is warmed too)."""
    names: list[str] = []
    for spec in registry.PAGES:
        tree = ast.parse((ROOT / spec.path).read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names += [f"{node.module}.{alias.name}" for alias in node.names]
    return list(dict.fromkeys(names))


def _import(name: str) -> None:
    """Import a module, or the module holding a name (``ui.common`` for ``from ui import common`` and so on)."""
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        parent = name.rpartition(".")[0]
        if not parent:
            raise
        importlib.import_module(parent)


def _import_pages() -> None:
    """What a first page view imports, and Plotly's first figure (its checks build themselves on first use)."""
    for name in (*page_imports(), *LATER_IMPORTS):
        _import(name)
    x, y = pd.Series(pd.to_datetime(["2025-09-01", "2025-09-08"])), pd.Series([0.1, 0.2])  # as the pages pass them
    figure = go.Figure([go.Scatter(x=x, y=y), go.Bar(x=["a"], y=y.iloc[:1]), go.Heatmap(z=[[1, 2]])])
    figure.update_layout(xaxis={"tickformat": ".0f"}, hovermode="x unified").to_json()
    # Streamlit's first element in a process checks whether it runs in a REPL by walking every module
    # (about half a second); done here, a visitor's first element skips it.
    from streamlit import delta_generator

    getattr(delta_generator, "_maybe_print_use_warning", lambda: None)()


def start() -> threading.Thread:
    """Work out the first screen in a background thread, once per server process; the thread."""
    global _thread  # one warm-up per process, whoever asks first
    with _thread_lock:
        if _thread is None:
            _thread = threading.Thread(target=_warm, name="attendance-warm", daemon=True)
            _thread.start()
        return _thread


def _serving() -> bool:
    """True under ``streamlit run`` (a real server), False under AppTest (whose Runtime is a mock) or bare Python."""
    from streamlit.runtime import Runtime

    return Runtime.exists() and type(Runtime.instance()) is Runtime


def again_if_new(version: tuple) -> threading.Thread | None:
    """Warm the first screen again, in the background, for a data version no warm-up has seen yet; the thread.

    Called by every page run with the version it reads: after an import the first page run under the
    server starts one warm-up for the new data (the next visitors find it cached, or wait for the same
    answers through the cache's own lock rather than working them out twice). None when this version was
    warmed, a warm-up is still running, or the app is not run by its server (tests, AppTest).
    """
    global _again
    with _thread_lock:
        if (session.db_path(), version) in _warmed or not _serving():
            return None
        if (_thread is not None and _thread.is_alive()) or (_again is not None and _again.is_alive()):
            return None  # the running one may be on an older version: the next page run asks again
        _again = threading.Thread(target=_warm, name="attendance-warm-again", daemon=True)
        _again.start()
        return _again


@asynccontextmanager
async def at_server_start(_app) -> AsyncIterator[None]:
    """The server's lifespan: the first screen worked out before it takes its first request."""
    from streamlit.runtime.pages_manager import PagesManager

    # The pages are st.navigation's (app.py), not a pages/ folder app: say so before the first session,
    # so a first visit by a bookmarked address runs app.py at once instead of once more (ui/common.py).
    if PagesManager.uses_pages_directory is None:
        PagesManager.uses_pages_directory = False
    await asyncio.to_thread(start().join, WAIT_SECONDS)
    # What is loaded now (the libraries, the pages' modules, the first screen's figures) stays for the life
    # of the server: keep it out of the garbage collector's full passes, which Streamlit makes after every
    # page run (a quarter of a second each with everything scanned, next to nothing without).
    gc.freeze()
    yield


# --- the browser's side of a first visit ---------------------------------------------------------------

PASSED_THROUGH = ("/_stcore/", "/static/", "/media/", "/component/")  # never the page itself


CHART_MODULES = {"plotly": "PlotlyChart.*.js", "vega": "ArrowVegaLiteChart.*.js"}
# Pages (by address; "" is the default page) whose first screen has no Plotly chart: the Overview draws its charts
# with Vega-Lite (ui/charts/vega.py), a pupil's page its calendar as an HTML table (ui/charts/calendar_grid.py).
# Any other page's first screen draws with Plotly.
WITHOUT_PLOTLY = {"", "overview", "pupils"}
AFTER_FIRST_SCREEN_MS = 1000  # on those pages, Plotly's module is fetched this long after the first screen is drawn


def chart_scripts() -> dict[str, list[str]]:
    """Streamlit's JavaScript for each kind of chart (named with a hash of its content, so looked up, not written)."""
    import streamlit

    folder = Path(streamlit.__file__).parent / "static" / "static" / "js"
    return {kind: sorted(f"./static/js/{p.name}" for p in folder.glob(glob)) for kind, glob in CHART_MODULES.items()}


def runs_plotly_early(path: str) -> bool:
    """Whether the page at ``path`` ("/", "/pupils") has Plotly's module run while its script runs."""
    return path.strip("/").split("/")[-1] not in WITHOUT_PLOTLY


def _run_early(scripts: list[str]) -> str:
    """A module script running ``scripts`` while the browser waits for the server's first answer: Streamlit marks
    the moment the script starts running ("running" in the page's performance timeline); failing that, after 3 s."""
    if not scripts:
        return ""
    now = "".join(f'import("{s}");' for s in scripts)
    return (
        '<script type="module">let done = false; const go = () => { if (!done) { done = true; '
        + now
        + ' } }; new PerformanceObserver((l, o) => { if (l.getEntries().some(e => e.name === "running")) '
        + '{ o.disconnect(); go(); } }).observe({ type: "mark" }); setTimeout(go, 3000);</script>'
    )


def _preload_later(scripts: list[str], after_ms: int = AFTER_FIRST_SCREEN_MS) -> str:
    """A script fetching ``scripts`` once the first screen is drawn: ``after_ms`` after the page's script has first
    finished ("notRunning" after "running" in the page's performance timeline), when the browser is next idle.

    Fetched and parsed (off the page's thread), not run: a later page that draws with them finds them ready.
    """
    if not scripts:
        return ""
    hrefs = ", ".join(f'"{s}"' for s in scripts)
    return (
        "<script>(() => { let ran = false; const fetchThem = () => { for (const href of ["
        + hrefs
        + ']) { const l = document.createElement("link"); l.rel = "modulepreload"; l.crossOrigin = ""; '
        + "l.href = href; document.head.appendChild(l); } }; new PerformanceObserver((l, o) => { for (const e of "
        + 'l.getEntries()) { if (e.name === "running") ran = true; else if (e.name === "notRunning" && ran) { '
        + "o.disconnect(); setTimeout(() => requestIdleCallback(fetchThem, { timeout: 2000 }), "
        + str(after_ms)
        + '); return; } } }).observe({ type: "mark" }); })();</script>'
    )


def _server_at(addresses: frozenset[str]) -> str:
    """A script telling Streamlit's JavaScript where its server is, on a page opened by a page's address.

    Opened at ``/pupils``, Streamlit's JavaScript does not know whether the server lives at ``/pupils/`` or ``/``:
    it asks ``/pupils/_stcore/health`` first, gets "not found", waits 0.1 s and asks ``/_stcore/health``. That
    costs every first visit that does not start at "/" (a pupil's page opened from a link) about 0.13 s before
    the page can connect. When the address ends in one of the app's own ``addresses``, the server lives at the
    address without it: said in ``window.__streamlit.BACKEND_BASE_URL``, the setting Streamlit reads for this
    (read once, as its JavaScript starts: this script runs before it). Behind a proxy that adds a prefix, the
    prefix is kept. Any other address is left to Streamlit's own search.
    """
    names = json.dumps(sorted(addresses))
    return (
        '<script>(() => { const parts = location.pathname.replace(/\\/+$/, "").split("/"); '
        f"if (parts.length > 1 && {names}.includes(parts[parts.length - 1])) {{ parts.pop(); "
        "window.__streamlit = Object.assign({}, window.__streamlit, "
        '{ BACKEND_BASE_URL: location.origin + (parts.join("/") || "/") }); } })();</script>'
    )


class PreloadCharts:
    """Middleware: the page's HTML asks the browser for the charts' JavaScript before their first chart arrives.

    With nothing cached, a browser fetches a chart's module only when the first chart of its kind arrives
    from the server, after the script has run, and then runs it: for Plotly's (about 5 MB) most of a
    second of the page's only thread on this machine. Named as a ``modulepreload`` in the page, a chart
    module is fetched at once. On a page whose first screen draws with Plotly, its module is fetched at once
    and also run as soon as the script starts: the browser does that work while it waits for the server anyway.

    The Overview and a pupil's page draw their first screens without Plotly (``WITHOUT_PLOTLY``). There,
    Plotly's module is fetched a second after the first screen is drawn, for the pages after it: fetched and
    parsed at once, it held that screen up by about 0.15 s on 2 cores; run early, it held up the cards and
    the trend; run once the screen was drawn, it kept the page busy for most of a second after it looked
    ready (docs/PERFORMANCE.md). Vega-Lite's module (a sixth of the size) is fetched at once on every page and
    run when its chart arrives: run early too, it held up the cards by as much as it saved the chart. A
    chart's own code later finds the module loaded (the same address); what is drawn is unchanged.

    The same pass tells Streamlit's JavaScript where the server is (``_server_at``), for pages opened by their
    own address.
    """

    def __init__(self, app, scripts: dict[str, list[str]] | None = None, addresses: frozenset[str] | None = None):
        self.app = app
        scripts = chart_scripts() if scripts is None else scripts
        plotly = scripts.get("plotly", [])
        others = [s for kind, found in scripts.items() if kind != "plotly" for s in found]
        links = _server_at(registry.ADDRESSES if addresses is None else addresses)
        links += "".join(f'<link rel="modulepreload" crossorigin href="{s}">' for s in others)
        now = "".join(f'<link rel="modulepreload" crossorigin href="{s}">' for s in plotly)
        self.links = {
            True: (links + now + _run_early(plotly)).encode(),
            False: (links + _preload_later(plotly)).encode(),
        }

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        links = self.links[runs_plotly_early(path)]
        if scope["type"] != "http" or scope["method"] != "GET" or not links or path.startswith(PASSED_THROUGH):
            await self.app(scope, receive, send)
            return
        # The page itself (index.html for every address): a few kilobytes, asked for uncompressed so it can be read.
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]}
        start: dict | None = None
        body = b""

        async def sending(message):
            nonlocal start, body
            if message["type"] == "http.response.start":
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                if headers.get(b"content-type", b"").startswith(b"text/html"):
                    start = message  # held until the whole page is read
                    return
            elif message["type"] == "http.response.body" and start is not None:
                body += message.get("body", b"")
                if message.get("more_body"):
                    return
                page = body.replace(b"</head>", links + b"</head>", 1)
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                await send({**start, "headers": [*headers, (b"content-length", str(len(page)).encode())]})
                await send({"type": "http.response.body", "body": page})
                return
            await send(message)

        await self.app(scope, receive, sending)

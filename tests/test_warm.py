"""After an import the first screen is worked out again in the background, once per data version (ui/warm.py)."""

from __future__ import annotations

import functools
import json

import pytest

from analytics import trust
from tests import trust_files
from ui import registry, session, warm


@pytest.fixture
def served(tmp_path, monkeypatch):
    """The three-school trust, no warm-up run yet."""
    monkeypatch.setenv("ATTENDANCE_DB", str(trust_files.write_database(tmp_path)))
    for name, value in (("_again", None), ("_thread", None), ("_warmed", set())):
        monkeypatch.setattr(warm, name, value)
    session.data_changed()
    calls = []
    original = trust.first_view

    @functools.wraps(original)
    def counted(con, f):
        calls.append(f)
        return original(con, f)

    monkeypatch.setattr(trust, "first_view", counted)  # session.cached looks it up by name at call time
    yield calls
    session.data_changed()


def _run(thread):
    assert thread is not None
    thread.join(60)
    assert not thread.is_alive()


def test_a_new_version_is_warmed_once_with_the_trust_view(served, monkeypatch):
    monkeypatch.setattr(warm, "_serving", lambda: True)  # as under `streamlit run`
    calls = served
    version = session.data_version()
    _run(warm.again_if_new(version))
    assert len(calls) == 1  # three schools: the trust view's first screen was worked out
    f = warm.default_filter()
    view = session.cached(trust.first_view, f)
    session.release()
    assert len(calls) == 1 and len(view["schools"]) == 3  # a visitor finds it cached
    assert warm.again_if_new(version) is None  # once per version
    _run(warm.again_if_new((*version[:-1], version[-1] + 1)))  # the next import's version: warmed again


def test_not_under_a_server_nothing_starts(served):  # pytest, as AppTest: no real Streamlit server
    assert warm.again_if_new(session.data_version()) is None
    session.release()
    assert served == []


# --- the server's start and the page's HTML ------------------------------------------------------------


def test_streamlit_run_finds_the_server_in_app_py():
    """`streamlit run app.py` (make run, the browser tests) serves app.py's st.App, whose start warms up."""
    from pathlib import Path

    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(Path(__file__).resolve().parent.parent / "app.py")
    assert (found.is_asgi_app, found.import_string) == (True, "app:app")


def test_the_warm_up_imports_what_the_pages_import():
    names = warm.page_imports()
    assert {"ui.pupil_page", "analytics.overview", "ui.packs", "plotly.graph_objects"} <= set(names)


PAGE = b"<html><head><title>Streamlit</title></head><body></body></html>"


def _served(path: str, content_type: bytes, body: bytes, method: str = "GET", gzip: bool = True):
    """What PreloadCharts hands on for one response of a stand-in app: (headers, body, the request's headers)."""
    import asyncio
    import concurrent.futures

    seen = {}

    async def inner(scope, receive, send):
        seen["request"] = dict(scope["headers"])
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", content_type)]})
        await send({"type": "http.response.body", "body": body[:10], "more_body": True})
        await send({"type": "http.response.body", "body": body[10:]})

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request"}

    headers = [(b"accept-encoding", b"gzip")] if gzip else []
    scope = {"type": "http", "method": method, "path": path, "headers": headers}
    # In a thread of its own: an earlier test in this worker may have left an event loop running in this one.
    app = warm.PreloadCharts(inner, {"plotly": ["./static/js/PlotlyChart.x.js"], "vega": ["./static/js/Vega.y.js"]})
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    out = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return dict(sent[0]["headers"]), out, seen["request"]


@pytest.mark.parametrize(
    "path, content_type, method, preloaded, plotly",
    [
        ("/", b"text/html", "GET", True, "after the first screen"),  # the Overview at /: its first screen is Vega-Lite
        ("/overview", b"text/html", "GET", True, "after the first screen"),
        ("/pupils", b"text/html; charset=utf-8", "GET", True, "after the first screen"),  # a pupil: an HTML calendar
        ("/lists", b"text/html; charset=utf-8", "GET", True, "fetched and run at once"),  # any other page
        ("/patterns/", b"text/html", "GET", True, "fetched and run at once"),
        ("/static/js/index.js", b"text/javascript", "GET", False, None),  # the app's own files: untouched
        ("/_stcore/health", b"text/html", "GET", False, None),
        ("/media/abc.csv", b"text/csv", "GET", False, None),  # downloads: untouched
        ("/", b"text/html", "HEAD", False, None),
        ("/favicon.png", b"image/png", "GET", False, None),
    ],
)
def test_the_page_preloads_the_charts_javascript(path, content_type, method, preloaded, plotly):
    headers, body, request = _served(path, content_type, PAGE, method)
    link = b'<link rel="modulepreload" crossorigin href="%s">'
    # Where the server is, so that a page opened at /pupils never asks /pupils/_stcore/health first (a 404).
    assert (b"window.__streamlit = Object.assign" in body) is preloaded
    assert (link % b"./static/js/Vega.y.js" in body) is preloaded  # Vega-Lite's: fetched at once on every page
    assert b'import("./static/js/Vega.y.js")' not in body  # and run when its chart arrives
    at_once = plotly == "fetched and run at once"
    assert (link % b"./static/js/PlotlyChart.x.js" in body) is at_once
    assert (b'import("./static/js/PlotlyChart.x.js")' in body) is at_once  # as the script starts
    # On the Overview and a pupil's page: fetched once the first screen is drawn, never run there.
    assert (b'["./static/js/PlotlyChart.x.js"]' in body) is (plotly == "after the first screen")
    if preloaded:
        assert body.startswith(PAGE[: -len(b"</head><body></body></html>")]) and body.endswith(
            b"</head><body></body></html>"
        )
        assert headers[b"content-length"] == str(len(body)).encode() and b"accept-encoding" not in request
    else:
        assert body == PAGE


def test_the_server_is_named_for_the_apps_own_addresses_only():
    script = warm._server_at(registry.ADDRESSES)
    named = set(json.loads(script[script.index("[") : script.index("]") + 1]))
    assert named == {*registry.PAGE_BY_KEY, *(f"start-{key}" for key in registry.PAGE_BY_KEY)}
    assert 'location.origin + (parts.join("/") || "/")' in script  # a proxy's prefix before the page is kept

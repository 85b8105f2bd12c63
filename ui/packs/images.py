"""Charts as print-size images, drawn by Plotly itself (kaleido driving Debian's Chromium).

The figures are the ones the pages show (``ui/charts/``): a pack never has
charts of its own. The PDF takes them as SVG (vector: sharp at any size, and
every axis number, group name and day label is text in the PDF), Word as PNG
(1,800 px across 17 cm, about 270 dpi). One headless Chromium is started on the first pack a
process builds and kept for the next ones (starting it costs seconds, a chart
a fraction of one); every caller shares it through one lock. Chromium comes
from ``$BROWSER_PATH`` or Debian's ``/usr/bin/chromium`` (``make browser``
installs it): nothing is ever downloaded. Where no browser can be started the
pack is still built, with each chart's figures in its table and a note saying
the charts could not be drawn.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import shutil
import threading
from concurrent.futures import TimeoutError as FutureTimeout

import plotly.graph_objects as go

log = logging.getLogger(__name__)

WIDTH_PX = 900  # the layout width of a chart: 900 CSS px across the 180 mm text width of an A4 page
SCALE = 2  # drawn at twice that, 1,800 px across 180 mm: about 250 dots per inch
CHART_SECONDS = 60  # the longest one chart may take before the pack is built without charts
CLOSE_SECONDS = 5  # the longest closing a browser may take
DEBIAN_CHROMIUM = "/usr/bin/chromium"


class ChartsUnavailable(RuntimeError):
    """No browser could draw the charts (none installed, or it failed to start)."""


def browser_path() -> str | None:
    """The Chromium to draw with: $BROWSER_PATH, else Debian's, else one on PATH."""
    found = os.environ.get("BROWSER_PATH") or (DEBIAN_CHROMIUM if os.path.exists(DEBIAN_CHROMIUM) else None)
    return found or shutil.which("chromium") or shutil.which("chromium-browser")


class _Renderer:
    """One Kaleido (one headless Chromium) on its own event loop thread, opened on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._kaleido = None

    def _start(self) -> None:
        import kaleido  # imported here: a process that never builds a pack never loads it

        path = browser_path()
        if path is None:
            log.warning("pack charts: no Chromium found")
            raise ChartsUnavailable("no Chromium found (install Debian's chromium package or set BROWSER_PATH)")
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="pack-charts", daemon=True).start()
        k = kaleido.Kaleido(path=path, n=1, mathjax=False, timeout=CHART_SECONDS)
        try:
            asyncio.run_coroutine_threadsafe(k.open(), loop).result(CHART_SECONDS)
        except Exception as exc:
            loop.call_soon_threadsafe(loop.stop)
            raise ChartsUnavailable(f"Chromium did not start: {exc}") from exc
        self._loop, self._kaleido = loop, k

    def close(self) -> None:
        with self._lock:
            self._discard()

    def _discard(self) -> None:
        """Close this Chromium (briefly: a hung one is left to exit with the process) and start afresh next time."""
        loop, k = self._loop, self._kaleido
        self._loop = self._kaleido = None
        if k is None or loop is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(k.close(), loop).result(CLOSE_SECONDS)
        except Exception:  # a hung or dead browser: nothing more to do
            pass
        loop.call_soon_threadsafe(loop.stop)

    def _draw_once(self, figures: list[go.Figure], fmt: str) -> list[bytes]:
        if self._kaleido is None:
            self._start()
        jobs = [
            self._kaleido.calc_fig(
                fig, opts=dict(format=fmt, width=WIDTH_PX, height=fig.layout.height or 400, scale=SCALE)
            )
            for fig in figures
        ]

        async def everything():
            return await asyncio.gather(*jobs)

        # Kaleido times out each chart's drawing, not the wait for its tab: a lost tab would wait for ever.
        return asyncio.run_coroutine_threadsafe(everything(), self._loop).result(batch_seconds(len(figures)))

    def draw(self, figures: list[go.Figure], fmt: str) -> list[bytes]:
        """Every figure drawn, trying once more with a fresh Chromium when the first one fails or hangs."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    return self._draw_once(figures, fmt)
                except ChartsUnavailable:
                    raise
                except (FutureTimeout, Exception) as exc:
                    log.warning("pack charts could not be drawn (attempt %d): %r", attempt, exc)
                    self._discard()
                    if attempt == 2:
                        raise ChartsUnavailable(f"the charts could not be drawn: {exc!r}") from exc
            raise AssertionError("unreachable")


def batch_seconds(n: int) -> float:
    """The longest a batch of ``n`` charts may take before the browser is taken as hung: a start and 10 s a chart."""
    return CHART_SECONDS + 10 * n


_renderer = _Renderer()
atexit.register(_renderer.close)


def print_ready(fig: go.Figure) -> go.Figure:
    """A copy of a page's figure laid out for paper: room for every label, nothing interactive.

    A heatmap's colour bar is left out: every cell has its value written in it.
    """
    out = go.Figure(fig)
    out.update_layout(width=WIDTH_PX, margin=dict(l=10, r=30, t=80, b=10), hovermode=False)
    out.update_xaxes(automargin=True)
    out.update_yaxes(automargin=True)
    out.update_traces(showscale=False, selector=dict(type="heatmap"))
    return out


FORMATS = ("svg", "png")


def chart_images(figures: list[go.Figure], fmt: str = "svg") -> list[bytes]:
    """Each figure as an image at print size (``fmt`` 'svg' or 'png'), in order.

    Raises ChartsUnavailable when no browser can draw them.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}: choose from {', '.join(FORMATS)}")
    if not figures:
        return []
    return _renderer.draw([print_ready(f) for f in figures], fmt)

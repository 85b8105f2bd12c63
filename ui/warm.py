"""The first screen's figures and imports, worked out once per server process, beside the first visitor's run.

A fresh server has empty caches: the first person to open the dashboard
would pay for the pages' imports, the sidebar's lookups, the headline figures,
the trend, Plotly's first figure and the statistics library behind a pupil's
patterns. The first script run (app.py) starts a thread that asks for exactly
what the default view asks for (the first school, its latest year, year to
date, an unrestricted scope, as the sidebar builds it), through the same
cache; the answers are then waiting, or being worked out already when the
page asks. Nothing is shown and nothing is written. If a page asks for
something else, it is simply worked out then, as before.

(Doing this before the server takes its first request needs the server's own
start: an ``st.App`` lifespan in app.py did it, but with it the pack downloads
and a following import hung in the browser tests, so it was taken out.)

An import (or a deletion) changes the registers' data version and with it
every cache key, so the first visitor after it would pay the cold cost again.
Under the server, a page run that sees a data version not yet warmed
(``again_if_new``, from app.py) starts the same warm-up again in a
background thread, once per version; the page run does not wait for it. With
more than one school the trust view's first screen is worked out too.
"""

from __future__ import annotations

import importlib
import logging
import threading
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from analytics import alerts, groups, overview, periods, school, trust
from analytics.filters import Filter, Scope
from ui import filters, session

log = logging.getLogger(__name__)

# The Overview's and a pupil's page's imports (scipy.stats behind a pupil's patterns: a second or two).
FIRST_IMPORTS = ("analytics.lists", "analytics.pupils", "ui.alerts", "ui.common", "ui.export", "ui.headlines")
FIRST_IMPORTS += ("ui.interventions_panel", "ui.packs", "ui.pupil_page", "ui.signal")  # ui.packs: python-docx

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


def _import_pages() -> None:
    """What a first page view imports, and Plotly's first figure (its checks build themselves on first use)."""
    for name in FIRST_IMPORTS:
        importlib.import_module(name)
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

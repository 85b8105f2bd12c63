"""The first screen's figures, worked out once when the server starts, so the first visitor does not wait.

A fresh server has empty caches: the first person to open the dashboard
would pay for the sidebar's lookups, the headline figures, the trend and the
heavy imports (the statistics library behind a pupil's patterns). A
background thread asks for exactly what the default view asks for (the first
school, its latest year, year to date, an unrestricted scope, as the sidebar
builds it), through the same cache; the answers are then waiting. Nothing is
shown and nothing is written. If a page asks for something else, it is
simply worked out then, as before.
"""

from __future__ import annotations

import importlib
import logging
import threading
from datetime import date

from analytics import alerts, groups, overview, periods, school
from analytics.filters import Filter, Scope
from ui import filters, session

log = logging.getLogger(__name__)


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
        session.cached(school.schools, Filter())  # the sample banner's question
        f = default_filter()
        if f is None:
            return
        in_year = f.replace(year_groups=(), forms=())
        for lookup in (school.calendar, school.year_groups, school.forms, school.ethnicities, school.latest_date):
            session.cached(lookup, in_year)
        session.cached(school.school_name, f)
        session.cached(alerts.latest_marks, f, date.today())
        session.cached(overview.headline, f)
        session.cached(overview.weekly_comparison, f)
        previous = session.cached(periods.previous_period, f)
        if previous:
            session.cached(groups.biggest_changes, f, previous[0], measure="overall_absence")
        # scipy: a second or two, paid here rather than on a pupil's page.
        for module in ("analytics.lists", "analytics.pupils"):
            importlib.import_module(module)
    except Exception:  # warming is a courtesy: a failure here must never stop the app
        log.exception("could not work out the first screen in advance")
    finally:
        session.release()


def start() -> None:
    """Work out the first screen in a background thread (once per server process: app.py calls it so)."""
    threading.Thread(target=_warm, name="attendance-warm", daemon=True).start()

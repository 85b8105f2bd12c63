"""Page times: the dashboard's pages run headless against a store, as a signed-in leader meets them.

Streamlit's ``AppTest`` runs the real ``app.py`` (sign-in gate, navigation, sidebar filters, the page
script, the cache in ``ui/session.py``) against a copy of the store, without a browser: the time is the
server's work for the page (every query, every chart built), not the browser's drawing of it (see
"Browser timings" in docs/PERFORMANCE.md for that).

- **cold**: the page with empty caches (``st.cache_data`` cleared first), as after an import or for the
  first visitor of the day, in a process that has already started the app once (imports done);
- **warm**: the same page shown again with its answers cached, as a click back to it costs.

``page_times(path, repeats)`` runs in a fresh process (``benchmarks.memory.peak_rss_mb``), so the app's
imports and caches start empty, and its peak memory is the app process's.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from data import db, users

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
ACCOUNT = ("bench.leader@trust.example", "a long benchmark passphrase")
TIMEOUT = 900  # the 100-school store's trust view, cold, on a loaded 2-core machine
# Key -> page script: a school's own pages for the sidebar's first school, every school side by side, and
# one pupil of that school.
PAGES = {
    "overview": "pages/overview.py",
    "groups": "pages/groups.py",
    "trust": "pages/trust.py",
    "pupil": "pages/pupils.py",
}


def prepare(path: Path) -> dict:
    """An admin account to sign in with, and the school and pupil the pages will show."""
    with db.connection(path) as con:
        if users.get_account(con, ACCOUNT[0]) is None:
            users.add_user(con, ACCOUNT[0], "admin", password=ACCOUNT[1])
        # The sidebar's first school (analytics.school.schools: by name), which the school pages show.
        school_id = con.execute("SELECT school_id FROM schools ORDER BY name, school_id LIMIT 1").fetchone()[0]
        upn = con.execute(
            "SELECT min(upn) FROM enrolments WHERE school_id = ? AND academic_year = "
            "(SELECT max(academic_year) FROM enrolments WHERE school_id = ?)",
            [school_id, school_id],
        ).fetchone()[0]
    return {"school_id": school_id, "upn": upn}


def _signed_in(path: str, query: dict):
    import os

    from streamlit.testing.v1 import AppTest

    os.environ["ATTENDANCE_DB"] = path
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.text_input(key="_auth_email").input(ACCOUNT[0])
    at.text_input(key="_auth_password").input(ACCOUNT[1])
    at.button(key="FormSubmitter:_auth_local-Sign in").click().run()
    if at.exception or any(t.key == "_auth_email" for t in at.text_input):
        raise RuntimeError(f"could not sign in to the app for the page times: {[e.value for e in at.exception]}")
    return at


def _show(at, script: str, query: dict) -> float:
    """Seconds to run the page, failing loudly if it did not draw."""
    for key, value in query.items():  # as a link to the page carries them
        at.query_params[key] = value
    started = time.perf_counter()
    at.switch_page(script)
    at.run()
    took = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"{script} raised: {[e.value for e in at.exception][:1]}")
    if not at.title or not (at.metric or at.dataframe or at.get("plotly_chart")):
        raise RuntimeError(f"{script} drew no figures: {[i.value for i in at.info][:1]}")
    return took


def page_times(path: str, repeats: int = 3) -> dict[str, dict[str, float]]:
    """``{page: {"cold": s, "warm": s}}``: medians over ``repeats`` views of each page in one app session."""
    import streamlit as st

    where = prepare(Path(path))
    at = _signed_in(path, {"upn": where["upn"]})
    _show(at, PAGES["overview"], {})  # the app's first run in this process: imports and the warm-up thread
    from ui import warm

    warm.start().join(TIMEOUT)  # the first screen worked out in advance (as a server does before its first visit)
    out = {}
    for key, script in PAGES.items():
        query = {"upn": where["upn"]} if key == "pupil" else {}
        cold, warm = [], []
        for _ in range(repeats):
            st.cache_data.clear()
            cold.append(_show(at, script, query))
            warm.append(_show(at, script, query))
        out[key] = {"cold": statistics.median(cold), "warm": statistics.median(warm)}
    return {"times": out, **where}

"""The attendance dashboard: sign the user in, build their page list, run the chosen page.

Run with ``make run`` (or ``streamlit run app.py``). The database is
``$ATTENDANCE_DB`` (default ``data/attendance.duckdb``); on first run with no
marks in it the generated sample school is loaded, unless
``ATTENDANCE_SAMPLE=0`` (an empty dashboard, e.g. before a school's first import).

The file is read two ways. ``streamlit run app.py`` first imports it as a
module and finds ``app``, the server, whose start (``ui/warm.py:
at_server_start``) works out the first screen before it takes a request: the
first visitor no longer pays for it. Every page view then runs this file as
the script (``__main__``), which signs the user in and runs their page; so
does AppTest.
"""

from __future__ import annotations

import os

import streamlit as st

from data import db
from ui import auth, common, registry, session, warm


@st.cache_resource(show_spinner=False)
def _prepared(path: str) -> bool:  # keyed on the path: one check per database per process
    """Load the sample school into an empty database once per process; True when it was loaded."""
    con = session.connection()  # opened (and its schema made) here first, never by two threads at once
    if not db.is_empty(con):
        warm.start()  # already done by the server's start (ui/warm.py) unless the app was started another way
        return False
    if os.environ.get("ATTENDANCE_SAMPLE", "1") == "0":
        return False
    from data import sample  # only here: the generator is heavy and most runs never need it

    return bool(sample.load_sample(con).ok)


def main() -> None:
    st.set_page_config(page_title="School attendance", page_icon=":material/school:", layout="wide")
    with st.spinner("Setting up the sample school on first run (about a minute)..."):
        if _prepared(session.db_path()):
            session.data_changed()

    user = auth.gate()
    warm.again_if_new(session.data_version())  # after an import, the first screen again in the background

    if common.only_sample_schools():
        st.warning("You are looking at generated sample data for a fictional school.", icon=":material/science:")

    sections: dict[str, list] = {}
    for spec in registry.pages_for(user.role):
        default = not sections
        # The default page is served at "/": its hidden twin keeps its own address (/overview) working too.
        url_path = registry.url_path(spec.key, default)
        page = st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=url_path, default=default)
        sections.setdefault(spec.section, []).append(page)
        if default:
            twin = st.Page(
                spec.path, title=spec.title, icon=spec.icon, url_path=registry.url_path(spec.key), visibility="hidden"
            )
            sections[spec.section].append(twin)

    if not sections:
        st.error("Your account has no pages. Ask the school's administrator to give you a role.")
        st.stop()
    # Every page in the sidebar: a school has more than the ten Streamlit shows before "View more".
    st.navigation(sections, expanded=True).run()


if __name__ == "__main__":  # a page view: Streamlit (and AppTest) run this file as __main__
    try:
        main()
    finally:
        # The run is over (finished, stopped or rerun): let go of the database file until the next one.
        session.release()
else:  # imported by `streamlit run app.py` to find the server it starts
    from starlette.middleware import Middleware

    app = st.App(__file__, lifespan=warm.at_server_start, middleware=[Middleware(warm.PreloadCharts)])

"""Start the real app on a free port against a copy of the sample school, and a headless Chromium to drive it.

Debian's Chromium at /usr/bin/chromium: never a browser download.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.accounts import school_with_accounts
from tests.conftest import CHROMIUM

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 90
# A drawn chart: Plotly's, Vega-Lite's (the Overview's first screen, ui/charts/vega.py) or a pupil's calendar of
# marks, an HTML table (ui/charts/calendar_grid.py).
CHART_DRAWN = ".js-plotly-plot .main-svg, [data-testid='stVegaLiteChart'] svg.marks, .att-cal td"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_database(sample_db, tmp_path_factory):
    """The database file the browser tests' app serves: a copy of the sample school."""
    db_copy = tmp_path_factory.mktemp("browser") / "browser.duckdb"
    shutil.copy(sample_db, db_copy)
    return db_copy


@pytest.fixture(scope="session")
def accounts_database(sample_db, tmp_path_factory):
    """The sample school marked as a real school's data, with one account per role: sign-in is on."""
    return school_with_accounts(sample_db, tmp_path_factory.mktemp("browser_accounts") / "accounts.duckdb")


def _serve(db_path: Path, log_path: Path):
    """Start ``streamlit run app.py`` on a free port against one database; yields its address."""
    port = _free_port()
    log = log_path.open("w")
    env = {**os.environ, "ATTENDANCE_DB": str(db_path), "ATTENDANCE_SAMPLE": "0"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"the app did not start; see {log.name}")
        time.sleep(0.3)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def app_url(request, tmp_path_factory):
    """The app in demo mode (the sample school, no accounts)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make browser)")
    if os.environ.get("ATTENDANCE_TEST_URL"):  # an app already running on the sample school, for debugging
        yield os.environ["ATTENDANCE_TEST_URL"].rstrip("/")
        return
    db_copy = request.getfixturevalue("app_database")
    yield from _serve(db_copy, tmp_path_factory.mktemp("browser_log") / "streamlit.log")


@pytest.fixture(scope="session")
def accounts_url(request, tmp_path_factory):
    """The app with sign-in on (a real school's data and one account per role)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make browser)")
    db_path = request.getfixturevalue("accounts_database")
    yield from _serve(db_path, tmp_path_factory.mktemp("browser_log") / "accounts.log")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    yield tab
    context.close()

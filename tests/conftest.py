"""Fixtures shared by every test: a fresh real DuckDB file and a register builder."""

from __future__ import annotations

import fcntl
import os

import pytest

from data import db
from tests.registers import Register


@pytest.fixture
def db_file(tmp_path):
    """Path of a fresh, empty database file (schema and code table loaded)."""
    path = tmp_path / "test.duckdb"
    db.connect(path).close()
    return path


@pytest.fixture
def con(db_file):
    connection = db.connect(db_file)
    yield connection
    connection.close()


@pytest.fixture
def register(con):
    """A Register for school T1 in the fresh database."""
    return Register(con)


def _shared_sample(tmp_path_factory, name: str, primary: bool):
    """Build a sample database once for the whole run, even with several xdist workers.

    The file lives in the run's shared temporary folder; a lock file makes the first
    worker build it while the others wait, so the sample is imported once per run.
    """
    from data import sample

    # Under xdist each worker's base folder sits inside the run's own folder; alone, the base folder is the
    # run's (its parent is shared by every run, where a sample built from older files would be found).
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = shared / f"{name}.duckdb"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (shared / f"{name}.done").exists():
                path.unlink(missing_ok=True)
                with db.connection(path) as connection:
                    result = sample.load_sample(connection, primary=primary)
                    assert result.ok, result.summary()
                (shared / f"{name}.done").touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return path


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory):
    """Path of a database holding the secondary sample school, built once per test run.

    Tests must not write to it: copy it (``shutil.copy``) when a test needs to change data.
    """
    return _shared_sample(tmp_path_factory, "sample", primary=False)


@pytest.fixture(scope="session")
def primary_db(tmp_path_factory):
    """Path of a database holding the primary sample school."""
    return _shared_sample(tmp_path_factory, "primary", primary=True)


CHROMIUM = "/usr/bin/chromium"  # Debian's Chromium: never a browser download
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium per test process, shared by every real-browser test.

    One, because Playwright's sync API cannot start a second instance while the
    first is running in the same thread.
    """
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()

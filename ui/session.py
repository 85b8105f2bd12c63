"""The database for the app: one connection per script run, the registers' data version, cached calls.

The bottom of ``ui/``: it depends only on ``data/``, and every other ui module
that needs the database takes it from here. Each script run opens its own
connection and closes it when the run ends (app.py), so the file is free
between page views for a scheduled import. It is read-write: DuckDB refuses a
read-only and a read-write connection to one file in the same process, and
every page writes to the audit log.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable

import duckdb
import streamlit as st

from data import db

DATA_VERSION_SECONDS = 5  # how stale the registers' fingerprint may be before it is read again

_run = threading.local()


def connection() -> duckdb.DuckDBPyConnection:
    """This script run's connection to the dashboard's database, opened on first use in the run.

    ``release()`` closes it when the run ends (app.py), so the app holds the
    file's lock only while a page is being worked out: DuckDB lets one process
    write at a time, and a scheduled ``python -m data import`` must get its turn
    between page views. Each script thread has its own connection; within the
    process DuckDB shares one database instance between them.
    """
    con = getattr(_run, "con", None)
    if con is None:
        # The reader lock for the length of the run: an import swaps its finished copy in only between
        # runs, so the audit entries and sign-ins this run writes are carried over, never lost (data/staging.py).
        _run.hold = db.reader_lock(db_path())
        try:
            con = _run.con = db.connect(db_path())
        except db.DatabaseProblem as exc:  # full disk, read-only or damaged file: what to do, not a traceback
            _release_hold()
            st.error(f"The dashboard cannot open its database: {exc}", icon=":material/error:")
            st.stop()
        except BaseException:
            _release_hold()
            raise
    return con


def has_connection() -> bool:
    """Whether this thread holds an open connection (and with it the reader lock) now."""
    return getattr(_run, "con", None) is not None


def _release_hold() -> None:
    hold = getattr(_run, "hold", None)
    _run.hold = None
    if hold is not None:
        hold.release()


def release() -> None:
    """Close this run's connection (called by app.py when the run ends, however it ends)."""
    con = getattr(_run, "con", None)
    _run.con = None
    try:
        if con is not None:
            con.close()
    finally:
        _release_hold()


def db_path() -> str:
    return str(db.db_path())


def data_changed() -> None:
    """Forget every cached result after an import or a deletion changed the registers."""
    st.cache_data.clear()


@st.cache_data(show_spinner=False, ttl=DATA_VERSION_SECONDS)
def _data_version(path: str) -> tuple:
    return db.data_version(connection())


def data_version() -> tuple:
    """The registers' fingerprint, re-read at most every few seconds (one small query, not one per chart)."""
    return _data_version(db_path())


@st.cache_data(show_spinner=False, max_entries=2000)
def _cached_call(path: str, version: tuple, module: str, name: str, f, args: tuple, kwargs: tuple):
    fn = getattr(importlib.import_module(module), name)
    return fn(connection(), f, *args, **dict(kwargs))


def cached(fn: Callable, f, *args, **kwargs):
    """``fn(con, f, *args, **kwargs)`` remembered per database, data version, Filter and arguments.

    Every page run asks for the same figures again (each click reruns the
    script), so a warm page costs lookups, not queries. The key holds the
    registers' fingerprint, so new marks imported from anywhere are picked up.
    The function is looked up by module and name at call time, so a test that
    replaces ``analytics.groups.group_breakdown`` is still honoured.
    """
    key = (db_path(), data_version(), fn.__module__, fn.__name__)
    return _cached_call(*key, f, args, tuple(sorted(kwargs.items())))

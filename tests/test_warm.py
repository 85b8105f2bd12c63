"""After an import the first screen is worked out again in the background, once per data version (ui/warm.py)."""

from __future__ import annotations

import functools

import pytest

from analytics import trust
from tests import trust_files
from ui import session, warm


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

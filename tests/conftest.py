"""Fixtures shared by every test: a fresh real DuckDB file and a register builder."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory):
    """Path of a database holding the secondary sample school, built once per test process.

    Tests must not write to it: copy it (``shutil.copy``) when a test needs to change data.
    """
    from data import sample

    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    with db.connection(path) as connection:
        result = sample.load_sample(connection)
        assert result.ok, result.summary()
    return path


@pytest.fixture(scope="session")
def primary_db(tmp_path_factory):
    """Path of a database holding the primary sample school."""
    from data import sample

    path = tmp_path_factory.mktemp("primary") / "primary.duckdb"
    with db.connection(path) as connection:
        result = sample.load_sample(connection, primary=True)
        assert result.ok, result.summary()
    return path

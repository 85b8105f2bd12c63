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

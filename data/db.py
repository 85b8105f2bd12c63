"""The one module that owns DuckDB connections.

Everything else asks this module for a connection: the importer for a writable
one, analytics and pages for a read-only one where they can. The database path
comes from, in order: the caller (``--db`` on the command line), the
``ATTENDANCE_DB`` environment variable, then ``data/attendance.duckdb``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from data import locks, on_roll

DATA_DIR = Path(__file__).resolve().parent
REFERENCE_DIR = DATA_DIR / "reference"
CODES_CSV = REFERENCE_DIR / "attendance_codes.csv"
SCHEMA_SQL = DATA_DIR / "schema.sql"
DEFAULT_DB = DATA_DIR / "attendance.duckdb"
ENV_VAR = "ATTENDANCE_DB"


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database file to use: explicit path, then $ATTENDANCE_DB, then the default."""
    if path:
        return Path(path)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else DEFAULT_DB


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (it holds children's data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    old = os.umask(0o077)
    try:
        duckdb.connect(str(path)).close()
    finally:
        os.umask(old)
    os.chmod(path, 0o600)


LOCK_WAIT_SECONDS = 30.0  # a nightly import and the app take turns: DuckDB allows one writing process


def connect(
    path: str | os.PathLike | None = None, read_only: bool = False, wait: float = LOCK_WAIT_SECONDS
) -> duckdb.DuckDBPyConnection:
    """Open the database, creating it and its schema on first use.

    A read-only connection to a file that does not exist yet creates it first,
    so a page can always open the store. While another process holds the
    file's lock (the app mid-page, or a scheduled import), wait up to ``wait``
    seconds for it rather than failing at once.
    """
    target = db_path(path)
    deadline = time.monotonic() + wait
    delay = 0.05
    while True:
        try:
            return _open(target, read_only)
        except duckdb.Error as exc:
            if not _transient(exc):
                raise problem(exc, target) from exc
            if time.monotonic() + delay > deadline:
                raise DatabaseBusy(
                    f"the database {target} is in use by another program (an import or the app); try again shortly"
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        except OSError as exc:
            raise problem(exc, target) from exc


# Worth waiting for: another process's lock on the file, or (within this process) DuckDB still closing the
# database instance another thread has just let go of while this one opens it ("unique file handle conflict").
_IN_USE = ("unique file handle conflict", "is already attached by database")


def _transient(exc: BaseException) -> bool:
    text = str(exc).lower()
    return (isinstance(exc, duckdb.IOException) and "lock" in text) or any(t in text for t in _IN_USE)


class DatabaseProblem(RuntimeError):
    """The database file cannot be used as it is; the message says why and what to do (no traceback)."""


class DatabaseBusy(DatabaseProblem):
    """Another process holds the database file's lock for longer than we would wait."""


_NO_ROOM = ("no space left", "file too large", "disk quota", "errno 28", "errno 27")
_READ_ONLY = ("permission denied", "read-only file system", "operation not permitted", "cannot open file")
_CORRUPT = ("not a valid duckdb database", "corrupt", "checksum", "serializ", "invalid block")


def explain(exc: BaseException, path: str | os.PathLike | None = None) -> str | None:
    """What went wrong with the database file and what to do, for a person; None for other failures.

    Looks down the chain of exceptions too: a failed write is often reported as the rollback that followed it.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        message = _explain_one(exc, path)
        if message:
            return message
        exc = exc.__cause__ or exc.__context__
    return None


def _explain_one(exc: BaseException, path: str | os.PathLike | None) -> str | None:
    if isinstance(exc, DatabaseProblem):
        return str(exc)
    target = db_path(path)
    text = f"{exc.__class__.__name__} {exc}".lower()
    errno = getattr(exc, "errno", None)
    if errno in (27, 28, 122) or any(w in text for w in _NO_ROOM):
        return (
            f"there is no room left on the disk holding {target}: nothing was changed. Free some space "
            f"(old copies are kept in {backup_dir(target)}) and run it again."
        )
    if errno in (1, 13, 30) or any(w in text for w in _READ_ONLY):
        return (
            f"the database {target} cannot be written (the file or its folder is read-only): give the account "
            "that runs the dashboard read and write permission on both, then try again."
        )
    if any(w in text for w in _CORRUPT):
        return (
            f"the database {target} is damaged and cannot be read: put back the last good copy with "
            f"`python -m data restore --db {target}` (see the copies with `python -m data restore --list`)."
        )
    return None


def problem(exc: BaseException, target: Path) -> BaseException:
    """A ``DatabaseProblem`` saying what to do where ``explain`` knows the failure, else ``exc`` itself."""
    message = explain(exc, target)
    return DatabaseProblem(message) if message else exc


def missing_message(path: str | os.PathLike | None = None) -> str:
    """For a reader pointed at a file that is not there."""
    return (
        f"no database at {db_path(path)}: import registers first (`python -m data import FILE ... --school URN`), "
        "put back a copy (`python -m data restore`), or pass --db"
    )


def backup_dir(path: str | os.PathLike | None = None) -> Path:
    """Where the copies taken before each import are kept: ``<db>.backups/`` beside the file."""
    target = db_path(path)
    return target.with_name(f"{target.name}.backups")


def _duckdb(target: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(target), read_only=read_only)
    # No progress bar on long statements (rebuilding a trust's on-roll registers): it would print
    # into the app's log and the command line's output.
    con.execute("SET enable_progress_bar = false")
    return con


def _open(target: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    if not target.exists():
        _create_private(target)
        con = _duckdb(target)
        ensure_schema(con)
        con.close()
    con = _duckdb(target, read_only)
    if not read_only:
        ensure_schema(con)
    elif needs_migration(con):
        # A file written by an older version: migrate it once with a brief writable connection.
        con.close()
        con = _duckdb(target)
        try:
            ensure_schema(con)
        finally:
            con.close()
        con = _duckdb(target, read_only=True)
    return con


@contextmanager
def connection(path: str | os.PathLike | None = None, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for a ``with`` block, holding the reader lock: an import never swaps the file under it."""
    target = db_path(path)
    hold = reader_lock(target)
    try:
        con = connect(target, read_only=read_only)
        try:
            yield con
        finally:
            con.close()
    finally:
        hold.release()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All of the block's writes or none: BEGIN, then COMMIT; on any failure ROLLBACK and the error goes on."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def reader_lock(path: str | os.PathLike | None = None) -> locks.ReaderLock:
    """Held while a connection to the file is open (the app per page run; ``connection`` takes its own)."""
    target = db_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return locks.reader_lock(target)


def import_lock(path: str | os.PathLike | None = None, wait: float | None = None):
    """One writer of the registers at a time: imports, restores and changes to the schools take it."""
    return locks.import_lock(
        db_path(path), wait, on_wait=lambda: print("Waiting for another import to finish ...", file=sys.stderr)
    )


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables, migrate an older file, and (re)load the code table from the shipped CSV.

    The app opens a connection for every page run, so a file already set up
    by this version of schema.sql (its digest is in ``settings``) is left alone.
    """
    digest = _current_digest()
    if _schema_digest(con) == digest:
        return
    con.execute(SCHEMA_SQL.read_text())
    _add_enrolment_ids(con)
    if con.execute("SELECT count(*) FROM codes").fetchone()[0] == 0:
        load_codes(con)
    # A file from before the on-roll registers existed, or from an older definition of them.
    on_roll.refresh(con)
    con.execute("INSERT OR REPLACE INTO settings VALUES ('schema_sha256', ?)", [digest])


@functools.cache
def _current_digest() -> str:
    """What a file set up by this version records: the schema and the on-roll registers' definition.

    Read once per process: every page run opens a connection and compares it.
    """
    return hashlib.sha256(f"{SCHEMA_SQL.read_text()}\n-- on_roll {on_roll.VERSION}".encode()).hexdigest()


def _schema_digest(con: duckdb.DuckDBPyConnection) -> str | None:
    try:
        row = con.execute("SELECT value FROM settings WHERE key = 'schema_sha256'").fetchone()
    except duckdb.CatalogException:  # a new or pre-settings file
        return None
    return row[0] if row else None


MARK_TABLES = ("session_marks", "lesson_marks")


def _missing_enrolment_id(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables of an older file that lack the ``enrolment_id`` column."""
    have = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND column_name = 'enrolment_id'"
        ).fetchall()
    }
    return [t for t in ("enrolments", *MARK_TABLES) if t not in have]


def needs_migration(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file was set up by an older version (read-only connections cannot bring it up to date).

    An older file records another digest, or none: that covers a missing ``enrolment_id`` column too.
    """
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
    return "enrolments" in tables and _schema_digest(con) != _current_digest()


def _add_enrolment_ids(con: duckdb.DuckDBPyConnection) -> None:
    """Migrate a file made before enrolments had an integer id: number them, then label every mark.

    Idempotent: a table that already has the column is left alone.
    """
    missing = _missing_enrolment_id(con)
    if not missing:
        return
    if "enrolments" in missing:
        # The column default numbers the existing rows from the sequence, one each.
        con.execute("ALTER TABLE enrolments ADD COLUMN enrolment_id BIGINT DEFAULT nextval('enrolment_id_seq')")
    for table in MARK_TABLES:
        if table in missing:
            con.execute(f"ALTER TABLE {table} ADD COLUMN enrolment_id BIGINT")
    link_marks(con)


def link_marks(con: duckdb.DuckDBPyConnection, school_id: str | None = None) -> None:
    """Give every mark still without an enrolment id the id of its enrolment, where one now exists.

    Marks are written with their id when their enrolment exists; this catches the
    rest (an older file, or a pupils file imported after the marks it enrols).
    """
    school = "AND m.school_id = ?" if school_id is not None else ""
    for table in MARK_TABLES:
        con.execute(
            f"""UPDATE {table} m SET enrolment_id = e.enrolment_id FROM enrolments e
                WHERE m.enrolment_id IS NULL {school}
                  AND e.school_id = m.school_id AND e.upn = m.upn AND e.academic_year = m.academic_year""",
            [school_id] if school_id is not None else [],
        )


def load_codes(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM codes")
    con.execute(
        """
        INSERT INTO codes
        SELECT code, meaning, category,
               counts_as_possible_session, counts_as_attendance,
               in_force, dfe_statistics_column
        FROM read_csv(?, header = true, all_varchar = false, quote = '"',
                      types = {'code': 'VARCHAR', 'counts_as_possible_session': 'BOOLEAN',
                               'counts_as_attendance': 'BOOLEAN'})
        """,
        [str(CODES_CSV)],
    )


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when no school has any marks yet."""
    return con.execute("SELECT count(*) FROM session_marks").fetchone()[0] == 0


def data_version(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> tuple:
    """A cheap fingerprint of the registers: it changes when an import, a deletion or a new school changes them.

    The dashboard keys its cached results on it, so an import made by another
    process (the command line, a scheduled job) is seen without a restart.
    The audit log and user tables are left out: they change on every page view.
    ``catalog`` reads an attached database instead (an import compares the file it copied).
    """
    c = f'"{catalog}".' if catalog else ""
    return con.execute(
        f"""SELECT (SELECT count(*) FROM {c}session_marks), (SELECT count(*) FROM {c}lesson_marks),
                  (SELECT count(*) FROM {c}enrolments), (SELECT count(*) FROM {c}pupils),
                  (SELECT count(*) FROM {c}calendar), (SELECT count(*) FROM {c}schools),
                  (SELECT coalesce(max(import_id), 0) FROM {c}import_log)"""
    ).fetchone()


def academic_year_of(d) -> int:
    """The academic year (1 September to 31 August) a date falls in, by its start year."""
    return d.year if d.month >= 9 else d.year - 1


def academic_year_label(year: int) -> str:
    """2025 -> '2025/26', as schools and the DfE write it."""
    return f"{year}/{(year + 1) % 100:02d}"


def parse_academic_year(text: str) -> int:
    """'2025/26', '2025-26', '2025-2026' or '2025' -> 2025."""
    head = str(text).strip().replace("-", "/").split("/")[0]
    if not head.isdigit() or len(head) != 4:
        raise ValueError(f"not an academic year: {text!r} (expected e.g. 2025/26)")
    return int(head)


def settle(path: str | os.PathLike | None = None) -> None:
    """Fold a write-ahead log left by a program that stopped mid-write into the file, so the file alone is whole.

    Called with no connection open (under ``locks.swap_lock``) before the file is copied or replaced.
    """
    target = db_path(path)
    if target.with_name(f"{target.name}.wal").exists():
        con = _duckdb(target)
        try:
            con.execute("CHECKPOINT")
        finally:
            con.close()

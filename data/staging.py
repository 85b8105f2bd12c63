"""Imports that never lock readers out: the work is done on a copy, swapped in at the end.

    with staging.staged_import(path) as con:
        result = importer.import_files(con, files, school_id=...)

1. Under the swap lock (no connection to the file open) the database is copied
   beside itself (``<db>.importing``), after checking there is room for it.
2. The import runs on the copy: all the reading, checking and writing. The app
   and ``python -m analytics`` keep answering from the file as it was, and the
   app keeps writing its small rows (audit entries, sign-ins, interventions,
   settings, saved column mappings) to it.
3. Under the swap lock again, the rows the app wrote meanwhile are carried into
   the copy (``APP_TABLES``), the file as it was becomes the newest backup (a
   hard link), and the copy replaces it with one ``os.replace``: a reader sees
   the registers as they were or as they are after, never half.

A killed import leaves only its copy behind (removed by the next import); an
exception inside the block discards the copy. Two imports never race: the whole
thing holds ``locks.import_lock``. Why this design rather than a separate state
file: docs/ARCHITECTURE.md, "Imports and readers".
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from data import backups, db, locks

# Tables the app writes beside an import, by key: rows added, changed or deleted in the original while
# the import ran are carried into the copy before it is swapped in. The audit log is append-only.
APP_TABLES: dict[str, str | tuple[str, ...]] = {  # table -> its key (one column, or several)
    "users": "email",
    "settings": "key",
    "column_mappings": "signature",
    "interventions": "intervention_id",
    "audit_log": "entry_id",
    "letter_templates": ("school_id", "kind", "language"),
    "school_actions": "action_id",
}
SEQUENCES = {
    "interventions": "intervention_id_seq",
    "audit_log": "audit_log_seq",
    "school_actions": "school_action_seq",
}
APPEND_ONLY = {"audit_log"}
ROOM_MARGIN = 64 * 2**20  # bytes beyond the copy itself: DuckDB's own working space while it writes


class ImportConflict(db.DatabaseProblem):
    """The registers in the original changed while the import ran (an erasure, a purge): nothing was imported."""


@dataclass
class _Snapshot:
    version: tuple
    rows: dict[str, dict] = field(default_factory=dict)  # table -> key -> row, as the copy was taken
    last_entry: int = 0  # the audit log's highest entry id then


def stage_path(target: Path) -> Path:
    return target.with_name(f"{target.name}.importing")


def _remove(path: Path) -> None:
    for p in (path, path.with_name(f"{path.name}.wal")):
        p.unlink(missing_ok=True)


def _check_room(target: Path, extra_bytes: int) -> None:
    need = target.stat().st_size + extra_bytes + ROOM_MARGIN
    free = shutil.disk_usage(target.parent).free
    if free < need:
        raise db.DatabaseProblem(
            f"not enough free disk space beside {target}: an import works on a copy of the database and needs "
            f"about {need / 2**20:,.0f} MB, {free / 2**20:,.0f} MB is free. Nothing was changed: free some space "
            f"(old copies are kept in {db.backup_dir(target)}) and run it again."
        )


def _key(table: str, alias: str = "") -> str:
    """The table's key as one SQL value: its column, or its columns joined (a composite key)."""
    columns = APP_TABLES[table]
    prefix = f"{alias}." if alias else ""
    if isinstance(columns, str):
        return prefix + columns
    return "concat_ws(chr(31), " + ", ".join(prefix + c for c in columns) + ")"


def _rows(con: duckdb.DuckDBPyConnection, table: str, catalog: str = "main") -> dict:
    cur = con.execute(f'SELECT {_key(table)} AS carry_key, * FROM "{catalog}".{table}')
    return {row[0]: row[1:] for row in cur.fetchall()}


def _snapshot(con: duckdb.DuckDBPyConnection) -> _Snapshot:
    snap = _Snapshot(db.data_version(con))
    for table in APP_TABLES:
        if table in APPEND_ONLY:
            snap.last_entry = con.execute(f"SELECT coalesce(max(entry_id), 0) FROM {table}").fetchone()[0]
        else:
            snap.rows[table] = _rows(con, table)
    return snap


def _advance(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Move the table's id sequence past every stored id (rows were carried over with their ids)."""
    seq, key = SEQUENCES[table], APP_TABLES[table]
    top = con.execute(f"SELECT coalesce(max({key}), 0) FROM {table}").fetchone()[0]
    nxt = con.execute(f"SELECT nextval('{seq}')").fetchone()[0]
    if nxt < top:
        con.execute(f"SELECT max(nextval('{seq}')) FROM range({top - nxt})").fetchone()


def _insert(con: duckdb.DuckDBPyConnection, table: str, keys: list) -> None:
    """Copy rows of the original into the copy; a new row whose id the import has used takes the next id."""
    key, o_key = _key(table), _key(table, "o")
    if not keys:
        return
    con.execute("CREATE OR REPLACE TEMP TABLE carried_keys (k VARCHAR, taken BOOLEAN)")
    con.executemany("INSERT INTO carried_keys VALUES (?, FALSE)", [[str(k)] for k in keys])
    # Which ids the copy already holds is settled before anything is inserted.
    con.execute(f"UPDATE carried_keys SET taken = TRUE WHERE k IN (SELECT ({key})::VARCHAR FROM main.{table})")
    src = f"FROM original.{table} o JOIN carried_keys c ON c.k = ({o_key})::VARCHAR"
    con.execute(f"INSERT INTO main.{table} BY NAME SELECT o.* {src} WHERE NOT c.taken ORDER BY {o_key}")
    if table in SEQUENCES:
        _advance(con, table)
        con.execute(f"INSERT INTO main.{table} BY NAME SELECT o.* EXCLUDE ({key}) {src} WHERE c.taken ORDER BY {o_key}")
    con.execute("DROP TABLE carried_keys")


def _carry_app_writes(con: duckdb.DuckDBPyConnection, target: Path, snap: _Snapshot) -> None:
    """Bring what the app wrote to the original since the copy into the copy, in one transaction."""
    quoted = str(target).replace("'", "''")
    con.execute(f"ATTACH '{quoted}' AS original (READ_ONLY)")
    try:
        if db.data_version(con, "original") != snap.version:
            raise ImportConflict(
                f"the registers in {target} changed while this import ran (a pupil erased, years purged or "
                "another load): nothing was imported. Run the import again."
            )
        con.execute("BEGIN TRANSACTION")
        for table, key in APP_TABLES.items():
            if table in APPEND_ONLY:
                new = [
                    r[0]
                    for r in con.execute(
                        f"SELECT {key} FROM original.{table} WHERE {key} > ? ORDER BY {key}", [snap.last_entry]
                    ).fetchall()
                ]
                _insert(con, table, new)
                continue
            before, now = snap.rows[table], _rows(con, table, "original")
            changed = [k for k, row in now.items() if before.get(k) != row]
            gone = [k for k in before if k not in now]
            for k in [*gone, *(k for k in changed if k in before)]:
                con.execute(f"DELETE FROM main.{table} WHERE {_key(table)} = ?", [k])
            if table not in SEQUENCES:  # a key the import also wrote (a saved mapping): the app's latest wins
                for k in changed:
                    con.execute(f"DELETE FROM main.{table} WHERE {_key(table)} = ?", [k])
            _insert(con, table, changed)
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:  # the failure came before the transaction began
            pass
        raise
    finally:
        con.execute("DETACH original")


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def staged_import(path: str | os.PathLike | None = None, extra_bytes: int = 0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection to a copy of the database, swapped in when the block ends without an exception.

    ``extra_bytes``: what the import may add (the size of its files), for the free-space check.
    Raises ``db.DatabaseProblem`` (a sentence with what to do) for a full disk, a read-only or damaged
    file, and ``ImportConflict`` when the registers changed underneath. Nothing changes in either case.
    """
    target = db.db_path(path)
    stage = stage_path(target)
    with db.import_lock(target):
        _remove(stage)  # left by an import that was killed
        if not target.exists():
            db.connect(target).close()  # a new store: created with its schema, then imported into like any other
        try:
            with open(target, "r+b"):  # a read-only file or folder is found now, before any work is done
                pass
            with locks.swap_lock(target):
                db.settle(target)
                _check_room(target, extra_bytes)
                shutil.copyfile(target, stage)
                os.chmod(stage, 0o600)
        except OSError as exc:
            _remove(stage)
            raise db.problem(exc, target) from exc
        con = db.connect(stage)
        try:
            snap = _snapshot(con)
            yield con
            if db.data_version(con) == snap.version:  # refused, or nothing new: the original stands
                return
            with locks.swap_lock(target):
                db.settle(target)
                _carry_app_writes(con, target, snap)
                con.execute("CHECKPOINT")
                con.close()
                backups.keep(target)
                with open(stage, "rb+") as fh:
                    os.fsync(fh.fileno())
                os.replace(stage, target)
                _fsync_dir(target.parent)
        except OSError as exc:
            raise db.problem(exc, target) from exc
        finally:
            con.close()
            _remove(stage)

"""Copies of the database taken before each import, the last few kept, and putting one back.

Each import swaps a finished copy in (``data.staging``); the file it replaces
becomes the newest backup at no cost (a hard link, not a copy). They live in
``<db>.backups/`` beside the database, readable by the owner only.

    python -m data restore --list          # the copies, newest first
    python -m data restore [--db PATH]     # put back the newest copy (the current file is kept as a copy too)
    python -m data restore NAME            # put back that copy
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from data import db, locks

KEEP = 5  # imports back: a week of nightly imports is the usual question ("what did it look like on Monday?")


def backups(path: str | os.PathLike | None = None) -> list[Path]:
    """The kept copies, newest first."""
    folder = db.backup_dir(path)
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.glob("*.duckdb") if p.is_file()), key=lambda p: p.name, reverse=True)


def keep(path: str | os.PathLike | None = None, reason: str = "before-import") -> Path | None:
    """Keep the database file as it is now as the newest copy, and drop all but the last ``KEEP``.

    A hard link where the file system allows it (the file is about to be replaced, not changed).
    Called with the file closed and no connection open to it (under ``locks.swap_lock``).
    """
    target = db.db_path(path)
    if not target.exists():
        return None
    folder = db.backup_dir(target)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    copy = folder / f"{target.stem}-{stamp}-{reason}.duckdb"
    try:
        os.link(target, copy)
    except OSError:
        shutil.copyfile(target, copy)
        os.chmod(copy, 0o600)
    for old in backups(target)[KEEP:]:
        old.unlink(missing_ok=True)
    return copy


def _check(copy: Path) -> None:
    """Refuse a copy DuckDB cannot read, before it replaces anything."""
    try:
        duckdb.connect(str(copy), read_only=True).execute("SELECT count(*) FROM schools").fetchone()
    except duckdb.Error as exc:
        raise db.DatabaseProblem(f"the copy {copy} cannot be read ({exc.__class__.__name__}): choose another") from exc


def restore(path: str | os.PathLike | None = None, name: str | None = None) -> Path:
    """Put back a kept copy (the newest, or the one named); the current file is kept first. Returns the copy used."""
    target = db.db_path(path)
    kept = backups(target)
    if name:
        chosen = [p for p in kept if p.name == name or p.name == Path(name).name or str(p) == name]
        if not chosen and Path(name).is_file():
            chosen = [Path(name)]
        if not chosen:
            raise db.DatabaseProblem(f"no copy called {name!r} in {db.backup_dir(target)}: see --list")
        copy = chosen[0]
    elif kept:
        copy = kept[0]
    else:
        raise db.DatabaseProblem(f"there are no copies of {target} in {db.backup_dir(target)}")
    _check(copy)
    with db.import_lock(target), locks.swap_lock(target):
        incoming = target.with_name(f"{target.name}.restoring")
        shutil.copyfile(copy, incoming)
        os.chmod(incoming, 0o600)
        if target.exists():
            db.settle(target)
            keep(target, reason="before-restore")
        os.replace(incoming, target)
    return copy


def cli(args) -> int:
    """``python -m data restore [NAME] [--list] [--db PATH]``: 0 done, 2 nothing to restore or a bad copy."""
    if args.list:
        kept = backups(args.db)
        if not kept:
            print(f"No copies in {db.backup_dir(args.db)}.")
        for p in kept:
            print(f"{p.name}  {p.stat().st_size / 1e6:,.1f} MB")
        return 0
    try:
        copy = restore(args.db, args.backup)
    except db.DatabaseProblem as exc:
        print(f"python -m data restore: {exc}", file=sys.stderr)
        return 2
    print(f"Restored {db.db_path(args.db)} from {copy.name}; the file it replaced is kept in {copy.parent}.")
    return 0

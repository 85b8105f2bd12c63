"""The file locks that let imports run beside the dashboard (see docs/ARCHITECTURE.md, "Imports and readers").

Three lock files sit beside the database (``<db>.import.lock``, ``.gate.lock``,
``.swap.lock``), taken with ``fcntl.flock`` so the kernel frees them when a
process dies, however it dies:

- ``import_lock``: one import (or restore, or change to the schools) at a time;
  held for the whole import, which works on a copy of the file.
- ``reader_lock``: held by every connection to the database file itself (a page
  run, a command-line reader) while it is open; shared, so any number at once.
- ``swap_lock``: exclusive: taken by an import only to copy the file and, at the
  end, to carry over what the app wrote meanwhile and swap the copy in. Waits for
  the open connections to finish; new ones wait at the gate for the (short) swap
  rather than starving it.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def lock_file(db_file: Path, name: str) -> Path:
    return db_file.with_name(f"{db_file.name}.{name}.lock")


def _open(path: Path) -> int | None:
    """A descriptor for the lock file, or None where it cannot be made (a read-only folder: no writer there)."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None


class ReaderLock:
    """A shared hold on the database file, released by ``release()`` (idempotent)."""

    def __init__(self, db_file: Path):
        self._fd = _open(lock_file(db_file, "swap"))
        if self._fd is None:
            return
        gate = _open(lock_file(db_file, "gate"))
        try:
            if gate is not None:
                fcntl.flock(gate, fcntl.LOCK_SH)  # waits while an import is swapping its copy in
            fcntl.flock(self._fd, fcntl.LOCK_SH)
        finally:
            if gate is not None:
                os.close(gate)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor drops the flock

    def __del__(self) -> None:  # a hold whose owner is gone (a finished thread's locals) must not outlive it
        self.release()


def reader_lock(db_file: Path) -> ReaderLock:
    return ReaderLock(Path(db_file))


@contextmanager
def swap_lock(db_file: Path) -> Iterator[None]:
    """Exclusive use of the database file: no connection to it is open while this is held."""
    db_file = Path(db_file)
    gate = os.open(lock_file(db_file, "gate"), os.O_RDWR | os.O_CREAT, 0o600)
    swap = os.open(lock_file(db_file, "swap"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(gate, fcntl.LOCK_EX)  # new connections now wait here ...
        fcntl.flock(swap, fcntl.LOCK_EX)  # ... while the open ones finish
        yield
    finally:
        os.close(swap)
        os.close(gate)


class ImportRunning(RuntimeError):
    """Another import holds the database for longer than the caller would wait."""


@contextmanager
def import_lock(db_file: Path, wait: float | None = None, on_wait=None) -> Iterator[None]:
    """One import at a time. Waits ``wait`` seconds (None: as long as it takes), calling ``on_wait()`` once."""
    db_file = Path(db_file)
    db_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file(db_file, "import"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = None if wait is None else time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() > deadline:
                    raise ImportRunning(
                        f"another import into {db_file} is running: try again when it has finished"
                    ) from None
                if not told and on_wait is not None:
                    on_wait()
                    told = True
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)

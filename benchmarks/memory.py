"""Peak memory of a piece of work, measured in a fresh process.

``peak_rss_mb(fn, *args)`` runs ``fn(*args)`` in a newly spawned Python
process (nothing inherited from this one) and returns its result with the
process's peak resident set size in megabytes: everything the work held at
once, DuckDB's buffers included. Benchmarks compare it with the peak of a bare
step run the same way, so the ratio says what the work adds over merely
starting Python and reading the data.
"""

from __future__ import annotations

import multiprocessing
import resource
from collections.abc import Callable
from pathlib import Path


def _child(queue, fn: Callable, args: tuple) -> None:
    try:
        result = fn(*args)
        error = None
    except Exception as exc:  # reported to the parent, which raises it
        result, error = None, f"{exc.__class__.__name__}: {exc}"
    queue.put((result, _peak_kb() / 1024, error))


def _peak_kb() -> float:
    """This process's own peak resident size (VmHWM). Not ``getrusage``'s ru_maxrss: on Linux that keeps the
    parent's peak across fork and exec, so a spawned child would report the benchmark runner's memory."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # elsewhere: the best there is


def peak_rss_mb(fn: Callable, *args) -> tuple[object, float]:
    """``(fn(*args), peak resident megabytes)`` from a fresh process. ``fn`` must be importable (module level)."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(queue, fn, args))
    process.start()
    result, peak, error = queue.get()
    process.join()
    if error:
        raise RuntimeError(f"{getattr(fn, '__name__', fn)} failed in its process: {error}")
    return result, round(peak, 1)

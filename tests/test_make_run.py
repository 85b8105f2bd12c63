"""`make run` serves a healthy app on the sample school (issue: the two commands work)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from data import db

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 180


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except OSError:
        return False


@pytest.mark.xdist_group("server")
def test_make_run_serves_a_healthy_app_with_the_sample_school(sample_db, tmp_path):
    if not (ROOT / ".venv" / ".installed").exists():
        pytest.skip("run through `make test`, which sets up .venv first")
    database = tmp_path / "run.duckdb"
    shutil.copy(sample_db, database)  # load-sample --if-empty then leaves it as it is
    port = _free_port()
    log = (tmp_path / "make_run.log").open("w")
    env = {k: v for k, v in os.environ.items() if k not in ("ATTENDANCE_DB", "MAKEFLAGS", "MFLAGS")}
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}", f"DB={database}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _healthy(f"http://127.0.0.1:{port}"):
            assert proc.poll() is None, (tmp_path / "make_run.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the app did not become healthy"
            time.sleep(1)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    with db.connection(database, read_only=True) as con:
        assert con.execute("SELECT bool_and(is_sample), count(*) FROM schools").fetchone() == (True, 1)
        assert con.execute("SELECT count(*) FROM session_marks").fetchone()[0] > 1_000_000

"""Imports beside readers and writers, and the faults they survive (data/staging.py, data/backups.py).

Real subprocesses on real files: an import killed with ``kill -9``, a reader and an
audit entry during a long import, a file that is damaged, read-only, missing, or on a
full disk (the file-size limit of the importing process).
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from analytics import measures
from analytics.__main__ import main as analytics_main
from analytics.filters import Filter
from data import audit, backups, db, letter_templates, school_actions, staging, users
from data.__main__ import main as data_main
from tests import trust_files

ROOT = Path(__file__).resolve().parents[1]
BIG_PUPILS = 120  # a year of sessions for 120 pupils (45,600 marks): an import of a few seconds


def digest(path: Path) -> dict[str, str]:
    """Every table's rows, as one hash each."""
    with db.connection(path, read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {
            t: con.execute(
                f"SELECT md5(coalesce(string_agg(x::VARCHAR, '|' ORDER BY x::VARCHAR), '')) FROM {t} x"
            ).fetchone()[0]
            for t in tables
        }


def write_big(folder: Path, pupils: int = BIG_PUPILS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    days, day = [], date(2025, 9, 1)
    while len(days) < 190:
        if day.isoweekday() <= 5:
            days.append(day)
        day += timedelta(days=1)
    people = folder / "pupils.csv"
    people.write_text(
        "UPN,Surname,Forename,Year Group,Form\n" + "".join(f"B{i:05d},P,{i},9,9A\n" for i in range(pupils))
    )
    marks = folder / "sessions.csv"
    with marks.open("w") as fh:
        fh.write("UPN,Date,Session,Mark\n")
        for i in range(pupils):
            for j, d in enumerate(days):
                for s in ("AM", "PM"):
                    fh.write(f"B{i:05d},{d:%d/%m/%Y},{s},{'I' if (7 * i + j) % 23 == 0 else '/'}\n")
    return [people, marks]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("staging")
    return {"small": trust_files.write(folder / "small"), "big": write_big(folder / "big")}


@pytest.fixture
def base_db(files, tmp_path):
    """One small school already imported."""
    path = tmp_path / "store.duckdb"
    argv = ["import", *map(str, files["small"]["100001"]), "--school", "100001", "--year", "2025/26", "--db", str(path)]
    assert data_main(argv) == 0
    return path


def _import_process(paths: list[Path], db_file: Path, school: str = "200001", **kw) -> subprocess.Popen:
    argv = [sys.executable, "-m", "data", "import", *map(str, paths), "--school", school, "--year", "2025/26"]
    return subprocess.Popen(
        [*argv, "--db", str(db_file)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw
    )


def _wait_for_stage(proc: subprocess.Popen, db_file: Path) -> None:
    """Until the import is writing into its copy (its write-ahead log, or the copy grown past the original)."""
    stage = staging.stage_path(db_file)
    wal = stage.with_name(f"{stage.name}.wal")

    def writing() -> bool:
        try:
            return wal.stat().st_size > 0 or stage.stat().st_size > db_file.stat().st_size
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 120
    while not writing():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_import_killed_part_way_leaves_the_database_as_it_was(files, base_db):
    before = digest(base_db)
    proc = _import_process(files["big"], base_db)
    _wait_for_stage(proc, base_db)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert digest(base_db) == before
    # The next import clears what the killed one left and goes through.
    assert (
        data_main(["import", *map(str, files["big"]), "--school", "200001", "--year", "2025/26", "--db", str(base_db)])
        == 0
    )
    assert not staging.stage_path(base_db).exists()
    assert digest(base_db) != before


def _read(db_file: Path) -> tuple[float, dict]:
    """What ``python -m analytics summary`` does, timed: open with the reader lock, answer, close."""
    start = time.perf_counter()
    with db.connection(db_file, read_only=True) as con:
        figures = measures.summary(con, Filter())
    return time.perf_counter() - start, figures


# A long import: the real command, held for a few seconds after writing its files into its copy (as twenty
# schools' files would hold it), so that a reader waiting for the whole import could not pass for one that did
# not. It says when it is held (a marker file), so the readers are timed against the wait, not against the CPU
# the import shares with them on a small machine.
SLOW_IMPORT = """
import pathlib, sys, time
from data.importer import command_line
from data.__main__ import main
real = command_line.import_files
def slow(*args, **kwargs):
    result = real(*args, **kwargs)
    pathlib.Path(sys.argv[2]).touch()
    time.sleep(float(sys.argv[1]))
    return result
command_line.import_files = slow
sys.exit(main(sys.argv[3:]))
"""


def test_readers_and_app_writes_during_an_import(files, base_db):
    idle = statistics.median(_read(base_db)[0] for _ in range(5))
    before = _read(base_db)[1]

    argv = ["import", *map(str, files["big"]), "--school", "200001", "--year", "2025/26", "--db", str(base_db)]
    held = base_db.with_name("import-held")
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_IMPORT, "3", str(held), *argv],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for_stage(proc, base_db)
    while not held.exists():
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    # The app writes an audit entry while the import runs ...
    with db.connection(base_db) as con:
        audit.record(con, "head@school.example", "view page", role="leader", detail="during the import")
        users.add_user(con, "governor@school.example", "governor", school_ids=("100001",))
        letter_templates.save(con, "head@school.example", "200001", "meeting", "Spotkanie", "{forename}", "Polish")
        school_actions.add(con, "head@school.example", "200001", "First-day calls for Year 9")
    # ... and readers ask for the figures: they answer from the registers as they were, without waiting.
    readings = [_read(base_db) for _ in range(5)]
    still_importing = proc.poll() is None
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    after = _read(base_db)[1]

    assert all(seen in (before, after) for _, seen in readings)  # never half an import
    assert still_importing  # the readers finished before the import did: they did not wait for it
    during = statistics.median(t for t, _ in readings)
    assert during <= 2 * idle, (during, idle)
    assert after["enrolments"] == before["enrolments"] + BIG_PUPILS
    with db.connection(base_db, read_only=True) as con:  # the entry written to the original survived the swap
        entries = audit.entries(con, action="view page")
        account = users.get_account(con, "governor@school.example")
        template = letter_templates.get(con, "200001", "meeting", "Polish")
        plan = list(school_actions.actions(con, ("200001",))["action"])
    assert [e["detail"] for e in entries.to_dict("records")] == ["during the import"]
    assert template is not None and template["subject"] == "Spotkanie"  # a school's wording, keyed on three columns
    assert plan == ["First-day calls for Year 9"]  # and the school's action plan
    assert account is not None and account.role == "governor"  # so did the account


def test_every_import_keeps_a_copy_and_restore_puts_it_back(files, base_db, capsys):
    before = digest(base_db)
    assert (
        data_main(
            [
                "import",
                *map(str, files["small"]["100002"]),
                "--school",
                "100002",
                "--year",
                "2025/26",
                "--db",
                str(base_db),
            ]
        )
        == 0
    )
    assert digest(base_db) != before
    assert len(backups.backups(base_db)) == 2  # one before each import
    assert data_main(["restore", "--db", str(base_db)]) == 0
    assert digest(base_db) == before
    assert len(backups.backups(base_db)) == 3  # the file the restore replaced is kept too
    for _ in range(backups.KEEP + 2):
        backups.keep(base_db)
    assert len(backups.backups(base_db)) == backups.KEEP


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["summary", "import"])
def test_damaged_file_says_restore(files, tmp_path, capsys, command):
    path = tmp_path / "damaged.duckdb"
    path.write_bytes(b"not a database " * 1000)
    if command == "summary":
        code = analytics_main(["summary", "--db", str(path)])
    else:
        code = data_main(["import", *map(str, files["small"]["100001"]), "--school", "1", "--db", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "damaged" in err and "python -m data restore" in err
    assert path.read_bytes() == b"not a database " * 1000


def test_missing_file_says_import_first(tmp_path, capsys):
    assert analytics_main(["summary", "--db", str(tmp_path / "nothing.duckdb")]) == 2
    assert "no database at" in capsys.readouterr().err
    assert not (tmp_path / "nothing.duckdb").exists()


def test_read_only_file_says_so(files, base_db, capsys):
    before = digest(base_db)
    if os.geteuid() == 0:  # root writes through permissions: make the file immutable instead
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(base_db)]).returncode != 0:
            pytest.skip("cannot make a file read-only for root here")
    else:
        base_db.chmod(0o400)
    try:
        code = data_main(["import", *map(str, files["small"]["100002"]), "--school", "100002", "--db", str(base_db)])
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(base_db)], check=True)
        base_db.chmod(0o600)
    err = capsys.readouterr().err
    assert code == 2 and "cannot be written" in err, err
    assert digest(base_db) == before


def test_full_disk_says_free_space_and_changes_nothing(files, base_db):
    before = digest(base_db)
    limit = base_db.stat().st_size + 256 * 1024  # room for the copy, not for the marks

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = _import_process(files["big"], base_db, preexec_fn=small_disk)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, (out, err)
    _no_traceback(err)
    assert "no room left on the disk" in err
    assert digest(base_db) == before
    assert not staging.stage_path(base_db).exists()


def test_threads_opening_and_closing_the_file_at_once_never_fail(tmp_path):
    """Page runs, a download's worker thread and the warm-up each open the file and close it again.

    DuckDB refuses a connection while another thread's last one is still closing the shared database
    instance ("unique file handle conflict": 11 of 1,200 plain ``duckdb.connect`` calls in three threads
    failed so); ``db.connect`` waits that moment out as it waits for another process's lock.
    """
    import threading

    path = tmp_path / "shared.duckdb"
    db.connect(path).close()
    failures: list[str] = []

    def open_and_close():
        for _ in range(200):
            try:
                con = db.connect(path)
                con.execute("SELECT 1").fetchone()
                con.close()
            except Exception as exc:  # any failure at all is the test's finding
                failures.append(repr(exc))

    threads = [threading.Thread(target=open_and_close) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []

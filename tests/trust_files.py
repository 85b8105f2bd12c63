"""Three small schools as MIS exports, with hand-checked figures (tests/test_trust.py, the browser test).

Ten school days from Monday 1 September 2025: 20 sessions per pupil. A pupil
with ``k`` absences is ill (I) for their first ``k`` sessions and present after.

| URN    | school         | phase     | LA                  | pupils | absences per pupil    | absent / possible |
|--------|----------------|-----------|---------------------|--------|-----------------------|-------------------|
| 100001 | Ash Academy    | secondary | E09000030 (T. Hamlets) | 10  | 0, 2, 4, ... 18       | 90 / 200          |
| 100002 | Beech Primary  | primary   | 335 (Walsall)       | 5      | 1 each                | 5 / 100           |
| 100003 | Cedar School   | secondary | (none)              | 4      | 10, 10, 0, 20         | 40 / 80           |

Persistent absence (10%+, 2 or more of 20): 9, 0, 3. Severe (50%+, 10 or more): 5, 0, 3.
Ash's FSM pupils are the odd ones: 50 of 100 sessions missed against 40 of 100, a gap of 10 points.
Trust-wide: 135 / 380 sessions, 19 enrolments, 12 persistent, 8 severe.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from data.__main__ import main as data_main

SCHOOLS = {
    "100001": ("Ash Academy", "secondary", "E09000030", "Tower Hamlets", 7, [2 * i for i in range(10)]),
    "100002": ("Beech Primary", "primary", "335", "Walsall", 3, [1] * 5),
    "100003": ("Cedar School", "secondary", "", "", 8, [10, 10, 0, 20]),
}
EXPECTED = {  # URN: (enrolments, possible, absent, persistent, severe)
    "100001": (10, 200, 90, 9, 5),
    "100002": (5, 100, 5, 0, 0),
    "100003": (4, 80, 40, 3, 3),
}
TRUST = (19, 380, 135, 12, 8)


def school_days(count: int = 10) -> list[date]:
    day, out = date(2025, 9, 1), []
    while len(out) < count:
        if day.isoweekday() <= 5:
            out.append(day)
        day += timedelta(days=1)
    return out


def write(folder: Path) -> dict[str, list[Path]]:
    """Each school's pupils and sessions files, and ``schools.csv`` naming all three."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "schools.csv").write_text(
        "URN,School name,Phase,LA code,LA name,Trust\n"
        + "".join(f"{u},{n},{p.capitalize()},{c},{la},Oak Trust\n" for u, (n, p, c, la, _, _) in SCHOOLS.items())
    )
    files = {}
    for urn, (_, _, _, _, year_group, absences) in SCHOOLS.items():
        pupils = folder / f"pupils_{urn}.csv"
        pupils.write_text(
            "UPN,Surname,Forename,Year Group,Form,FSM,SEN\n"
            + "".join(
                f"P{urn}{i:02d},Pupil,{i},{year_group},{year_group}A,{'Y' if i % 2 else 'N'},N\n"
                for i in range(len(absences))
            )
        )
        lines = ["UPN,Date,Session,Mark"]
        for i, k in enumerate(absences):
            n = 0
            for day in school_days():
                for session in ("AM", "PM"):
                    lines.append(f"P{urn}{i:02d},{day:%d/%m/%Y},{session},{'I' if n < k else '/'}")
                    n += 1
        sessions = folder / f"sessions_{urn}.csv"
        sessions.write_text("\n".join(lines) + "\n")
        files[urn] = [pupils, sessions]
    return files


def write_database(folder: Path) -> Path:
    """The files written to ``folder`` and imported as the command line does: the schools file, then each
    school's exports with ``--school``. Returns the database's path."""
    files = write(folder)
    path = folder / "trust.duckdb"
    assert data_main(["schools", "load", str(folder / "schools.csv"), "--db", str(path)]) == 0
    for urn, paths in files.items():
        assert data_main(["import", *map(str, paths), "--school", urn, "--year", "2025/26", "--db", str(path)]) == 0
    return path

"""Writing a checked batch in one transaction, and recording every attempt in the import log.

Pupils are upserted; marks with the same key (school, pupil, date, session) or
(school, pupil, date, period) are deleted and re-inserted, so re-importing an
overlapping export replaces rather than adds. A refused batch changes no
register data: its import-log rows are written after the rollback, in their
own small transaction.
"""

from __future__ import annotations

from data import calendar as school_calendar
from data import db, on_roll
from data.importer import identities, intervention_log, pupils, term_dates
from data.importer.result import FileOutcome, Problems
from data.importer.staging import ACADEMIC_YEAR_SQL, StagedFile

DEFAULT_SCHOOL = ("school", "My school")
ORDER = ("pupils", "calendar", "sessions", "lessons", "interventions")


def write(
    con, files: list[StagedFile], school: str, new_school: bool, by: str | None, say=lambda _done, _text: None
) -> list[FileOutcome]:
    """Everything in one transaction: all files are written, or none. ``say(fraction, text)`` hears progress."""
    outcomes: dict[int, FileOutcome] = {}
    affected: set[int] = set()
    enrolled: set[int] = set()
    with db.transaction(con):
        if new_school:
            _create_school(con, school, files)
        for n, f in enumerate(sorted(files, key=lambda f: ORDER.index(f.kind))):
            say(0.7 + 0.2 * n / len(files), f"Writing {f.name}")
            if f.kind == "pupils":
                replaced = _write_pupils(con, f, school)
            elif f.kind == "sessions":
                replaced = _write_sessions(con, f, school)
            elif f.kind == "lessons":
                replaced = _replace_marks(
                    con,
                    f,
                    school,
                    "lesson_marks",
                    "period",
                    ["upn", "date", "period", "period_number", "session", "subject", "code", "minutes_late"],
                )
            elif f.kind == "calendar":
                replaced = term_dates.write(con, f, school)
            else:
                replaced = intervention_log.write(con, f, school, by)
            if f.kind in ("sessions", "calendar"):
                affected |= f.years
            if f.kind in ("pupils", "sessions", "lessons"):
                enrolled |= f.years
            year, why = f.year_note or (None, None)
            outcomes[f.index] = FileOutcome(
                f.name, f.kind, f.rows, f.src.sha256, replaced, f.raw.sheet, dict(f.skipped), year, why
            )
        say(0.9, "Updating the terms and the on-roll registers")
        for year in sorted(affected):
            school_calendar.derive_calendar(con, school, year)
        # The years whose marks or enrolments changed: their on-roll registers are rebuilt (a new
        # enrolment or a moved admission or leaving date changes both kinds of marks).
        kinds = {f.kind for f in files}
        changed = [t for k, t in (("sessions", "session_marks"), ("lessons", "lesson_marks")) if k in kinds]
        if enrolled:
            on_roll.refresh(con, school, enrolled, marks=on_roll.TABLES if "pupils" in kinds else changed)
        for f in files:
            o = outcomes[f.index]
            con.execute(
                """INSERT INTO import_log (school_id, file_name, sha256, kind, rows, outcome, message, imported_by)
                   VALUES (?, ?, ?, ?, ?, 'imported', ?, ?)""",
                [school, o.name, o.sha256, o.kind, o.rows, "; ".join(o.notes()) or None, by],
            )
    return [outcomes[f.index] for f in files]


def log_refusal(
    con, attempted: list[tuple[str, str, str | None]], school: str | None, problems: Problems, by: str | None
) -> None:
    """One import-log row per file of a refused batch (name, why), in its own transaction.

    ``attempted``: (file name, sha256 or '', kind or None). No register data is touched.
    """
    total = problems.count
    rows = []
    for name, sha, kind in attempted:
        own = problems.of_file(name)
        if own:
            first = own[0]
            more = len(own) - 1 if total == len(problems.items) else None
            reason = str(first).removeprefix(f"{name}, ").removeprefix(f"{name}: ")
            reason = f"refused: {reason}" + (f" (and {more:,} more)" if more else "")
        elif problems.items and problems.items[0].file is None:
            reason = f"refused: {problems.items[0].message}"  # the request itself (the year, the school)
        elif problems.items:
            reason = "refused with its batch: another file had problems"
        else:
            reason = "refused"
        rows.append([school, name, sha, kind, reason, by])
    if not rows:
        rows.append(
            [school, "(no file)", "", None, f"refused: {problems.items[0]}" if problems.items else "refused", by]
        )
    with db.transaction(con):
        con.executemany(
            """INSERT INTO import_log (school_id, file_name, sha256, kind, rows, outcome, message, imported_by)
               VALUES (?, ?, ?, ?, NULL, 'refused', ?, ?)""",
            rows,
        )


def _create_school(con, school: str, files: list[StagedFile]) -> None:
    years = [
        r[0]
        for f in files
        if f.kind == "pupils" and f.col("year_group")
        for r in con.execute(f"SELECT max(year_group) FROM {f.stage}").fetchall()
        if r[0] is not None
    ]
    phase = "primary" if years and max(years) < 7 else "secondary"
    name = DEFAULT_SCHOOL[1] if school == DEFAULT_SCHOOL[0] else f"School {school}"
    con.execute("INSERT INTO schools (school_id, name, phase) VALUES (?, ?, ?)", [school, name, phase])


def _write_pupils(con, f: StagedFile, school: str) -> int:
    ident = [k for k in pupils.IDENTITY if f.col(k)]
    enrol = [k for k in pupils.ENROLMENT if f.col(k)]
    existing = con.execute(
        f"SELECT count(*) FROM enrolments e JOIN {f.stage} s ON e.school_id = ? AND e.upn = s.upn AND e.academic_year = s.year",
        [school],
    ).fetchone()[0]
    update = ", ".join(f"{k} = excluded.{k}" for k in ident)
    con.execute(
        f"""INSERT INTO pupils (school_id, upn{"".join(", " + k for k in ident)})
            SELECT ?, upn{"".join(", " + k for k in ident)} FROM {f.stage}
            ON CONFLICT (school_id, upn) DO {"UPDATE SET " + update if update else "NOTHING"}""",
        [school],
    )
    update = ", ".join([f"{k} = excluded.{k}" for k in enrol] + ["source = 'imported'"])
    con.execute(
        f"""INSERT INTO enrolments (school_id, upn, academic_year{"".join(", " + k for k in enrol)}, source)
            SELECT ?, upn, year{"".join(", " + k for k in enrol)}, 'imported' FROM {f.stage}
            ON CONFLICT (school_id, upn, academic_year) DO UPDATE SET {update}""",
        [school],
    )
    kinds = pupils.other_ids(f) + ([f.layout.id_field] if f.layout.id_field != "upn" else [])
    for k in kinds:
        column = f"{k}_id" if k != f.layout.id_field else "upn"
        con.execute(
            f"""INSERT OR REPLACE INTO pupil_ids (school_id, kind, value, upn)
                SELECT DISTINCT ?, '{k}', {identities.id_value_sql(column)}, upn FROM {f.stage}
                WHERE {column} <> '' AND upn <> ''""",
            [school],
        )
    # An existing enrolment keeps its id (the upsert never sets it); a new one may enrol marks
    # already stored without one (marks imported before the pupils file): label them now.
    db.link_marks(con, school)
    return existing


def _write_sessions(con, f: StagedFile, school: str) -> int:
    if f.layout.wide:
        # MIS reports leave a wide register's cells blank on days the pupil was not on roll:
        # outside the enrolment a blank is "not on roll", not a register left incomplete.
        blanks = con.execute(
            f"""DELETE FROM {f.stage} s USING enrolments e
                WHERE s.mark_raw = '' AND e.school_id = ? AND e.upn = s.upn
                  AND e.academic_year = {ACADEMIC_YEAR_SQL.format(d="s.date")}
                  AND (s.date < e.admission_date OR s.date > e.leaving_date)""",
            [school],
        ).fetchone()[0]
        if blanks:
            f.rows -= blanks
            f.skipped["not-on-roll blank cell"] = blanks
    columns = ["upn", "date", "session", "code"] + (["recorded_by"] if f.col("recorded_by") else [])
    return _replace_marks(con, f, school, "session_marks", "session", columns)


def _replace_marks(con, f: StagedFile, school: str, table: str, key: str, names: list[str]) -> int:
    """Delete the marks this file replaces (same key), then insert its rows."""
    replaced = con.execute(
        f"""DELETE FROM {table} t USING {f.stage} s
            WHERE t.school_id = ? AND t.upn = s.upn AND t.date = s.date AND t.{key} = s.{key}""",
        [school],
    ).fetchone()[0]
    # Enrolments first (carried from another year where the pupil has none), so that every mark
    # is written with its enrolment's id: the one integer the measures join on.
    _carry_enrolments(con, f, school)
    con.execute(
        f"""INSERT INTO {table} (school_id, {", ".join(names)}, academic_year, enrolment_id)
            SELECT ?, {", ".join("s." + c for c in names)}, s.mark_year, e.enrolment_id
            FROM (SELECT *, {ACADEMIC_YEAR_SQL.format(d="date")} AS mark_year FROM {f.stage}) s
            LEFT JOIN enrolments e ON e.school_id = ? AND e.upn = s.upn AND e.academic_year = s.mark_year""",
        [school, school],
    )
    f.years = {
        r[0] for r in con.execute(f"SELECT DISTINCT {ACADEMIC_YEAR_SQL.format(d='date')} FROM {f.stage}").fetchall()
    }
    return replaced


def _carry_enrolments(con, f: StagedFile, school: str) -> None:
    """An enrolment for each (pupil, year) with marks but none yet: the nearest year's, year group shifted."""
    con.execute(
        f"""INSERT INTO enrolments (school_id, upn, academic_year, year_group, form, fsm, sen, eal, cin, lac,
                                    admission_date, leaving_date, source)
            SELECT school_id, upn, target, year_group + (target - academic_year), form, fsm, sen, eal, cin, lac,
                   admission_date, leaving_date, 'carried'
            FROM (
                SELECT e.*, m.target,
                       row_number() OVER (PARTITION BY e.upn, m.target
                                          ORDER BY abs(e.academic_year - m.target), e.academic_year) AS n
                FROM (SELECT DISTINCT upn, {ACADEMIC_YEAR_SQL.format(d="date")} AS target FROM {f.stage}) m
                JOIN enrolments e ON e.school_id = ? AND e.upn = m.upn
                WHERE NOT EXISTS (SELECT 1 FROM enrolments x
                                  WHERE x.school_id = ? AND x.upn = m.upn AND x.academic_year = m.target)
            ) WHERE n = 1""",
        [school, school],
    )

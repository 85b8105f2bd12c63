"""A trust-scale register built directly in DuckDB with SQL, for the benchmarks.

About 30,000 pupils in 20 schools (12 primary, 8 secondary) over the full
2025/26 year: ~11 million session marks, with enrolments, pupils, a calendar
and, for two secondary schools, lesson marks. Every "random" choice is a hash
of the pupil and the date, so the file is the same on every machine.

The code mix is realistic rather than real: most pupils miss a few percent of
sessions, a tail misses more (persistent absence about one pupil in six), a
few are severely absent; illness dominates authorised absence, with some
medical, holiday, unauthorised (O, G, N), late (L, U), approved activity (B, V,
K) and a trickle of D, X, # and missing marks. Every mark carries its enrolment's
``enrolment_id``, as the importer writes it.

    python -m benchmarks.trust          # builds benchmarks/out/trust.duckdb if missing
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from data import db, on_roll

OUT_DIR = Path(__file__).resolve().parent / "out"
TRUST_DB = OUT_DIR / "trust.duckdb"
SCHOOLS = 20
PUPILS_PER_SCHOOL = 1500
PRIMARY_SCHOOLS = 12
LESSON_SCHOOLS = ("TS13", "TS14")  # secondary schools that also keep lesson registers
YEAR = 2025

# 2025/26 half-terms (a typical local authority calendar); bank holiday 4 May 2026 is closed.
HALF_TERMS = (
    ("autumn", 1, "2025-09-03", "2025-10-24"),
    ("autumn", 2, "2025-11-03", "2025-12-19"),
    ("spring", 1, "2026-01-05", "2026-02-13"),
    ("spring", 2, "2026-02-23", "2026-03-27"),
    ("summer", 1, "2026-04-13", "2026-05-22"),
    ("summer", 2, "2026-06-01", "2026-07-21"),
)


def _u(expr: str, salt: str) -> str:
    """A deterministic uniform number in [0, 1) from a hash of ``expr`` (no random(): repeatable)."""
    return f"((hash({expr}, '{salt}') % 1000003) / 1000003.0)"


def build(path: Path = TRUST_DB, schools: int = SCHOOLS) -> Path:
    """Create the trust database at ``path`` (replacing any half-built file) with ``schools`` schools.

    Three in five are primary, as in the 20-school trust; pupils per school as above.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (path, path.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    tmp = path.with_name(path.stem + ".building.duckdb")
    tmp.unlink(missing_ok=True)
    con = db.connect(tmp)
    try:
        _fill(con, schools)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    tmp.rename(path)
    return path


def _fill(con, schools: int = SCHOOLS) -> None:
    primary = schools * PRIMARY_SCHOOLS // SCHOOLS
    con.execute(
        f"""
        INSERT INTO schools (school_id, name, phase, la_code, is_sample)
        SELECT 'TS' || lpad(i::VARCHAR, {max(2, len(str(schools)))}, '0'),
               'Trust school ' || i,
               CASE WHEN i <= {primary} THEN 'primary' ELSE 'secondary' END,
               'E0800003' || (i % 3), FALSE
        FROM range(1, {schools} + 1) r(i)
        """
    )
    for term, half, start, end in HALF_TERMS:
        con.execute(
            "INSERT INTO calendar SELECT school_id, ?, ?, ?, ?::DATE, ?::DATE, 'imported' FROM schools",
            [YEAR, term, half, start, end],
        )
    # Pupils: year groups 0-6 in primary schools, 7-11 in secondary; four forms per year.
    con.execute(
        f"""
        CREATE TEMP TABLE roll AS
        SELECT s.school_id, s.phase,
               s.school_id || '-' || lpad(n::VARCHAR, 5, '0') AS upn,
               CASE WHEN s.phase = 'primary' THEN n % 7 ELSE 7 + n % 5 END AS year_group,
               n
        FROM schools s, range({PUPILS_PER_SCHOOL}) r(n)
        """
    )
    ethnic = "['WBRI','WBRI','WBRI','WBRI','WOTH','ABAN','APKN','AIND','BAFR','BCRB','MWBC','CHNE','AOTH','REFU']"
    con.execute(
        f"""
        INSERT INTO pupils (school_id, upn, surname, forename, date_of_birth, gender, ethnicity)
        SELECT school_id, upn, 'Surname' || n, 'Forename' || n,
               DATE '2010-09-01' + INTERVAL (365 * (11 - year_group)) DAY,
               CASE WHEN {_u("upn", "g")} < 0.49 THEN 'F' ELSE 'M' END,
               {ethnic}[1 + floor({_u("upn", "eth")} * 14)::INT]
        FROM roll
        """
    )
    con.execute(
        f"""
        INSERT INTO enrolments (school_id, upn, academic_year, year_group, form, fsm, sen, eal, cin, lac,
                                admission_date, leaving_date, source)
        SELECT school_id, upn, {YEAR}, year_group,
               year_group::VARCHAR || ['A','B','C','D'][1 + n % 4],
               {_u("upn", "fsm")} < 0.25,
               CASE WHEN {_u("upn", "sen")} < 0.04 THEN 'E' WHEN {_u("upn", "sen")} < 0.17 THEN 'K' ELSE 'N' END,
               {_u("upn", "eal")} < 0.2,
               {_u("upn", "cin")} < 0.03,
               {_u("upn", "lac")} < 0.01,
               -- 3% join and 3% leave during the year
               CASE WHEN {_u("upn", "join")} < 0.03 THEN DATE '2025-09-03' + INTERVAL (floor({_u("upn", "jd")} * 250)) DAY
                    ELSE DATE '2025-09-01' END,
               CASE WHEN {_u("upn", "leave")} < 0.03 THEN DATE '2026-07-21' - INTERVAL (floor({_u("upn", "ld")} * 250)) DAY
                    END,
               'imported'
        FROM roll
        """
    )
    # Each pupil's propensity to be absent: most low, a tail higher, 2% severe.
    con.execute(
        f"""
        CREATE TEMP TABLE propensity AS
        SELECT school_id, upn,
               CASE WHEN {_u("upn", "sev")} < 0.02 THEN 0.5 + 0.3 * {_u("upn", "p")}
                    ELSE 0.01 + 0.16 * pow({_u("upn", "p")}, 3) END AS p_absent,
               CASE WHEN phase = 'primary' THEN 0.45 ELSE 0.3 END AS p_illness_share
        FROM roll
        """
    )
    ranges = " OR ".join(f"(d BETWEEN DATE '{s}' AND DATE '{e}')" for _, _, s, e in HALF_TERMS)
    con.execute(
        f"""
        CREATE TEMP TABLE days AS
        SELECT d::DATE AS date FROM range(DATE '2025-09-01', DATE '2026-07-23', INTERVAL 1 DAY) t(d)
        WHERE isodow(d) <= 5 AND ({ranges}) AND d::DATE <> DATE '2026-05-04'
        """
    )
    # Fridays and the days next to holidays are a little worse (as FFT Datalab finds).
    mark = f"""
        WITH x AS (
            SELECT r.school_id, r.upn, d.date, s.session, p.p_absent, p.p_illness_share, e.enrolment_id,
                   {_u("r.upn || d.date::VARCHAR || s.session", "u")} AS u,
                   {_u("r.upn || d.date::VARCHAR || s.session", "v")} AS v,
                   p.p_absent * CASE isodow(d.date) WHEN 5 THEN 1.25 WHEN 3 THEN 0.85 ELSE 1.0 END AS p_day
            FROM roll r JOIN propensity p USING (school_id, upn)
            JOIN enrolments e ON e.school_id = r.school_id AND e.upn = r.upn AND e.academic_year = {YEAR}
            CROSS JOIN days d CROSS JOIN (VALUES ('AM'), ('PM')) s(session)
        )
        SELECT school_id, upn, date, session,
               CASE
                 WHEN u < 0.0008 THEN NULL                              -- register not completed
                 WHEN u < 0.0012 THEN '#'
                 WHEN u < 0.0016 THEN 'D'
                 WHEN u < 0.0020 THEN 'B'
                 WHEN u < 0.0040 THEN 'V'
                 WHEN u < 0.0045 THEN 'K'
                 WHEN u < 0.0045 + p_day THEN
                    CASE WHEN v < p_illness_share THEN 'I'
                         WHEN v < p_illness_share + 0.08 THEN 'M'
                         WHEN v < p_illness_share + 0.12 THEN 'C'
                         WHEN v < p_illness_share + 0.14 THEN 'E'
                         WHEN v < p_illness_share + 0.24 THEN 'G'
                         WHEN v < p_illness_share + 0.30 THEN 'U'
                         WHEN v < p_illness_share + 0.33 THEN 'N'
                         ELSE 'O' END
                 WHEN v < 0.025 THEN 'L'
                 WHEN session = 'AM' THEN '/'
                 ELSE '\\'
               END AS code,
               {YEAR} AS academic_year,
               enrolment_id
        FROM x
    """
    con.execute(f"INSERT INTO session_marks (school_id, upn, date, session, code, academic_year, enrolment_id) {mark}")
    # Lesson registers (five periods) for two secondary schools, following the session mark,
    # with some post-registration absence.
    subjects = "['Maths','English','Science','History','Geography','French','PE','Art','Music','Computing']"
    con.execute(
        f"""
        INSERT INTO lesson_marks
        SELECT m.school_id, m.upn, m.date, p::VARCHAR, p, m.session,
               {subjects}[1 + ((hash(m.upn, 'subj') + p * 3 + isodow(m.date) * 7) % 10)::INT],
               CASE WHEN m.code IN ('/', '\\') AND {_u("m.upn || m.date::VARCHAR || p::VARCHAR", "pr")} < 0.01 THEN 'O'
                    ELSE m.code END,
               CASE WHEN m.code = 'L' THEN 5 END,
               m.academic_year, m.enrolment_id
        FROM session_marks m
        CROSS JOIN range(1, 6) r(p)
        WHERE m.school_id IN ({", ".join("?" for _ in LESSON_SCHOOLS)})
          AND ((p <= 3 AND m.session = 'AM') OR (p > 3 AND m.session = 'PM'))
        """,
        list(LESSON_SCHOOLS),
    )
    on_roll.refresh(con)


def trust_db(rebuild: bool = False) -> Path:
    """The trust database, built on first use and reused after."""
    if rebuild or not TRUST_DB.exists():
        build(TRUST_DB)
    return TRUST_DB


def main() -> int:
    started = time.perf_counter()
    path = trust_db(rebuild="--rebuild" in sys.argv)
    con = db.connect(path, read_only=True)
    counts = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("schools", "pupils", "enrolments", "session_marks", "lesson_marks")
    }
    con.close()
    print(f"{path}: {counts} ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

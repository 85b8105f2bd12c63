"""Staging a pupils file: who each pupil is, their enrolment that year, and the ids they are known by."""

from __future__ import annotations

import pyarrow as pa

from data import db, readers
from data.importer import identities
from data.importer.staging import StagedFile, check_identity, distinct, lookup, text, value_errors
from data.readers import ID_FIELDS, BadValue

# Pupil fields: (parser, arrow type). Identity lives in pupils, the rest in enrolments.
IDENTITY = {
    "surname": (lambda s: s.strip() or None, pa.string()),
    "forename": (lambda s: s.strip() or None, pa.string()),
    "date_of_birth": (readers.parse_date, pa.date32()),
    "gender": (readers.parse_gender, pa.string()),
    "ethnicity": (lambda s: s.strip() or None, pa.string()),
    "language": (readers.parse_language, pa.string()),  # the family's: letters home in it
}
ENROLMENT = {
    "year_group": (readers.parse_year_group, pa.int32()),
    "form": (lambda s: s.strip() or None, pa.string()),
    "fsm": (readers.parse_yes_no, pa.bool_()),
    "sen": (readers.parse_sen, pa.string()),
    "eal": (readers.parse_eal, pa.bool_()),
    "cin": (readers.parse_yes_no, pa.bool_()),
    "lac": (readers.parse_yes_no, pa.bool_()),
    "admission_date": (readers.parse_date, pa.date32()),
    "leaving_date": (readers.parse_end_date, pa.date32()),
}
ID_LABELS = {"admission_number": "admission number", "mis_id": "MIS id", "pupil_id": "student id", "record_id": "id"}


def _academic_year_value(raw: str) -> int | None:
    if not raw.strip():
        return None
    try:
        return db.parse_academic_year(raw)
    except ValueError:
        raise BadValue("not an academic year (expected e.g. 2025/26)") from None


def other_ids(f: StagedFile) -> list[str]:
    """The identifier fields the file carries beside its key."""
    return [k for k in ID_FIELDS if k != f.layout.id_field and f.col(k)]


def stage(con, f: StagedFile, year: int, problems, temps: list[str]) -> None:
    """Parse and check a pupils file into ``f.stage`` (upn, year, fields, {id}_id); record its ids in the batch."""
    i = f.index
    present = [k for k in (*IDENTITY, *ENROLMENT, "academic_year") if f.col(k)]
    ids = other_ids(f)
    selects = [f"{text(f.col(k))} AS {k}_raw" for k in present]
    selects += [f"upper({text(f.col(k))}) AS {k}_id" for k in ids]
    pre = f"_imp_pre{i}"
    temps.append(pre)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {pre} AS
            SELECT line, upper({text(f.id_col())}) AS ident{"".join(", " + s for s in selects)}
            FROM {f.data}
            WHERE {" OR ".join(f"{text(f.col(k))} <> ''" for k in (f.layout.id_field, *present))}"""
    )
    joins, cols, errs = [], [], []
    parsers = {**IDENTITY, **ENROLMENT, "academic_year": (_academic_year_value, pa.int32())}
    for k in present:
        parse, typ = parsers[k]
        lk = lookup(con, f"_imp_{k}{i}", distinct(con, pre, f"{k}_raw"), parse, typ, temps)
        joins.append(f"JOIN {lk} ON {lk}.raw = p.{k}_raw")
        cols.append(f"{lk}.val AS {k}")
        errs.append(f"{lk}.err AS {k}_err")
    f.stage = f"_imp_stage{i}"
    temps.append(f.stage)
    year_sql = f"coalesce(academic_year, {int(year)})" if "academic_year" in present else str(int(year))
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {f.stage} AS
            SELECT *, ident AS upn, {year_sql} AS year FROM (
                SELECT p.* {"".join(", " + c for c in cols + errs)}
                FROM {pre} p {" ".join(joins)})"""
    )
    check_identity(con, f, f.stage, problems)
    value_errors(con, f, f.stage, problems, present)
    problems.query(
        con,
        f.name,
        f"""SELECT line, '' AS value, first_line FROM (
                SELECT line, row_number() OVER w AS n, first_value(line) OVER w AS first_line
                FROM {f.stage} WHERE upn <> ''
                WINDOW w AS (PARTITION BY upn, year ORDER BY line)) WHERE n > 1""",
        [],
        f.id_header(),
        lambda first: f"the same pupil appears twice (first on line {first})",
    )
    for k in ids:
        problems.query(
            con,
            f.name,
            f"""SELECT line, '' AS value, first_line FROM (
                    SELECT line, upn, first_value(line) OVER w AS first_line, first_value(upn) OVER w AS first_upn
                    FROM {f.stage} WHERE {k}_id <> ''
                    WINDOW w AS (PARTITION BY year, {identities.id_value_sql(k + "_id")} ORDER BY line))
                WHERE upn <> first_upn""",
            [],
            f.header(k),
            lambda first, k=k: f"two pupils have the same {ID_LABELS[k]} (first on line {first})",
        )
    if "admission_date" in present and "leaving_date" in present:
        problems.query(
            con,
            f.name,
            f"""SELECT line, leaving_date_raw AS value FROM {f.stage}
                WHERE leaving_date < admission_date""",
            [],
            f.header("leaving_date"),
            "leaving date is before the admission date",
        )
    f.rows = con.execute(f"SELECT count(*) FROM {f.stage}").fetchone()[0]
    f.years = {r[0] for r in con.execute(f"SELECT DISTINCT year FROM {f.stage}").fetchall()}
    key = f.layout.id_field
    con.execute(
        f"INSERT INTO {identities.BATCH_IDS} SELECT DISTINCT 'upn', upn, upn FROM {f.stage} WHERE upn <> ''"
        + "".join(
            f""" UNION ALL SELECT DISTINCT '{k}', {identities.id_value_sql(k + "_id")}, upn FROM {f.stage}
                 WHERE {k}_id <> '' AND upn <> ''"""
            for k in ids
        )
    )
    if key != "upn":
        # Keyed by another id (no UPN column): that id is also how later files may name the pupil.
        con.execute(
            f"""INSERT INTO {identities.BATCH_IDS}
                SELECT DISTINCT '{key}', {identities.id_value_sql("upn")}, upn FROM {f.stage} WHERE upn <> ''"""
        )

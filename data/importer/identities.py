"""Linking the identifiers a file gives to pupils: the UPN, or any id a pupils file carried.

A pupils file may carry, beside the UPN, the admission number, the MIS's own id
and an aggregator's ``id``; they are kept in ``pupil_ids`` (school, kind,
value -> UPN), so marks keyed by any of them, in the same batch or later, are
linked to the pupil. The UPN stays the pupil's key. A value that could be two
pupils is refused, never guessed.
"""

from __future__ import annotations

from data.importer.staging import StagedFile

BATCH_IDS = "_imp_batch_ids"  # (kind, value, upn) of the pupils files in this batch


def id_value_sql(expr: str) -> str:
    """How an id other than the UPN is compared: upper case, leading zeros dropped (Excel drops them)."""
    return f"CASE WHEN regexp_matches({expr}, '^[0-9]+$') THEN coalesce(nullif(ltrim({expr}, '0'), ''), '0') ELSE {expr} END"


def create_batch_ids(con, temps: list[str]) -> None:
    temps.append(BATCH_IDS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {BATCH_IDS} (kind VARCHAR, value VARCHAR, upn VARCHAR)")


def resolve(con, f: StagedFile, pre: str, school: str | None, temps: list[str]) -> str:
    """A temp table (ident, upn, matches): the pupil each distinct identifier of ``pre`` stands for.

    Preference: a match of the same kind as the file's column, then a UPN, then any other id;
    ``matches`` > 1 when the preferred matches are several pupils (refused by the caller).
    """
    name = f"_imp_resolve{f.index}"
    temps.append(name)
    kind = f.layout.id_field or "upn"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {name} AS
            WITH idents AS (SELECT DISTINCT ident, {id_value_sql("ident")} AS key FROM {pre} WHERE ident <> ''),
            batch AS (SELECT * FROM {BATCH_IDS}),
            known AS (
                SELECT 'upn' AS kind, upn AS value, upn FROM pupils
                WHERE school_id = ? AND upn IN (SELECT ident FROM idents)
                UNION ALL
                SELECT kind, value, upn FROM pupil_ids
                WHERE school_id = ? AND value IN (SELECT key FROM idents)
                  AND NOT EXISTS (SELECT 1 FROM batch b WHERE b.kind = pupil_ids.kind AND b.value = pupil_ids.value)
                UNION ALL
                SELECT kind, value, upn FROM batch
            ),
            ranked AS (
                SELECT i.ident, k.upn, CASE WHEN k.kind = ? THEN 0 WHEN k.kind = 'upn' THEN 1 ELSE 2 END AS pref
                FROM idents i JOIN known k
                  ON (k.kind = 'upn' AND k.value = i.ident) OR (k.kind <> 'upn' AND k.value = i.key)
            ),
            best AS (SELECT ident, min(pref) AS pref FROM ranked GROUP BY ident)
            SELECT r.ident, min(r.upn) AS upn, count(DISTINCT r.upn) AS matches
            FROM ranked r JOIN best b USING (ident, pref) GROUP BY r.ident""",
        [school, school, kind],
    )
    return name


def check_resolved(con, f: StagedFile, stage: str, problems) -> None:
    """Unknown pupils and identifiers that could be two pupils (stage columns ident, upn, matches)."""
    header = f.id_header()
    problems.query(
        con,
        f.name,
        f"""SELECT line, '' AS value FROM {stage}
            WHERE ident <> '' AND NOT regexp_matches(ident, '^[=+@]') AND matches IS NULL""",
        [],
        header,
        "pupil not known to this school: import the pupils file first, or in the same batch",
    )
    problems.query(
        con,
        f.name,
        f"SELECT line, '' AS value FROM {stage} WHERE matches > 1",
        [],
        header,
        "this identifier belongs to more than one pupil (e.g. one pupil's admission number is another's "
        "MIS id): key the file by UPN",
    )

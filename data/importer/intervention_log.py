"""Staging an intervention log (``UPN, Date, Type`` and optionally ``Owner, Status, Notes, Review date``).

The rows are few: each is checked in Python (a known pupil by any id, a date, a
type, a status ``data.interventions`` knows, a review date or blank) and written
through ``data.interventions.import_log`` inside the batch's transaction.
"""

from __future__ import annotations

from data import interventions, readers
from data.importer import identities
from data.importer.result import Problem
from data.importer.staging import StagedFile, text
from data.readers import BadValue

_FIELDS = ("date", "type", "owner", "status", "notes", "review_date")


def stage(con, f: StagedFile, school: str | None, problems, temps: list[str]) -> None:
    pre = f"_imp_pre{f.index}"
    temps.append(pre)
    cols = ", ".join(f"{text(f.col(k))} AS {k}" for k in _FIELDS)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {pre} AS
            SELECT line, upper({text(f.id_col())}) AS ident, {cols} FROM {f.data}
            WHERE {" OR ".join(f"{text(f.col(k))} <> ''" for k in (f.layout.id_field, "date", "type"))}"""
    )
    resolved = identities.resolve(con, f, pre, school, temps)
    rows = con.execute(
        f"""SELECT p.line, p.ident, r.upn, r.matches, {", ".join("p." + k for k in _FIELDS)}
            FROM {pre} p LEFT JOIN {resolved} r USING (ident) ORDER BY p.line"""
    ).fetchall()
    heads = f.layout.fields
    for line, ident, upn, matches, d, typ, owner, status, notes, review in rows:

        def bad(field: str, value: str | None, message: str, line=line) -> None:
            problems.add(Problem(f.name, line, heads.get(field) or f.id_header(), value, message))

        if not ident:
            bad("upn", "", "missing pupil UPN")
            continue
        if readers.is_formula(ident):
            bad("upn", ident, "spreadsheet formula in an identifier cell (refused, never evaluated)")
            continue
        if matches is None:
            bad("upn", "", "pupil not known to this school: import the pupils file first, or in the same batch")
            continue
        if matches > 1:
            bad("upn", "", "this identifier belongs to more than one pupil: key the file by UPN")
            continue
        try:
            when = readers.parse_date(d)
            if when is None:
                raise BadValue("missing date")
        except BadValue as exc:
            bad("date", d, str(exc))
            continue
        if not typ:
            bad("type", "", "missing type of intervention")
            continue
        state = interventions.canonical_status(status)
        if state is None:
            bad("status", status, "status must be open or closed")
            continue
        try:
            review_date = readers.parse_date(review)
        except BadValue as exc:
            bad("review_date", review, str(exc))
            continue
        for value, field in ((typ, "type"), (owner, "owner"), (notes, "notes")):
            if readers.is_formula(value):
                bad(field, value, "spreadsheet formula in a cell (refused, never evaluated)")
        f.rows_out.append(
            {
                "upn": upn,
                "date": when,
                "type": typ,
                "owner": owner or None,
                "status": state,
                "notes": notes or None,
                "review_date": review_date,
            }
        )
    f.rows = len(f.rows_out)


def write(con, f: StagedFile, school: str, by: str | None) -> int:
    interventions.import_log(con, school, f.rows_out, by=by)
    return 0

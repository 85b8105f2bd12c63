"""Letters home as the school has worded them, per kind and language (the built-in wording is in ui/letters).

A template is a subject and a body of paragraphs with ``{placeholders}`` that
``ui.letters`` fills with one pupil's figures, and optionally its own greeting,
closing and signature (a letter in Polish should not open "Dear parent or carer"). Saving one is audited; the text
itself holds no pupil data.
"""

from __future__ import annotations

import duckdb

from data import audit
from data.readers import norm, parse_language

KINDS: tuple[str, ...] = ("first_concern", "meeting", "contract", "notice_to_improve")
DEFAULT_LANGUAGE = "English"
# What a saved template holds; greeting, closing and signature None: the built-in English ones.
FIELDS = ("subject", "body", "language", "salutation", "signoff", "signature")


def language_name(language: str | None) -> str:
    """A language as templates and pupils store it: census codes and any spelling to the name ('pol' -> 'Polish')."""
    text = str(language or "").strip()
    return parse_language(text) or text or DEFAULT_LANGUAGE


def get(con: duckdb.DuckDBPyConnection, school_id: str, kind: str, language: str | None = None) -> dict | None:
    """The school's own template for a kind in a language (else in English), or None for the built-in one.

    Languages match whatever their spelling or case ('POL', 'polish' and 'Polish' are one).
    """
    rows = con.execute(
        f"SELECT {', '.join(FIELDS)} FROM letter_templates WHERE school_id = ? AND kind = ?", [school_id, kind]
    ).fetchall()
    saved = {norm(language_name(r[2])): r for r in rows}
    for lang in (language_name(language), DEFAULT_LANGUAGE):
        row = saved.get(norm(lang))
        if row:
            return dict(zip(FIELDS, row, strict=True))
    return None


def languages(con: duckdb.DuckDBPyConnection, school_id: str) -> list[str]:
    """Languages the school keeps templates in (English first)."""
    rows = con.execute(
        "SELECT DISTINCT language FROM letter_templates WHERE school_id = ? ORDER BY language", [school_id]
    ).fetchall()
    return [DEFAULT_LANGUAGE] + [r[0] for r in rows if norm(r[0]) != norm(DEFAULT_LANGUAGE)]


def family_languages(con: duckdb.DuckDBPyConnection, school_id: str) -> list[tuple[str, int]]:
    """The families' languages other than English (from the pupils file) and how many pupils each, most first."""
    rows = con.execute(
        """SELECT language, count(*) AS n FROM pupils
           WHERE school_id = ? AND language IS NOT NULL AND language <> ?
           GROUP BY language ORDER BY n DESC, language""",
        [school_id, DEFAULT_LANGUAGE],
    ).fetchall()
    return [(r[0], int(r[1])) for r in rows]


def save(
    con: duckdb.DuckDBPyConnection,
    who: str,
    school_id: str,
    kind: str,
    subject: str,
    body: str,
    language: str = DEFAULT_LANGUAGE,
    role: str | None = None,
    salutation: str | None = None,
    signoff: str | None = None,
    signature: str | None = None,
) -> None:
    """Store the school's wording for one kind and language (replacing any before); audited.

    ``salutation`` (e.g. "Szanowni Państwo,"), ``signoff`` and ``signature``: blank for the built-in ones.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown letter {kind!r}: choose from {', '.join(KINDS)}")
    if not subject.strip() or not body.strip():
        raise ValueError("a letter needs a subject and a body")
    language = language_name(language)
    same = [
        r[0]
        for r in con.execute(
            "SELECT language FROM letter_templates WHERE school_id = ? AND kind = ?", [school_id, kind]
        ).fetchall()
        if norm(language_name(r[0])) == norm(language)
    ]
    for old in same:  # one template per language, however it was spelt before
        con.execute(
            "DELETE FROM letter_templates WHERE school_id = ? AND kind = ? AND language = ?", [school_id, kind, old]
        )
    con.execute(
        """INSERT OR REPLACE INTO letter_templates
               (school_id, kind, language, subject, body, salutation, signoff, signature, updated_by, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)""",
        [
            school_id,
            kind,
            language,
            subject.strip(),
            body.strip(),
            *[(text or "").strip() or None for text in (salutation, signoff, signature)],
            who,
        ],
    )
    audit.record(con, who, "edit letter template", role=role, school_id=school_id, detail=f"{kind} ({language})")


def reset(
    con: duckdb.DuckDBPyConnection, who: str, school_id: str, kind: str, language: str = DEFAULT_LANGUAGE
) -> None:
    """Go back to the built-in wording for one kind and language; audited."""
    con.execute(
        "DELETE FROM letter_templates WHERE school_id = ? AND kind = ? AND language = ?", [school_id, kind, language]
    )
    audit.record(con, who, "reset letter template", school_id=school_id, detail=f"{kind} ({language})")

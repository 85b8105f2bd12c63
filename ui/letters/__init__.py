"""Letters home: one pupil's figures (``analytics.letter_figures``) in the school's wording, as PDF or Word.

``make_letters`` builds one letter or a letter for each pupil of a list (one
combined PDF, or a zip of files) and logs each letter made in the pupil's
intervention log (type Letter, source 'letter'). Each letter is in the family's
language (the pupils file's) where the school keeps that kind of letter in it,
else in English; ``language_note`` says how a batch was split.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date

import duckdb

from analytics import letter_figures
from analytics.filters import Filter
from data import interventions, letter_templates
from data.readers import norm
from ui.letters import documents, wording

FORMATS = {"pdf": "application/pdf", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@dataclass(frozen=True)
class Made:
    """What ``make_letters`` hands back for a download button."""

    file_name: str
    data: bytes
    mime: str
    letters: int
    skipped: tuple[str, ...]  # pupils with no figures to quote (no sessions this year, or not visible)
    languages: tuple[tuple[str, int], ...] = ()  # (language a letter is in, letters), most first
    no_template: tuple[tuple[str, int], ...] = ()  # (family's language with no template of this kind, letters)
    kind: str = ""  # the letter made (a key of wording.TITLES)


def template_for(con: duckdb.DuckDBPyConnection, school_id: str, kind: str, language: str | None = None) -> dict:
    """The school's wording for a letter (in the family's language where it keeps one), else the built-in one.

    Keys: ``letter_templates.FIELDS``, the greeting, closing and signature filled in with the built-in ones.
    """
    saved = letter_templates.get(con, school_id, kind, language)
    if not saved:
        subject, body = wording.DEFAULTS[kind]
        saved = {"subject": subject, "body": body, "language": letter_templates.DEFAULT_LANGUAGE}
    return {**wording.DEFAULT_FRAME, **{k: v for k, v in saved.items() if v}}


def build_letter(
    con: duckdb.DuckDBPyConnection,
    f: Filter,
    upn: str,
    kind: str,
    meeting_date: str = "",
    today: date | None = None,
    road: dict | None = None,
) -> tuple[documents.Letter, dict] | None:
    """One pupil's letter and the figures in it (with ``letter_language``, the template's); None without figures.

    ``road``: the pupil's road to the end of the year when already worked out for a list.
    """
    figures = letter_figures.letter_figures(con, f, upn, road=road)
    if not figures:
        return None
    template = template_for(con, figures["school_id"], kind, figures.get("language"))
    figures = {**figures, "letter_language": template["language"]}
    values = wording.fields(figures, meeting_date, today, language=template["language"])
    body = wording.fill(template["body"], values)
    letter = documents.Letter(
        school_name=figures["school_name"],
        date_text=values["today"],
        salutation=wording.fill(template["salutation"], values),
        subject=wording.fill(template["subject"], values),
        paragraphs=tuple(body.split("\n\n")),
        signoff=wording.fill(template["signoff"], values),
        signature=wording.fill(template["signature"], values),
    )
    return letter, figures


def _render(letters: list[documents.Letter], fmt: str) -> bytes:
    return documents.pdf_bytes(letters) if fmt == "pdf" else documents.docx_bytes(letters)


def make_letters(
    con: duckdb.DuckDBPyConnection,
    f: Filter,
    upns: list[str],
    kind: str,
    fmt: str,
    who: str,
    *,
    role: str | None = None,
    meeting_date: str = "",
    today: date | None = None,
    combine: bool = True,
) -> Made:
    """Letters for ``upns``: one file, or (several pupils) one PDF when ``combine`` else a zip of one file each."""
    if kind not in wording.TITLES:
        raise ValueError(f"unknown letter {kind!r}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: pdf or docx")
    today = today or date.today()
    built, skipped = [], []
    for upn in upns:
        if not interventions.in_scope(con, f.scope, _school_of(con, upn, f.school_ids), upn):
            raise interventions.LogDenied("a pupil on this list is outside the year groups or forms you look after")
    roads = letter_figures.roads(con, f, upns)  # one query for the list, not one per letter
    for upn in upns:
        made = build_letter(con, f, upn, kind, meeting_date, today, road=roads.get(upn, {}))
        (built.append((upn, *made)) if made else skipped.append(upn))
    if not built:
        return Made("", b"", FORMATS[fmt], 0, tuple(skipped), kind=kind)
    used = Counter(b[2]["letter_language"] for b in built)
    missing = Counter(
        b[2]["language"]
        for b in built
        if b[2].get("language") and norm(b[2]["language"]) != norm(b[2]["letter_language"])
    )
    name = kind.replace("_", "-")
    if len(built) == 1:
        upn, letter, _ = built[0]
        data, file_name, mime = _render([letter], fmt), f"{name}-{upn}.{fmt}", FORMATS[fmt]
    elif fmt == "pdf" and combine:
        data, file_name, mime = _render([b[1] for b in built], fmt), f"{name}-letters.pdf", FORMATS[fmt]
    else:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for upn, letter, _ in built:
                z.writestr(f"{name}-{upn}.{fmt}", _render([letter], fmt))
        data, file_name, mime = out.getvalue(), f"{name}-letters.zip", "application/zip"
    for upn, _, figures in built:
        interventions.record(
            con,
            f.scope,
            who,
            figures["school_id"],
            upn,
            today,
            "Letter",
            notes=wording.TITLES[kind],
            source="letter",
            role=role,
        )
    return Made(
        file_name,
        data,
        mime,
        len(built),
        tuple(skipped),
        tuple(_most_first(used)),
        tuple(_most_first(missing)),
        kind,
    )


def _most_first(counts: Counter) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def language_note(made: Made) -> str:
    """How letters were split across languages, and which families' languages had no template.

    "3 letters in Polish, 41 in English: no Urdu template for 'Notice to Improve'". Blank when
    every letter is in English and no family's language was asked for.
    """
    english = letter_templates.DEFAULT_LANGUAGE
    if not made.letters or (not made.no_template and all(lang == english for lang, _ in made.languages)):
        return ""
    order = [kv for kv in made.languages if kv[0] != english] + [kv for kv in made.languages if kv[0] == english]
    parts = [
        f"{n} letter{'s' if n != 1 else ''} in {lang}" if i == 0 else f"{n} in {lang}"
        for i, (lang, n) in enumerate(order)
    ]
    note = ", ".join(parts)
    if made.no_template:
        missing = " or ".join(lang for lang, _ in made.no_template)
        note += f": no {missing} template for '{wording.TITLES[made.kind]}'"
    return note


def _school_of(con: duckdb.DuckDBPyConnection, upn: str, school_ids: tuple[str, ...]) -> str:
    """The pupil's school (their latest enrolment among the filter's schools)."""
    where = f" AND school_id IN ({', '.join('?' * len(school_ids))})" if school_ids else ""
    row = con.execute(
        f"SELECT school_id FROM enrolments WHERE upn = ?{where} ORDER BY academic_year DESC LIMIT 1",
        [upn, *school_ids],
    ).fetchone()
    return row[0] if row else ""

"""Letters as documents: PDF through WeasyPrint (HTML and CSS) and Word through python-docx."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass

CSS = """
@page { size: A4; margin: 22mm 20mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 11pt; line-height: 1.45; color: #111; }
.letter { page-break-after: always; }
.letter:last-child { page-break-after: auto; }
.school { font-size: 14pt; font-weight: bold; margin-bottom: 2mm; }
.date { margin: 6mm 0; }
h1 { font-size: 12pt; margin: 6mm 0 4mm; }
p { margin: 0 0 3.5mm; }
.sign { margin-top: 10mm; }
"""


@dataclass(frozen=True)
class Letter:
    """One filled letter: everything on it is about one pupil."""

    school_name: str
    date_text: str
    salutation: str
    subject: str
    paragraphs: tuple[str, ...]
    signoff: str = "Yours sincerely,"
    signature: str = "Attendance team"


def _html(letter: Letter) -> str:
    e = html.escape
    body = "".join(f"<p>{e(p)}</p>" for p in letter.paragraphs)
    return (
        f'<section class="letter"><div class="school">{e(letter.school_name)}</div>'
        f'<div class="date">{e(letter.date_text)}</div><p>{e(letter.salutation)}</p>'
        f"<h1>{e(letter.subject)}</h1>{body}"
        f'<p class="sign">{e(letter.signoff)}</p><p>{e(letter.signature)}</p></section>'
    )


def pdf_bytes(letters: list[Letter]) -> bytes:
    """One PDF: each letter starts on a new page."""
    from weasyprint import HTML  # imported here: slow to load, and only letter-making needs it

    doc = f"<html><head><meta charset='utf-8'><style>{CSS}</style></head><body>{''.join(map(_html, letters))}</body></html>"
    return HTML(string=doc).write_pdf()


def docx_bytes(letters: list[Letter]) -> bytes:
    """One Word document: each letter starts on a new page."""
    from docx import Document
    from docx.enum.text import WD_BREAK
    from docx.shared import Pt

    doc = Document()
    doc.styles["Normal"].font.size = Pt(11)
    for n, letter in enumerate(letters):
        if n:
            doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        school = doc.add_paragraph()
        school.add_run(letter.school_name).bold = True
        doc.add_paragraph(letter.date_text)
        doc.add_paragraph(letter.salutation)
        doc.add_heading(letter.subject, level=2)
        for paragraph in letter.paragraphs:
            doc.add_paragraph(paragraph)
        doc.add_paragraph(letter.signoff)
        doc.add_paragraph(letter.signature)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()

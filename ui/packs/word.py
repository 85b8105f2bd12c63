"""A pack as a Word document (.docx) that a clerk can paste into the minutes.

The same content as the PDF: headings, the key points, the questions, each
section's chart as a print-size picture (17 cm wide) and its figures as a real
Word table (so a clerk can copy rows), on A4 with 2 cm margins.
"""

from __future__ import annotations

import io

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Cm, Pt, RGBColor

from ui.packs.content import OGL, Pack

CHART_WIDTH = Cm(17)
NOTE_COLOUR = RGBColor(0x44, 0x44, 0x44)


def _a4(document) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    footer = section.footer.paragraphs[0]
    footer.style.font.size = Pt(8)


def _table(document, df: pd.DataFrame) -> None:
    table = document.add_table(rows=1, cols=len(df.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, heading in zip(table.rows[0].cells, df.columns, strict=True):
        cell.text = str(heading)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for values in df.itertuples(index=False, name=None):
        cells = table.add_row().cells
        for i, (cell, value) in enumerate(zip(cells, values, strict=True)):
            cell.text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
            if i:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    # Header row repeated on each page a long table runs over.
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    header = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header.append(repeat)
    for row in table.rows:
        for paragraph in (p for c in row.cells for p in c.paragraphs):
            for run in paragraph.runs:
                run.font.size = Pt(8.5)


def _note(document, text: str) -> None:
    run = document.add_paragraph().add_run(text)
    run.font.size, run.font.color.rgb = Pt(8.5), NOTE_COLOUR


def docx_bytes(pack: Pack) -> bytes:
    """The pack as a Word document."""
    document = Document()
    _a4(document)
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(10)
    document.sections[0].footer.paragraphs[0].text = f"{pack.school} · {pack.title} · {pack.period}"
    document.core_properties.title = f"{pack.title}: {pack.school}"
    document.core_properties.author = "Attendance dashboard"
    document.add_heading(pack.title, level=0)
    document.add_paragraph(f"{pack.school} · {pack.period} · {pack.scope}")
    document.add_paragraph(
        f"Generated {pack.generated:%d %B %Y at %H:%M}. Figures follow the DfE's attendance methodology."
    )
    document.add_heading("Key points", level=1)
    document.add_paragraph(pack.key_points)
    if pack.questions:
        document.add_heading("Questions the panel could ask", level=1)
        for question in pack.questions:
            document.add_paragraph(question, style="List Number")
    if pack.images_note:
        _note(document, pack.images_note)
    for i, s in enumerate(pack.sections):
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        document.add_heading(s.title, level=1)
        image = pack.images[i] if i < len(pack.images) else None
        if image:
            document.add_picture(io.BytesIO(image), width=CHART_WIDTH)
        if s.table is not None and not s.table.empty:
            _table(document, s.table)
        if s.note:
            _note(document, s.note)
    _note(document, OGL)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()

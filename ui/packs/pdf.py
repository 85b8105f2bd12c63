"""A pack as a PDF for A4: WeasyPrint lays out one HTML page flow with the charts as print-size images.

Each section starts on a new page, its chart (vector SVG, 180 mm wide, its
labels text in the PDF; or a PNG drawn at about 250 dpi) then its figures; a table that runs over a page repeats its
header row and never splits a row. Every page carries the school, the pack and
its page number.
"""

from __future__ import annotations

import base64
import html

import pandas as pd

from ui.packs.content import OGL, Pack

MIME = {"svg": "image/svg+xml", "png": "image/png", "": "image/png"}
CSS = """
@page {
  size: A4; margin: 16mm 15mm 18mm 15mm;
  @bottom-left { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 7.5pt; color: #555; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages);
                  font-family: "DejaVu Sans", Arial, sans-serif; font-size: 7.5pt; color: #555; }
}
body { margin: 0; font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; font-size: 9.5pt; color: #1a1a1a; line-height: 1.35; }
h1 { font-size: 19pt; margin: 0 0 2mm; color: #0b3d66; }
h2 { font-size: 14pt; color: #0b3d66; border-bottom: 1.5pt solid #0072B2; padding-bottom: 1mm;
     margin: 0 0 3mm; break-before: page; break-after: avoid; }
h3 { font-size: 11.5pt; margin: 5mm 0 1.5mm; break-after: avoid; }
.meta { color: #444; margin: 0 0 1mm; }
.key-points { border-left: 3pt solid #0072B2; background: #F2F6FA; padding: 3mm 4mm; margin: 4mm 0; }
ol.questions li { margin-bottom: 1.5mm; }
/* 180 mm across, never taller than what is left of a page under its heading */
img.chart { width: 180mm; max-height: 225mm; display: block; margin: 0 0 3mm; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; margin: 1mm 0 3mm; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 0.5pt solid #bbb; padding: 1mm 1.6mm; text-align: right; vertical-align: top; }
th { background: #E8EEF5; text-align: center; }
th:first-child, td:first-child { text-align: left; }
td.text { text-align: left; }
.note { color: #444; font-size: 8.5pt; margin: 1mm 0 0; }
.missing { color: #8a1c00; font-size: 8.5pt; }
footer { margin-top: 8mm; font-size: 8pt; color: #444; border-top: 0.5pt solid #bbb; padding-top: 2mm; }
"""


def _cell(value, column: str) -> str:
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    numeric = text.replace(".", "", 1).replace("-", "", 1).replace("+", "", 1).replace(",", "").rstrip("%").isdigit()
    css = "" if numeric or text in ("—", "") else ' class="text"'
    return f"<td{css}>{html.escape(text)}</td>"


def _css_string(text: str) -> str:
    """Text safe inside a CSS string (the page footer): quotes, backslashes and markup escaped."""
    return "".join(ch if ch.isalnum() or ch in " ·,:'/()-." else f"\\{ord(ch):x} " for ch in text)


def table_html(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join(
        "<tr>" + "".join(_cell(v, c) for c, v in zip(df.columns, row, strict=True)) + "</tr>"
        for row in df.itertuples(index=False, name=None)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def pack_html(pack: Pack) -> str:
    """The pack as one HTML document laid out for A4 (what WeasyPrint prints)."""
    parts = [
        f"<h1>{html.escape(pack.title)}</h1>",
        f'<p class="meta">{html.escape(pack.school)} · {html.escape(pack.period)} · {html.escape(pack.scope)}</p>',
        f'<p class="meta">Generated {pack.generated:%d %B %Y at %H:%M}. '
        "Figures follow the DfE's attendance methodology.</p>",
        '<h3>Key points</h3><div class="key-points">' + html.escape(pack.key_points) + "</div>",
    ]
    if pack.questions:
        items = "".join(f"<li>{html.escape(q)}</li>" for q in pack.questions)
        parts.append(f'<h3>Questions the panel could ask</h3><ol class="questions">{items}</ol>')
    if pack.images_note:
        parts.append(f'<p class="missing">{html.escape(pack.images_note)}</p>')
    for i, s in enumerate(pack.sections):
        parts.append(f"<section><h2>{html.escape(s.title)}</h2>")
        image = pack.images[i] if i < len(pack.images) else None
        if image:
            alt = html.escape(f"Chart: {s.title}")
            parts.append(
                f'<img class="chart" alt="{alt}" src="data:{MIME[pack.image_format]};base64,{base64.b64encode(image).decode()}">'
            )
        if s.table is not None and not s.table.empty:
            parts.append(table_html(s.table))
        if s.note:
            parts.append(f'<p class="note">{html.escape(s.note)}</p>')
        parts.append("</section>")
    footer = f"{pack.school} · {pack.title} · {pack.period}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(pack.title)}: {html.escape(pack.school)}</title>
<style>{CSS}
@page {{ @bottom-left {{ content: "{_css_string(footer)}"; }} }}</style></head><body>
{"".join(parts)}
<footer><p>{html.escape(OGL)}</p></footer>
</body></html>"""


def pdf_bytes(pack: Pack) -> bytes:
    """The pack as an A4 PDF."""
    from weasyprint import HTML  # imported here: it loads Pango, which only a pack needs

    return HTML(string=pack_html(pack)).write_pdf()

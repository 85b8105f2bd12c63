"""Printable packs to take into a meeting: a termly review pack and a governors' pack.

``review_pack(con, f)`` / ``governors_pack(con, f)`` work out a pack's content
once (the Overview's figures from ``analytics.overview``, the breakdowns and
patterns, a paragraph of key points and the questions a panel could ask);
``with_charts(pack)`` draws its charts as print-size images; ``pdf_bytes`` and
``docx_bytes`` render it as an A4 PDF and a Word document. These take a
connection and call analytics directly, so the command line and tests can
build a pack without Streamlit.

Files: ``content.py`` (sections), ``summary.py`` (key points, questions),
``images.py`` (charts as PNG), ``pdf.py``, ``word.py``.
"""

from __future__ import annotations

from dataclasses import replace

from ui.packs.content import GOVERNOR_GROUPS, Pack, Section, governor_filter, governors_pack, review_pack
from ui.packs.images import ChartsUnavailable, png_images
from ui.packs.pdf import pack_html, pdf_bytes
from ui.packs.word import docx_bytes

FORMATS = {
    "pdf": ("pdf", "application/pdf"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


def with_charts(pack: Pack) -> Pack:
    """The pack with each section's chart drawn as a print-size PNG (a note instead, when no browser can)."""
    charted = [i for i, s in enumerate(pack.sections) if s.figure is not None]
    images: list[bytes | None] = [None] * len(pack.sections)
    note = ""
    try:
        for i, png in zip(charted, png_images([pack.sections[i].figure for i in charted]), strict=True):
            images[i] = png
    except ChartsUnavailable as exc:
        note = f"The charts could not be drawn ({exc}); every chart's figures are in its table."
    return replace(pack, images=images, images_note=note)


def build(con, f, kind: str, fmt: str, generated=None) -> bytes:
    """A whole pack file: ``kind`` 'review' or 'governors', ``fmt`` 'pdf' or 'docx'."""
    content = (review_pack if kind == "review" else governors_pack)(con, f, generated)
    return render(with_charts(content), fmt)


def render(pack: Pack, fmt: str) -> bytes:
    if fmt == "pdf":
        return pdf_bytes(pack)
    if fmt == "docx":
        return docx_bytes(pack)
    raise ValueError(f"unknown pack format {fmt!r}: choose from {', '.join(FORMATS)}")


__all__ = [
    "FORMATS",
    "GOVERNOR_GROUPS",
    "Pack",
    "Section",
    "build",
    "docx_bytes",
    "governor_filter",
    "governors_pack",
    "pack_html",
    "pdf_bytes",
    "render",
    "review_pack",
    "with_charts",
]

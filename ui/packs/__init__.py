"""Printable packs to take into a meeting: a termly review pack and a governors' pack.

``review_pack(con, f)`` / ``governors_pack(con, f)`` work out a pack's content
once (the Overview's figures from ``analytics.overview``, the breakdowns and
patterns, a paragraph of key points and the questions a panel could ask);
``with_charts(pack, "svg" | "png")`` draws its charts as print-size images;
``render(pack, "pdf" | "docx")`` makes the A4 PDF (SVG charts) or the Word
document (PNG charts). These take a
connection and call analytics directly, so the command line and tests can
build a pack without Streamlit.

Files: ``content.py`` (sections), ``summary.py`` (key points, questions),
``images.py`` (charts as SVG for the PDF, PNG for Word), ``pdf.py``, ``word.py``.
"""

from __future__ import annotations

from dataclasses import replace

from ui.packs.content import GOVERNOR_GROUPS, Pack, Section, governor_filter, governors_pack, review_pack
from ui.packs.images import ChartsUnavailable, chart_images
from ui.packs.pdf import pack_html, pdf_bytes
from ui.packs.word import docx_bytes

FORMATS = {
    "pdf": ("pdf", "application/pdf"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


IMAGE_FORMAT = {"pdf": "svg", "docx": "png"}  # vector charts in the PDF; Word takes a picture


def with_charts(pack: Pack, image_format: str = "svg") -> Pack:
    """The pack with each section's chart drawn at print size (a note instead, when no browser can)."""
    charted = [i for i, s in enumerate(pack.sections) if s.figure is not None]
    images: list[bytes | None] = [None] * len(pack.sections)
    note = ""
    try:
        drawn = chart_images([pack.sections[i].figure for i in charted], image_format)
        for i, image in zip(charted, drawn, strict=True):
            images[i] = image
    except ChartsUnavailable as exc:
        note = f"The charts could not be drawn ({exc}); every chart's figures are in its table."
    return replace(pack, images=images, image_format=image_format, images_note=note)


def render(pack: Pack, fmt: str) -> bytes:
    """The pack as a file; its charts must be drawn in the format this file takes (``IMAGE_FORMAT``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown pack format {fmt!r}: choose from {', '.join(FORMATS)}")
    if any(pack.images) and pack.image_format != IMAGE_FORMAT[fmt]:
        raise ValueError(f"a {fmt} pack takes {IMAGE_FORMAT[fmt]} charts, not {pack.image_format}")
    return pdf_bytes(pack) if fmt == "pdf" else docx_bytes(pack)


__all__ = [
    "FORMATS",
    "GOVERNOR_GROUPS",
    "IMAGE_FORMAT",
    "Pack",
    "Section",
    "docx_bytes",
    "governor_filter",
    "governors_pack",
    "pack_html",
    "pdf_bytes",
    "render",
    "review_pack",
    "with_charts",
]

"""Text a person typed or a file brought in (an action, a note, a school's or a form's name), shown as typed.

Streamlit reads Markdown (and LaTeX between two ``$``, and its own ``:red[...]`` colour and ``:smile:`` emoji
codes) in titles, captions and messages: a school's name or a note put into one of them must have each of
those marks escaped, or "5% ($0 now, $50 later)" becomes a formula and "*every* Friday" italics.
"""

from __future__ import annotations

import re

MARKDOWN_MARKS = re.compile(r"([\\`*_\[\]<>#|$~:])")  # each read by Markdown, GitHub's tables or Streamlit


def as_typed(text) -> str:
    """``text`` put into Markdown so that it shows exactly as typed (on one line)."""
    return MARKDOWN_MARKS.sub(r"\\\1", str(text)).replace("\n", " ")

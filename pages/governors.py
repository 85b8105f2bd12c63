"""The governors' pack: the picture and the trends for an attendance panel, never a child."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from ui import charts, common, export, filters, packs

con = common.connection()
common.require_page("governors")
f = packs.governor_filter(filters.sidebar_filter(con))
st.title("Governors' pack")
name = filters.school_name(con, f)
st.caption(
    f"{name} · {filters.period_label(f)} · {f.describe()}. Figures for groups only: no pupil is named, "
    "and groups of fewer than 5 pupils are not shown."
)

with st.spinner("Building the governors' pack..."):
    sections = packs.governors_sections(con, f)
if not sections or sections[0].table is None or sections[0].table["This period %"].isna().all():
    common.empty_state()
    st.stop()


@st.cache_data(show_spinner=False, max_entries=20)
def _pack_html(path: str, f, day: str) -> str:
    return packs.governors_pack(common.connection(), f, datetime.now())


st.download_button(
    "Download the governors' pack (printable HTML)",
    data=lambda: _pack_html(common.db_path(), f, datetime.now().strftime("%Y-%m-%d")),
    file_name=f"governors_pack_{export.file_stem(name)}.html",
    mime="text/html",
    icon=":material/print:",
    type="primary",
    on_click=common.audit,
    args=("export",),
    kwargs={"detail": f"governors' pack: {f.describe()}"},
)

for i, section in enumerate(sections):
    st.subheader(section.title)
    if section.figure is not None:
        charts.show(section.figure, section.table, key=f"gov_{i}")
    elif section.table is not None:
        st.dataframe(section.table, hide_index=True, width="stretch")
    if section.note:
        st.caption(section.note)

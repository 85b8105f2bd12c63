"""The governors' pack: the picture and the trends for an attendance panel, never a child."""

from __future__ import annotations

import streamlit as st

from ui import charts, common, export, filters, packs

con = common.connection()
common.require_page("governors")
f = packs.governor_filter(filters.sidebar_filter())
st.title("Governors' pack")
name = common.cached(filters.school_name, f)
st.caption(
    f"{filters.context(f)}. Figures for groups only: no pupil is named, "
    "and groups of fewer than 5 pupils are not shown (nor the next smallest, where subtraction would reveal them)."
)

with st.spinner("Building the governors' pack..."):
    pack = common.cached(packs.governors_pack, f)
if pack.empty:
    common.empty_state()
    st.stop()

export.pack_downloads("governors", f, name)
st.subheader("Key points")
st.markdown(pack.key_points)
if pack.questions:
    with st.expander("Questions the panel could ask", expanded=True):
        st.markdown("\n".join(f"{i}. {q}" for i, q in enumerate(pack.questions, 1)))


def _show(section, key: str) -> None:
    st.subheader(section.title)
    if section.figure is not None:
        charts.show(section.figure, section.table, key=key)
    elif section.table is not None:
        st.dataframe(section.table, hide_index=True, width="stretch")
    if section.note:
        st.caption(section.note)


# Three tabs, built only when opened, so the panel's first screen is quick; the pack above holds everything.
picture = [s for s in pack.sections if s.key in ("headline", "trend")]
by_group = [s for s in pack.sections if s.key.startswith("group:")]
others = [s for s in pack.sections if s not in picture and s not in by_group]
overview_tab, groups_tab, days_tab = st.tabs(
    ["The picture", "Groups of pupils", "Days and reasons"], key="gov_tab", on_change="rerun"
)
with overview_tab:
    if overview_tab.open:
        for i, section in enumerate(picture):
            _show(section, key=f"gov_picture_{i}")
with groups_tab:
    if groups_tab.open:
        if not by_group:
            st.info("No group is large enough to show.")
        else:
            titles = [s.title for s in by_group]
            chosen = st.segmented_control("Group", titles, default=titles[0], key="gov_group") or titles[0]
            _show(by_group[titles.index(chosen)], key=f"gov_group_{titles.index(chosen)}")
with days_tab:
    if days_tab.open:
        for i, section in enumerate(others):
            _show(section, key=f"gov_other_{i}")

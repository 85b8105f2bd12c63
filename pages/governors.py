"""The governors' pack: the picture and the trends for an attendance panel, never a child."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from analytics.filters import GROUP_LABELS
from ui import charts, common, export, filters, packs

con = common.connection()
common.require_page("governors")
f = packs.governor_filter(filters.sidebar_filter(con))
st.title("Governors' pack")
name = common.cached(filters.school_name, f)
st.caption(
    f"{name} · {filters.period_label(f)} · {f.describe()}. Figures for groups only: no pupil is named, "
    "and groups of fewer than 5 pupils are not shown (nor the next smallest, where subtraction would reveal them)."
)

with st.spinner("Building the governors' pack..."):
    sections = common.cached(packs.governors_sections, f)
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


def _show(section, key: str) -> None:
    st.subheader(section.title)
    if section.figure is not None:
        charts.show(section.figure, section.table, key=key)
    elif section.table is not None:
        st.dataframe(section.table, hide_index=True, width="stretch")
    if section.note:
        st.caption(section.note)


# Three tabs, built only when opened, so the panel's first screen is quick; the pack above holds everything.
group_titles = {GROUP_LABELS[g] for g in packs.GOVERNOR_GROUPS}
by_group = [s for s in sections if s.title in group_titles]
picture = [s for s in sections[:2] if s.title not in group_titles]
others = [s for s in sections if s not in by_group and s not in picture]
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

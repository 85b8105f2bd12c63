"""Import (admin): upload MIS exports, see every problem with its line, map unfamiliar columns once."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import school
from analytics.filters import Filter
from data import db, importer, readers, staging
from data.db import academic_year_label, academic_year_of
from ui import common, session

con = common.connection()
common.require_page("import")
st.title("Import registers")
st.markdown(
    "Upload the exports from your MIS (SIMS, Arbor, Bromcom, Assembly, Wonde, ...): **session marks** (long or a "
    "register grid), **lesson marks**, **pupils** (year group, form, FSM, SEN, EAL, CiN, LAC), the **term dates** "
    "or an **intervention log**. CSV, text or Excel (.xlsx); title rows and totals are skipped. Every file is "
    "checked first; if anything is wrong nothing is imported and each problem is listed with its line. "
    "Importing the same file twice changes nothing."
)

uploads = st.file_uploader(
    "Files", type=["csv", "txt", "tsv", "xlsx", "xlsm", "xls"], accept_multiple_files=True, key="import_files"
)
today = pd.Timestamp.today().date()
years = [None, *range(academic_year_of(today), academic_year_of(today) - 7, -1)]
left, right = st.columns(2)
year = left.selectbox(
    "Academic year of a pupils file without one",
    years,
    format_func=lambda y: "From the marks imported with it (else this year)" if y is None else academic_year_label(y),
    key="import_year",
)
schools = school.schools(con, Filter())
real = schools[~schools["is_sample"].astype(bool)]["school_id"].tolist()
school_id = right.text_input(
    "School URN (needed only for the first import, or when the database holds several schools)",
    value=real[0] if len(real) == 1 else "",
    key="import_school",
).strip()

if not uploads:
    st.info("Choose one or more files to import.")
    st.stop()

sources: list[tuple[str, bytes]] = []
refused = False
for upload in uploads:
    data = upload.getvalue()
    auth = common._auth()
    reason = auth.check_upload(upload.name, data) if auth is not None else None
    if reason:
        st.error(f"{upload.name}: {reason}", icon=":material/block:")
        refused = True
        continue
    try:
        layout = readers.detect_layout((upload.name, data))
    except Exception as exc:  # a file we cannot read at all: say why, plainly
        st.error(f"{upload.name}: {exc}", icon=":material/block:")
        refused = True
        continue
    saved = importer.saved_mapping(con, layout.signature)
    if saved:
        layout = readers.detect_layout((upload.name, data), saved)
    if layout.kind is not None and not layout.missing:
        sheet = f", sheet '{layout.sheet}'" if layout.sheet else ""
        st.success(f"{upload.name}: recognised as **{layout.kind}**{sheet}" + (" (saved mapping)" if saved else ""))
        sources.append((upload.name, data))
        continue

    st.warning(f"{upload.name}: {layout.message()}", icon=":material/help:")
    with st.form(f"map_{layout.signature}"):
        st.markdown(f"**Match the columns of {upload.name} to what they hold.** Saved for files with these headers.")
        kinds = list(readers.KINDS)
        st.selectbox("This file holds", kinds, index=kinds.index(layout.guess) if layout.guess in kinds else 0)
        fields = ["", *readers.LABELS]
        named = [c for c in layout.columns if c]
        chosen: dict[str, str] = {}
        cols = st.columns(3)
        for j, column in enumerate(layout.columns):
            if not column or j in layout.wide_index:  # a grid's date-and-session columns need no mapping
                continue
            # A name two columns share is chosen by position ('#5'); of two that match one field, the first is offered.
            key = f"#{j + 1}" if named.count(column) > 1 else column
            current = next((f for f, i in layout.index.items() if i == j), "")
            chosen[key] = cols[j % 3].selectbox(
                f"{column} (column {j + 1})",
                fields,
                index=fields.index(current) if current in fields else 0,
                format_func=lambda v: readers.LABELS.get(v, "(not used)"),
                key=f"map_{layout.signature}_{j}",
            )
        if st.form_submit_button("Save this mapping"):
            check = readers.recognise(layout.columns, chosen, layout.header_line)
            if check.kind is None or check.missing:
                st.error(check.message())
            else:
                importer.save_mapping(con, layout.signature, check.kind, chosen)
                st.rerun()
    refused = True

if refused or not sources:  # the importer finds each file's saved mapping itself
    st.stop()

if st.button("Import", type="primary", icon=":material/upload:"):
    user = common.current_user()
    bar = st.progress(0.0, text="Reading")
    session.release()  # the finished copy is swapped in only when no connection is open, this run's included
    try:
        with staging.staged_import(common.db_path()) as staged:
            result = importer.import_files(
                staged,
                sources,
                school_id=school_id or None,
                year=year,
                by=getattr(user, "email", None),
                progress=lambda done, text: bar.progress(min(max(done, 0.0), 1.0), text=text),
            )
    except db.DatabaseProblem as exc:
        st.error(f"Nothing was imported: {exc}", icon=":material/error:")
        st.stop()
    bar.empty()
    common.audit("import", detail=", ".join(name for name, _ in sources) + (" (ok)" if result.ok else " (refused)"))
    common.data_changed()  # a refused file changes the import log too: the Data quality page must show it at once
    if result.ok:
        st.success(result.summary().splitlines()[0], icon=":material/check_circle:")
        files = [
            {"File": f.name, "Holds": f.kind, "Rows": f.rows, "Notes": "; ".join(f.notes()) or "—"}
            for f in result.files
        ]
        st.dataframe(pd.DataFrame(files), hide_index=True, width="stretch")
    else:
        total = max(result.problem_count, len(result.problems))
        st.error(f"Nothing was imported: {total:,} problem(s). Fix them in the file and import it again.")
        problems = [
            {"File": p.file, "Line": p.line, "Column": p.column, "Value": p.value or "—", "Problem": p.message}
            for p in result.problems
        ]
        st.dataframe(pd.DataFrame(problems), hide_index=True, width="stretch")

"""What staff did for one pupil, on the pupil page and the caseload: the log, a form to record, edit or close,
letters home, and attendance since the last action against similar pupils.

Governors never reach this (``interventions.LogDenied``); pastoral staff only for
pupils in their year groups and forms. Every change is audited by ``data.interventions``.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from analytics import caseload, impact
from analytics.filters import Filter
from data import interventions
from ui import charts, common, letters, tables, typed
from ui.letters import wording

OTHER = "Other (type it)"
LOG_COLUMNS = {
    "date": "Date",
    "type": "Type",
    "owner": "Owner",
    "status": "Status",
    "review_date": "Review",
    "notes": "Notes",
    "source": "From",
}


def who() -> tuple[str, str | None]:
    """The signed-in user's email and role (``demo`` when sign-in is off)."""
    user = common.current_user()
    return (user.email, user.role) if user is not None else ("demo", None)


def since_sentence(since: dict | None) -> str | None:
    """'Attendance since the Attendance meeting on 3 November: 92.0% (87.5% before), similar pupils 88.1% ...'"""
    if not since:
        return None
    when = wording.long_date(since["date"])
    if since["after"] is None:
        return f"Latest action: {typed.as_typed(since['type'])} on {when}. No sessions marked since then yet."
    text = (
        f"Attendance since the {typed.as_typed(since['type'].lower())} on {when}: **{since['after']:.1f}%** "
        f"({since['before']:.1f}% in the {impact.DEFAULT_WEEKS} school weeks before, {since['change']:+.1f} points)."
    )
    if since["comparison_pupils"]:
        text += (
            f" Similar pupils with no action then: {since['comparison_before']:.1f}% → "
            f"{since['comparison_after']:.1f}% ({since['comparison_change']:+.1f} points, "
            f"{since['comparison_pupils']} pupils)."
        )
        text += f" **{since['beyond']:+.1f} points beyond similar pupils.**"
    return text


def _record_form(con, f: Filter, school_id: str, upn: str, key: str) -> None:
    email, role = who()
    with st.form(f"{key}_record", clear_on_submit=True):
        c1, c2 = st.columns(2)
        kind = c1.selectbox("Type", [*interventions.TYPES, OTHER], index=2, key=f"{key}_type")
        own_kind = c1.text_input("Other type", key=f"{key}_own_type")
        when = c2.date_input("Date", value=date.today(), format="DD/MM/YYYY", key=f"{key}_date")
        owner = c2.text_input("Owner", value=email if email != "demo" else "", key=f"{key}_owner")
        notes = st.text_area("Notes (what was agreed)", key=f"{key}_notes")
        c3, c4 = st.columns(2)
        review = c3.date_input("Next review", value=None, format="DD/MM/YYYY", key=f"{key}_review")
        plan = c4.checkbox("An attendance plan with targets was agreed", key=f"{key}_plan")
        if st.form_submit_button("Record", type="primary"):
            chosen = own_kind if kind == OTHER else kind
            kinds = [chosen, *(["Attendance plan"] if plan and chosen != "Attendance plan" else [])]
            try:
                for one in kinds:
                    interventions.record(
                        con,
                        f.scope,
                        email,
                        school_id,
                        upn,
                        when,
                        one,
                        owner=owner,
                        notes=notes,
                        review_date=review,
                        role=role,
                    )
            except (interventions.InterventionError, interventions.LogDenied) as exc:
                st.error(str(exc))
            else:
                done = f"Recorded: {typed.as_typed(chosen)}" + (" and an attendance plan" if plan else "")
                st.session_state[f"{key}_flash"] = done
                st.rerun()


def _edit_entries(con, f: Filter, open_rows: pd.DataFrame, key: str) -> None:
    email, role = who()
    labels = {int(r.intervention_id): f"{r.type} · {pd.Timestamp(r.date):%d/%m/%Y}" for r in open_rows.itertuples()}
    chosen = st.selectbox("Action", list(labels), format_func=labels.get, key=f"{key}_edit_pick")
    row = open_rows[open_rows["intervention_id"] == chosen].iloc[0]
    review = row["review_date"]
    new_review = st.date_input(
        "Next review",
        value=None if pd.isna(review) else pd.Timestamp(review).date(),
        format="DD/MM/YYYY",
        key=f"{key}_edit_review_{chosen}",
    )
    notes = st.text_area("Notes", value=row["notes"] or "", key=f"{key}_edit_notes_{chosen}")
    c1, c2 = st.columns(2)
    try:
        if c1.button("Save changes", key=f"{key}_edit_save"):
            interventions.edit(con, f.scope, email, chosen, role=role, review_date=new_review, notes=notes)
            st.rerun()
        if c2.button("Close this action", key=f"{key}_edit_close"):
            interventions.close(con, f.scope, email, chosen, role=role)
            st.rerun()
    except interventions.InterventionError as exc:
        st.error(str(exc))


def letter_maker(con, f: Filter, upns: list[str], key: str) -> None:
    """Kind, format, meeting date; a button makes (and logs) the letters, then offers the file."""
    email, role = who()
    c1, c2, c3 = st.columns([2, 1, 2])
    kind = c1.selectbox("Letter", list(wording.TITLES), format_func=wording.TITLES.get, key=f"{key}_kind")
    fmt = c2.radio("Format", ["pdf", "docx"], format_func={"pdf": "PDF", "docx": "Word"}.get, key=f"{key}_fmt")
    meeting = c3.text_input("Meeting or review date (for the letter)", key=f"{key}_meeting")
    combine = True
    if len(upns) > 1:
        combine = fmt == "pdf" and not st.checkbox("One file per pupil, in a zip", key=f"{key}_zip")
    label = "Make letter" if len(upns) == 1 else f"Make {len(upns)} letters"
    if st.button(label, key=f"{key}_make"):
        try:
            made = letters.make_letters(
                con, f, upns, kind, fmt, email, role=role, meeting_date=meeting, combine=combine
            )
        except interventions.LogDenied as exc:
            st.error(str(exc))
            return
        st.session_state[f"{key}_made"] = made
    made = st.session_state.get(f"{key}_made")
    if made is not None and made.letters:
        st.success(f"{made.letters} letter{'s' if made.letters != 1 else ''} made and logged.")
        note = letters.language_note(made)
        if note:
            st.info(note)
        st.download_button(f"Download {made.file_name}", made.data, made.file_name, made.mime, key=f"{key}_download")
    if made is not None and made.skipped:
        st.caption(f"No letter for {len(made.skipped)} pupil(s) with no sessions this year.")


def interventions_panel(con, f: Filter, upn: str, school_id: str | None = None) -> None:
    """The pupil page's section: since the last action, the log, record / edit / close, letters home, stage."""
    if not f.scope.pupil_level:
        return
    school_id = school_id or (f.school_ids[0] if f.school_ids else None)
    if school_id is None:
        row = con.execute(
            "SELECT school_id FROM enrolments WHERE upn = ? ORDER BY academic_year DESC", [upn]
        ).fetchone()
        school_id = row[0] if row else None
    if school_id is None or not interventions.in_scope(con, f.scope, school_id, upn):
        return
    key = f"iv_{upn}"
    st.subheader("Actions and letters")
    flash = st.session_state.pop(f"{key}_flash", None)
    if flash:
        st.success(flash)
    sentence = since_sentence(impact.since_last_action(con, f, upn))
    if sentence:
        st.markdown(sentence)
    log = interventions.entries(con, f.scope, school_ids=(school_id,), upns=(upn,))
    if log.empty:
        st.caption("Nothing recorded for this pupil yet.")
    else:
        shown = log[list(LOG_COLUMNS)].rename(columns=LOG_COLUMNS)
        for column in ("Date", "Review"):  # dates as the rest of the page writes them, never "00:00:00"
            shown[column] = pd.to_datetime(shown[column]).dt.strftime("%d/%m/%Y")
        blanks = {"Owner": "no owner", "Review": "no review set", "Notes": "no notes"}
        # A plain table: a pupil's log is short, and its notes are read whole (wrapped, not cut off in a grid).
        st.html(tables.as_html(tables.readable(shown, blanks), label="Actions logged for this pupil"))
        stage, _ = caseload.suggest_stage(None, list(log["type"]))
        st.caption(f"Furthest step logged: {stage}.")
    # Each form is drawn when its box is opened: below the pupil's figures, they cost a first visit nothing.
    if box := charts.on_demand("Record an action", f"{key}_record_box"):
        with box:
            _record_form(con, f, school_id, upn, key)
    open_rows = log[log["status"] == "open"]
    if not open_rows.empty and (box := charts.on_demand("Edit or close an open action", f"{key}_edit_box")):
        with box:
            _edit_entries(con, f, open_rows, key)
    if box := charts.on_demand("Letter home", f"{key}_letter_box"):
        with box:
            letter_maker(con, f, [upn], key)
